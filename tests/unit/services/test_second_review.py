"""Four eyes: a workflow's review policy turns some reviewers' decisions into proposals a second reviewer confirms
or sends back; nobody confirms their own proposal, decides a case they opened, or confirms without the role."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from pydantic import ValidationError

from arbiter.adapters.workflow_files import BuiltinWorkflowCatalog
from arbiter.domain.case import CaseState, Change, Flag, RiskAssessment
from arbiter.domain.errors import Conflict, NotAllowed
from arbiter.domain.review_policy import ReviewPolicy
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.services import cases, review, workflow_steps
from arbiter.services.decisions import ApprovalBlocked, SecondReviewRequired, record_decision
from arbiter.services.ports import CaseQuery
from arbiter.services.review import (
    DecisionRequest,
    OpenerCannotDecide,
    ProposerCannotConfirm,
    ReturnRequest,
    SecondReviewerRoleMissing,
)
from tests.builders import individual, integrator, reviewer, screening_result, tenant
from tests.unit.fakes import case_deps

_ENTITIES = itertools.count(1)
ALICE = reviewer(user="alice")
BOB = reviewer(user="bob")


class PolicyCatalog(BuiltinWorkflowCatalog):
    """The shipped workflows, with the kyc workflow's review policy replaced."""

    def __init__(self, policy: ReviewPolicy) -> None:
        self.policy = policy

    def get(self, tenant_id: str, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        definition = super().get(tenant_id, workflow_id, version)
        return definition.model_copy(update={"review_policy": self.policy})


def deps_with(policy: ReviewPolicy | None = None):
    deps = case_deps()
    if policy is not None:
        deps.workflows = PolicyCatalog(policy)
    return deps


def case_in_review(deps, *, flag: str | None = None, risk: RiskAssessment | None = None, opener=None) -> str:
    case, _ = cases.start_case(
        deps, opener or integrator(), tenant(), workflow="kyc", entity=individual(f"e-{next(_ENTITIES)}")
    )
    stored = deps.cases.get("acme", case.id)
    change = Change()
    if flag:
        change += stored.add_flag(
            Flag(code=flag, message="a watchlist match", severity="critical"), deps.now()
        )
    if risk is not None:
        stored.risk = risk
    deps.cases.save(stored, change, expected_version=stored.version)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def assessed(level: str = "low", recommendation: str = "review", score: float = 10) -> RiskAssessment:
    return RiskAssessment(
        score=score, level=level, recommendation=recommendation, evaluated_at=dt.datetime.now(dt.UTC)
    )


def approve(deps, case_id: str, who=ALICE, reason: str = "documents verified, match is a namesake"):
    return review.decide(deps, who, case_id, DecisionRequest(decision="approve", reason=reason))


def test_the_shipped_kyc_policy_makes_an_approval_over_a_critical_flag_a_proposal_and_another_reviewer_confirms():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    proposed = approve(deps, case_id)
    assert proposed.state == CaseState.MANUAL_REVIEW
    assert proposed.proposal.decision == "approve"
    assert (proposed.proposal.actor.id, proposed.proposal.requires) == ("alice", ["critical_flags"])
    assert deps.engine.completed == []  # nothing continues the workflow yet
    assert deps.cases.events[-1].type == "case.decision_proposed"

    with pytest.raises(ProposerCannotConfirm, match="you proposed this decision"):
        review.confirm_decision(deps, ALICE, case_id)
    assert deps.cases.get("acme", case_id).proposal is not None

    confirmed = review.confirm_decision(deps, BOB, case_id)
    assert confirmed.state == CaseState.APPROVED
    assert confirmed.proposal is None
    assert (confirmed.decision.actor.id, confirmed.decision.confirmed_by.id) == ("alice", "bob")
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]
    types = [e.type for e in deps.cases.events]
    assert (
        types.index("case.decision_proposed")
        < types.index("case.decision_confirmed")
        < types.index("case.decided")
    )
    actions = [(e.action, e.actor.id) for e in deps.cases.detail("acme", case_id).audit]
    assert ("decision.proposed", "alice") in actions
    assert ("decision.confirmed", "bob") in actions
    assert ("case.decided", "alice") in actions

    with pytest.raises(Conflict, match="no decision on the case awaits"):
        review.confirm_decision(deps, reviewer(user="carol"), case_id)
    assert len(deps.engine.completed) == 1


def test_rejecting_over_a_critical_flag_needs_one_reviewer():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    case = review.decide(deps, ALICE, case_id, DecisionRequest(decision="reject", reason="adverse media"))
    assert case.state == CaseState.REJECTED
    assert case.decision.confirmed_by is None
    assert deps.engine.completed == [("review-token", {"decision": "rejected"})]


