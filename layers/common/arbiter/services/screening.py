"""Reviewers' use cases on screening results: clear a match as a false positive, so it is not raised again; list
the clearances held for a case's or an entity's parties; revoke one, so the match is raised again on the next run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.events import ScreeningClearanceAdded, ScreeningClearanceRevoked
from arbiter.domain.principal import Principal
from arbiter.domain.screening import Clearance
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery, ClearanceStore

__all__ = [
    "ClearMatchRequest",
    "ClearanceStore",
    "RevokeClearanceRequest",
    "case_clearances",
    "clear_match",
    "entity_clearances",
    "revoke_clearance",
]


class ClearMatchRequest(BaseModel):
    """Which match of which check a reviewer clears, and why (the reason goes to the audit trail)."""

    check: str = Field(default="sanctions", pattern=r"^[a-z][a-z0-9_]{0,63}$")
    subject: str = Field(min_length=1, max_length=200, description="The party, e.g. business.ubos[0]")
    entry_id: str = Field(min_length=1, max_length=300, description="The list entry's id")
    reason: str = Field(min_length=1, max_length=4000)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("reason must not be blank")
        return reason.strip()


class RevokeClearanceRequest(ClearMatchRequest):
    """Which clearance of which screened party a reviewer revokes, and why (the reason goes to the audit trail):
    the same fields as clearing it."""


def clear_match(
    deps: CaseDeps, store: ClearanceStore, principal: Principal, case_id: str, request: ClearMatchRequest
) -> tuple[Clearance, bool]:
    """Remember that the party is not the list entry; (the clearance, whether it is new). Reviewers and admins."""
    principal.require("reviewer", "clearing a screening match")
    detail = deps.cases.detail(principal.tenant_id, case_id)
    party, match = _find_match(detail.checks, request)
    existing = store.get(principal.tenant_id, party["party_key"], request.entry_id)
    if existing is not None:
        return existing, False
    at = deps.now()
    entry = match.get("entry") or {}
    explanation = match.get("explanation") or {}
    listed_version = (detail.checks[request.check].get("data") or {}).get("list") or {}
    clearance = Clearance(
        tenant_id=principal.tenant_id,
        party_key=party["party_key"],
        entry_id=request.entry_id,
        case_id=case_id,
        subject=request.subject,
        party_name=str(party.get("name") or ""),
        listed_name=str(explanation.get("listed_name") or entry.get("caption") or ""),
        score=match.get("score"),
        list_sha256=listed_version.get("sha256"),
        reason=request.reason,
        cleared_by=principal.actor,
        cleared_at=at,
    )
    audit = _clearance_audit(
        "screening.match_cleared",
        principal,
        at,
        request,
        clearance,
        score=clearance.score,
        list_sha256=clearance.list_sha256,
    )
    event = ScreeningClearanceAdded(
        **detail.case.event_fields(at),
        check=request.check,
        subject=request.subject,
        party_key=clearance.party_key,
        entry_id=request.entry_id,
        reason=request.reason,
        actor=principal.actor.as_event_actor(),
    )
    if store.add(clearance, audit, event):
        return clearance, True
    return store.get(principal.tenant_id, clearance.party_key, request.entry_id) or clearance, False


def _clearance_audit(
    action: str,
    principal: Principal,
    at: datetime,
    request: ClearMatchRequest,
    clearance: Clearance,
    **details: Any,
) -> AuditEntry:
    """The audit entry of a clearance made or revoked: which party, which list entry, and what else `details`
    says."""
    return AuditEntry(
        at=at,
        actor=principal.actor,
        action=action,
        reason=request.reason,
        details={
            "check": request.check,
            "subject": request.subject,
            "party_key": clearance.party_key,
            "entry_id": clearance.entry_id,
            "listed_name": clearance.listed_name,
            **details,
        },
    )


def _find_match(
    checks: dict[str, dict[str, Any]], request: ClearMatchRequest
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The screened party and its match the request names; `InvalidInput` naming the field that finds nothing."""
    result = checks.get(request.check)
    parties = ((result or {}).get("data") or {}).get("parties")
    if not result or result.get("status") != "ok" or not isinstance(parties, list):
        raise InvalidInput(f"the case has no screening result named {request.check!r}", path="check")
    party = next((p for p in parties if p.get("subject") == request.subject), None)
    if party is None or not party.get("party_key"):
        screened = ", ".join(str(p.get("subject")) for p in parties) or "none"
        raise InvalidInput(
            f"{request.subject!r} was not screened by {request.check} (screened: {screened})", path="subject"
        )
    match = next(
        (m for m in party.get("matches") or [] if (m.get("entry") or {}).get("id") == request.entry_id), None
    )
    if match is None:
        raise InvalidInput(
            f"{request.subject} has no match with list entry {request.entry_id!r}", path="entry_id"
        )
    return party, match


