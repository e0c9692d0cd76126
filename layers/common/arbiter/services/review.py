"""Use cases of reviewers: the queue, the case view, assignment, notes and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from arbiter.domain.case import AUTOMATION_MACHINE, Assignee, AuditEntry, Case, CaseState, Change, Proposal
from arbiter.domain.document import DocumentDecision
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed
from arbiter.domain.escalation import escalation_refusal, require_escalation_role
from arbiter.domain.principal import Principal
from arbiter.domain.review_policy import ReviewPolicy
from arbiter.domain.underwriting import Terms
from arbiter.domain.workflow_picture import workflow_picture
from arbiter.services.cases import CaseDeps, rerun_lost_races
from arbiter.services.dashboard import review_dashboard
from arbiter.services.decisions import (
    ApprovalBlocked,
    approval_blockers,
    blocked_reason,
    record_decision,
    review_policy,
    second_review_reasons,
)
from arbiter.services.ports import CaseDetail, CaseQuery, Page

__all__ = [
    "DecisionRequest",
    "DocumentDecisionInput",
    "ReturnRequest",
    "add_note",
    "assign_to",
    "case_detail",
    "confirm_decision",
    "count_pending_second_review",
    "decide",
    "queue",
    "return_decision",
    "review_dashboard",
    "revision_fields",
    "workflow_definition",
]


class DocumentDecisionInput(BaseModel):
    document_id: str = Field(min_length=1, max_length=128)
    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = Field(default=None, max_length=2000)


class DecisionRequest(BaseModel):
    """A reviewer's decision; a reason is always required (it is what the audit trail and partners see)."""

    decision: Literal["approve", "reject", "revision"]
    reason: str = Field(min_length=1, max_length=4000)
    documents: list[DocumentDecisionInput] = Field(default_factory=list, max_length=100)
    #: A revision of a case that collects through links: the journey's fields its applicant answers again
    #: (`<step id>.<field>` or a JSON pointer `/<step id>/<field>`), beside the documents sent back.
    fields: list[str] = Field(default_factory=list, max_length=50)
    #: Underwriting: the terms to approve on, when the reviewer changes those the rules proposed (within their
    #: role's authority: the workflow's `underwriting` policy).
    terms: Terms | None = None

    @model_validator(mode="after")
    def _reason_not_blank(self) -> DecisionRequest:
        if not self.reason.strip():
            raise ValueError("reason must not be blank")
        return self


class ReturnRequest(BaseModel):
    """Why a second reviewer sends a proposed decision back (the proposer and the audit trail read it)."""

    reason: str = Field(min_length=1, max_length=4000)

    @model_validator(mode="after")
    def _reason_not_blank(self) -> ReturnRequest:
        if not self.reason.strip():
            raise ValueError("reason must not be blank")
        return self


class ProposerCannotConfirm(NotAllowed):
    """The reviewer who proposed a decision cannot confirm it: four eyes are two people (403)."""


class OpenerCannotDecide(NotAllowed):
    """Whoever opened a case cannot decide it (403)."""


class SecondReviewerRoleMissing(NotAllowed):
    """The workflow's review policy wants the second reviewer to hold a role the caller lacks (403)."""


def queue(deps: CaseDeps, principal: Principal, query: CaseQuery) -> Page[Case]:
    """Cases of the reviewer's tenant, filtered; any role may read."""
    principal.require("viewer", "reading the queue")
    return deps.cases.query(query)


def counts(deps: CaseDeps, principal: Principal) -> dict[str, int]:
    """How many cases are in each state."""
    principal.require("viewer", "reading the queue")
    return deps.cases.counts(principal.tenant_id)


def count_pending_second_review(deps: CaseDeps, principal: Principal) -> int:
    """How many cases have a proposed decision awaiting a second reviewer (a counter kept with the cases)."""
    principal.require("viewer", "reading the queue")
    return deps.cases.pending_second_review(principal.tenant_id)


