"""An automated run's checks answer their results for the run to hold, and the run's next step stores them as one
item: one write where each check wrote its own. A result too large for the run's state is stored by its check.
The machines themselves run in tests/system/test_workflows.py."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter.api.check_tasks import run_check_task
from arbiter.api.tasks import TaskInput, held_results, store_held
from arbiter.domain.errors import CheckDeferred
from arbiter.services import cases
from arbiter.services.checks import HELD_RESULTS_BYTES, held_limit, store_held_results
from tests.builders import individual, integrator, tenant
from tests.unit.fakes import FakeDependencies, PassingChecks, case_deps

STEP = {"state": "RunCheck", "entered_at": "2026-01-06T10:00:00Z"}


def kyc_case(deps: FakeDependencies) -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("p-1"))
    return case.id


def check_task(case_id: str, check: str, **extra: Any) -> TaskInput:
    event = {
        "task": "run_check",
        "case": {"tenant_id": "acme", "case_id": case_id},
        "check": check,
        "budget_seconds": 15,
        "step": {**STEP, "state": "RunScreening" if check == "sanctions" else "RunCheck"},
        **extra,
    }
    return TaskInput.parse(event, known=["run_check"])


class Finding:
    """A runner whose `sanctions` check answers `size` bytes of findings, the others nothing."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, context: dict[str, Any], plugins: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        return {
            str(p.get("name") or p["plugin"]): {
                "status": "ok",
                "data": {"notes": "x" * self.size if p.get("name", p.get("plugin")) == "sanctions" else ""},
                "flags": [],
            }
            for p in plugins
        }


def recording_writes(deps: FakeDependencies) -> list[list[str]]:
    """The names of the results of each `save_checks` call, from now on."""
    writes: list[list[str]] = []
    save = deps.cases.save_checks

    def recorded(tenant_id: str, case_id: str, results: dict[str, Any], **kwargs: Any) -> None:
        writes.append(sorted(results))
        save(tenant_id, case_id, results, **kwargs)

    deps.cases.save_checks = recorded  # type: ignore[method-assign]
    return writes


def test_a_run_s_checks_answer_their_results_and_store_nothing_until_the_next_step_stores_them_together() -> (
    None
):
    deps = case_deps()
    deps.checks = PassingChecks()
    case_id = kyc_case(deps)
    writes = recording_writes(deps)
    outputs = [
        run_check_task(deps, check_task(case_id, name, hold_result=True), 30)
        for name in ("contact", "sanctions")
    ]
    assert [o["output"]["result"]["status"] for o in outputs] == ["ok", "ok"]
    assert [o["step"]["item"] for o in outputs] == ["contact", "sanctions"]
    assert deps.cases.checks.get(("acme", case_id), {}) == {}  # nothing stored by the checks
    run = {"work": [{"checks": outputs}, {"owners": []}]}
    decide = TaskInput.parse(
        {"task": "conclude", "case": {"tenant_id": "acme", "case_id": case_id}, "run": run},
        known=["conclude"],
    )
    held = held_results(decide)
    assert sorted(held) == ["contact", "sanctions"]
    store_held_results(deps, "acme", case_id, held)
    assert deps.cases.detail("acme", case_id).checks == held
    assert writes == [["contact", "sanctions"]]  # one write of both


def test_a_check_outside_a_run_or_from_a_machine_deployed_before_still_stores_its_own_result() -> None:
    deps = case_deps()
    deps.checks = PassingChecks()
    case_id = kyc_case(deps)
    output = run_check_task(deps, check_task(case_id, "contact"), 30)
    assert output["output"] == {"check": "contact", "status": "ok"}
    assert deps.cases.detail("acme", case_id).checks["contact"]["status"] == "ok"