def _screened_parties(checks: dict[str, dict[str, Any]], check: str | None = None) -> list[dict[str, Any]]:
    """The parties screening checks (those whose data lists `parties` with a key) screened on a case."""
    found = []
    for name, result in checks.items():
        if check is not None and name != check:
            continue
        parties = ((result or {}).get("data") or {}).get("parties")
        if not isinstance(parties, list):
            continue
        for party in parties:
            if isinstance(party, dict) and party.get("party_key"):
                found.append({**party, "check": name})
    return found


def _listing(store: ClearanceStore, tenant_id: str, parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each clearance held for the parties once, with the subjects it applies to, oldest first."""
    subjects: dict[str, list[str]] = {}
    for party in parties:
        subjects.setdefault(party["party_key"], [])
        if party.get("subject") and party["subject"] not in subjects[party["party_key"]]:
            subjects[party["party_key"]].append(party["subject"])
    items = []
    for party_key, applies_to in subjects.items():
        for clearance in store.for_party(tenant_id, party_key):
            items.append({**clearance.model_dump(mode="json"), "applies_to": applies_to})
    items.sort(key=lambda c: (c["cleared_at"], c["party_key"], c["entry_id"]))
    return items


def case_clearances(
    deps: CaseDeps, store: ClearanceStore, principal: Principal, case_id: str
) -> list[dict[str, Any]]:
    """The clearances held for the parties screened on the case, wherever they were made. Viewers and above.

    Each item is the clearance with `applies_to`: the case's subjects screened under its party key.
    """
    principal.require("viewer", "reading screening clearances")
    detail = deps.cases.detail(principal.tenant_id, case_id)
    return _listing(store, principal.tenant_id, _screened_parties(detail.checks))


def entity_clearances(
    deps: CaseDeps, store: ClearanceStore, principal: Principal, entity_id: str
) -> list[dict[str, Any]]:
    """The clearances held for an entity: itself, and the owners and directors its cases screened. Viewers up.

    `NotFound` when the tenant has no case of that entity (another tenant's entity is not told apart).
    """
    principal.require("viewer", "reading screening clearances")
    cases = []
    cursor = None
    while True:
        page = deps.cases.query(
            CaseQuery(tenant_id=principal.tenant_id, entity_id=entity_id, limit=100, cursor=cursor)
        )
        cases += page.items
        cursor = page.cursor
        if cursor is None:
            break
    if not cases:
        raise NotFound(f"no case of entity {entity_id}", entity_id=entity_id)
    parties: list[dict[str, Any]] = [{"party_key": entity_id}]
    for case in cases:
        detail = deps.cases.detail(principal.tenant_id, case.id)
        parties += _screened_parties(detail.checks)
    return _listing(store, principal.tenant_id, parties)


def revoke_clearance(
    deps: CaseDeps,
    store: ClearanceStore,
    principal: Principal,
    case_id: str,
    request: RevokeClearanceRequest,
) -> Clearance:
    """Forget that the party is not the list entry: the next run raises the match again. Reviewers and admins.

    The party is one the case's `check` screened (422 naming `check` or `subject` otherwise); a clearance it
    does not hold is `NotFound`. The removal and an audit entry `screening.clearance_revoked` on the case are
    written together; the revoked clearance is returned.
    """
    principal.require("reviewer", "revoking a screening clearance")
    detail = deps.cases.detail(principal.tenant_id, case_id)
    result = detail.checks.get(request.check)
    parties = _screened_parties(detail.checks, request.check)
    if not result or not isinstance(((result.get("data") or {}).get("parties")), list):
        raise InvalidInput(f"the case has no screening result named {request.check!r}", path="check")
    party = next((p for p in parties if p.get("subject") == request.subject), None)
    if party is None:
        screened = ", ".join(str(p.get("subject")) for p in parties) or "none"
        raise InvalidInput(
            f"{request.subject!r} was not screened by {request.check} (screened: {screened})", path="subject"
        )
    clearance = store.get(principal.tenant_id, party["party_key"], request.entry_id)
    if clearance is None:
        raise NotFound(
            f"{request.subject} holds no clearance of list entry {request.entry_id!r}",
            path="entry_id",
            party_key=party["party_key"],
        )
    at = deps.now()
    audit = _clearance_audit(
        "screening.clearance_revoked",
        principal,
        at,
        request,
        clearance,
        cleared_on_case=clearance.case_id,
        cleared_by=clearance.cleared_by.model_dump(mode="json"),
        cleared_at=clearance.cleared_at.isoformat(),
        cleared_reason=clearance.reason,
    )
    event = ScreeningClearanceRevoked(
        **detail.case.event_fields(at),
        check=request.check,
        subject=request.subject,
        party_key=clearance.party_key,
        entry_id=request.entry_id,
        reason=request.reason,
        cleared_on_case=clearance.case_id,
        actor=principal.actor.as_event_actor(),
    )
    if not store.remove(clearance, case_id, audit, event):
        raise NotFound(
            f"{request.subject} holds no clearance of list entry {request.entry_id!r}",
            path="entry_id",
            party_key=party["party_key"],
        )
    return clearance