def case_detail(
    deps: CaseDeps, principal: Principal, case_id: str
) -> tuple[CaseDetail, list[dict[str, Any]]]:
    """The case with its history, check results, children, and the workflow path taken."""
    principal.require("viewer", "reading a case")
    detail = deps.cases.detail(principal.tenant_id, case_id)
    return detail, workflow_path(deps, detail.case)


def workflow_path(deps: CaseDeps, case: Case) -> list[dict[str, Any]]:
    """The states the case went through, in time order: each run of the automated part (`machine`:
    `automation`, its Map iterations with the check or owner they ran as `item`, `within` the top-level state
    that ran them) as the case
    recorded it, then its Standard execution's (`machine`: `workflow`, or `checks` while the deferred checks'
    machine runs checks a run had no time for), from the execution's history."""
    steps: list[dict[str, Any]] = []
    for run in case.automation:
        for step in run.steps:
            entry = step.model_dump(mode="json", exclude_none=True)
            entry.update(machine="automation", run=run.number)
            if step.state in _NESTED:
                entry["within"] = _NESTED[step.state]
            steps.append(entry)
    if case.execution_arn:
        # While checks a run had no time for run, the execution is the deferred checks' machine's, not the workflow's.
        machine = "checks" if case.deferred_checks else "workflow"
        steps += [{**step, "machine": machine} for step in deps.engine.path(case.execution_arn)]
    return sorted(steps, key=lambda s: (s.get("entered_at") is None, str(s.get("entered_at") or "")))


#: The states nested in the automation machine's `ChecksAndOwners` (its branches' Map iterations).
_NESTED = {
    "RunCheck": "ChecksAndOwners",
    "RunScreening": "ChecksAndOwners",
    "CheckFailed": "ChecksAndOwners",
    "DeferCheck": "ChecksAndOwners",
    "AutomateOwner": "ChecksAndOwners",
}


def workflow_definition(deps: CaseDeps, principal: Principal, workflow_id: str) -> dict[str, Any]:
    """A workflow and the pictures of its state machines (states and transitions, no ARNs): the Standard one that
    waits for people (`states`) and the Express one running its automated part (`automation`); any role may
    read."""
    principal.require("viewer", "reading workflows")
    definition = deps.workflows.get(principal.tenant_id, workflow_id)
    if definition.opened_by == "system":
        # Its cases are opened in manual review and decided there: no state machine waits, nothing automates.
        return {
            "workflow": definition.summary(),
            "states": workflow_picture(_REVIEW_ONLY),
            "automation": None,
        }
    return {
        "workflow": definition.summary(),
        "states": workflow_picture(deps.engine.definition(definition.machine)),
        "automation": workflow_picture(deps.engine.definition(AUTOMATION_MACHINE)),
    }


#: The picture of a workflow whose cases only wait for a reviewer (no state machine runs them).
_REVIEW_ONLY: dict[str, Any] = {
    "StartAt": "ManualReview",
    "States": {"ManualReview": {"Type": "Pass", "Comment": "A reviewer decides the case", "End": True}},
}


def assign_to(deps: CaseDeps, principal: Principal, case_id: str, target: Assignee | None) -> Case:
    """Assign the case to `target` (None: unassign), whom the caller resolved (`review_team.assign_case`: the
    reviewer themselves, or a colleague from the directory); any reviewer."""
    principal.require("reviewer", "assigning cases")

    def assign_case() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        deps.cases.save(case, case.assign(target, principal.actor), expected_version=case.version)
        return case

    return rerun_lost_races(assign_case)


def add_note(deps: CaseDeps, principal: Principal, case_id: str, text: str) -> Case:
    """A note on the case's history."""
    principal.require("reviewer", "adding notes")
    if not text.strip():
        raise InvalidInput("a note needs text", path="text")

    def note() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        deps.cases.save(case, case.record_note(text.strip(), principal.actor), expected_version=case.version)
        return case

    return rerun_lost_races(note)


