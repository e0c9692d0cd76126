"""Custom events a workflow declares, and what each does: recorded, the checks run again, a revision asked for;
an undeclared event is a 400, a declared one the case cannot take now a 409."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.adapters.workflow_files import TenantWorkflowCatalog
from arbiter.domain.case import CaseState
from arbiter.domain.errors import BadRequest, Conflict, InvalidInput
from arbiter.domain.workflow import WorkflowContent
from arbiter.services import ballerine, cases, workflow_steps
from arbiter.workflows import builtin_workflows
from tests.builders import individual, integrator, tenant
from tests.unit.fakes import FakeDependencies, InMemoryWorkflowVersions, case_deps

EVENTS: list[Any] = [
    "address_confirmed",
    {"name": "registry_updated", "action": "rerun_checks"},
    {"name": "documents_expired", "action": "request_revision", "reason": "Please upload a current ID"},
]
AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture
def deps() -> FakeDependencies:
    """kyc version 2 of tenant acme declares EVENTS, published."""
    versions = InMemoryWorkflowVersions()
    kyc = builtin_workflows()["kyc"].model_dump(include=set(WorkflowContent.model_fields))
    versions.add_version(
        "acme", WorkflowContent.model_validate({**kyc, "custom_events": EVENTS}), actor="a", at=AT, floor=1
    )
    versions.publish("acme", "kyc", 2, actor="a", at=AT)
    deps = case_deps()
    deps.workflows = TenantWorkflowCatalog(versions)
    return deps


def in_review(deps: FakeDependencies, token: str | None = "review-token") -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    stored = deps.cases.get("acme", case.id)
    stored.state = CaseState.PROCESSING
    change = stored.await_review(token)
    change += stored.hand_over("review", lambda name: f"arn:aws:states:eu-west-1:1:execution:x-kyc:{name}")
    deps.cases.save(stored, change, expected_version=stored.version)
    return case.id


def actions(deps: FakeDependencies, case_id: str) -> list[str]:
    return [e.action for e in deps.cases.detail("acme", case_id).audit]


def test_a_recorded_event_is_kept_in_the_history_in_any_open_state(deps) -> None:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    payload = {"source": "utility bill"}
    cases.send_event(deps, integrator(), case.id, "address_confirmed", payload)
    entry = deps.cases.detail("acme", case.id).audit[-1]
    assert (entry.action, entry.details) == (
        "event.received",
        {"name": "address_confirmed", "payload": payload},
    )
    assert deps.cases.get("acme", case.id).state == CaseState.PROCESSING


def test_rerun_checks_ends_the_wait_for_a_reviewer_and_starts_the_next_run(deps) -> None:
    case_id = in_review(deps)
    cases.send_event(deps, integrator(), case_id, "registry_updated", {"reason": "new extract"})
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.runs_started, case.execution_arn) == (CaseState.PROCESSING, 2, None)
    assert ("review-token", {"decision": "rerun"}) in deps.engine.completed
    assert deps.engine.started[-1][:2] == ("automation", f"{case_id}-a2")
    assert actions(deps, case_id)[-2:] == ["event.received", "checks.rerun"]
    assert deps.cases.detail("acme", case_id).audit[-1].reason == "new extract"


def test_a_review_step_that_begins_after_the_rerun_is_answered_and_the_case_keeps_its_new_run(deps) -> None:
    case_id = in_review(deps, token=None)  # the Standard execution has not reached its review step yet
    old_execution = deps.cases.get("acme", case_id).execution_arn
    cases.send_event(deps, integrator(), case_id, "registry_updated")
    workflow_steps.await_review(deps, "acme", case_id, "late-token", execution=old_execution)
    assert ("late-token", {"decision": "superseded"}) in deps.engine.completed
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.task_tokens) == (CaseState.PROCESSING, {})


def test_request_revision_sends_the_case_back_with_the_reason_and_documents(deps) -> None:
    case_id = in_review(deps)
    cases.send_event(deps, integrator(), case_id, "documents_expired", {"document_ids": ["passport"]})
    case = deps.cases.get("acme", case_id)
    assert case.state == CaseState.REVISION_REQUESTED
    assert (case.revision.reason, case.revision.document_ids) == ("Please upload a current ID", ["passport"])
    assert [e.type for e in deps.cases.events][-2:] == ["case.status_changed", "case.revision_requested"]


def test_an_undeclared_event_is_a_bad_request_naming_the_declared_ones(deps) -> None:
    case_id = in_review(deps)
    with pytest.raises(BadRequest) as caught:
        cases.send_event(deps, integrator(), case_id, "approve")
    assert caught.value.context["path"] == "name"
    assert "declares no event 'approve'" in caught.value.message
    assert "address_confirmed, registry_updated, documents_expired" in caught.value.message
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW


def test_a_declared_event_the_case_cannot_take_now_is_a_conflict_and_changes_nothing(deps) -> None:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    for name in ("registry_updated", "documents_expired"):
        with pytest.raises(Conflict) as caught:
            cases.send_event(deps, integrator(), case.id, name)
        assert caught.value.context["allowed_events"] == ["address_confirmed"]
    assert actions(deps, case.id) == ["case.created"]


def test_ballerines_send_event_takes_the_declared_events(deps) -> None:
    case_id = in_review(deps)
    ballerine.send_ballerine_event(deps, integrator(), tenant(), case_id, "registry_updated", {})
    assert deps.cases.get("acme", case_id).state == CaseState.PROCESSING


@pytest.mark.parametrize(
    ("events", "path"),
    [
        (["resubmitted"], "custom_events[0].name"),
        (["a", {"name": "a", "action": "rerun_checks"}], "custom_events[1].name"),
    ],
)
def test_event_names_are_the_workflows_own_and_unique(events, path) -> None:
    kyc = builtin_workflows()["kyc"].model_dump(include=set(WorkflowContent.model_fields))
    with pytest.raises(InvalidInput) as caught:
        WorkflowContent.model_validate({**kyc, "custom_events": events})
    assert caught.value.path == path
