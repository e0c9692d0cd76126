"""Use cases of a team of reviewers: the directory, assigning to a colleague (one case or many), round-robin
assignment of cases entering review, escalation, review deadlines.

An escalated case waits for a reviewer holding the role it was escalated to (`arbiter.domain.escalation`): only
they decide it or hand it back. Assigning to a colleague takes them from the reviewer directory (the tenant's
enabled accounts that may decide cases), so a case is never assigned to a name nobody answers to.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel, EmailStr, Field, field_validator

from arbiter.domain.case import SYSTEM, Assignee, Case, CaseState, EscalationRole
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed
from arbiter.domain.escalation import EscalatedCaseRoleMissing, valid_escalation_role
from arbiter.domain.principal import ROLES, Principal, Role
from arbiter.domain.reviewer import Reviewer
from arbiter.services.cases import CaseDeps, rerun_lost_races
from arbiter.services.dashboard import sla_hours_of
from arbiter.services.ports import TenantRepository
from arbiter.services.review import assign_to

__all__ = [
    "MAX_BULK_ASSIGN",
    "BulkAssignRequest",
    "DeEscalateRequest",
    "EscalateRequest",
    "ReviewerDirectory",
    "RoundRobinCounter",
    "TeamDeps",
    "assign_case",
    "assign_cases",
    "assign_round_robin",
    "de_escalate",
    "escalate",
    "list_reviewers",
    "review_deadlines",
]

MAX_BULK_ASSIGN = 100


class ReviewerDirectory(Protocol):
    """The tenant's reviewer accounts (Cognito in a function, a list in tests)."""

    def reviewers(self, tenant_id: str) -> list[Reviewer]:
        """Every account of the tenant, enabled or not."""
        ...

    def find(self, tenant_id: str, who: str) -> Reviewer | None:
        """The tenant's account whose id or e-mail is `who` (e-mails compared as Cognito stores them), if any."""
        ...


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class EscalateRequest(BaseModel):
    """Why the case goes up, and to which role (`senior` or `admin`)."""

    reason: str = Field(min_length=1, max_length=2000)
    to: str = Field(default="senior", min_length=1, max_length=50, description="The role: senior or admin")

    _reason = field_validator("reason")(_not_blank)


class DeEscalateRequest(BaseModel):
    """Why the case goes back to every reviewer."""

    reason: str = Field(min_length=1, max_length=2000)

    _reason = field_validator("reason")(_not_blank)


class BulkAssignRequest(BaseModel):
    """Cases to give one reviewer ("me", a colleague's id or e-mail; null unassigns them)."""

    case_ids: list[str] = Field(min_length=1, max_length=MAX_BULK_ASSIGN)
    to: str | None = Field(
        max_length=320, description='"me", a colleague\'s id or e-mail, or null to unassign'
    )


class ReviewerAdmin(ReviewerDirectory, Protocol):
    """The directory, with the admin's changes: invite, roles, enable or disable."""

    def invite(self, tenant_id: str, email: str, name: str | None, roles: list[Role]) -> Reviewer: ...

    def update(
        self, tenant_id: str, who: str, *, roles: list[Role] | None, enabled: bool | None
    ) -> Reviewer: ...


class InviteRequest(BaseModel):
    """A new reviewer: Cognito e-mails them a temporary password."""

    email: EmailStr
    name: str | None = Field(default=None, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=len(ROLES))


class ReviewerChange(BaseModel):
    """An account's roles and whether it may sign in (fields left out stay as they are)."""

    roles: list[Role] | None = Field(default=None, min_length=1, max_length=len(ROLES))
    enabled: bool | None = None


def invite_reviewer(directory: ReviewerAdmin, principal: Principal, request: InviteRequest) -> Reviewer:
    """An admin invites a reviewer into their tenant."""
    principal.require("admin", "inviting reviewers")
    roles = [r for r in ROLES if r in request.roles]
    return directory.invite(principal.tenant_id, str(request.email).lower(), request.name, roles)


