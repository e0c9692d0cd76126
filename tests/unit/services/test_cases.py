"""Integrators' use cases against in-memory fakes."""

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.services import cases, review, workflow_steps
from arbiter.services.cases import ActiveCaseExists, DocumentInput, PageInput
from tests.builders import business, individual, integrator, reviewer, tenant
from tests.unit.fakes import case_deps

ACME = tenant("acme", workflow_aliases={"kyb-onboarding": "kyb"})


def start(deps, tenant=ACME, **overrides):
    args = {"workflow": "kyc", "entity": individual(), **overrides}
    return cases.start_case(deps, integrator(), tenant, **args)


def test_starting_a_case_stores_it_and_starts_its_automated_part_named_after_it():
    deps = case_deps()
    case, created = start(deps)
    assert created
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING
    payload = {"case": {"tenant_id": "acme", "case_id": case.id}, "round": 1}
    assert deps.engine.started == [("automation", f"{case.id}-a1", payload)]
    assert case.execution_arn is None  # no Standard execution until people are awaited
    assert case.runs_started == 1
    assert [e.type for e in deps.cases.events] == ["case.created"]


def test_a_manual_review_case_starts_its_automated_part_too():
    deps = case_deps()
    case, _ = start(deps, workflow="manual-review")
    assert [(machine, name) for machine, name, _ in deps.engine.started] == [("automation", f"{case.id}-a1")]
    assert case.execution_arn is None


def test_aliases_resolve_to_arbiter_workflows():
    deps = case_deps()
    case, _ = start(deps, workflow="kyb-onboarding", entity=business())
    assert case.workflow_id == "kyb"


def test_an_unknown_workflow_is_not_found_and_nothing_is_stored():
    deps = case_deps()
    with pytest.raises(NotFound, match="unknown workflow 'nope'; available: kyb, kyc, manual-review"):
        start(deps, workflow="nope")
    assert deps.cases.cases == {}
    assert deps.engine.started == []


def test_the_entity_type_must_fit_the_workflow():
    deps = case_deps()
    with pytest.raises(InvalidInput) as caught:
        start(deps, workflow="kyb", entity=individual())
    assert caught.value.path == "entity.type"
    assert deps.cases.cases == {}


def test_an_entity_with_an_active_case_gets_it_back_or_a_conflict():
    deps = case_deps()
    first, _ = start(deps)
    with pytest.raises(ActiveCaseExists) as caught:
        start(deps)
    assert caught.value.context["case_id"] == first.id
    again, created = start(deps, reuse_active=True)
    assert (again.id, created) == (first.id, False)
    many = tenant("acme", allow_multiple_active_cases=True)
    second, created = start(deps, tenant=many)
    assert created
    assert second.id != first.id


def test_a_collecting_case_starts_on_the_submitted_event():
    deps = case_deps()
    case, _ = start(deps, submit=False)
    assert case.state == CaseState.COLLECTING
    assert deps.engine.started == []
    cases.send_event(deps, integrator(), case.id, "submitted")
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING
    assert deps.engine.started[0][1] == f"{case.id}-a1"


def test_a_start_the_engine_refuses_for_good_leaves_a_failed_case_not_a_stuck_one():
    deps = case_deps()
    deps.engine.refuse_starts = True
    case, created = start(deps)
    assert created
    stored = deps.cases.get("acme", case.id)
    assert stored.state == CaseState.FAILED
    assert deps.cases.audit[("acme", case.id)][-1].reason == "WorkflowStartFailed"


def test_a_start_the_engine_fails_for_a_while_is_carried_out_when_it_answers_again():
    deps = case_deps()
    deps.engine.fail_starts = True
    case, created = start(deps)
    assert created
    assert deps.engine.started == []
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING  # stored, its start in the outbox
    assert [(c.kind, c.case_id) for c in deps.undelivered] == [("start", case.id)]
    deps.redeliver()  # still failing: still pending, nothing lost
    assert len(deps.undelivered) == 1
    deps.engine.fail_starts = False
    deps.redeliver()
    assert deps.undelivered == []
    assert [name for _, name, _ in deps.engine.started] == [f"{case.id}-a1"]
    deps.redeliver()  # a redelivery of a start that took effect starts nothing more
    assert len(deps.engine.started) == 1


def test_the_start_is_stored_with_the_case_in_one_write():
    deps = case_deps()
    deps.cases.on_commit = None  # no stream: what the write itself holds
    case, _ = start(deps)
    (continuation,) = deps.cases.continuations
    assert (continuation.kind, continuation.case_id, continuation.workflow_id) == ("start", case.id, "kyc")
    assert deps.engine.started == []


def test_an_event_the_case_does_not_wait_for_is_refused_naming_what_it_accepts():
    deps = case_deps()
    case, _ = start(deps)
    with pytest.raises(Conflict) as caught:
        cases.send_event(deps, integrator(), case.id, "resubmitted")
    assert "does not accept the event 'resubmitted'" in caught.value.message
    assert caught.value.context["allowed_events"] == []


def test_resubmission_resumes_the_waiting_workflow():
    deps = case_deps()
    case, _ = start(deps)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(deps, reviewer(), case.id, review.DecisionRequest(decision="revision", reason="blurry"))
    workflow_steps.await_resubmission(deps, "acme", case.id, "resubmit-token")
    cases.send_event(deps, integrator(), case.id, "resubmitted")
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING
    assert ("resubmit-token", {"resubmitted": True, "return_to_review": False}) in deps.engine.completed


def test_another_tenants_case_is_not_found():
    deps = case_deps()
    case, _ = start(deps)
    with pytest.raises(NotFound):
        cases.get_case(deps, integrator("other"), case.id)


def test_documents_are_declared_with_their_page_sources():
    deps = case_deps()
    documents = [
        DocumentInput(
            type="passport",
            category="identification",
            pages=[
                PageInput(uri="https://files.example/p1.jpg"),
                PageInput(data="aGVsbG8=", type="image/png"),
            ],
        )
    ]
    case, _ = start(deps, documents=documents)
    (document,) = case.documents
    assert document.id.startswith("doc_")
    assert [p.source.provider for p in document.pages] == ["http", "base64"]
    assert document.pages[1].source.has_inline_data
    assert all(p.status == "pending" for p in document.pages)
