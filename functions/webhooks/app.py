"""Webhook subscriptions and signed delivery of decision events (see docs/events.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter.api.errors import register_error_handlers

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
register_error_handlers(app)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "detail-type" in event:  # an event from the bus: nothing subscribes yet
        return {"delivered": 0}
    return app.resolve(event, context)