def change_reviewer(
    directory: ReviewerAdmin, principal: Principal, reviewer_id: str, change: ReviewerChange
) -> Reviewer:
    """An admin changes a reviewer's roles or disables them; never their own account (403), so a tenant keeps an
    admin who can undo it."""
    principal.require("admin", "changing reviewers")
    if reviewer_id == principal.id or reviewer_id == principal.email:
        raise NotAllowed("you cannot change your own account: ask another admin", reviewer=reviewer_id)
    roles = [r for r in ROLES if r in change.roles] if change.roles is not None else None
    return directory.update(principal.tenant_id, reviewer_id, roles=roles, enabled=change.enabled)


def list_reviewers(directory: ReviewerDirectory, principal: Principal) -> list[Reviewer]:
    """The tenant's reviewers, for choosing whom to assign a case to; any role may read."""
    principal.require("viewer", "reading the reviewer directory")
    return directory.reviewers(principal.tenant_id)


def _colleague(
    directory: ReviewerDirectory, principal: Principal, to: str | None, path: str
) -> Assignee | None:
    """Whom `to` names: None (unassign), the caller ("me"), or an enabled colleague who may decide cases."""
    if to is None:
        return None
    if to in ("me", principal.id):
        return Assignee(id=principal.id, email=principal.email)
    reviewer = directory.find(principal.tenant_id, to.strip())
    if reviewer is None:
        raise InvalidInput(f"no reviewer {to!r} in your team", path=path)
    if not reviewer.enabled:
        raise InvalidInput(f"{reviewer.label} is disabled: assign the case to someone else", path=path)
    if not reviewer.holds("reviewer"):
        raise InvalidInput(f"{reviewer.label} may not decide cases (viewer only)", path=path)
    return Assignee(id=reviewer.id, email=reviewer.email)


def assign_case(
    deps: CaseDeps, directory: ReviewerDirectory, principal: Principal, case_id: str, to: str | None
) -> Case:
    """Assign the case to the caller or to a colleague from the directory (None: unassign); any reviewer."""
    principal.require("reviewer", "assigning cases")
    return assign_to(deps, principal, case_id, _colleague(directory, principal, to, "assignee"))


def assign_cases(
    deps: CaseDeps, directory: ReviewerDirectory, principal: Principal, request: BulkAssignRequest
) -> list[Case]:
    """Assign up to MAX_BULK_ASSIGN cases to one reviewer. Every case is checked first (it exists in the tenant and
    is not decided: InvalidInput naming the first that fails, nothing assigned); then each is assigned in its own
    write (a case decided between the check and its write is the only one left as it was: Conflict naming it)."""
    principal.require("reviewer", "assigning cases")
    target = _colleague(directory, principal, request.to, "to")
    ids = list(dict.fromkeys(request.case_ids))
    found = {c.id: c for c in deps.cases.find_by_ids(principal.tenant_id, ids)}
    for index, case_id in enumerate(request.case_ids):
        case = found.get(case_id)
        if case is None:
            raise InvalidInput(f"case {case_id} not found", path=f"case_ids[{index}]", case_id=case_id)
        if case.state.terminal:
            raise InvalidInput(
                f"case {case_id} is {case.state.value}: its assignee can no longer change",
                path=f"case_ids[{index}]",
                case_id=case_id,
            )
    return [assign_to(deps, principal, case_id, target) for case_id in ids]


def escalate(deps: CaseDeps, principal: Principal, case_id: str, request: EscalateRequest) -> Case:
    """Escalate the case to a role: any reviewer escalates an open case; a case already escalated only a holder
    of its role sends to another (403 naming it)."""
    principal.require("reviewer", "escalating cases")
    to: EscalationRole = valid_escalation_role(request.to)  # type: ignore[assignment]

    def escalate_case() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        current = case.escalation
        if current is not None and not principal.can(current.to):
            raise EscalatedCaseRoleMissing(
                f"the case is escalated to {current.to}: escalating it elsewhere needs the {current.to} role",
                case_id=case.id,
                required_role=current.to,
            )
        expected = case.version
        deps.cases.save(
            case, case.escalate(to, request.reason, principal.actor, at=deps.now()), expected_version=expected
        )
        return case

    return rerun_lost_races(escalate_case)


