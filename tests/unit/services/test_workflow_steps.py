"""Workflow steps: the Decide step, owners' cases, parents released by their last child, retries that change nothing."""

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import InvalidInput
from arbiter.services import automation, cases, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.unit.fakes import RecommendByName, automation_deps, case_deps


def kyb_case(deps, ubos):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=ubos))
    return case


def test_owners_above_the_threshold_get_kyc_cases_decided_inside_the_parents_step():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 30), ubo("Small", "Holder", 10)])
    assessor = RecommendByName()
    assert automation.decide(automation_deps(deps, assessor), "acme", parent.id, "parent-token") == "decided"
    children = [f"{parent.id}-o0", f"{parent.id}-o1"]
    child = deps.cases.get("acme", children[0])
    assert (child.workflow_id, child.parent_case_id, child.entity.type) == ("kyc", parent.id, "individual")
    assert child.entity.individual.last_name == "Roe"
    assert child.metadata["ownership_percent"] == 60
    assert {deps.cases.get("acme", c).state for c in children} == {CaseState.APPROVED}
    assert [name for _, name, _ in deps.engine.started] == [parent.id]  # owners decided inline: no execution
    stored = deps.cases.get("acme", parent.id)
    assert stored.child_case_ids == children
    assert stored.state == CaseState.APPROVED
    # The parent's rules read its owners' outcomes.
    assert [c["decision"] for c in assessor.contexts[-1]["children"]] == ["approved", "approved"]
    assert deps.engine.completed == [("parent-token", {"decision": "approved"})]


def test_an_owner_for_review_gets_its_own_execution_and_the_parent_waits_for_it():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 40)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    assert automation.decide(automated, "acme", parent.id, "parent-token") == "owners"
    roe, doe = f"{parent.id}-o0", f"{parent.id}-o1"
    assert deps.cases.get("acme", roe).state == CaseState.MANUAL_REVIEW
    assert deps.cases.get("acme", doe).state == CaseState.APPROVED
    assert [name for _, name, _ in deps.engine.started] == [parent.id, roe]
    assert deps.engine.completed == []  # the parent waits
    # The owner's execution reaches its Decide step: the case is already in review, the token is kept for it.
    assert automation.decide(automated, "acme", roe, "roe-token") == "settled"
    review.decide(deps, reviewer(), roe, DecisionRequest(decision="reject", reason="PEP, undeclared"))
    assert ("roe-token", {"decision": "rejected"}) in deps.engine.completed
    released = [output for token, output in deps.engine.completed if token == "parent-token"]
    assert released == [
        {
            "decision": "pending",
            "children": [{"case_id": roe, "state": "rejected"}, {"case_id": doe, "state": "approved"}],
        }
    ]
    assert automation.decide_after_owners(automated, "acme", parent.id, "after-token") == "decided"
    assert deps.engine.completed[-1] == ("after-token", {"decision": "approved"})
    workflow_steps.notify_parent(deps, deps.cases.get("acme", roe))  # a late duplicate notification
    assert len([t for t, _ in deps.engine.completed if t == "parent-token"]) == 1


def test_a_retried_step_opens_no_second_child_and_starts_no_second_execution():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    automation.decide(automated, "acme", parent.id, "token-1")
    automation.decide(automated, "acme", parent.id, "token-2")
    assert len([c for c in deps.cases.cases.values() if c.parent_case_id == parent.id]) == 1
    assert sum(1 for _, name, _ in deps.engine.started if name.startswith(parent.id + "-")) == 1
    assert deps.cases.get("acme", parent.id).task_tokens["children"] == "token-2"


def test_no_owners_above_the_threshold_decides_at_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Small", "Holder", 5)])
    assert automation.decide(automation_deps(deps), "acme", parent.id, "parent-token") == "decided"
    assert deps.cases.get("acme", parent.id).child_case_ids == []
    assert deps.engine.completed == [("parent-token", {"decision": "approved"})]


