"""Use cases of monitoring alerts a reviewer works: close one with a resolution and a reason."""

from __future__ import annotations

from arbiter.domain.errors import Conflict, NotFound
from arbiter.domain.events import AlertClosed, EventActor
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import NO_SCENARIO, Alert, Resolution
from arbiter.services.transactions import TransactionDeps

__all__ = ["close_alert"]


def close_alert(
    deps: TransactionDeps, principal: Principal, alert_id: str, resolution: Resolution, reason: str
) -> Alert:
    """Close an open alert of the reviewer's tenant; the customer's next hit of its scenario opens a new one.

    NotFound for an unknown (or another tenant's) alert, Conflict for one already closed, ConcurrentUpdate when a
    transaction joined it while it was closed (look at it again)."""
    principal.require("reviewer", "closing an alert")
    alert = deps.transactions.get_alert(principal.tenant_id, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found", alert_id=alert_id)
    if alert.status != "open":
        raise Conflict(f"alert {alert_id} is already closed", alert_id=alert_id, resolution=alert.resolution)
    at = deps.now()
    closed = alert.closed(resolution, reason, principal.id, at)
    event = AlertClosed(
        time=at,
        tenant_id=alert.tenant_id,
        alert_id=alert.id,
        customer_id=alert.customer_id,
        scenario=alert.scenario or NO_SCENARIO,
        resolution=resolution,
        reason=reason,
        transaction_count=alert.transaction_count,
        actor=EventActor(type=principal.kind, id=principal.id, email=principal.email),
    )
    deps.transactions.close_alert(closed, [event])
    return closed