def test_a_case_without_what_the_policy_names_is_decided_by_one_reviewer():
    deps = deps_with()
    case_id = case_in_review(deps)
    assert approve(deps, case_id).state == CaseState.APPROVED
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]


def test_sending_back_clears_the_proposal_and_the_case_is_reviewed_as_before():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    approve(deps, case_id)
    with pytest.raises(ProposerCannotConfirm):
        review.return_decision(deps, ALICE, case_id, ReturnRequest(reason="changed my mind"))
    returned = review.return_decision(
        deps, BOB, case_id, ReturnRequest(reason="the match is the same person")
    )
    assert returned.state == CaseState.MANUAL_REVIEW
    assert returned.proposal is None
    assert deps.engine.completed == []
    audit = deps.cases.detail("acme", case_id).audit
    returned_entry = next(e for e in audit if e.action == "decision.returned")
    assert (returned_entry.actor.id, returned_entry.reason) == ("bob", "the match is the same person")
    assert deps.cases.events[-1].type == "case.decision_returned"
    # Back to normal review: a new decision is possible (a rejection by one reviewer here).
    rejected = review.decide(deps, ALICE, case_id, DecisionRequest(decision="reject", reason="same person"))
    assert rejected.state == CaseState.REJECTED


def test_a_send_back_needs_a_reason():
    with pytest.raises(ValidationError, match="reason"):
        ReturnRequest(reason="  ")
    with pytest.raises(ValidationError, match="reason"):
        ReturnRequest.model_validate({})


def test_while_a_proposal_waits_no_other_decision_or_revision_is_made():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    approve(deps, case_id)
    for decision in ("approve", "reject", "revision"):
        with pytest.raises(Conflict, match="awaits a second reviewer"):
            review.decide(deps, BOB, case_id, DecisionRequest(decision=decision, reason="me too"))
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.proposal.actor.id) == (CaseState.MANUAL_REVIEW, "alice")
    assert deps.engine.completed == []


def test_the_policy_can_ask_for_an_admin_as_second_reviewer():
    deps = deps_with(ReviewPolicy(second_reviewer_for=["critical_flags"], second_reviewer_role="admin"))
    case_id = case_in_review(deps, flag="adverse_media")
    assert approve(deps, case_id).proposal.role == "admin"
    with pytest.raises(SecondReviewerRoleMissing, match="needs the admin role"):
        review.confirm_decision(deps, BOB, case_id)
    with pytest.raises(SecondReviewerRoleMissing):
        review.return_decision(deps, BOB, case_id, ReturnRequest(reason="no"))
    with pytest.raises(NotAllowed, match="needs the reviewer role"):
        review.confirm_decision(deps, reviewer("viewer"), case_id)
    assert deps.cases.get("acme", case_id).proposal is not None
    assert review.confirm_decision(deps, reviewer("admin"), case_id).state == CaseState.APPROVED


def test_overriding_the_rules_recommendation_needs_a_second_reviewer():
    deps = deps_with(ReviewPolicy(second_reviewer_for=["override"]))
    case_id = case_in_review(deps, risk=assessed(recommendation="reject"))
    assert approve(deps, case_id).proposal.requires == ["override"]
    other = case_in_review(deps, risk=assessed(recommendation="reject"))
    # Following the recommendation is one reviewer's decision.
    case = review.decide(deps, ALICE, other, DecisionRequest(decision="reject", reason="as the rules say"))
    assert case.state == CaseState.REJECTED


def test_approving_a_high_risk_case_needs_a_second_reviewer_by_level_or_score():
    deps = deps_with(ReviewPolicy(second_reviewer_for=["high_risk"], high_risk_score=70))
    high = case_in_review(deps, risk=assessed(level="high"))
    assert approve(deps, high).proposal.requires == ["high_risk"]
    scored = case_in_review(deps, risk=assessed(level="medium", score=75))
    assert approve(deps, scored).proposal.requires == ["high_risk"]
    low = case_in_review(deps, risk=assessed(level="medium", score=20))
    assert approve(deps, low).state == CaseState.APPROVED


def test_an_uncleared_screening_hit_is_refused_even_as_a_proposal():
    deps = deps_with()
    case_id = case_in_review(deps, flag="pep_match")
    deps.cases.save_checks("acme", case_id, {"sanctions": screening_result()})
    with pytest.raises(ApprovalBlocked, match="uncleared screening hit"):
        approve(deps, case_id)
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.proposal) == (CaseState.MANUAL_REVIEW, None)