def decide(deps: CaseDeps, principal: Principal, case_id: str, request: DecisionRequest) -> Case:
    """Approve, reject or ask for a revision. Only one decision can win: the rest get Conflict (409); an approval
    over an uncleared sanctions or PEP hit is refused (409) until a reviewer clears it. A decision the workflow's
    review policy wants a second reviewer for is stored as the case's proposal instead (`confirm_decision`,
    `return_decision`); whoever opened the case may not decide it (403). A save that lost to the
    workflow's own bookkeeping (its review step parking its token just after the case entered review) reads the
    case again and decides on it: the reviewer is not told about it."""
    principal.require("reviewer", "deciding cases")
    return rerun_lost_races(lambda: _decide(deps, principal, case_id, request))


def _decide(deps: CaseDeps, principal: Principal, case_id: str, request: DecisionRequest) -> Case:
    case = deps.cases.get(principal.tenant_id, case_id)
    if case.state != CaseState.MANUAL_REVIEW:
        raise Conflict(
            f"the case is {case.state.value}: only a case in manual_review can be decided",
            case_id=case.id,
            state=case.state.value,
        )
    _require_not_opener(case, principal)
    require_escalation_role(case, principal, "deciding")
    terms_entries = _adjusted_terms(deps, principal, case, request)
    fields = _revision_fields(deps, case, request)
    documents = _apply_document_decisions(case, request, principal, deps.now())
    documents.audit += terms_entries
    reasons = second_review_reasons(deps, case, request.decision)
    if reasons and request.decision != "revision":
        return _propose(deps, principal, case, request, reasons, documents)
    return record_decision(
        deps,
        principal,
        case,
        request.decision,
        request.reason,
        document_ids=[d.document_id for d in request.documents if d.decision == "revision"],
        fields=fields,
        audit=documents.audit,
        events=documents.events,
        single=False,
        terms=request.terms,
    )


def revision_fields(deps: CaseDeps, case: Case) -> list[dict[str, str]]:
    """The fields of the case's collection journey a revision may name, with their English labels."""
    journey = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
    return [{"path": path, "label": label} for path, label in journey.revisable_fields()] if journey else []


def _revision_fields(deps: CaseDeps, case: Case, request: DecisionRequest) -> list[str]:
    """The fields a revision names, each checked against the case's collection journey (InvalidInput naming
    `fields[i]` for one it does not hold), as `<step id>.<field>`."""
    if not request.fields:
        return []
    if request.decision != "revision":
        raise InvalidInput("fields are named by a revision only", path="fields")
    journey = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
    if journey is None:
        raise InvalidInput(
            f"workflow {case.workflow_id} collects nothing through links: a revision names documents only",
            path="fields",
        )
    named: list[str] = []
    for index, field in enumerate(request.fields):
        path = journey.field_path(field)
        if path is None:
            raise InvalidInput(
                f"fields[{index}]: the journey of workflow {case.workflow_id} has no field {field!r}",
                path=f"fields[{index}]",
            )
        if path not in named:
            named.append(path)
    return named


def _adjusted_terms(
    deps: CaseDeps, principal: Principal, case: Case, request: DecisionRequest
) -> list[AuditEntry]:
    """Check terms a reviewer set (422 where the workflow does not underwrite or the decision is no approval, 403
    beyond the role's authority); the audit entry that records what changed."""
    if request.terms is None:
        return []
    policy = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).underwriting
    if policy is None:
        raise InvalidInput(
            f"workflow {case.workflow_id} does not underwrite: it grants no terms", path="terms"
        )
    if request.decision != "approve":
        raise InvalidInput("terms go with an approval", path="terms")
    proposed = case.risk.terms if case.risk else None
    policy.check(principal.roles, proposed, request.terms)
    changed = request.terms.changes_from(proposed or Terms())
    details = {
        "proposed": proposed.model_dump(mode="json", exclude_none=True) if proposed else None,
        "granted": request.terms.model_dump(mode="json", exclude_none=True),
        "changed": changed,
    }
    return [AuditEntry(at=deps.now(), actor=principal.actor, action="terms.adjusted", details=details)]


