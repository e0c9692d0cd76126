"""What reviewers do to a monitoring alert, as its own audit history: assignment, notes, dispositions.

Each action is one entry (who, when, why) stored beside the alert and written with it in one transaction, so the
alert and its history never disagree. Notes are entries too: the investigation view reads them from the history.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from arbiter.domain.transactions import Alert

__all__ = ["AlertAction", "AlertActionKind", "AlertFilters", "new_action_id"]

AlertActionKind = Literal["assigned", "unassigned", "noted", "escalated", "report_filed", "closed"]


class AlertAction(BaseModel):
    """One entry of an alert's history: what a reviewer did, when, and why."""

    model_config = ConfigDict(frozen=True)

    id: str
    alert_id: str
    action: AlertActionKind
    at: dt.datetime
    actor_id: str
    actor_email: str | None = None
    #: The note's text, the escalation's or closure's reason.
    text: str | None = None
    #: `assigned`: who it is assigned to now.
    assignee: str | None = None
    #: `closed`: the resolution; `report_filed`: the report's reference with the authority.
    resolution: str | None = None
    reference: str | None = None


def new_action_id() -> str:
    """A fresh history entry id."""
    return f"act_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class AlertFilters:
    """What the alerts queue is narrowed to (None: any)."""

    status: str | None = None
    severity: str | None = None
    scenario: str | None = None
    assignee: str | None = None
    customer_id: str | None = None

    def match(self, alert: Alert) -> bool:
        """True when the alert passes every filter set."""
        return all(
            wanted is None or wanted == found
            for wanted, found in (
                (self.status, alert.status),
                (self.severity, alert.severity),
                (self.scenario, alert.scenario),
                (self.assignee, alert.assignee),
                (self.customer_id, alert.customer_id),
            )
        )