def test_whoever_opened_a_case_cannot_decide_it():
    deps = deps_with()
    case_id = case_in_review(deps, opener=ALICE)
    with pytest.raises(OpenerCannotDecide, match="you opened this case"):
        approve(deps, case_id)
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
    assert approve(deps, case_id, who=BOB).state == CaseState.APPROVED


def test_an_opener_cannot_confirm_a_proposal_on_their_case():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media", opener=BOB)
    approve(deps, case_id)
    with pytest.raises(OpenerCannotDecide):
        review.confirm_decision(deps, BOB, case_id)


def test_an_api_key_cannot_make_a_decision_the_policy_wants_two_reviewers_for():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    case = deps.cases.get("acme", case_id)
    with pytest.raises(SecondReviewRequired, match="needs a second reviewer"):
        record_decision(deps, integrator(), case, "approve", "approved by the integrator")
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW


def test_two_reviewers_confirming_at_once_decide_once():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    approve(deps, case_id)
    original_get = deps.cases.get
    reads = iter([original_get("acme", case_id), original_get("acme", case_id)])
    deps.cases.get = lambda tenant_id, cid: next(reads, None) or original_get(tenant_id, cid)
    review.confirm_decision(deps, BOB, case_id)
    with pytest.raises(Conflict):
        review.confirm_decision(deps, reviewer(user="carol"), case_id)
    deps.cases.get = original_get
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.decision.confirmed_by.id) == (CaseState.APPROVED, "bob")
    assert len(deps.engine.completed) == 1


def test_the_queue_filters_and_counts_cases_awaiting_a_second_reviewer():
    deps = deps_with()
    pending = case_in_review(deps, flag="adverse_media")
    plain = case_in_review(deps)
    approve(deps, pending)
    found = review.queue(deps, BOB, CaseQuery(tenant_id="acme", pending_second_review=True))
    assert [c.id for c in found.items] == [pending]
    others = review.queue(deps, BOB, CaseQuery(tenant_id="acme", pending_second_review=False))
    assert plain in [c.id for c in others.items]
    assert pending not in [c.id for c in others.items]
    assert review.count_pending_second_review(deps, BOB) == 1


def test_the_back_office_is_offered_confirm_and_send_back_only_as_an_eligible_second_reviewer():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    before = review.available_actions(deps, deps.cases.detail("acme", case_id), ALICE)
    assert before["approve"]["allowed"]
    assert before["approve"]["second_review"] == "approving over a critical flag needs a second reviewer"
    assert "second_review" not in before["reject"]
    assert not before["confirm"]["allowed"]
    approve(deps, case_id)
    detail = deps.cases.detail("acme", case_id)
    mine = review.available_actions(deps, detail, ALICE)
    assert not mine["confirm"]["allowed"]
    assert "you proposed" in mine["confirm"]["reason"]
    assert not mine["approve"]["allowed"]
    assert "awaits a second reviewer" in mine["approve"]["reason"]
    theirs = review.available_actions(deps, detail, BOB)
    assert theirs["confirm"]["allowed"]
    assert theirs["send_back"]["allowed"]
    assert not review.available_actions(deps, detail, reviewer("viewer"))["confirm"]["allowed"]


def test_a_review_policy_is_validated_and_names_the_problem():
    with pytest.raises(ValidationError, match="second_reviewer_for"):
        ReviewPolicy.model_validate({"second_reviewer_for": ["everything"]})
    with pytest.raises(ValidationError, match="second_reviewer_role"):
        ReviewPolicy.model_validate({"second_reviewer_role": "viewer"})
    with pytest.raises(ValidationError, match="extra"):
        ReviewPolicy.model_validate({"second_reviewers": 2})
    kyc = BuiltinWorkflowCatalog().get("acme", "kyc")
    assert "critical_flags" in kyc.review_policy.second_reviewer_for
    assert kyc.summary()["review_policy"]["second_reviewer_role"] == "reviewer"
    assert BuiltinWorkflowCatalog().get("acme", "monitoring").review_policy.second_reviewer_for == []


def test_a_case_that_fails_while_a_proposal_waits_drops_the_proposal_and_is_counted_no_more():
    deps = deps_with()
    case_id = case_in_review(deps, flag="adverse_media")
    approve(deps, case_id)
    assert deps.cases.pending_second_review("acme") == 1
    case = deps.cases.get("acme", case_id)
    deps.cases.save(case, case.fail("ReviewTimedOut"), expected_version=case.version)
    failed = deps.cases.get("acme", case_id)
    assert (failed.state, failed.proposal) == (CaseState.FAILED, None)
    assert deps.cases.pending_second_review("acme") == 0
    with pytest.raises(Conflict, match="no decision on the case awaits"):
        review.confirm_decision(deps, BOB, case_id)