def _propose(
    deps: CaseDeps,
    principal: Principal,
    case: Case,
    request: DecisionRequest,
    reasons: list[str],
    documents: Change,
) -> Case:
    """The decision needs a second reviewer: store it as the case's proposal (the workflow waits on)."""
    if case.proposal is not None:
        raise Conflict(
            f"a decision to {case.proposal.decision} awaits a second reviewer: confirm it or send it back",
            case_id=case.id,
            state=case.state.value,
            pending_second_review=True,
        )
    if request.decision == "approve":
        blockers = approval_blockers(deps, case)
        if blockers:  # no number of reviewers approves over an uncleared sanctions or PEP hit
            raise ApprovalBlocked(
                blocked_reason(blockers), case_id=case.id, hits=[h.to_dict() for h in blockers]
            )
    decision: Literal["approve", "reject"] = "approve" if request.decision == "approve" else "reject"
    policy = review_policy(deps, case)
    expected = case.version
    change = case.propose(
        decision,
        actor=principal.actor,
        reason=request.reason,
        requires=reasons,
        role=policy.second_reviewer_role,
        at=deps.now(),
        terms=request.terms,
    )
    change += documents
    deps.cases.save(case, change, expected_version=expected)
    return case


def _require_not_opener(case: Case, principal: Principal) -> None:
    if case.opened_by is not None and case.opened_by.type != "system" and case.opened_by.id == principal.id:
        raise OpenerCannotDecide(
            "you opened this case: another reviewer decides it", case_id=case.id, opened_by=principal.id
        )


def confirm_decision(deps: CaseDeps, principal: Principal, case_id: str) -> Case:
    """A second reviewer confirms the case's proposed decision: it is made as a single decision is (the workflow
    resumes from the outbox). Not the proposer (403), and only with the role the policy names (403)."""
    principal.require("reviewer", "confirming decisions")

    def confirm() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        proposal = _second_review(case, principal, "confirm")
        return record_decision(deps, principal, case, proposal.decision, proposal.reason, confirming=True)

    return rerun_lost_races(confirm)


def return_decision(deps: CaseDeps, principal: Principal, case_id: str, request: ReturnRequest) -> Case:
    """A second reviewer sends the proposed decision back with a reason: the case is in manual review again, with
    no proposal. Not the proposer (403), and only with the role the policy names (403)."""
    principal.require("reviewer", "sending decisions back")

    def send_back() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        _second_review(case, principal, "send back")
        expected = case.version
        change = case.return_proposal(principal.actor, request.reason.strip(), at=deps.now())
        deps.cases.save(case, change, expected_version=expected)
        return case

    return rerun_lost_races(send_back)


def _second_review(case: Case, principal: Principal, doing: str) -> Proposal:
    """The case's proposal, if `principal` may act on it as its second reviewer."""
    if case.state != CaseState.MANUAL_REVIEW or case.proposal is None:
        raise Conflict(
            f"nothing to {doing}: no decision on the case awaits a second reviewer",
            case_id=case.id,
            state=case.state.value,
        )
    proposal = case.proposal
    if proposal.actor.id == principal.id:
        raise ProposerCannotConfirm(
            f"you proposed this decision: another reviewer must {doing} it (four eyes)",
            case_id=case.id,
            proposed_by=proposal.actor.id,
        )
    if not principal.can(proposal.role):
        raise SecondReviewerRoleMissing(
            f"the second reviewer of this decision needs the {proposal.role} role",
            case_id=case.id,
            role=proposal.role,
        )
    _require_not_opener(case, principal)
    require_escalation_role(case, principal, f"to {doing} its proposed decision,")
    return proposal


def _apply_document_decisions(
    case: Case, request: DecisionRequest, principal: Principal, at: dt.datetime
) -> Change:
    """Set the request's document decisions on the case's documents: their audit entries and events."""
    by_id = {d.id: d for d in case.documents}
    change = Change()
    for index, item in enumerate(request.documents):
        document = by_id.get(item.document_id)
        if document is None:
            raise InvalidInput(
                f"the case has no document {item.document_id}", path=f"documents[{index}].document_id"
            )
        document.decision = DocumentDecision(
            decision=item.decision, reason=item.reason, decided_by=principal.id, decided_at=at
        )
        change += case.decide_document(document, item.decision, item.reason, principal.actor, at)
    return change


