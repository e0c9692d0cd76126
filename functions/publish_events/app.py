"""Publishes the events case changes wrote to the table (the outbox) to the EventBridge bus."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.adapters.eventbridge import EventBusPublisher
from arbiter.services.outbox import publish_outbox
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=1)
def publisher() -> EventBusPublisher:
    """Composition root, once per cold start."""
    settings = Settings.from_environ()
    return EventBusPublisher(bootstrap.aws_client("events", settings), settings.event_bus_name)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    retry = publish_outbox(publisher(), event.get("Records", []))
    if retry:
        logger.warning(
            "events not accepted by EventBridge; the stream will retry them", extra={"count": len(retry)}
        )
    # Partial batch response: only the failed records are retried (ReportBatchItemFailures).
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in retry]}
