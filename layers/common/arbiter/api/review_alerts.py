"""Reviewers' monitoring alert routes (`/v1/review/alerts`): the alerts queue, one alert with what an analyst reads
to decide it, assignment, notes and dispositions (close, escalate, report filed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from arbiter.api.openapi import responses
from arbiter.domain.alert_history import AlertAction, AlertFilters
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Alert, DecidedTransaction, Resolution, Severity
from arbiter.services import alerts

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = [
    "AlertCountsView",
    "AlertDetailView",
    "AlertListView",
    "AlertView",
    "AssignAlertRequest",
    "CloseAlertRequest",
    "EscalateAlertRequest",
    "FileReportRequest",
    "NoteAlertRequest",
    "review_alerts_router",
]


def _trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


Reason = Annotated[str, BeforeValidator(_trimmed), Field(min_length=1, max_length=2000)]


class CloseAlertRequest(BaseModel):
    """What the reviewer concluded, and why (kept on the alert and in `alert.closed`)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"resolution": "false_positive", "reason": "payroll run"}]},
    )

    resolution: Resolution
    reason: Reason


class AssignAlertRequest(BaseModel):
    """Who works the alert: "me", a reviewer id, or null to put it back in the team's queue."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"assignee": "me"}]})

    # The length applies to a name, not to null (unassign).
    assignee: Annotated[str, BeforeValidator(_trimmed), Field(min_length=1, max_length=200)] | None = "me"


class NoteAlertRequest(BaseModel):
    """A note on the alert (kept in its history)."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"text": "Called the customer: invoice on file."}]}
    )

    text: Annotated[str, BeforeValidator(_trimmed), Field(min_length=1, max_length=4000)]


class EscalateAlertRequest(BaseModel):
    """Why the alert goes to whoever takes escalations."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"reason": "pattern matches a known mule network"}]}
    )

    reason: Reason


class FileReportRequest(BaseModel):
    """The report filed with the authority about the alert: why, and its reference there."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"reason": "structuring confirmed", "reference": "SAR-2026-0042"}]},
    )

    reason: Reason
    reference: Annotated[str, BeforeValidator(_trimmed), Field(min_length=1, max_length=200)]


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
    last_seen_at: dt.datetime | None = None
    assignee: str | None = None
    escalated_by: str | None = None
    escalated_at: dt.datetime | None = None
    escalation_reason: str | None = None
    report_reference: str | None = None
    resolution: str | None
    reason: str | None
    closed_by: str | None
    closed_at: dt.datetime | None


class AlertListView(BaseModel):
    """A page of alerts, newest first; `cursor` fetches the next (null at the end)."""

    items: list[AlertView]
    cursor: str | None = None


class AlertCountsView(BaseModel):
    """Open alerts: in all, unassigned, the caller's, escalated, per severity (over the newest 2,000 open, at most
    20 pages of the alerts index read)."""

    open: int
    unassigned: int
    mine: int
    escalated: int
    by_severity: dict[str, int]
    truncated: bool = Field(description="More open alerts exist than were counted")


class AlertActionView(BaseModel):
    """One entry of the alert's history: who did what, when, and why."""

    id: str
    action: str
    at: dt.datetime
    actor_id: str
    actor_email: str | None = None
    text: str | None = None
    assignee: str | None = None
    resolution: str | None = None
    reference: str | None = None


class TransactionSummary(BaseModel):
    """A decided transaction as the investigation view draws it."""

    id: str
    time: dt.datetime
    amount: Decimal
    currency: str
    direction: str
    type: str
    counterparty: dict[str, Any]
    channel: str | None = None
    decision: str
    score: float
    alert_id: str | None = None
    hits: list[dict[str, Any]] = Field(
        default_factory=list, description="The rules that hit, with their values"
    )


class CustomerView(BaseModel):
    """The customer the alert is about, with its onboarding when it was approved through Arbiter."""

    id: str
    case_id: str | None = Field(default=None, description="The onboarding case that approved it")
    workflow_id: str | None = None
    risk_level: str | None = Field(default=None, description="The onboarding case's risk level")
    monitored_since: dt.datetime | None = None


class AlertDetailView(BaseModel):
    """An alert with what an analyst reads to decide it."""

    alert: AlertView
    hits: list[dict[str, Any]] = Field(
        description="The rules that hit on the transaction that opened it: values read, description, explanation"
    )
    customer: CustomerView
    transactions: list[TransactionSummary] = Field(description="The transactions on the alert, oldest first")
    customer_transactions: list[TransactionSummary] = Field(
        description=f"The customer's transactions of the last {alerts.CUSTOMER_HISTORY_DAYS} days, newest first "
        f"(at most {alerts.CUSTOMER_TRANSACTIONS_SHOWN})"
    )
    history: list[AlertActionView] = Field(description="Assignments, notes and dispositions, oldest first")


