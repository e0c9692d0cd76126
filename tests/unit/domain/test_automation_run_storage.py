"""A run of the automated part as the case store keeps it: its times as milliseconds after its first, a Choice step
drawn where the steps before it ended without times of its own; read back as it was, and runs stored before (times
in full) still read."""

from __future__ import annotations

import datetime as dt
import json

from arbiter.domain.case import AutomationRun, StepRecord

START = dt.datetime(2026, 12, 7, 10, 0, 0, 123000, tzinfo=dt.UTC)


def at(ms: int) -> dt.datetime:
    return START + dt.timedelta(milliseconds=ms)


def a_run() -> AutomationRun:
    return AutomationRun(
        number=2,
        outcome="approved",
        steps=[
            StepRecord(state="Plan", entered_at=at(0), exited_at=at(29)),
            StepRecord(state="IsSettled", type="Choice", entered_at=at(29), exited_at=at(29)),
            StepRecord(state="RunCheck", item="contact", entered_at=at(41), exited_at=at(300)),
            StepRecord(
                state="RunScreening", item="sanctions", entered_at=at(40), exited_at=at(1200), retries=1
            ),
            StepRecord(state="HasRules", type="Choice", entered_at=at(1200), exited_at=at(1200)),
            StepRecord(state="Elsewhere", type="Choice", entered_at=at(1250), exited_at=at(1250)),
            StepRecord(state="Decide", entered_at=at(1300)),
        ],
    )


def test_a_stored_run_reads_back_as_it_was() -> None:
    run = a_run()
    stored = run.model_dump_json(context={"stored": True})
    assert AutomationRun.model_validate_json(stored) == run


def test_a_stored_run_keeps_milliseconds_after_its_first_time_and_no_times_for_choices_it_can_draw_again() -> (
    None
):
    stored = json.loads(a_run().model_dump_json(context={"stored": True}))
    assert stored["started_at"] == "2026-12-07T10:00:00.123Z"
    steps = {s["state"]: s for s in stored["steps"]}
    assert (steps["Plan"]["entered_at"], steps["Plan"]["exited_at"]) == (0, 29)
    assert (steps["RunScreening"]["entered_at"], steps["RunScreening"]["exited_at"]) == (40, 1200)
    assert "entered_at" not in steps["IsSettled"]
    assert (
        "entered_at" not in steps["HasRules"]
    )  # where the latest step before it ended, not the one just before
    assert (steps["Elsewhere"]["entered_at"], steps["Elsewhere"]["exited_at"]) == (1250, 1250)
    assert (steps["Decide"]["entered_at"], steps["Decide"]["exited_at"]) == (1300, None)


def test_a_run_stored_before_with_its_times_in_full_still_reads() -> None:
    run = a_run()
    assert AutomationRun.model_validate_json(run.model_dump_json()) == run
    assert AutomationRun.model_validate({"number": 1, "outcome": "failed"}).steps == []


def test_what_the_api_shows_is_the_run_in_full() -> None:
    shown = a_run().model_dump(mode="json")
    assert "started_at" not in shown
    assert shown["steps"][1]["entered_at"] == "2026-12-07T10:00:00.152Z"


def test_a_run_without_times_is_stored_as_it_is() -> None:
    run = AutomationRun(
        number=1,
        outcome="failed",
        steps=[StepRecord(state="Plan"), StepRecord(state="IsSettled", type="Choice")],
    )
    stored = run.model_dump_json(context={"stored": True})
    assert "started_at" not in stored
    assert AutomationRun.model_validate_json(stored) == run
