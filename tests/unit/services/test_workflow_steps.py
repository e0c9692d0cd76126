"""Workflow steps: the automated part (run as the Express machine runs it), owners' cases, the hand-over to the
Standard execution, parents released by their last child, retries that change nothing."""

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import InvalidInput
from arbiter.services import automation, cases, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.support.automation import run_automation
from tests.unit.fakes import RecommendByName, automation_deps, case_deps


def kyb_case(deps, ubos):
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=ubos))
    return case


def names(deps):
    """The executions started, by name."""
    return [name for _, name, _ in deps.engine.started]


def test_owners_above_the_threshold_get_kyc_cases_decided_inside_the_parents_run():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 30), ubo("Small", "Holder", 10)])
    assessor = RecommendByName()
    assert run_automation(automation_deps(deps, assessor), "acme", parent.id) == "approved"
    children = [f"{parent.id}-o0", f"{parent.id}-o1"]
    child = deps.cases.get("acme", children[0])
    assert (child.workflow_id, child.parent_case_id, child.entity.type) == ("kyc", parent.id, "individual")
    assert child.entity.individual.last_name == "Roe"
    assert child.metadata["ownership_percent"] == 60
    assert {deps.cases.get("acme", c).state for c in children} == {CaseState.APPROVED}
    # Owners decided in the parent's run, the parent decided by its rules: no Standard execution at all.
    assert names(deps) == [f"{parent.id}-a1"]
    stored = deps.cases.get("acme", parent.id)
    assert stored.child_case_ids == children
    assert (stored.state, stored.execution_arn) == (CaseState.APPROVED, None)
    assert stored.automation[-1].outcome == "approved"
    # The parent's rules read its owners' outcomes.
    assert [c["decision"] for c in assessor.contexts[-1]["children"]] == ["approved", "approved"]
    assert deps.engine.completed == []


def test_an_owner_for_review_gets_its_own_execution_and_the_parent_waits_for_it():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60), ubo("John", "Doe", 40)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    assert run_automation(automated, "acme", parent.id) == "owners"
    roe, doe = f"{parent.id}-o0", f"{parent.id}-o1"
    assert deps.cases.get("acme", roe).state == CaseState.MANUAL_REVIEW
    assert deps.cases.get("acme", doe).state == CaseState.APPROVED
    # The owner for review, then the parent, are handed to their workflows' Standard executions.
    assert deps.engine.started[1:] == [
        ("kyc", f"{roe}-w1", {"case": {"tenant_id": "acme", "case_id": roe}, "wait": "review"}),
        ("kyb", f"{parent.id}-w1", {"case": {"tenant_id": "acme", "case_id": parent.id}, "wait": "owners"}),
    ]
    assert deps.cases.get("acme", parent.id).execution_arn.endswith(f":{parent.id}-w1")
    workflow_steps.await_review(deps, "acme", roe, "roe-token")  # the owner's ManualReview
    workflow_steps.await_owners(deps, "acme", parent.id, "parent-token")  # the parent's AwaitOwners
    assert deps.engine.completed == []
    review.decide(deps, reviewer(), roe, DecisionRequest(decision="reject", reason="PEP, undeclared"))
    assert ("roe-token", {"decision": "rejected"}) in deps.engine.completed
    released = [output for token, output in deps.engine.completed if token == "parent-token"]
    assert released == [
        {
            "decision": "pending",
            "children": [{"case_id": roe, "state": "rejected"}, {"case_id": doe, "state": "approved"}],
        }
    ]
    assert automation.decide_after_owners(automated, "acme", parent.id, "after-token") == "approved"
    assert deps.engine.completed[-1] == ("after-token", {"decision": "approved"})
    workflow_steps.notify_parent(deps, deps.cases.get("acme", roe))  # a late duplicate notification
    assert len([t for t, _ in deps.engine.completed if t == "parent-token"]) == 1


def test_a_run_started_twice_opens_no_second_child_and_hands_over_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    assert run_automation(automated, "acme", parent.id) == "owners"
    assert (
        run_automation(automated, "acme", parent.id) == "settled"
    )  # the case waits in its Standard execution
    assert len([c for c in deps.cases.cases.values() if c.parent_case_id == parent.id]) == 1
    assert names(deps) == [f"{parent.id}-a1", f"{parent.id}-o0-w1", f"{parent.id}-w1"]
    workflow_steps.await_owners(deps, "acme", parent.id, "token-1")
    workflow_steps.await_owners(deps, "acme", parent.id, "token-2")  # AwaitOwners retried: the newest token
    assert deps.cases.get("acme", parent.id).task_tokens["children"] == "token-2"


