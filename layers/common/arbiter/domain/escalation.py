"""Escalation: a case sent up to a role (`senior`, `admin`) is decided only by reviewers holding it.

The case keeps its `escalation` (who sent it up, to which role, why) until a holder of that role hands it back.
While it is set, every act that decides the case — a decision (with the document decisions it carries), confirming
or returning a proposed one (four eyes) — needs the role; reading, notes, assignment, clearances and a document's
own decision (which decides nothing about the case) stay open to every reviewer.
"""

from __future__ import annotations

from arbiter.domain.case import Case
from arbiter.domain.errors import InvalidInput, NotAllowed
from arbiter.domain.principal import ESCALATION_ROLES, Principal

__all__ = [
    "EscalatedCaseRoleMissing",
    "escalation_refusal",
    "require_escalation_role",
    "valid_escalation_role",
]


class EscalatedCaseRoleMissing(NotAllowed):
    """The case is escalated to a role the caller does not hold (403, naming the role)."""


def escalation_refusal(case: Case, principal: Principal, doing: str) -> str | None:
    """Why `principal` may not do `doing` on the escalated case; None when they may (or it is not escalated)."""
    escalation = case.escalation
    if escalation is None or principal.can(escalation.to):
        return None
    return f"the case is escalated to {escalation.to}: {doing} it needs the {escalation.to} role"


def require_escalation_role(case: Case, principal: Principal, doing: str) -> None:
    """EscalatedCaseRoleMissing unless the case is not escalated or `principal` holds its role (or above)."""
    refusal = escalation_refusal(case, principal, doing)
    if refusal is not None:
        assert case.escalation is not None
        raise EscalatedCaseRoleMissing(refusal, case_id=case.id, required_role=case.escalation.to)


def valid_escalation_role(to: str) -> str:
    """`to` if a case can be escalated to it; InvalidInput naming `to` otherwise."""
    if to not in ESCALATION_ROLES:
        known = ", ".join(ESCALATION_ROLES)
        raise InvalidInput(f"cannot escalate to {to!r}: escalate to one of {known}", path="to")
    return to
