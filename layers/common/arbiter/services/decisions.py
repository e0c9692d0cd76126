"""Deciding a case in manual review: the one path every decision takes, whoever makes it (a reviewer in the back
office, or an integrator's API key where the tenant allows it, as Ballerine does), and the rule that no approval
goes over an uncleared sanctions or PEP hit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from arbiter.domain.case import AuditEntry, Case, CaseState
from arbiter.domain.errors import Conflict, NotAllowed
from arbiter.domain.escalation import require_escalation_role
from arbiter.domain.events import CaseEvent
from arbiter.domain.principal import Principal
from arbiter.domain.review_policy import ReviewPolicy
from arbiter.domain.screening import ScreeningHit, screening_hits
from arbiter.domain.tenant import Tenant
from arbiter.domain.underwriting import Terms
from arbiter.services import workflow_steps
from arbiter.services.cases import CaseDeps

__all__ = [
    "ApprovalBlocked",
    "Decision",
    "IntegratorDecisionsOff",
    "SecondReviewRequired",
    "approval_blockers",
    "blocked_reason",
    "record_decision",
    "require_integrator_decisions",
    "review_policy",
    "second_review_reasons",
]

Decision = Literal["approve", "reject", "revision"]

#: The tenant setting that lets API keys decide.
INTEGRATOR_DECISIONS_SETTING = "allow_integrator_decisions"


class ApprovalBlocked(Conflict):
    """The case carries a sanctions or PEP hit nobody cleared: it can be rejected, not approved (409)."""


class IntegratorDecisionsOff(NotAllowed):
    """The tenant has not let its API keys decide cases (403)."""


class SecondReviewRequired(NotAllowed):
    """The decision needs a second reviewer in the back office (the workflow's review policy): an API key cannot
    make it (403)."""


def review_policy(deps: CaseDeps, case: Case) -> ReviewPolicy:
    """The review policy of the case's workflow."""
    return deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).review_policy


def second_review_reasons(deps: CaseDeps, case: Case, decision: str) -> list[str]:
    """Why `decision` on `case` needs a second reviewer under its workflow's review policy (empty: it does not)."""
    policy = review_policy(deps, case)
    if not policy.second_reviewer_for:
        return []
    risk = case.risk
    return policy.reasons(
        decision,
        critical_flags=any(f.severity == "critical" for f in case.flags),
        risk_level=risk.level if risk else None,
        risk_score=risk.score if risk else None,
        recommendation=risk.recommendation if risk else None,
    )


def require_integrator_decisions(tenant: Tenant) -> None:
    """IntegratorDecisionsOff unless the tenant lets its API keys approve, reject and ask for revisions."""
    if not tenant.settings.allow_integrator_decisions:
        raise IntegratorDecisionsOff(
            "deciding a case with an API key is off for this tenant: a reviewer decides it in the back office, "
            f"or an operator turns on the tenant setting {INTEGRATOR_DECISIONS_SETTING} (Ballerine's behaviour)",
            setting=INTEGRATOR_DECISIONS_SETTING,
        )


def approval_blockers(
    deps: CaseDeps, case: Case, checks: dict[str, dict] | None = None
) -> list[ScreeningHit]:
    """The critical sanctions and PEP hits of the case's check results that no reviewer has cleared.

    `checks` are the results stored beside the case (read from the store when not given). A clearance counts
    wherever it was made: it is kept per screened party, not per case.
    """
    if checks is None:
        checks = deps.cases.detail(case.tenant_id, case.id).checks
    hits = screening_hits(checks)
    keys = [h.party_key for h in hits if h.clearable and h.party_key]
    cleared: dict[str, set[str]] = {}
    if keys and deps.clearances is not None:
        cleared = deps.clearances.cleared_entries(case.tenant_id, keys)
    return [h for h in hits if not (h.clearable and h.entry_id in cleared.get(h.party_key or "", ()))]


def blocked_reason(hits: Sequence[ScreeningHit]) -> str:
    """Why the case cannot be approved, naming the hits: what the 409 and the back office say."""
    shown = "; ".join(h.describe() for h in hits[:3])
    more = f" (and {len(hits) - 3} more)" if len(hits) > 3 else ""
    word = "hit" if len(hits) == 1 else "hits"
    return f"cannot approve over an uncleared screening {word}: {shown}{more}; clear it or reject the case"


def record_decision(
    deps: CaseDeps,
    principal: Principal,
    case: Case,
    decision: Decision,
    reason: str,
    *,
    document_ids: Sequence[str] = (),
    fields: Sequence[str] = (),
    audit: Sequence[AuditEntry] = (),
    events: Sequence[CaseEvent] = (),
    single: bool = True,
    confirming: bool = False,
    terms: Terms | None = None,
) -> Case:
    """Approve, reject or ask for a revision of `case` (as read, in manual review); its workflow resumes from the
    outbox once the decision is stored.

    Only one decision can win: the save is conditional on the version read, and the others get Conflict (409). An
    approval over an uncleared sanctions or PEP hit is ApprovalBlocked (409), whoever asks; rejecting stays open.
    `single`: one caller decides alone (an API key): a decision the workflow's review policy wants confirmed by a
    second reviewer is SecondReviewRequired (403). Reviewers' decisions go through `review.decide`, which proposes
    those instead. `confirming`: a second reviewer confirms the case's proposal (`decision` is the proposal's).
    """
    if case.state != CaseState.MANUAL_REVIEW:
        raise Conflict(
            f"the case is {case.state.value}: only a case in manual_review can be decided",
            case_id=case.id,
            state=case.state.value,
        )
    # An escalated case is decided only by a holder of its role: never by an API key (it holds no role).
    require_escalation_role(case, principal, "deciding")
    if decision == "approve":
        blockers = approval_blockers(deps, case)
        if blockers:
            raise ApprovalBlocked(
                blocked_reason(blockers), case_id=case.id, hits=[h.to_dict() for h in blockers]
            )
    if single and not confirming:
        reasons = second_review_reasons(deps, case, decision)
        if reasons:
            raise SecondReviewRequired(
                f"{ReviewPolicy.describe(reasons)} needs a second reviewer (the workflow's review policy): "
                "a reviewer proposes it in the back office and another confirms it",
                case_id=case.id,
                second_review_reasons=reasons,
            )
    expected = case.version
    at = deps.now()
    if decision == "revision":
        # A workflow with a collection journey sends the case back to its applicant too (their links reopen).
        collecting = (
            deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection is not None
        )
        change = case.request_revision(
            actor=principal.actor,
            reason=reason,
            document_ids=list(document_ids),
            at=at,
            collecting=collecting,
            fields=list(fields),
        )
    elif confirming:
        change = case.confirm_proposal(principal.actor, at=at)
    else:
        outcome: Literal["approved", "rejected"] = "approved" if decision == "approve" else "rejected"
        change = case.decide(outcome, actor=principal.actor, reason=reason, at=at, terms=terms)
    change.audit += list(audit)
    change.events += list(events)
    # The race is settled here; the decision and the continuation that resumes the workflow are one write.
    deps.cases.save(case, change, expected_version=expected)
    if case.state.terminal:
        workflow_steps.notify_parent(deps, case)
    return case
