"""Workflow steps: owners' cases, parents released by their last child, retries that change nothing."""

from arbiter.domain.case import CaseState
from arbiter.services import cases, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import business, integrator, reviewer, tenant, ubo
from tests.unit.fakes import case_deps


def kyb_case(deps, ubos):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=ubos))
    return case


def test_owners_above_the_threshold_get_kyc_cases_and_the_parent_waits():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 30), ubo("Small", "Holder", 10)])
    children = workflow_steps.start_owner_cases(deps, "acme", parent.id, "children-token")
    assert children == [f"{parent.id}-o0", f"{parent.id}-o1"]
    child = deps.cases.get("acme", children[0])
    assert (child.workflow_id, child.parent_case_id, child.entity.type) == ("kyc", parent.id, "individual")
    assert child.entity.individual.last_name == "Roe"
    assert child.metadata["ownership_percent"] == 60
    assert deps.cases.get("acme", parent.id).child_case_ids == children
    assert deps.engine.completed == []  # still waiting for the owners


def test_a_retried_step_opens_no_second_child():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    workflow_steps.start_owner_cases(deps, "acme", parent.id, "token-1")
    workflow_steps.start_owner_cases(deps, "acme", parent.id, "token-2")
    assert len([c for c in deps.cases.cases.values() if c.parent_case_id == parent.id]) == 1
    assert sum(1 for _, name, _ in deps.engine.started if name.startswith(parent.id + "-")) == 1


def test_no_owners_releases_the_parent_at_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Small", "Holder", 5)])
    assert workflow_steps.start_owner_cases(deps, "acme", parent.id, "children-token") == []
    assert deps.engine.completed == [("children-token", {"children": []})]


def test_the_last_child_decided_releases_the_parent_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 40)])
    first, second = workflow_steps.start_owner_cases(deps, "acme", parent.id, "children-token")
    workflow_steps.record_automatic_decision(deps, "acme", first, "approve")
    assert deps.engine.completed == []
    workflow_steps.await_review(deps, "acme", second, "child-review")
    review.decide(deps, reviewer(), second, DecisionRequest(decision="reject", reason="PEP, undeclared"))
    released = [output for token, output in deps.engine.completed if token == "children-token"]
    assert released == [
        {"children": [{"case_id": first, "state": "approved"}, {"case_id": second, "state": "rejected"}]}
    ]
    workflow_steps.notify_parent(deps, deps.cases.get("acme", second))  # a late duplicate notification
    assert len([t for t, _ in deps.engine.completed if t == "children-token"]) == 1


def test_a_failed_child_counts_as_done():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    (child,) = workflow_steps.start_owner_cases(deps, "acme", parent.id, "children-token")
    workflow_steps.record_failure(deps, "acme", child, {"Error": "States.TaskFailed", "Cause": "boom"})
    assert deps.cases.get("acme", child).state == CaseState.FAILED
    assert deps.engine.completed[0][0] == "children-token"


def test_automatic_decision_explains_itself_and_retries_change_nothing():
    deps = case_deps()
    case = kyb_case(deps, [])
    workflow_steps.record_automatic_decision(deps, "acme", case.id, "reject")
    workflow_steps.record_automatic_decision(deps, "acme", case.id, "reject")
    stored = deps.cases.get("acme", case.id)
    assert stored.state == CaseState.REJECTED
    assert stored.decision.automatic
    assert stored.decision.reason.startswith("automatic reject")
    assert [e.type for e in deps.cases.events].count("case.decided") == 1


def test_await_review_retry_keeps_the_newest_token():
    deps = case_deps()
    case = kyb_case(deps, [])
    workflow_steps.await_review(deps, "acme", case.id, "first")
    workflow_steps.await_review(deps, "acme", case.id, "second")
    assert deps.cases.get("acme", case.id).task_tokens["review"] == "second"
    assert [e.type for e in deps.cases.events].count("case.awaiting_review") == 1
