"""Scheduled: deletes the documents of decided cases once their tenant's retention period has passed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.services import retention

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = retention.apply_retention(deps(), deps().tenants.all())
    logger.info("retention applied", extra=report)
    return report
