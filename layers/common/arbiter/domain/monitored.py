"""Ongoing screening's view of a customer: an approved entity, monitored by default, kept as the few fields
screening reads, so that a watchlist update can be matched against every monitored customer without reading their
cases.

One record per entity (its key: the integrator's entity id, else `case:<case id>`), written with the decision
that approved it; a later approval of the same entity replaces its fields but never switches monitoring back on
once a reviewer switched it off. See docs/screening.md ("Ongoing screening").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.entity import Entity

__all__ = ["MONITORING_WORKFLOW", "MonitoredEntity", "monitored_key", "screened_projection"]

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

    @classmethod
    def approved(
        cls, tenant_id: str, case_id: str, workflow_id: str, entity: Entity, at: dt.datetime
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
        )
