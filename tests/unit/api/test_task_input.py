"""What the Step Functions tasks receive and answer: the Express machine's steps recorded, the run assembled."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.api.tasks import TaskInput, automation_run, run_assessment, run_deferred_checks, traced
from arbiter.domain.case import StepRecord
from arbiter.domain.errors import InvalidInput

CASE = {"tenant_id": "acme", "case_id": "c-1"}
ENTERED = "2026-01-06T10:00:00.000Z"


def step(state: str, **extra: object) -> dict[str, object]:
    return {"state": state, "entered_at": ENTERED, "exited_at": "2026-01-06T10:00:01Z", **extra}


def record_failure(state: dict[str, object]) -> TaskInput:
    """`RecordFailure`'s task, given the run's state."""
    return TaskInput.parse(
        {
            "task": "record_failure",
            "case": CASE,
            "run": state,
            "step": {"state": "RecordFailure", "entered_at": ENTERED},
        },
        known=["record_failure"],
    )


def test_a_standard_task_answers_as_it_is_and_an_express_task_with_its_step() -> None:
    standard = TaskInput.parse({"task": "plan", "case": CASE}, known=["plan"])
    assert traced(standard, {"settled": False}) == {"settled": False}
    express = TaskInput.parse(
        {"task": "plan", "case": CASE, "step": {"state": "Plan", "entered_at": ENTERED, "retries": 1}},
        known=["plan"],
    )
    answer = traced(express, {"settled": False}, item="sanctions")
    assert answer["output"] == {"settled": False}
    recorded = answer["step"]
    assert (recorded["state"], recorded["item"], recorded["retries"], recorded["status"]) == (
        "Plan",
        "sanctions",
        1,
        "succeeded",
    )
    assert dt.datetime.fromisoformat(recorded["exited_at"]) >= dt.datetime.fromisoformat(
        recorded["entered_at"]
    )
    failed = traced(express, {"status": "error"}, item="sanctions", error="States.Timeout")
    assert (failed["step"]["status"], failed["step"]["error"]) == ("failed", "States.Timeout")


def test_the_run_is_assembled_from_the_state_in_the_machines_order() -> None:
    state = {
        "case": CASE,
        "round": 2,
        "plan": {"step": step("Plan"), "output": {}},
        "work": [  # the outputs of ChecksAndOwners' branches
            {
                "checks": [
                    {"step": step("RunCheck", item="contact"), "output": {}},
                    {
                        "step": step(
                            "CheckFailed", item="sanctions", status="failed", error="Lambda.Unknown"
                        ),
                        "output": {},
                    },
                ]
            },
            {"owners": [{"step": step("AutomateOwner", item="owner 0"), "output": {}}]},
        ],
        "assessment": {"step": step("EvaluateRules"), "output": {}},
        "ingest": "a shape the machine never writes",
    }
    task = TaskInput.parse(
        {
            "task": "conclude",
            "case": CASE,
            "round": 2,
            "run": state,
            "step": {"state": "Decide", "entered_at": ENTERED},
        },
        known=["conclude"],
    )
    run = automation_run(task)
    assert run.number == 2
    assert [(s.state, s.item, s.status) for s in run.steps] == [
        ("Plan", None, "succeeded"),
        ("IsSettled", None, "succeeded"),  # the Choice states between, drawn where the run passed them
        ("HasDocuments", None, "succeeded"),
        ("RunCheck", "contact", "succeeded"),
        ("CheckFailed", "sanctions", "failed"),
        ("AutomateOwner", "owner 0", "succeeded"),
        ("HasRules", None, "succeeded"),
        ("EvaluateRules", None, "succeeded"),
        ("Decide", None, "succeeded"),
    ]
    assert run.steps[4].error == "Lambda.Unknown"
    assert run.steps[1].entered_at == run.steps[0].exited_at  # a Choice takes no time of its own


def test_a_run_that_failed_early_draws_only_the_choices_it_passed() -> None:
    state = {"case": CASE, "round": 1, "plan": {"step": step("Plan"), "output": {}}, "error": {"Error": "X"}}
    task = record_failure(state)
    assert [s.state for s in automation_run(task).steps] == [
        "Plan",
        "IsSettled",
        "HasDocuments",
        "RecordFailure",
    ]


def test_a_run_whose_owner_failed_draws_the_failed_owner_and_the_way_to_record_failure() -> None:
    state = {
        "case": CASE,
        "round": 1,
        "plan": {"step": step("Plan"), "output": {}},
        "work": [
            {"checks": [{"step": step("RunCheck", item="contact"), "output": {}}]},
            {"error": {"Error": "NotFound", "Cause": "rule set kyc-default version 1 not found"}},
        ],
        "error": {"Error": "NotFound", "Cause": "rule set kyc-default version 1 not found"},
    }
    task = record_failure(state)
    steps = automation_run(task).steps
    assert [(s.state, s.type, s.status) for s in steps] == [
        ("Plan", "Task", "succeeded"),
        ("IsSettled", "Choice", "succeeded"),
        ("HasDocuments", "Choice", "succeeded"),
        ("RunCheck", "Task", "succeeded"),
        ("AutomateOwner", "Task", "failed"),
        ("HasRules", "Choice", "succeeded"),
        ("OwnersError", "Task", "succeeded"),
        ("RecordFailure", "Task", "succeeded"),
    ]
    assert steps[4].error == "NotFound"
    assert steps[4].exited_at == steps[3].exited_at  # drawn where the run's last recorded step ended


def test_decide_takes_the_assessment_evaluate_rules_made_and_none_when_the_run_had_no_rules() -> None:
    made = {"recommendation": "reject", "score": 80, "level": "high", "evaluated_at": ENTERED}
    run = {
        "assessment": {
            "step": step("EvaluateRules"),
            "output": {"recommendation": "reject", "assessment": made},
        }
    }
    decide = TaskInput.parse({"task": "conclude", "case": CASE, "run": run}, known=["conclude"])
    assessment = run_assessment(decide)
    assert assessment is not None
    assert (assessment.recommendation, assessment.score, assessment.level) == ("reject", 80, "high")
    without = TaskInput.parse({"task": "conclude", "case": CASE, "run": {"plan": {}}}, known=["conclude"])
    assert run_assessment(without) is None


def test_decide_takes_the_checks_to_defer_from_the_plan_and_from_the_checks_that_ran_out_of_time() -> None:
    checks = [
        {"step": step("RunCheck", item="contact"), "output": {"check": "contact", "status": "ok"}},
        {
            "step": step("DeferCheck", item="sanctions"),
            "output": {"check": "sanctions", "status": "deferred"},
        },
        {"unexpected": "shape"},
    ]
    run = {
        "plan": {"step": step("Plan"), "output": {"deferred": ["registry_report"]}},
        "work": [{"checks": checks}, {"owners": []}],
    }
    decide = TaskInput.parse({"task": "conclude", "case": CASE, "run": run}, known=["conclude"])
    assert run_deferred_checks(decide) == ["registry_report", "sanctions"]
    plain = TaskInput.parse({"task": "conclude", "case": CASE, "run": {"plan": {}}}, known=["conclude"])
    assert run_deferred_checks(plain) == []


def test_a_recorded_step_in_another_shape_is_left_out_not_fatal() -> None:
    task = TaskInput.parse(
        {"task": "record_failure", "case": CASE, "run": {"plan": {"step": {"no": "state"}}}},
        known=["record_failure"],
    )
    assert automation_run(task).steps == []


@pytest.mark.parametrize(
    ("event", "path"),
    [
        ({"task": "automate_owner", "case": CASE, "owner": -1}, "owner"),
        ({"task": "conclude", "case": CASE, "round": "two"}, "round"),
        ({"task": "plan", "case": CASE, "step": {"entered_at": ENTERED}}, "step.state"),
    ],
)
def test_bad_task_input_names_the_field(event: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        TaskInput.parse(event, known=["automate_owner", "conclude", "plan"])
    assert raised.value.context["path"] == path


def test_a_step_s_times_are_kept_to_the_millisecond_as_step_functions_gives_them() -> None:
    record = StepRecord(
        state="Plan",
        entered_at="2026-01-06T10:00:00.123456Z",
        exited_at=dt.datetime(2026, 1, 6, 10, 0, 1, 987654),  # naive: taken as UTC
    )
    dumped = record.model_dump(mode="json")
    assert (dumped["entered_at"], dumped["exited_at"]) == (
        "2026-01-06T10:00:00.123Z",
        "2026-01-06T10:00:01.987Z",
    )
    assert StepRecord.model_validate_json(record.model_dump_json()) == record
    assert record.exited_at == dt.datetime(2026, 1, 6, 10, 0, 1, 987000, tzinfo=dt.UTC)
    assert StepRecord(state="Plan").model_dump(mode="json")["entered_at"] is None
