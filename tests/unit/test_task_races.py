"""Workflow steps that lose an optimistic-locking race are run again, then handed to the state machine's Retry."""

from __future__ import annotations

import pytest

from arbiter.api.tasks import rerun_lost_races
from arbiter.domain.errors import ConcurrentUpdate, Conflict, TransientError


def test_a_step_that_lost_a_race_runs_again_and_succeeds():
    calls = []

    def step():
        calls.append(1)
        if len(calls) < 3:
            raise ConcurrentUpdate("the case was changed by someone else", case_id="case_1")
        return "done"

    assert rerun_lost_races(step) == "done"
    assert len(calls) == 3


def test_a_step_that_keeps_losing_becomes_a_transient_error_with_its_cause():
    def step():
        raise ConcurrentUpdate("the case was changed by someone else", case_id="case_1")

    with pytest.raises(TransientError) as raised:
        rerun_lost_races(step, attempts=2)
    assert raised.value.context == {"case_id": "case_1"}
    assert isinstance(raised.value.__cause__, ConcurrentUpdate)


def test_other_conflicts_are_not_retried():
    calls = []

    def step():
        calls.append(1)
        raise Conflict("cannot decide: the case is approved")

    with pytest.raises(Conflict, match="approved"):
        rerun_lost_races(step)
    assert len(calls) == 1
