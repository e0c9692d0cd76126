"""Use cases of monitoring alerts a reviewer works: list them, investigate one, assign, note, escalate, file a
report, close.

Every change is one write of the alert with one entry of its own history (`AlertAction`: who, when, why) and the
event that announces it, over the revision that was read: a transaction joining the alert meanwhile, or another
reviewer's change, makes it a ConcurrentUpdate (look at the alert again), never a lost write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from arbiter.domain.alert_history import AlertAction, AlertActionKind, AlertFilters, new_action_id
from arbiter.domain.errors import Conflict, NotFound
from arbiter.domain.events import (
    AlertAssigned,
    AlertClosed,
    AlertEscalated,
    AlertNoted,
    AlertReportFiled,
    ArbiterEvent,
    EventActor,
)
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import NO_SCENARIO, Alert, DecidedTransaction, Resolution
from arbiter.services.ports import MonitoredEntities, Page

__all__ = [
    "ALERT_TRANSACTIONS_SHOWN",
    "CUSTOMER_HISTORY_DAYS",
    "CUSTOMER_TRANSACTIONS_SHOWN",
    "AlertCounts",
    "AlertDeps",
    "AlertDetail",
    "AlertStore",
    "add_note",
    "alert_detail",
    "assign_alert",
    "close_alert",
    "count_open_alerts",
    "escalate_alert",
    "file_report",
    "list_alerts",
]

#: The most open alerts the queue's counts look at (newest first), and the most pages of the alerts index they read
#: (a page reads at most 500 index items, open or closed); beyond either, the counts say they are truncated.
COUNTED_ALERTS = 2000
COUNTED_PAGES = 20
#: The investigation view's bounds: the alert's own transactions, and the customer's recent ones.
ALERT_TRANSACTIONS_SHOWN = 100
CUSTOMER_TRANSACTIONS_SHOWN = 200
CUSTOMER_HISTORY_DAYS = 90


@dataclass
class AlertDetail:
    """An alert with what an analyst reads to decide it."""

    alert: Alert
    history: list[AlertAction] = field(default_factory=list)
    #: The transactions on the alert (the one that opened it and those that joined it), oldest first.
    transactions: list[DecidedTransaction] = field(default_factory=list)
    #: The customer's recent transactions, newest first (bounded by count and age).
    customer_transactions: list[DecidedTransaction] = field(default_factory=list)
    #: The customer's onboarding record when it was approved through Arbiter (case id, risk level).
    onboarding: MonitoredEntity | None = None


@dataclass
class AlertCounts:
    """The open alerts the queue shows: in all, unassigned, the reviewer's, escalated, and per severity."""

    open: int = 0
    unassigned: int = 0
    mine: int = 0
    escalated: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    #: More open alerts exist than were counted (`COUNTED_ALERTS`, newest first).
    truncated: bool = False


