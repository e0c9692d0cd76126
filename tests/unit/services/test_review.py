"""Reviewers' use cases: roles, the one-decision rule, revisions, notes, assignment (to a colleague:
test_review_team.py)."""

import pytest

from arbiter.domain.case import Assignee, CaseState
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed
from arbiter.services import cases, review, workflow_steps
from arbiter.services.cases import DocumentInput
from arbiter.services.review import DecisionRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.support.automation import run_automation
from tests.unit.fakes import RecommendByName, automation_deps, case_deps


def case_in_review(deps, **kwargs):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual(), **kwargs)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def test_a_viewer_reads_but_cannot_decide():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    run_automation(automation_deps(deps, RecommendByName(Lovelace="review")), "acme", case.id)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    case_id = case.id
    detail, path = review.case_detail(deps, reviewer("viewer"), case_id)
    assert detail.case.id == case_id
    # The automated run's steps as the case recorded them, then the Standard execution's.
    assert [(s["machine"], s["state"]) for s in path][-2:] == [
        ("automation", "Decide"),
        ("workflow", "ManualReview"),
    ]
    assert {s["run"] for s in path if s["machine"] == "automation"} == {1}
    with pytest.raises(NotAllowed, match="needs the reviewer role"):
        review.decide(deps, reviewer("viewer"), case_id, DecisionRequest(decision="approve", reason="ok"))
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW


def test_approval_resumes_the_workflow_and_lands_in_the_audit_trail():
    deps = case_deps()
    case_id = case_in_review(deps)
    review.decide(
        deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="all documents verified")
    )
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]
    detail = deps.cases.detail("acme", case_id)
    last = detail.audit[-1]
    assert (last.action, last.actor.id, last.reason) == (
        "case.decided",
        "reviewer-1",
        "all documents verified",
    )
    assert deps.cases.events[-1].type == "case.decided"


def test_two_reviewers_deciding_at_once_exactly_one_wins():
    deps = case_deps()
    case_id = case_in_review(deps)
    original_get = deps.cases.get
    # Both reviewers read the case before either saves: the second save finds a newer version.
    first_read = original_get("acme", case_id)
    second_read = original_get("acme", case_id)
    reads = iter([first_read, second_read])
    deps.cases.get = lambda tenant_id, cid: next(reads, None) or original_get(tenant_id, cid)
    review.decide(deps, reviewer(user="alice"), case_id, DecisionRequest(decision="approve", reason="fine"))
    # Bob's save loses; read again, the case is decided.
    with pytest.raises(Conflict, match="the case is approved"):
        review.decide(
            deps, reviewer(user="bob"), case_id, DecisionRequest(decision="reject", reason="not fine")
        )
    deps.cases.get = original_get
    final = deps.cases.get("acme", case_id)
    assert final.state == CaseState.APPROVED
    assert final.decision.actor.id == "alice"
    assert len(deps.engine.completed) == 1


def test_deciding_a_decided_case_is_a_conflict():
    deps = case_deps()
    case_id = case_in_review(deps)
    review.decide(deps, reviewer(), case_id, DecisionRequest(decision="reject", reason="sanctioned"))
    with pytest.raises(Conflict, match="only a case in manual_review can be decided"):
        review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="oops"))


def test_a_reason_is_required_and_blank_is_not_a_reason():
    with pytest.raises(ValueError, match="reason"):
        DecisionRequest(decision="approve", reason="   ")
    with pytest.raises(ValueError, match="reason"):
        DecisionRequest(decision="approve", reason="")


def test_revision_names_documents_and_unknown_documents_are_refused():
    deps = case_deps()
    case_id = case_in_review(deps, documents=[DocumentInput(id="doc_passport", type="passport")])
    bad = DecisionRequest(
        decision="revision", reason="x", documents=[{"document_id": "doc_nope", "decision": "revision"}]
    )
    with pytest.raises(InvalidInput) as caught:
        review.decide(deps, reviewer(), case_id, bad)
    assert caught.value.path == "documents[0].document_id"
    request = DecisionRequest(
        decision="revision",
        reason="photo page is cut off",
        documents=[{"document_id": "doc_passport", "decision": "revision", "reason": "cut off"}],
    )
    case = review.decide(deps, reviewer(), case_id, request)
    assert case.state == CaseState.REVISION_REQUESTED
    assert case.revision.document_ids == ["doc_passport"]
    assert case.documents[0].decision.decision == "revision"
    assert deps.engine.completed[-1] == ("review-token", {"decision": "revision"})


def test_a_decision_after_the_workflow_stopped_waiting_still_stands():
    deps = case_deps()
    case_id = case_in_review(deps)
    deps.engine.expired_tokens.add("review-token")
    case = review.decide(
        deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="late but valid")
    )
    assert case.state == CaseState.APPROVED


def test_assigning_needs_the_reviewer_role_and_the_assignee_is_stored():
    deps = case_deps()
    case_id = case_in_review(deps)
    me = Assignee(id="reviewer-1", email="reviewer-1@example.com")
    with pytest.raises(NotAllowed, match="reviewer role"):
        review.assign_to(deps, reviewer("viewer"), case_id, me)
    assert review.assign_to(deps, reviewer(), case_id, me).assignee == me
    assert deps.cases.get("acme", case_id).assignee == me
    assert review.assign_to(deps, reviewer(), case_id, None).assignee is None


def test_notes_need_text_and_are_kept_in_the_history():
    deps = case_deps()
    case_id = case_in_review(deps)
    with pytest.raises(InvalidInput):
        review.add_note(deps, reviewer(), case_id, "  ")
    review.add_note(deps, reviewer(), case_id, "called the company, director confirmed")
    assert deps.cases.detail("acme", case_id).audit[-1].reason == "called the company, director confirmed"


def test_available_actions_say_why_not():
    deps = case_deps()
    case_id = case_in_review(deps)
    detail = deps.cases.detail("acme", case_id)
    viewer_actions = review.available_actions(deps, detail, reviewer("viewer"))
    assert viewer_actions["approve"] == {"allowed": False, "reason": "approving needs the reviewer role"}
    assert review.available_actions(deps, detail, reviewer())["approve"]["allowed"]
    review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="ok"))
    decided = review.available_actions(deps, deps.cases.detail("acme", case_id), reviewer())
    assert decided["reject"] == {"allowed": False, "reason": "the case is approved"}


def test_a_decision_racing_the_review_step_parking_its_token_goes_through_and_resumes_it():
    """The run hands the case over (manual review, no token yet); the reviewer reads it; the Standard execution's
    review step parks its token; the reviewer's save loses that race, reads again and resumes the token."""
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    run_automation(automation_deps(deps, RecommendByName(Lovelace="review")), "acme", case.id)
    original_get = deps.cases.get
    stale = original_get("acme", case.id)  # the reviewer's read, before the token is parked
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    reads = iter([stale])
    deps.cases.get = lambda tenant_id, cid: next(reads, None) or original_get(tenant_id, cid)
    decided = review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="fine"))
    deps.cases.get = original_get
    assert decided.state == CaseState.APPROVED
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]