def de_escalate(deps: CaseDeps, principal: Principal, case_id: str, request: DeEscalateRequest) -> Case:
    """Hand the escalated case back to every reviewer: a holder of the role it was escalated to (403 naming it)."""
    principal.require("reviewer", "de-escalating cases")

    def hand_back() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        if case.escalation is None:
            raise Conflict("the case is not escalated", case_id=case.id)
        if not principal.can(case.escalation.to):
            raise EscalatedCaseRoleMissing(
                f"the case is escalated to {case.escalation.to}: handing it back needs the "
                f"{case.escalation.to} role",
                case_id=case.id,
                required_role=case.escalation.to,
            )
        expected = case.version
        deps.cases.save(
            case, case.de_escalate(request.reason, principal.actor, at=deps.now()), expected_version=expected
        )
        return case

    return rerun_lost_races(hand_back)


def review_deadlines(deps: CaseDeps, cases: list[Case]) -> dict[str, dt.datetime]:
    """When each case in manual review is due, by its workflow's review SLA (cases whose workflow sets none, or
    not in review, are left out)."""
    hours: dict[tuple[str, str], float | None] = {}
    due: dict[str, dt.datetime] = {}
    for case in cases:
        key = (case.tenant_id, case.workflow_id)
        if key not in hours:
            hours[key] = sla_hours_of(deps, *key)
        at = case.review_deadline(hours[key])
        if at is not None:
            due[case.id] = at
    return due


class RoundRobinCounter(Protocol):
    """Whose turn it is in a queue: a counter kept per tenant and queue (DynamoDB in a function)."""

    def next_turn(self, tenant_id: str, queue: str, claim: str) -> int:
        """The queue's next turn, from 1; never the same twice, except for the same `claim` (an event's id): a
        copy of an event the bus delivers again gets the turn its first copy took."""
        ...


class TeamDeps(CaseDeps, Protocol):
    """What round-robin assignment reads beyond the cases: the tenant's settings."""

    @property
    def tenants(self) -> TenantRepository: ...


def assign_round_robin(
    deps: TeamDeps,
    directory: ReviewerDirectory,
    counter: RoundRobinCounter,
    tenant_id: str,
    case_id: str,
    event_id: str,
) -> Case | None:
    """A case entering manual review goes to the next enabled reviewer holding its queue's role, when the tenant
    set one for its workflow (`round_robin`); the turn is the queue's counter modulo the holders, taken in the
    order of their e-mails, so the same team gets cases in the same order. A case already assigned, escalated,
    or no longer in review is left as it is; the same event (`event_id`) delivered twice takes one turn, not two, even
    when both copies run at once. None when nothing was assigned."""
    tenant = deps.tenants.get(tenant_id)
    case = deps.cases.get(tenant_id, case_id)
    role = tenant.settings.round_robin.get(case.workflow_id) if tenant else None
    if role is None or not _waits_for_anyone(case):
        return None
    holders = sorted(
        (r for r in directory.reviewers(tenant_id) if r.enabled and role in r.roles),
        key=lambda r: ((r.email or "").lower(), r.id),
    )
    if not holders:
        return None
    chosen = holders[(counter.next_turn(tenant_id, case.workflow_id, event_id) - 1) % len(holders)]
    target = Assignee(id=chosen.id, email=chosen.email)

    def assign() -> Case | None:
        current = deps.cases.get(tenant_id, case_id)
        if not _waits_for_anyone(current):
            return None
        change = current.assign(target, SYSTEM, at=deps.now())
        deps.cases.save(current, change, expected_version=current.version)
        return current

    return rerun_lost_races(assign)


def _waits_for_anyone(case: Case) -> bool:
    return case.state == CaseState.MANUAL_REVIEW and case.assignee is None and case.escalation is None