def test_a_start_delivered_twice_runs_once_and_calls_no_check_again():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps)
    first, second = f"express:automation:{parent.id}-a1:one", f"express:automation:{parent.id}-a1:two"
    planned = automation.plan(automated, "acme", parent.id, first)
    assert (planned["settled"], planned["checks"]) == (
        False,
        ["identifiers", "ownership", "contact", "website", "sanctions"],
    )
    # The second execution of the same run, planning while the first still runs: nothing to do.
    assert automation.plan(automated, "acme", parent.id, second)["settled"] is True
    assert (
        automation.plan(automated, "acme", parent.id, first)["settled"] is False
    )  # the first's Plan retried
    assert run_automation(automated, "acme", parent.id, first) == "approved"
    assert run_automation(automated, "acme", parent.id, second) == "settled"
    checked = [c["case_id"] for c in automated.checks.contexts]
    assert checked.count(parent.id) == 5  # each of the parent's checks called once


def test_a_step_retried_after_its_owner_was_opened_finishes_that_owner_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps)
    first = automation.automate_owner(automated, "acme", parent.id, 0)
    again = automation.automate_owner(automated, "acme", parent.id, 0)
    assert first == again == {"case_id": f"{parent.id}-o0", "state": "approved"}
    assert [e.type for e in deps.cases.events].count("case.decided") == 1
    with pytest.raises(InvalidInput, match="no owner 1"):
        automation.automate_owner(automated, "acme", parent.id, 1)


def test_an_owner_decided_in_the_run_is_written_once_with_its_whole_history():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    assert automation.automate_owner(automation_deps(deps), "acme", parent.id, 0)["state"] == "approved"
    child = deps.cases.get("acme", f"{parent.id}-o0")
    assert child.version == 1  # one write: opened, checked, assessed and decided before it was stored
    assert set(deps.cases.checks[("acme", child.id)]) == {"sanctions", "contact"}  # the kyc workflow's
    assert [e.type for e in deps.cases.events if e.case_id == child.id] == [
        "case.created",
        "case.status_changed",
        "case.decided",
    ]


def test_an_owner_stored_meanwhile_by_a_retried_step_is_not_stored_twice():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    checks = automated.checks

    def checks_while_a_retry_opens_the_case(context, plugins, **kwargs):
        workflow_steps.open_owner_case(deps, deps.cases.get("acme", parent.id), 0)  # the other attempt
        return checks(context, plugins, **kwargs)

    automated.checks = checks_while_a_retry_opens_the_case
    answer = automation.automate_owner(automated, "acme", parent.id, 0)
    # Nothing written over the case the other attempt stored: this one goes on from it, and parks it once.
    assert answer == {"case_id": f"{parent.id}-o0", "state": "manual_review"}
    assert deps.cases.get("acme", f"{parent.id}-o0").version == 2
    assert [e.type for e in deps.cases.events].count("case.created") == 2  # the parent's and the owner's
    assert names(deps) == [f"{parent.id}-a1", f"{parent.id}-o0-w1"]


def test_no_owners_above_the_threshold_decides_at_once():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Small", "Holder", 5)])
    assert run_automation(automation_deps(deps), "acme", parent.id) == "approved"
    assert deps.cases.get("acme", parent.id).child_case_ids == []
    assert names(deps) == [f"{parent.id}-a1"]


def test_a_failed_child_counts_as_done():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    run_automation(automation_deps(deps, RecommendByName(Roe="review")), "acme", parent.id)
    workflow_steps.await_owners(deps, "acme", parent.id, "parent-token")
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
    (child,) = workflow_steps.open_owner_cases(deps, deps.cases.get("acme", parent.id))  # the run died here
    workflow_steps.record_failure(deps, "acme", parent.id, {"Error": "Lambda.Unknown", "Cause": "timed out"})
    assert deps.cases.get("acme", parent.id).state == CaseState.FAILED
    assert deps.cases.get("acme", child).state == CaseState.FAILED


def test_automatic_decision_explains_itself_and_a_second_run_changes_nothing():
    deps = case_deps()
    case = kyb_case(deps, [])
    automated = automation_deps(deps, RecommendByName(Acme="reject"))
    assert run_automation(automated, "acme", case.id) == "rejected"
    assert run_automation(automated, "acme", case.id) == "settled"
    stored = deps.cases.get("acme", case.id)
    assert stored.state == CaseState.REJECTED
    assert stored.decision.automatic
    assert stored.decision.reason.startswith("automatic reject")
    assert [e.type for e in deps.cases.events].count("case.decided") == 1
    assert names(deps) == [f"{case.id}-a1"]  # an auto-decided case never starts a Standard execution
    assert deps.engine.completed == []


def test_a_case_the_rules_send_to_review_is_handed_over_and_its_review_step_keeps_the_token():
    deps = case_deps()
    case = kyb_case(deps, [])
    assert run_automation(automation_deps(deps, RecommendByName(Acme="review")), "acme", case.id) == "review"
    stored = deps.cases.get("acme", case.id)
    assert (stored.state, stored.task_tokens) == (CaseState.MANUAL_REVIEW, {})
    assert stored.risk.recommendation == "review"
    assert deps.engine.started[-1] == (
        "kyb",
        f"{case.id}-w1",
        {"case": {"tenant_id": "acme", "case_id": case.id}, "wait": "review"},
    )
    workflow_steps.await_review(deps, "acme", case.id, "t")  # the Standard execution's ManualReview
    assert deps.cases.get("acme", case.id).task_tokens["review"] == "t"
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="revision", reason="blurry"))
    assert deps.engine.completed == [("t", {"error": "RevisionRequested"})]  # caught into AwaitResubmission


