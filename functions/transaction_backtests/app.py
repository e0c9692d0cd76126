"""The transaction-backtests state machine's tasks: run a monitoring backtest job, or record why it did not end."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.services.transaction_backtest_jobs import fail_backtest_job, run_backtest_job

logger = Logger()

deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`{"task": "run" | "fail", "tenant_id", "job_id", "error"?}` → the job's id and status."""
    tenant_id, job_id = event["tenant_id"], event["job_id"]
    logger.append_keys(tenant_id=tenant_id, job_id=job_id)
    if event.get("task") == "fail":
        error = event.get("error") or {}
        reason = str(error.get("Error") or "the task failed")
        job = fail_backtest_job(deps(), tenant_id, job_id, reason)
    else:
        job = run_backtest_job(deps(), tenant_id, job_id)
    status = job.status if job else "missing"
    logger.info("backtest job", extra={"status": status})
    return {"job_id": job_id, "status": status}
