"""Publishes the events case changes wrote to the table (the outbox) to the EventBridge bus."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.services.outbox import publish_outbox

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    retry = publish_outbox(
        deps().publisher,
        event.get("Records", []),
        deps().webhook_router.routed,
        inflate=deps().outbox_inflate,
    )
    if retry:
        logger.warning(
            "events not accepted by EventBridge; the stream will retry them", extra={"count": len(retry)}
        )
    # Partial batch response: only the failed records are retried (ReportBatchItemFailures).
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in retry]}
