"""Case transitions: what each allows, what it records, what it announces."""

import pytest

from arbiter.domain.case import SYSTEM, Actor, Case, CaseState
from arbiter.domain.errors import Conflict
from tests.builders import individual

REVIEWER = Actor(type="reviewer", id="r1", email="r1@example.com")


def open_case(collecting: bool = False) -> Case:
    case, change = Case.open(
        tenant_id="acme",
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(),
        actor=SYSTEM,
        collecting=collecting,
    )
    assert change.events[0].type == "case.created"
    return case


def test_a_new_case_is_processing_or_collecting():
    assert open_case().state == CaseState.PROCESSING
    assert open_case(collecting=True).state == CaseState.COLLECTING


def test_case_ids_sort_by_creation_and_are_unguessable():
    ids = [open_case().id for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(i.startswith("case_") and len(i) > 25 for i in ids)


def test_waiting_for_review_keeps_the_token_and_announces_it():
    case = open_case()
    change = case.await_review("token-1")
    assert case.state == CaseState.MANUAL_REVIEW
    assert case.task_tokens["review"] == "token-1"
    assert [e.type for e in change.events] == ["case.status_changed", "case.awaiting_review"]
    assert change.audit[0].from_state == CaseState.PROCESSING
    assert change.audit[0].to_state == CaseState.MANUAL_REVIEW


def test_a_reviewer_decision_records_who_when_and_why():
    case = open_case()
    case.await_review("t")
    change = case.decide("approved", actor=REVIEWER, reason="documents match the registry")
    assert case.state == CaseState.APPROVED
    assert case.decision.actor == REVIEWER
    assert case.decision.reason == "documents match the registry"
    assert "review" not in case.task_tokens
    decided = change.events[-1]
    assert decided.type == "case.decided"
    assert decided.outcome == "approved"
    assert decided.actor.id == "r1"
    assert change.audit[0].reason == "documents match the registry"


def test_a_decision_is_refused_outside_manual_review_and_is_final():
    case = open_case()
    with pytest.raises(Conflict, match="needs manual_review"):
        case.decide("approved", actor=REVIEWER, reason="x")
    case.await_review("t")
    case.decide("rejected", actor=REVIEWER, reason="forged passport")
    with pytest.raises(Conflict, match="the case is rejected"):
        case.decide("approved", actor=REVIEWER, reason="changed my mind")
    assert case.state.terminal


def test_automatic_decisions_happen_while_processing_only():
    case = open_case()
    case.decide("approved", actor=SYSTEM, reason="score 0", automatic=True)
    assert case.decision.automatic
    other = open_case()
    other.await_review("t")
    with pytest.raises(Conflict):
        other.decide("approved", actor=SYSTEM, reason="score 0", automatic=True)


def test_revision_then_resubmission_resume_the_steps_waiting_for_them():
    case = open_case()
    case.await_review("review-token")
    change = case.request_revision(actor=REVIEWER, reason="passport photo unreadable", document_ids=["doc_1"])
    assert case.state == CaseState.REVISION_REQUESTED
    assert change.events[-1].type == "case.revision_requested"
    assert change.events[-1].document_ids == ["doc_1"]
    assert [(c.kind, c.token, c.output) for c in change.continuations] == [
        ("resume", "review-token", {"decision": "revision"})
    ]
    assert case.await_resubmission("resubmit-token") is False
    change = case.resubmit(Actor(type="integrator", id="key_1"), return_to_review=True)
    assert [(c.token, c.output) for c in change.continuations] == [
        ("resubmit-token", {"resubmitted": True, "return_to_review": True})
    ]
    assert case.task_tokens == {}
    assert case.state == CaseState.PROCESSING


def test_a_decision_resumes_the_review_step_once():
    case = open_case()
    case.await_review("review-token")
    change = case.decide("approved", actor=REVIEWER, reason="fine")
    (continuation,) = change.continuations
    assert (continuation.kind, continuation.token, continuation.output) == (
        "resume",
        "review-token",
        {"decision": "approved"},
    )
    assert (continuation.tenant_id, continuation.case_id) == (case.tenant_id, case.id)
    assert "review" not in case.task_tokens


def test_a_resubmission_that_beats_the_workflow_is_not_lost():
    case = open_case()
    case.await_review("t")
    case.request_revision(actor=REVIEWER, reason="blurry", document_ids=[])
    change = case.resubmit(Actor(type="integrator", id="key_1"))  # before the workflow stored its token
    assert change.continuations == []  # nothing waits yet
    assert case.await_resubmission("late-token") is True  # the step completes at once


def test_failing_marks_the_case_and_is_a_no_op_once_decided():
    case = open_case()
    change = case.fail("States.Timeout", "no reviewer for 90 days")
    assert case.state == CaseState.FAILED
    assert change.audit[0].reason == "States.Timeout"
    assert case.fail("again").audit == []


def test_assignment_is_refused_on_decided_cases():
    case = open_case()
    case.decide("rejected", actor=SYSTEM, reason="listed", automatic=True)
    with pytest.raises(Conflict, match="assignee"):
        case.assign(None, REVIEWER)


def test_context_merges_shallow_or_deep():
    case = open_case()
    case.context = {"a": {"x": 1, "y": 2}, "b": 1}
    case.merge_context({"a": {"y": 3}}, REVIEWER, deep=True)
    assert case.context == {"a": {"x": 1, "y": 3}, "b": 1}
    case.merge_context({"a": {"z": 0}}, REVIEWER, deep=False)
    assert case.context == {"a": {"z": 0}, "b": 1}