def available_actions(deps: CaseDeps, detail: CaseDetail, principal: Principal) -> dict[str, dict[str, Any]]:
    """What the reviewer may do on this case now, and why not when they may not (the back office shows it)."""
    case = detail.case

    def action(role: str, states: tuple[CaseState, ...] | None, doing: str) -> dict[str, Any]:
        if not principal.can(role):  # type: ignore[arg-type]
            return {"allowed": False, "reason": f"{doing} needs the {role} role"}
        if states is not None and case.state not in states:
            return {"allowed": False, "reason": f"the case is {case.state.value.replace('_', ' ')}"}
        return {"allowed": True, "reason": None}

    review = (CaseState.MANUAL_REVIEW,)
    open_states = tuple(s for s in CaseState if not s.terminal)
    approve = action("reviewer", review, "approving")
    if approve["allowed"]:
        blockers = approval_blockers(deps, case, detail.checks)
        if blockers:
            approve = {"allowed": False, "reason": blocked_reason(blockers)}
    reject = action("reviewer", review, "rejecting")
    revision = action("reviewer", review, "asking for a revision")
    confirm = action("reviewer", review, "confirming")
    proposal = case.proposal
    if proposal is None:
        confirm = {"allowed": False, "reason": "no decision awaits a second reviewer"}
    else:
        pending = {"allowed": False, "reason": f"a decision to {proposal.decision} awaits a second reviewer"}
        approve, reject, revision = pending, pending, pending
        if confirm["allowed"] and proposal.actor.id == principal.id:
            confirm = {"allowed": False, "reason": "you proposed this decision: another reviewer confirms it"}
        elif confirm["allowed"] and not principal.can(proposal.role):
            confirm = {"allowed": False, "reason": f"confirming this decision needs the {proposal.role} role"}
    if case.opened_by is not None and case.opened_by.type != "system" and case.opened_by.id == principal.id:
        opener = {"allowed": False, "reason": "you opened this case: another reviewer decides it"}
        approve, reject, revision, confirm = opener, opener, opener, opener
    escalated = escalation_refusal(case, principal, "deciding")
    if escalated is not None:
        held = {"allowed": False, "reason": escalated}
        approve, reject, revision, confirm = held, held, held, held
    approve = _with_second_review(deps, case, "approve", approve)
    reject = _with_second_review(deps, case, "reject", reject)
    return {
        "approve": approve,
        "reject": reject,
        "revision": revision,
        "confirm": confirm,
        "send_back": dict(confirm),
        "assign": action("reviewer", open_states, "assigning"),
        "note": action("reviewer", None, "adding notes"),
        "escalate": _escalate_action(case, principal, action("reviewer", open_states, "escalating")),
        "de_escalate": _de_escalate_action(case, principal),
    }


def _escalate_action(case: Case, principal: Principal, allowed: dict[str, Any]) -> dict[str, Any]:
    """Any reviewer escalates an open case; an escalated one only a holder of its role sends elsewhere."""
    if allowed["allowed"] and case.escalation is not None and not principal.can(case.escalation.to):
        return {"allowed": False, "reason": f"the case is escalated to {case.escalation.to}"}
    return allowed


def _de_escalate_action(case: Case, principal: Principal) -> dict[str, Any]:
    if case.escalation is None:
        return {"allowed": False, "reason": "the case is not escalated"}
    if case.state.terminal:
        return {"allowed": False, "reason": f"the case is {case.state.value}"}
    if not principal.can(case.escalation.to):
        return {"allowed": False, "reason": f"handing it back needs the {case.escalation.to} role"}
    return {"allowed": True, "reason": None}


def _with_second_review(deps: CaseDeps, case: Case, decision: str, allowed: dict[str, Any]) -> dict[str, Any]:
    """An allowed decision the review policy wants a second reviewer for says so (the back office proposes it)."""
    if not allowed["allowed"]:
        return allowed
    reasons = second_review_reasons(deps, case, decision)
    if not reasons:
        return allowed
    return {**allowed, "second_review": f"{ReviewPolicy.describe(reasons)} needs a second reviewer"}