def test_a_failed_child_counts_as_done():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automation.decide(automation_deps(deps, RecommendByName(Roe="review")), "acme", parent.id, "parent-token")
    child = f"{parent.id}-o0"
    workflow_steps.record_failure(deps, "acme", child, {"Error": "States.TaskFailed", "Cause": "boom"})
    assert deps.cases.get("acme", child).state == CaseState.FAILED
    assert deps.engine.completed[0] == (
        "parent-token",
        {"decision": "pending", "children": [{"case_id": child, "state": "failed"}]},
    )


def test_a_failed_parent_leaves_no_owner_case_processing():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    (child,) = workflow_steps.open_owner_cases(deps, deps.cases.get("acme", parent.id))  # the step died here
    workflow_steps.record_failure(deps, "acme", parent.id, {"Error": "Lambda.Unknown", "Cause": "timed out"})
    assert deps.cases.get("acme", parent.id).state == CaseState.FAILED
    assert deps.cases.get("acme", child).state == CaseState.FAILED


def test_automatic_decision_explains_itself_and_retries_change_nothing():
    deps = case_deps()
    case = kyb_case(deps, [])
    automated = automation_deps(deps, RecommendByName(Acme="reject"))
    assert automation.decide(automated, "acme", case.id, "first") == "decided"
    assert automation.decide(automated, "acme", case.id, "second") == "settled"
    stored = deps.cases.get("acme", case.id)
    assert stored.state == CaseState.REJECTED
    assert stored.decision.automatic
    assert stored.decision.reason.startswith("automatic reject")
    assert [e.type for e in deps.cases.events].count("case.decided") == 1
    assert deps.engine.completed == [
        ("first", {"decision": "rejected"}),
        ("second", {"decision": "rejected"}),
    ]


def test_a_case_the_rules_send_to_review_keeps_the_token_for_the_reviewer():
    deps = case_deps()
    case = kyb_case(deps, [])
    assert (
        automation.decide(automation_deps(deps, RecommendByName(Acme="review")), "acme", case.id, "t")
        == "review"
    )
    stored = deps.cases.get("acme", case.id)
    assert (stored.state, stored.task_tokens["review"]) == (CaseState.MANUAL_REVIEW, "t")
    assert stored.risk.recommendation == "review"
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="revision", reason="blurry"))
    assert deps.engine.completed == [("t", {"decision": "revision"})]


def test_the_decide_step_refuses_a_case_still_collecting_documents():
    deps = case_deps()
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[]), submit=False
    )
    with pytest.raises(InvalidInput, match="collecting"):
        automation.decide(automation_deps(deps), "acme", case.id, "t")


def test_await_review_retry_keeps_the_newest_token():
    deps = case_deps()
    case = kyb_case(deps, [])
    workflow_steps.await_review(deps, "acme", case.id, "first")
    workflow_steps.await_review(deps, "acme", case.id, "second")
    assert deps.cases.get("acme", case.id).task_tokens["review"] == "second"
    assert [e.type for e in deps.cases.events].count("case.awaiting_review") == 1


def test_an_owner_asked_for_a_revision_before_its_execution_reached_decide_answers_revision():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    automation.decide(automated, "acme", parent.id, "parent-token")
    roe = f"{parent.id}-o0"
    # The reviewer is quicker than the owner's own execution: no review token on the case yet.
    review.decide(deps, reviewer(), roe, DecisionRequest(decision="revision", reason="passport expired"))
    assert automation.decide(automated, "acme", roe, "roe-token") == "settled"
    assert ("roe-token", {"decision": "revision"}) in deps.engine.completed


def test_the_review_step_is_stamped_by_the_functions_clock_so_the_audit_trail_keeps_its_order():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("p-1"))
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    stamp = deps.now()
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="ok"))
    audit = deps.cases.detail("acme", case.id).audit
    assert [e.action for e in audit][-2:] == ["review.requested", "case.decided"]
    assert audit[-2].at < stamp < audit[-1].at  # the clock's time, not the machine's