def test_a_resubmitted_case_runs_its_automated_part_again_as_a_new_run():
    deps = case_deps()
    case = kyb_case(deps, [])
    automated = automation_deps(deps, RecommendByName(Acme="review"))
    run_automation(automated, "acme", case.id)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="revision", reason="blurry"))
    workflow_steps.await_resubmission(deps, "acme", case.id, "resubmission-token")
    cases.send_event(deps, integrator(), case.id, "resubmitted")
    stored = deps.cases.get("acme", case.id)
    assert (stored.state, stored.runs_started, stored.execution_arn) == (CaseState.PROCESSING, 2, None)
    assert ("resubmission-token", {"resubmitted": True, "return_to_review": False}) in deps.engine.completed
    assert names(deps)[-1] == f"{case.id}-a2"
    assert run_automation(automation_deps(deps), "acme", case.id) == "approved"
    assert [r.number for r in deps.cases.get("acme", case.id).automation] == [1, 2]


def test_the_plan_of_a_case_still_collecting_documents_is_settled():
    deps = case_deps()
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[]), submit=False
    )
    assert run_automation(automation_deps(deps), "acme", case.id) == "settled"
    assert deps.cases.get("acme", case.id).state == CaseState.COLLECTING


def test_await_review_retry_keeps_the_newest_token():
    deps = case_deps()
    case = kyb_case(deps, [])
    workflow_steps.await_review(deps, "acme", case.id, "first")
    workflow_steps.await_review(deps, "acme", case.id, "second")
    assert deps.cases.get("acme", case.id).task_tokens["review"] == "second"
    assert [e.type for e in deps.cases.events].count("case.awaiting_review") == 1


def test_an_owner_asked_for_a_revision_before_its_execution_reached_review_answers_revision():
    deps = case_deps()
    parent = kyb_case(deps, [ubo("Jane", "Roe", 60)])
    automated = automation_deps(deps, RecommendByName(Roe="review"))
    run_automation(automated, "acme", parent.id)
    roe = f"{parent.id}-o0"
    # The reviewer is quicker than the owner's own execution: no review token on the case yet.
    review.decide(deps, reviewer(), roe, DecisionRequest(decision="revision", reason="passport expired"))
    workflow_steps.await_review(deps, "acme", roe, "roe-token")
    assert ("roe-token", {"error": "RevisionRequested"}) in deps.engine.completed


def test_the_review_step_is_stamped_by_the_functions_clock_so_the_audit_trail_keeps_its_order():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("p-1"))
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    stamp = deps.now()
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="ok"))
    audit = deps.cases.detail("acme", case.id).audit
    assert [e.action for e in audit][-2:] == ["review.requested", "case.decided"]
    assert audit[-2].at < stamp < audit[-1].at  # the clock's time, not the machine's


def test_return_to_review_after_a_revision_starts_a_new_standard_execution():
    deps = case_deps()
    case = kyb_case(deps, [])
    run_automation(automation_deps(deps, RecommendByName(Acme="review")), "acme", case.id)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="revision", reason="blurry"))
    workflow_steps.await_resubmission(deps, "acme", case.id, "resubmission-token")
    stored = deps.cases.get("acme", case.id)
    deps.cases.save(
        stored,
        cases.resubmission(deps, stored, integrator().actor, return_to_review=True),
        expected_version=stored.version,
    )
    assert names(deps)[-1] == f"{case.id}-w2"  # straight to a reviewer: no new run of the automated part
    assert deps.engine.started[-1][2]["wait"] == "review"
    assert deps.cases.get("acme", case.id).runs_started == 1


def test_an_execution_started_before_revisions_ended_it_still_gets_them_as_its_output():
    """A case whose Standard execution began before the upgrade (named after the case, its `Decide` step and
    `AfterDecision` choice): a revision answers its review step with `{"decision": "revision"}`, and the
    resubmission resumes that execution rather than starting a run."""
    deps = case_deps()
    case = kyb_case(deps, [])
    stored = deps.cases.get("acme", case.id)
    stored.execution_arn = deps.engine.execution_arn("kyb", case.id)
    stored.runs_started = 0
    deps.cases.save(stored, stored.await_review("old-token"), expected_version=stored.version)
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="revision", reason="blurry"))
    assert deps.engine.completed[-1] == ("old-token", {"decision": "revision"})
    workflow_steps.await_resubmission(deps, "acme", case.id, "old-resubmission")
    started = len(deps.engine.started)
    cases.send_event(deps, integrator(), case.id, "resubmitted")
    assert deps.engine.completed[-1] == ("old-resubmission", {"resubmitted": True, "return_to_review": False})
    assert len(deps.engine.started) == started  # its old execution goes on to its Decide step
    # ... where the old step hands the case over to a run of the automated part.
    assert automation.take_over(automation_deps(deps), "acme", case.id, "old-decide") == "taken_over"
    assert names(deps)[-1] == f"{case.id}-a1"
