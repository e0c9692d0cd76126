"""Ongoing screening's view of a customer: an approved entity, monitored by default, kept as the few fields
screening reads, so that a watchlist update can be matched against every monitored customer without reading their
cases.

One record per entity (its key: the integrator's entity id, else `case:<case id>`), written with the decision
that approved it; a later approval of the same entity replaces its fields but never switches monitoring back on
once a reviewer switched it off. See docs/screening.md ("Ongoing screening").
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.entity import Entity

__all__ = [
    "MONITORING_WORKFLOW",
    "MonitoredEntity",
    "RiskLevel",
    "add_months",
    "monitored_key",
    "screened_projection",
]

#: How risky the rules found a case (arbiter.domain.case.RiskAssessment), and what sets a customer's review interval.
RiskLevel = Literal["low", "medium", "high", "critical"]

#: The workflow of the cases a watchlist update opens (arbiter/workflows/monitoring.json): no automated part, a
#: reviewer decides whether the customer is the listed entry.
MONITORING_WORKFLOW = "monitoring"

# What screening reads of a person and of a business (arbiter.screening.queries); nothing else is kept.
_PERSON_FIELDS: dict[str, Any] = {
    "id": True,
    "first_name": True,
    "middle_name": True,
    "last_name": True,
    "full_name": True,
    "date_of_birth": True,
    "nationality": True,
    "country_of_residence": True,
    "address": {"country"},
}
_BUSINESS_FIELDS: dict[str, Any] = {
    "name": True,
    "trading_name": True,
    "registration_number": True,
    "country_of_incorporation": True,
    "ubos": {"__all__": _PERSON_FIELDS},
    "directors": {"__all__": _PERSON_FIELDS},
}


def screened_projection(entity: Entity) -> Entity:
    """The entity with only what screening reads: names, birth dates, countries, registration number, and the
    same of a business's UBOs and directors (a few hundred bytes, where a case is kilobytes)."""
    kept = entity.model_dump(
        mode="json",
        include={"type": True, "id": True, "individual": _PERSON_FIELDS, "business": _BUSINESS_FIELDS},
        exclude_none=True,
    )
    return Entity.model_validate(kept)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus whole months, on the month's last day when it is shorter (Jan 31 + 1 month: Feb 28 or 29). Five
    lines of the standard library rather than dateutil, whose types the checker does not have."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def monitored_key(entity: Entity, case_id: str) -> str:
    """The entity's key in the monitored index: the integrator's id, or the case's when it has none (the same
    root the sanctions check gives the entity's parties, so clearances apply)."""
    return entity.id or f"case:{case_id}"


class MonitoredEntity(BaseModel):
    """An approved customer that list updates are matched against, while `enabled`."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    key: str
    entity_type: Literal["individual", "business"]
    #: The case that approved it (the onboarding case a monitoring case links to) and its workflow.
    case_id: str
    workflow_id: str
    since: dt.datetime
    subject: Entity = Field(description="The entity as screening reads it (screened_projection)")
    enabled: bool = True
    #: The risk level of the approving case (None: its rules gave none); with `since`, when it is due for review.
    risk_level: RiskLevel | None = None
    #: The earliest expiry date among the approving case's documents (None: none carries one): the daily run asks
    #: for the document again that many days before (`document_expiry_margin_days`) without reading the case.
    documents_expire: dt.date | None = None
    #: Underwriting: the monthly processing limit the approval granted and its currency (None: no limit), which
    #: transaction monitoring checks each payment against.
    monthly_limit: float | None = None
    limit_currency: str | None = None

    def documents_due(self, margin_days: int | None) -> dt.date | None:
        """The day an expiring document makes the customer due for a review (None: no document expires, or the
        tenant never asks)."""
        if self.documents_expire is None or margin_days is None:
            return None
        return self.documents_expire - dt.timedelta(days=margin_days)

    def review_due(self, months_by_level: Mapping[str, int | None]) -> dt.date | None:
        """The day its periodic review is due: `since` (the last approval) plus the interval of its risk level
        (a level without a level of its own counts as `low`); None when that level is never reviewed."""
        months = months_by_level.get(self.risk_level or "low")
        if months is None:
            return None
        return add_months(self.since.date(), months)

    @classmethod
    def approved(
        cls,
        tenant_id: str,
        case_id: str,
        workflow_id: str,
        entity: Entity,
        at: dt.datetime,
        risk_level: RiskLevel | None = None,
        documents_expire: dt.date | None = None,
        monthly_limit: float | None = None,
        limit_currency: str | None = None,
    ) -> MonitoredEntity:
        """The record an approval writes."""
        return cls(
            tenant_id=tenant_id,
            key=monitored_key(entity, case_id),
            entity_type=entity.type,
            case_id=case_id,
            workflow_id=workflow_id,
            since=at,
            subject=screened_projection(entity),
            risk_level=risk_level,
            documents_expire=documents_expire,
            monthly_limit=monthly_limit if limit_currency else None,
            limit_currency=limit_currency if monthly_limit is not None else None,
        )
