"""Use cases of a monitoring backtest run as a job: asked for through the API, run by a state machine's task.

A backtest answered in the request (`backtest_transactions`) must end within API Gateway's 29 seconds, so it scores
at most MAX_ANSWERED_TRANSACTIONS. A job scores up to MAX_BACKTEST_TRANSACTIONS with up to fifteen minutes:
`start_backtest_job` checks what can be checked at once (the admin role, the range, the version or draft: the same
422s as the answered backtest), stores the job `queued` and starts its execution (named after the job: a start
delivered twice runs once). `run_backtest_job` is the execution's task: it runs the backtest as the admin who asked
for it, and stores the result or the reason it failed (a 422 of the backtest itself, such as too many transactions
in the range, is the job's failure, not the execution's); `fail_backtest_job` records a failure the task could not
(the function timed out, or crashed). Nothing but the job is written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from arbiter.domain.errors import ArbiterError, InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.services import transaction_backtests
from arbiter.services.ports import WorkflowEngine
from arbiter.services.transaction_backtests import BacktestDeps, TransactionBacktest, backtest_transactions

__all__ = [
    "BACKTEST_MACHINE",
    "JOB_RETENTION",
    "BacktestJob",
    "BacktestJobDeps",
    "BacktestJobStore",
    "JobStatus",
    "fail_backtest_job",
    "get_backtest_job",
    "run_backtest_job",
    "start_backtest_job",
]

#: The state machine running the jobs (the engine's workflow id: `<stack>-transaction-backtests`).
BACKTEST_MACHINE = "transaction-backtests"
#: How long a job and its result are kept.
JOB_RETENTION = dt.timedelta(days=30)

JobStatus = Literal["queued", "running", "succeeded", "failed"]


class JobFailure(BaseModel):
    message: str
    #: The request field the failure names (`end` for a range holding too many transactions), when it names one.
    path: str | None = None
    #: More about it: `end_at_most` for a range holding too many transactions.
    context: dict[str, Any] = Field(default_factory=dict)


class BacktestJob(BaseModel):
    """A backtest asked for, and what became of it."""

    id: str
    tenant_id: str
    status: JobStatus
    start: dt.datetime
    end: dt.datetime
    version: int | None = None
    rule_set: dict[str, Any] | None = None
    requested_by: str
    requested_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    result: TransactionBacktest | None = None
    error: JobFailure | None = None


class BacktestJobStore(Protocol):
    def create(self, job: BacktestJob) -> None:
        """Store a new job (its id is fresh)."""

    def get(self, tenant_id: str, job_id: str) -> BacktestJob | None:
        """The job, or None (another tenant's job is not found)."""

    def save(self, job: BacktestJob, expected: JobStatus) -> bool:
        """Write the job over the stored one if that one's status is still `expected`; False if it is not."""

    def delete(self, tenant_id: str, job_id: str) -> None: ...


class BacktestJobDeps(BacktestDeps, Protocol):
    @property
    def backtest_jobs(self) -> BacktestJobStore: ...
    @property
    def engine(self) -> WorkflowEngine: ...


def start_backtest_job(
    deps: BacktestJobDeps,
    principal: Principal,
    *,
    start: dt.datetime,
    end: dt.datetime,
    version: int | None = None,
    rule_set: dict[str, Any] | None = None,
) -> BacktestJob:
    """A job backtesting [start, end) with a version or draft, `queued` and its execution started."""
    principal.require("admin", "backtesting monitoring rule sets")
    transaction_backtests.check_request(deps, principal.tenant_id, start, end, version, rule_set)
    job = BacktestJob(
        id=f"btj_{secrets.token_hex(12)}",
        tenant_id=principal.tenant_id,
        status="queued",
        start=start,
        end=end,
        version=version,
        rule_set=rule_set,
        requested_by=principal.id,
        requested_at=deps.now(),
    )
    deps.backtest_jobs.create(job)
    try:
        deps.engine.start(BACKTEST_MACHINE, job.id, {"tenant_id": job.tenant_id, "job_id": job.id})
    except Exception:
        deps.backtest_jobs.delete(job.tenant_id, job.id)  # no job left queued that nothing will run
        raise
    return job


def get_backtest_job(deps: BacktestJobDeps, principal: Principal, job_id: str) -> BacktestJob:
    principal.require("admin", "backtesting monitoring rule sets")
    job = deps.backtest_jobs.get(principal.tenant_id, job_id)
    if job is None:
        raise NotFound(f"backtest {job_id} not found")
    return job


def run_backtest_job(deps: BacktestJobDeps, tenant_id: str, job_id: str) -> BacktestJob:
    """The execution's task: the backtest, as the admin who asked for it, and its result or failure stored. A job
    already ended (an execution started twice) is answered as it is; one left `running` by a task that did not end
    is run again."""
    job = deps.backtest_jobs.get(tenant_id, job_id)
    if job is None:
        raise NotFound(f"backtest {job_id} not found")
    if job.status in ("succeeded", "failed"):
        return job
    running = job.model_copy(update={"status": "running", "started_at": deps.now()})
    if not deps.backtest_jobs.save(running, expected=job.status):
        # Another attempt took it meanwhile (a retry overlapping a task still running): that one answers.
        return deps.backtest_jobs.get(tenant_id, job_id) or job
    asker = Principal(kind="reviewer", tenant_id=tenant_id, id=job.requested_by, roles=("admin",))
    try:
        result = backtest_transactions(
            deps,
            asker,
            start=job.start,
            end=job.end,
            version=job.version,
            rule_set=job.rule_set,
            most=transaction_backtests.MAX_BACKTEST_TRANSACTIONS,
        )
    except InvalidInput as refused:
        context = {k: v for k, v in refused.context.items() if k != "path"}
        return _finish(
            deps, running, error=JobFailure(message=refused.message, path=refused.path, context=context)
        )
    return _finish(deps, running, result=result)


def fail_backtest_job(deps: BacktestJobDeps, tenant_id: str, job_id: str, reason: str) -> BacktestJob | None:
    """The execution's task failed for good (timed out, crashed): the job says so, unless it ended meanwhile."""
    job = deps.backtest_jobs.get(tenant_id, job_id)
    if job is None or job.status in ("succeeded", "failed"):
        return job
    return _finish(deps, job, error=JobFailure(message=f"the backtest did not finish: {reason}"))


def _finish(
    deps: BacktestJobDeps,
    job: BacktestJob,
    *,
    result: TransactionBacktest | None = None,
    error: JobFailure | None = None,
) -> BacktestJob:
    ended = job.model_copy(
        update={
            "status": "failed" if error else "succeeded",
            "finished_at": deps.now(),
            "result": result,
            "error": error,
        }
    )
    if not deps.backtest_jobs.save(ended, expected=job.status):
        stored = deps.backtest_jobs.get(job.tenant_id, job.id)  # another attempt ended it first
        if stored is None:
            raise ArbiterError(f"backtest {job.id} vanished while it ran")
        return stored
    return ended
