"""Integrators' use cases against in-memory fakes."""

import pytest

from arbiter.domain.case import SYSTEM, CaseState
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.services import cases, review, workflow_steps
from arbiter.services.cases import ActiveCaseExists, DocumentInput, PageInput
from tests.builders import business, individual, integrator, reviewer, tenant
from tests.unit.fakes import case_deps

ACME = tenant("acme", workflow_aliases={"kyb-onboarding": "kyb"})


def start(deps, tenant=ACME, **overrides):
    args = {"workflow": "kyc", "entity": individual(), **overrides}
    return cases.start_case(deps, integrator(), tenant, **args)


def test_starting_a_case_stores_it_and_starts_its_execution_named_after_it():
    deps = case_deps()
    case, created = start(deps)
    assert created
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING
    assert deps.engine.started == [("kyc", case.id, {"case": {"tenant_id": "acme", "case_id": case.id}})]
    assert case.execution_arn.endswith(f":{case.id}")
    assert [e.type for e in deps.cases.events] == ["case.created"]


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
    assert deps.engine.started[0][1] == case.id


def test_a_start_the_engine_refuses_leaves_a_failed_case_not_a_stuck_one():
    deps = case_deps()
    deps.engine.fail_starts = True
    with pytest.raises(RuntimeError):
        start(deps)
    (stored,) = deps.cases.cases.values()
    assert stored.state == CaseState.FAILED


def test_a_start_whose_answer_was_lost_but_whose_execution_runs_is_not_failed():
    deps = case_deps()
    deps.engine.fail_starts = True

    def execution_moves_the_case_on(case_id):
        case = deps.cases.get("acme", case_id)
        deps.cases.save(
            case, case.merge_context({"step": 1}, SYSTEM, deep=False), expected_version=case.version
        )

    deps.engine.before_failing = execution_moves_the_case_on
    _case, created = start(deps)
    assert created
    (stored,) = deps.cases.cases.values()
    assert stored.state == CaseState.PROCESSING
    assert stored.context == {"step": 1}


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
    assert ("resubmit-token", {"resubmitted": True}) in deps.engine.completed


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
