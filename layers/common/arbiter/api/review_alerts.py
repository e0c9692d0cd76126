"""Reviewers' monitoring alert routes (`/v1/review/alerts`): close an alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Alert, Resolution
from arbiter.services import alerts

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["AlertView", "CloseAlertRequest", "review_alerts_router"]


def _trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CloseAlertRequest(BaseModel):
    """What the reviewer concluded, and why (kept on the alert and in `alert.closed`)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"resolution": "false_positive", "reason": "payroll run"}]},
    )

    resolution: Resolution
    reason: Annotated[str, BeforeValidator(_trimmed), Field(min_length=1, max_length=2000)]


class AlertView(BaseModel):
    """A monitoring alert."""

    id: str
    customer_id: str
    scenario: str | None
    status: str
    decision: str
    severity: str
    score: float
    transaction_id: str = Field(description="The transaction that opened it")
    transaction_count: int
    last_transaction_id: str | None
    created_at: dt.datetime
    resolution: str | None
    reason: str | None
    closed_by: str | None
    closed_at: dt.datetime | None


def alert_view(alert: Alert) -> AlertView:
    """The alert as the review API shows it."""
    return AlertView(**alert.model_dump(include=set(AlertView.model_fields)))


def review_alerts_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The alert routes, bound to the including function's dependencies and authenticated reviewer."""
    router = Router()

    @router.post(
        "/v1/review/alerts/<alert_id>/close",
        summary="Close a monitoring alert with a resolution and a reason",
        operation_id="closeAlert",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def close(alert_id: str, body: CloseAlertRequest) -> AlertView:
        return alert_view(alerts.close_alert(deps(), caller(), alert_id, body.resolution, body.reason))

    return router
