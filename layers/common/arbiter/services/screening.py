"""Reviewers' use case on screening results: clear a match as a false positive, so it is not raised again."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator

from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.screening import Clearance
from arbiter.services.cases import CaseDeps

__all__ = ["ClearMatchRequest", "ClearanceStore", "clear_match"]


class ClearanceStore(Protocol):
    def get(self, tenant_id: str, party_key: str, entry_id: str) -> Clearance | None:
        """The clearance of `entry_id` for the party, if any."""

    def add(self, clearance: Clearance, audit: AuditEntry) -> bool:
        """Store it with its audit entry on the case, atomically; False if it already existed (nothing written)."""


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
    audit = AuditEntry(
        at=at,
        actor=principal.actor,
        action="screening.match_cleared",
        reason=request.reason,
        details={
            "check": request.check,
            "subject": request.subject,
            "party_key": clearance.party_key,
            "entry_id": request.entry_id,
            "listed_name": clearance.listed_name,
            "score": clearance.score,
            "list_sha256": clearance.list_sha256,
        },
    )
    if store.add(clearance, audit):
        return clearance, True
    return store.get(principal.tenant_id, clearance.party_key, request.entry_id) or clearance, False


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
