"""Scheduled: cases in processing with no live workflow execution are started again or marked failed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.domain.errors import InvalidInput
from arbiter.services.reconciliation import reconcile_processing

logger = Logger()
metrics = Metrics()
deps = bootstrap.composition_root()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # An operator may run it by hand for cases unchanged for fewer minutes: {"after_minutes": 0} checks them all.
    minutes = event.get("after_minutes", deps().settings.reconcile_after_minutes)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
        raise InvalidInput("after_minutes is a whole number of minutes, 0 or more", path="after_minutes")
    after = dt.timedelta(minutes=minutes)
    tenants = [t.id for t in deps().tenants.all()]
    report = reconcile_processing(deps(), tenants, after=after)
    metrics.add_metric(name="CasesWithoutWorkflow", unit=MetricUnit.Count, value=report.without_workflow)
    summary = {
        "checked": report.checked,
        "running": report.running,
        "restarted": report.restarted,
        "failed": report.failed,
    }
    logger.info("processing cases reconciled", extra=summary)
    return summary
