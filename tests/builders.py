"""Test data: entities, tenants and principals, realistic enough to read like real cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.domain.entity import Entity
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant, TenantSettings


def person(first: str = "Ada", last: str = "Lovelace", **extra: Any) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": last,
        "date_of_birth": "1985-12-10",
        "nationality": "GB",
        **extra,
    }


def individual(entity_id: str | None = "user-1", **fields: Any) -> Entity:
    return Entity.model_validate({"type": "individual", "id": entity_id, "individual": person(**fields)})


def business(
    entity_id: str | None = "biz-1", ubos: list[dict[str, Any]] | None = None, **fields: Any
) -> Entity:
    data = {
        "name": "Acme Payments GmbH",
        "registration_number": "HRB 123456",
        "country_of_incorporation": "DE",
        "website": "https://acme.example",
        "ubos": ubos if ubos is not None else [],
        **fields,
    }
    return Entity.model_validate({"type": "business", "id": entity_id, "business": data})


def ubo(first: str, last: str, percent: float, **extra: Any) -> dict[str, Any]:
    return {**person(first, last), "ownership_percent": percent, "roles": ["ubo"], **extra}


def tenant(tenant_id: str = "acme", **settings: Any) -> Tenant:
    return Tenant(
        id=tenant_id,
        name=tenant_id.title(),
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        settings=TenantSettings(**settings),
    )


def integrator(tenant_id: str = "acme") -> Principal:
    return Principal(kind="integrator", tenant_id=tenant_id, id="key_test")


def reviewer(role: str = "reviewer", tenant_id: str = "acme", user: str | None = None) -> Principal:
    user = user or f"{role}-1"
    return Principal(
        kind="reviewer", tenant_id=tenant_id, id=user, email=f"{user}@example.com", roles=(role,)
    )  # type: ignore[arg-type]