class AlertStore(Protocol):
    """The alerts, their history and the transactions they read (the transaction store's adapter implements it)."""

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert | None:
        """The alert, or None (also for another tenant's)."""

    def list_alerts(
        self, tenant_id: str, filters: AlertFilters, cursor: str | None, limit: int
    ) -> Page[Alert]:
        """The tenant's alerts passing `filters`, newest first; InvalidInput for a cursor this list did not issue.
        A page may be short (bounded reading) and still carry a cursor."""

    def update_alert(
        self, alert: Alert, entry: AlertAction, events: list[ArbiterEvent], closing: bool = False
    ) -> None:
        """Write the reviewed `alert` (its revision one above the stored one, with the same transactions), its
        history entry and events; `closing` frees its scenario for a new alert. ConcurrentUpdate otherwise."""

    def alert_history(self, tenant_id: str, alert_id: str) -> list[AlertAction]:
        """The alert's history, oldest first."""

    def alert_transactions(self, tenant_id: str, alert_id: str, limit: int) -> list[DecidedTransaction]:
        """The first `limit` transactions on the alert, oldest first."""

    def customer_transactions(
        self, tenant_id: str, customer_id: str, since: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        """The customer's transactions at or after `since`, newest first, at most `limit`."""


class AlertDeps(Protocol):
    """The ports the alert use cases need (`arbiter.bootstrap.Dependencies` in a function)."""

    @property
    def transactions(self) -> AlertStore: ...
    @property
    def monitored(self) -> MonitoredEntities: ...
    def now(self) -> dt.datetime:
        """The current time, aware."""


def list_alerts(
    deps: AlertDeps, principal: Principal, filters: AlertFilters, cursor: str | None, limit: int
) -> Page[Alert]:
    """The caller's tenant's alerts passing `filters`, newest first."""
    principal.require("viewer", "reading alerts")
    return deps.transactions.list_alerts(principal.tenant_id, filters, cursor, limit)


def count_open_alerts(deps: AlertDeps, principal: Principal) -> AlertCounts:
    """The queue's counts over the newest `COUNTED_ALERTS` open alerts of the caller's tenant (bounded reading:
    `COUNTED_PAGES` pages of the index at most)."""
    principal.require("viewer", "reading alerts")
    counts = AlertCounts()
    cursor: str | None = None
    for _ in range(COUNTED_PAGES):
        page = deps.transactions.list_alerts(principal.tenant_id, AlertFilters(status="open"), cursor, 100)
        for alert in page.items:
            if counts.open == COUNTED_ALERTS:
                counts.truncated = True
                return counts
            counts.open += 1
            counts.unassigned += alert.assignee is None
            counts.mine += alert.assignee == principal.id
            counts.escalated += alert.escalated_at is not None
            counts.by_severity[alert.severity] = counts.by_severity.get(alert.severity, 0) + 1
        cursor = page.cursor
        if cursor is None:
            return counts
    counts.truncated = True  # the newest alerts hold more closed ones than a count reads
    return counts


def _alert(deps: AlertDeps, principal: Principal, alert_id: str) -> Alert:
    alert = deps.transactions.get_alert(principal.tenant_id, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found", alert_id=alert_id)
    return alert


def alert_detail(deps: AlertDeps, principal: Principal, alert_id: str) -> AlertDetail:
    """The alert with its history, its transactions, the customer's recent ones and its onboarding record."""
    principal.require("viewer", "reading an alert")
    alert = _alert(deps, principal, alert_id)
    tenant_id = principal.tenant_id
    since = deps.now() - dt.timedelta(days=CUSTOMER_HISTORY_DAYS)
    return AlertDetail(
        alert=alert,
        history=deps.transactions.alert_history(tenant_id, alert.id),
        transactions=deps.transactions.alert_transactions(tenant_id, alert.id, ALERT_TRANSACTIONS_SHOWN),
        customer_transactions=deps.transactions.customer_transactions(
            tenant_id, alert.customer_id, since, CUSTOMER_TRANSACTIONS_SHOWN
        ),
        onboarding=deps.monitored.get(tenant_id, alert.customer_id),
    )


def _actor(principal: Principal) -> EventActor:
    return EventActor(type=principal.kind, id=principal.id, email=principal.email)


def _entry(
    principal: Principal, alert: Alert, action: AlertActionKind, at: dt.datetime, **fields: str | None
) -> AlertAction:
    return AlertAction(
        id=new_action_id(),
        alert_id=alert.id,
        action=action,
        at=at,
        actor_id=principal.id,
        actor_email=principal.email,
        **fields,
    )


def _event_fields(alert: Alert, at: dt.datetime) -> dict[str, Any]:
    """What every alert event carries about its alert."""
    return {
        "time": at,
        "tenant_id": alert.tenant_id,
        "alert_id": alert.id,
        "customer_id": alert.customer_id,
        "scenario": alert.scenario or NO_SCENARIO,
    }


def _open(alert: Alert, doing: str) -> None:
    if alert.status != "open":
        raise Conflict(f"alert {alert.id} is closed; {doing} needs an open alert", alert_id=alert.id)


def assign_alert(deps: AlertDeps, principal: Principal, alert_id: str, assignee: str | None) -> Alert:
    """Assign the open alert to `assignee` (None: back to the team's queue)."""
    principal.require("reviewer", "assigning an alert")
    alert = _alert(deps, principal, alert_id)
    _open(alert, "assigning")
    at = deps.now()
    changed = alert.reviewed(assignee=assignee)
    entry = _entry(principal, alert, "assigned" if assignee else "unassigned", at, assignee=assignee)
    event = AlertAssigned(
        **_event_fields(alert, at),
        assignee=assignee,
        previous_assignee=alert.assignee,
        actor=_actor(principal),
    )
    deps.transactions.update_alert(changed, entry, [event])
    return changed


def add_note(deps: AlertDeps, principal: Principal, alert_id: str, text: str) -> AlertAction:
    """Add a note to the alert (open or closed); the note is an entry of its history."""
    principal.require("reviewer", "adding a note to an alert")
    alert = _alert(deps, principal, alert_id)
    at = deps.now()
    entry = _entry(principal, alert, "noted", at, text=text)
    event = AlertNoted(
        **_event_fields(alert, at),
        note_id=entry.id,
        actor=_actor(principal),
    )
    deps.transactions.update_alert(alert.reviewed(), entry, [event])
    return entry


def escalate_alert(deps: AlertDeps, principal: Principal, alert_id: str, reason: str) -> Alert:
    """Escalate the open alert with a reason (it stays open); Conflict when it already is."""
    principal.require("reviewer", "escalating an alert")
    alert = _alert(deps, principal, alert_id)
    _open(alert, "escalating")
    if alert.escalated_at is not None:
        raise Conflict(f"alert {alert.id} is already escalated", alert_id=alert.id)
    at = deps.now()
    changed = alert.reviewed(escalated_by=principal.id, escalated_at=at, escalation_reason=reason)
    entry = _entry(principal, alert, "escalated", at, text=reason)
    event = AlertEscalated(
        **_event_fields(alert, at),
        reason=reason,
        actor=_actor(principal),
    )
    deps.transactions.update_alert(changed, entry, [event])
    return changed


def _closed_event(alert: Alert, principal: Principal, at: dt.datetime) -> AlertClosed:
    return AlertClosed(
        **_event_fields(alert, at),
        resolution=alert.resolution or "no_action",
        reason=alert.reason or "",
        transaction_count=alert.transaction_count,
        actor=_actor(principal),
    )


def file_report(deps: AlertDeps, principal: Principal, alert_id: str, reason: str, reference: str) -> Alert:
    """Record that a report was filed about the open alert (its reference) and close it as a true positive."""
    principal.require("reviewer", "filing a report on an alert")
    alert = _alert(deps, principal, alert_id)
    _open(alert, "filing a report")
    at = deps.now()
    closed = alert.closed("true_positive", reason, principal.id, at).model_copy(
        update={"report_reference": reference}
    )
    entry = _entry(
        principal, alert, "report_filed", at, text=reason, reference=reference, resolution="true_positive"
    )
    filed = AlertReportFiled(
        **_event_fields(alert, at),
        reason=reason,
        reference=reference,
        actor=_actor(principal),
    )
    deps.transactions.update_alert(closed, entry, [filed, _closed_event(closed, principal, at)], closing=True)
    return closed


def close_alert(
    deps: AlertDeps, principal: Principal, alert_id: str, resolution: Resolution, reason: str
) -> Alert:
    """Close an open alert of the reviewer's tenant; the customer's next hit of its scenario opens a new one.

    NotFound for an unknown (or another tenant's) alert, Conflict for one already closed, ConcurrentUpdate when a
    transaction joined it while it was closed (look at it again)."""
    principal.require("reviewer", "closing an alert")
    alert = _alert(deps, principal, alert_id)
    if alert.status != "open":
        raise Conflict(f"alert {alert_id} is already closed", alert_id=alert_id, resolution=alert.resolution)
    at = deps.now()
    closed = alert.closed(resolution, reason, principal.id, at)
    entry = _entry(principal, alert, "closed", at, text=reason, resolution=resolution)
    deps.transactions.update_alert(closed, entry, [_closed_event(closed, principal, at)], closing=True)
    return closed