def test_a_result_too_large_for_the_run_s_state_is_stored_by_its_check_and_not_held() -> None:
    deps = case_deps()
    deps.checks = Finding(size=held_limit(2))
    case_id = kyc_case(deps)
    large = run_check_task(deps, check_task(case_id, "sanctions", hold_result=True), 30)
    small = run_check_task(deps, check_task(case_id, "contact", hold_result=True), 30)
    assert large["output"] == {"check": "sanctions", "status": "ok"}
    assert "result" in small["output"]
    assert list(deps.cases.detail("acme", case_id).checks) == ["sanctions"]
    run = {"work": [{"checks": [large, small]}, {"owners": []}]}
    task = TaskInput.parse(
        {"task": "evaluate_rules", "case": {"tenant_id": "acme", "case_id": case_id}, "run": run},
        known=["evaluate_rules"],
    )
    assert list(held_results(task)) == ["contact"]  # the stored one is not stored again


def test_a_held_check_the_run_has_no_time_for_is_deferred_and_neither_held_nor_stored() -> None:
    deps = case_deps()
    case_id = kyc_case(deps)
    deps.checks = lambda context, plugins, **_: {
        str(p.get("name") or p["plugin"]): {
            "status": "error",
            "error": "AttemptTimedOut",
            "data": {"out_of_time": True},
        }
        for p in plugins
    }
    with pytest.raises(CheckDeferred):
        run_check_task(deps, check_task(case_id, "sanctions", hold_result=True), 30)
    assert deps.cases.checks.get(("acme", case_id), {}) == {}


def test_what_a_run_holds_of_each_result_keeps_all_of_them_under_a_third_of_a_state() -> None:
    assert held_limit(1) == held_limit(23) == 4096
    assert held_limit(40) == HELD_RESULTS_BYTES // 40
    assert held_limit(500) * 500 <= HELD_RESULTS_BYTES < 256 * 1024 / 2
    assert held_limit(0) == 4096


def test_evaluate_rules_stores_the_held_results_and_a_later_step_only_when_the_run_did_not_go_through_it() -> (
    None
):
    deps = case_deps()
    deps.checks = PassingChecks()
    case_id = kyc_case(deps)
    outputs = [
        run_check_task(deps, check_task(case_id, name, hold_result=True), 30)
        for name in ("contact", "sanctions")
    ]
    work = [{"checks": outputs}, {"owners": []}]
    assessed = {"work": work, "assessment": {"step": STEP, "output": {"recommendation": "approve"}}}
    writes = recording_writes(deps)

    def step(task: str, run: dict[str, Any]) -> None:
        store_held(
            deps,
            TaskInput.parse(
                {"task": task, "case": {"tenant_id": "acme", "case_id": case_id}, "run": run}, known=[task]
            ),
        )

    step("evaluate_rules", {"work": work})
    step("conclude", assessed)  # EvaluateRules stored them
    step("record_failure", {**assessed, "error": {"Error": "X"}})  # Decide failed after EvaluateRules
    assert writes == [["contact", "sanctions"]]
    step("conclude", {"work": work})  # a workflow without rules
    step("record_failure", {"work": work, "error": {"Error": "X"}})  # a run failing before EvaluateRules
    assert writes == [["contact", "sanctions"]] * 3
    assert sorted(deps.cases.detail("acme", case_id).checks) == ["contact", "sanctions"]


def test_results_in_shapes_the_machine_never_writes_are_not_held() -> None:
    checks = [
        {"output": {"check": "contact", "status": "ok", "result": "not a result"}},
        {"output": {"status": "ok", "result": {"status": "ok"}}},  # no check name
        "a string",
        {"output": {"check": "sanctions", "status": "ok", "result": {"status": "ok"}}},
    ]
    task = TaskInput.parse(
        {
            "task": "conclude",
            "case": {"tenant_id": "acme", "case_id": "c"},
            "run": {"work": [{"checks": checks}]},
        },
        known=["conclude"],
    )
    assert held_results(task) == {"sanctions": {"status": "ok"}}
