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
    )


def screening_result(
    name: str = "Leila Haddad",
    subject: str = "individual",
    party_key: str = "e-1",
    entry_id: str = "demo-haddad",
    listed_name: str = "Leila Nasser Haddad",
    topics: tuple[str, ...] = ("role.pep",),
    suppressed: bool = False,
) -> dict[str, Any]:
    """A sanctions check result, as the check stores it, with one match of one screened party."""
    match = {
        "entry": {"id": entry_id, "caption": listed_name, "names": [listed_name], "topics": list(topics)},
        "score": 0.93,
        "suppressed": suppressed,
        "explanation": {"query_name": name, "listed_name": listed_name},
    }
    code = "pep_match" if "role.pep" in topics else "sanctions_match"
    flags = (
        [] if suppressed else [{"code": code, "severity": "critical", "subject": subject, "message": name}]
    )
    return {
        "status": "ok",
        "data": {"parties": [{"subject": subject, "party_key": party_key, "name": name, "matches": [match]}]},
        "flags": flags,
        "error": None,
    }


def clearance(
    case_id: str, party_key: str = "e-1", entry_id: str = "demo-haddad", tenant_id: str = "acme"
) -> Any:
    """A reviewer's clearance of one match of one party."""
    from arbiter.domain.case import Actor
    from arbiter.domain.screening import Clearance

    return Clearance(
        tenant_id=tenant_id,
        party_key=party_key,
        entry_id=entry_id,
        case_id=case_id,
        subject="individual",
        reason="another person: passport seen",
        cleared_by=Actor(type="reviewer", id="reviewer-1"),
        cleared_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
    )


def clearance_audit(action: str = "screening.match_cleared") -> Any:
    """The audit entry a clearance (or its revocation) is stored with on its case."""
    from arbiter.domain.case import Actor, AuditEntry

    return AuditEntry(
        at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        actor=Actor(type="reviewer", id="reviewer-1"),
        action=action,
        reason="another person: passport seen",
    )