def alert_view(alert: Alert) -> AlertView:
    """The alert as the review API shows it."""
    return AlertView(**alert.model_dump(include=set(AlertView.model_fields)))


def _action_view(entry: AlertAction) -> AlertActionView:
    return AlertActionView(**entry.model_dump(include=set(AlertActionView.model_fields)))


def _summary(decided: DecidedTransaction) -> TransactionSummary:
    tx = decided.transaction
    return TransactionSummary(
        id=tx.id,
        time=tx.time,
        amount=tx.amount,
        currency=tx.currency,
        direction=tx.direction,
        type=tx.type,
        counterparty=tx.counterparty.model_dump(),
        channel=tx.channel,
        decision=decided.decision,
        score=decided.score,
        alert_id=decided.alert_id,
        hits=decided.hits,
    )


def _detail_view(detail: alerts.AlertDetail) -> AlertDetailView:
    onboarding = detail.onboarding
    return AlertDetailView(
        alert=alert_view(detail.alert),
        hits=detail.alert.hits,
        customer=CustomerView(
            id=detail.alert.customer_id,
            case_id=onboarding.case_id if onboarding else None,
            workflow_id=onboarding.workflow_id if onboarding else None,
            risk_level=onboarding.risk_level if onboarding else None,
            monitored_since=onboarding.since if onboarding else None,
        ),
        transactions=[_summary(d) for d in detail.transactions],
        customer_transactions=[_summary(d) for d in detail.customer_transactions],
        history=[_action_view(e) for e in detail.history],
    )


def review_alerts_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The alert routes, bound to the including function's dependencies and authenticated reviewer."""
    router = Router()

    @router.get(
        "/v1/review/alerts",
        summary="The alerts queue: the tenant's monitoring alerts, newest first, filtered",
        operation_id="listAlerts",
        tags=["review"],
        responses=responses(403),
    )
    def list_alerts(
        status: Annotated[Literal["open", "closed"] | None, Query()] = None,
        severity: Annotated[Severity | None, Query()] = None,
        scenario: Annotated[str | None, Query(max_length=200)] = None,
        assignee: Annotated[str | None, Query(max_length=200, description='"me", a reviewer id')] = None,
        customer: Annotated[str | None, Query(max_length=200)] = None,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
    ) -> AlertListView:
        principal = caller()
        filters = AlertFilters(
            status=status,
            severity=severity,
            scenario=scenario,
            assignee=principal.id if assignee == "me" else assignee,
            customer_id=customer,
        )
        page = alerts.list_alerts(deps(), principal, filters, cursor, limit)
        return AlertListView(items=[alert_view(a) for a in page.items], cursor=page.cursor)

    @router.get(
        "/v1/review/alerts/counts",
        summary="The alerts queue's counts: open alerts, unassigned, yours, escalated, per severity",
        operation_id="countAlerts",
        tags=["review"],
        responses=responses(403),
    )
    def count_alerts() -> AlertCountsView:
        counts = alerts.count_open_alerts(deps(), caller())
        return AlertCountsView(**dataclasses.asdict(counts))

    @router.get(
        "/v1/review/alerts/<alert_id>",
        summary="One alert: its hits, transactions, the customer's recent ones, its onboarding case, its history",
        operation_id="getAlert",
        tags=["review"],
        responses=responses(403, 404),
    )
    def get_alert(alert_id: str) -> AlertDetailView:
        return _detail_view(alerts.alert_detail(deps(), caller(), alert_id))

    @router.post(
        "/v1/review/alerts/<alert_id>/assign",
        summary='Assign an open alert (to yourself with "me"), or unassign it with null',
        operation_id="assignAlert",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def assign(alert_id: str, body: AssignAlertRequest) -> AlertView:
        principal = caller()
        assignee = principal.id if body.assignee == "me" else body.assignee
        return alert_view(alerts.assign_alert(deps(), principal, alert_id, assignee))

    @router.post(
        "/v1/review/alerts/<alert_id>/notes",
        summary="Add a note to an alert (kept in its history)",
        operation_id="addAlertNote",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def note(alert_id: str, body: NoteAlertRequest) -> AlertActionView:
        return _action_view(alerts.add_note(deps(), caller(), alert_id, body.text))

    @router.post(
        "/v1/review/alerts/<alert_id>/escalate",
        summary="Escalate an open alert with a reason (it stays open)",
        operation_id="escalateAlert",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def escalate(alert_id: str, body: EscalateAlertRequest) -> AlertView:
        return alert_view(alerts.escalate_alert(deps(), caller(), alert_id, body.reason))

    @router.post(
        "/v1/review/alerts/<alert_id>/report",
        summary="Record the report filed about an open alert (its reference) and close it as a true positive",
        operation_id="fileAlertReport",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def report(alert_id: str, body: FileReportRequest) -> AlertView:
        return alert_view(alerts.file_report(deps(), caller(), alert_id, body.reason, body.reference))

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
