"""Checks that need more time than a run of the automated part has (a slow vendor): the run hands them to the
deferred checks' Standard machine instead of failing them; that machine runs them, then starts the next run, which
runs no check again. The Express and Standard machines themselves run in tests/system/test_workflows.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from arbiter.adapters.workflow_files import BuiltinWorkflowCatalog
from arbiter.domain.case import CHECKS_MACHINE, AutomationRun, CaseState
from arbiter.domain.errors import CheckDeferred
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.services import automation, cases, checks, reconciliation, review
from tests.builders import individual, integrator, tenant
from tests.unit.fakes import automation_deps, case_deps


@dataclass
class WithSlowVendor:
    """The built-in workflows, the KYC one with a vendor declared long-running."""

    def get(self, tenant_id: str, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        definition = BuiltinWorkflowCatalog().get(tenant_id, workflow_id, version)
        if workflow_id != "kyc":
            return definition
        vendor = {"plugin": "vendor_http", "name": "registry_report", "long_running": True}
        return definition.model_copy(update={"plugins": [*definition.plugins, vendor]})

    def list(self, tenant_id: str) -> list[WorkflowDefinition]:
        return [self.get(tenant_id, w.id) for w in BuiltinWorkflowCatalog().list(tenant_id)]


def out_of_time(
    context: dict[str, Any], plugins: list[dict[str, Any]], **_: Any
) -> dict[str, dict[str, Any]]:
    """A runner whose every check the run's time ended."""
    return {
        str(p.get("name") or p["plugin"]): {
            "status": "error",
            "error": "AttemptTimedOut",
            "data": {"out_of_time": True},
        }
        for p in plugins
    }


def started_kyc(deps: Any) -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("p-1"))
    return case.id


def run(number: int) -> AutomationRun:
    return AutomationRun(number=number, outcome="running")


def test_a_check_the_run_has_no_time_for_is_deferred_and_nothing_is_stored() -> None:
    deps = case_deps()
    case_id = started_kyc(deps)
    with pytest.raises(CheckDeferred, match="sanctions check needs more time"):
        checks.run_check(
            deps, "acme", case_id, "sanctions", out_of_time, time_budget_seconds=15, defer_out_of_time=True
        )
    assert deps.cases.checks.get(("acme", case_id), {}) == {}
    # Outside a run (the Standard machine), the same result is stored as the check's failure.
    assert checks.run_check(deps, "acme", case_id, "sanctions", out_of_time) == "error"
    assert deps.cases.checks[("acme", case_id)]["sanctions"]["status"] == "error"


def test_a_long_running_check_is_planned_for_the_standard_machine_from_the_start() -> None:
    deps = case_deps()
    deps.workflows = WithSlowVendor()
    case_id = started_kyc(deps)
    plan = automation.plan(automation_deps(deps), "acme", case_id)
    assert (plan["checks"], plan["deferred"]) == (["contact", "sanctions"], ["registry_report"])


def test_decide_hands_the_deferred_checks_over_and_the_next_run_runs_no_check_again() -> None:
    deps = automation_deps(case_deps())
    case_id = started_kyc(deps)
    assert automation.conclude(deps, "acme", case_id, run(1), deferred=["sanctions", "sanctions"]) == "checks"
    waiting = deps.cases.get("acme", case_id)
    assert (waiting.state, waiting.deferred_checks, waiting.automating) == (
        CaseState.PROCESSING,
        ["sanctions"],
        False,
    )
    assert waiting.automation[-1].outcome == "checks"
    machine, name, payload = deps.engine.started[-1]
    assert (machine, name) == (CHECKS_MACHINE, f"{case_id}-w1")
    assert payload == {
        "case": {"tenant_id": "acme", "case_id": case_id},
        "wait": "checks",
        "checks": ["sanctions"],
        "screening": ["sanctions"],  # the machine runs it in ScreeningFunction
    }
    # A second Decide (a retried step) changes nothing.
    assert automation.conclude(deps, "acme", case_id, run(1), deferred=["sanctions"]) == "settled"

    assert automation.resume_after_checks(deps, "acme", case_id) == "resumed"
    assert automation.resume_after_checks(deps, "acme", case_id) == "settled"  # once
    resumed = deps.cases.get("acme", case_id)
    assert (resumed.runs_started, resumed.deferred_checks, resumed.automating) == (2, [], True)
    assert deps.engine.started[-1][:2] == ("automation", f"{case_id}-a2")
    plan = automation.plan(deps, "acme", case_id)
    assert (plan["checks"], plan["deferred"], plan["rules"]) == ([], [], True)
    actions = [e.action for e in deps.cases.detail("acme", case_id).audit]
    assert actions[-2:] == ["checks.deferred", "checks.completed"]


def test_a_resubmission_after_deferred_checks_runs_every_check_again() -> None:
    deps = automation_deps(case_deps())
    case_id = started_kyc(deps)
    automation.conclude(deps, "acme", case_id, run(1), deferred=["sanctions"])
    automation.resume_after_checks(deps, "acme", case_id)
    case = deps.cases.get("acme", case_id)
    deps.cases.save(case, case.start_automation(), expected_version=case.version)  # a later round
    assert automation.plan(deps, "acme", case_id)["checks"] == ["contact", "sanctions"]


def test_the_reconciler_starts_a_deferred_checks_execution_that_never_started_with_its_checks() -> None:
    deps = automation_deps(case_deps())
    case_id = started_kyc(deps)
    automation.conclude(deps, "acme", case_id, run(1), deferred=["sanctions"])
    deps.engine.started.clear()
    deps.engine.executions.clear()  # the start never reached Step Functions
    report = reconciliation.reconcile_processing(deps, ["acme"], after=dt.timedelta(0))
    assert case_id in report.restarted
    machine, name, payload = deps.engine.started[-1]
    assert (machine, name, payload["wait"], payload["checks"]) == (
        CHECKS_MACHINE,
        f"{case_id}-w1",
        "checks",
        ["sanctions"],
    )


def test_the_case_view_names_the_deferred_checks_machine_while_it_runs_and_the_workflow_after() -> None:
    deps = automation_deps(case_deps())
    case_id = started_kyc(deps)
    automation.conclude(deps, "acme", case_id, run(1), deferred=["sanctions"])
    deps.engine.path = lambda arn: [{"state": "RunDeferredChecks", "status": "running"}]  # type: ignore[method-assign]
    waiting = review.workflow_path(deps, deps.cases.get("acme", case_id))
    assert [(s["machine"], s["state"]) for s in waiting] == [("checks", "RunDeferredChecks")]
    automation.resume_after_checks(deps, "acme", case_id)
    case = deps.cases.get("acme", case_id)
    deps.cases.save(case, case.hand_over("review", lambda n: f"arn:kyc:{n}"), expected_version=case.version)
    deps.engine.path = lambda arn: [{"state": "ManualReview", "status": "running"}]  # type: ignore[method-assign]
    reviewing = review.workflow_path(deps, deps.cases.get("acme", case_id))
    assert [(s["machine"], s["state"]) for s in reviewing] == [("workflow", "ManualReview")]
