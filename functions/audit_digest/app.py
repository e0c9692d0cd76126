"""Scheduled, daily: each tenant's digest of the audit chain heads that moved the day before, written to the
Object Lock bucket and recorded (with an anchor on each case) so that a verifier can check a head against it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.domain.errors import InvalidInput
from arbiter.services.audit_trail import write_daily_digests

logger = Logger()
metrics = Metrics()
deps = bootstrap.composition_root()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The schedule digests yesterday (UTC); an operator may name a day: {"date": "2026-12-05"}.
    date = (
        _day(event.get("date"))
        if event.get("date") is not None
        else deps().now().date() - dt.timedelta(days=1)
    )
    report = write_daily_digests(deps().audit_heads, deps().digest_archive, date)
    metrics.add_metric(name="AuditDigestCases", unit=MetricUnit.Count, value=report.cases)
    summary = report.model_dump(mode="json", exclude={"digests"})
    logger.info("audit digests written", extra=summary)
    return summary


def _day(value: object) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput("date is a day, YYYY-MM-DD", path="date") from exc
