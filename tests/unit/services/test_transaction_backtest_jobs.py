"""Backtests run as jobs, on fakes: a job is checked and queued at once, runs to the same result as a backtest
answered in its request, records a refusal of the backtest itself as its failure, ends once, and leaves nothing
behind when its execution cannot start."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.errors import InvalidInput, NotAllowed, NotFound, TransientError
from arbiter.domain.principal import Principal
from arbiter.services.transaction_backtest_jobs import (
    BACKTEST_MACHINE,
    fail_backtest_job,
    get_backtest_job,
    run_backtest_job,
    start_backtest_job,
)
from arbiter.services.transaction_backtests import backtest_transactions
from tests.unit.services.test_transaction_backtests import ADMIN, RANGE, decide_all, stream
from tests.unit.transaction_fakes import MonitoringDeps


@pytest.fixture
def deps() -> MonitoringDeps:
    deps = MonitoringDeps()
    decide_all(deps, stream())
    return deps


def test_a_job_is_queued_and_its_execution_started_named_after_it(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    assert job.status == "queued"
    assert job.id.startswith("btj_")
    assert deps.engine.started == [(BACKTEST_MACHINE, job.id, {"tenant_id": "acme", "job_id": job.id})]
    assert get_backtest_job(deps, ADMIN, job.id) == job


def test_a_job_runs_to_the_result_a_backtest_answered_in_its_request_gets(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    ended = run_backtest_job(deps, "acme", job.id)
    assert ended.status == "succeeded"
    assert ended.started_at is not None
    assert ended.finished_at is not None
    assert ended.result == backtest_transactions(deps, ADMIN, version=1, **RANGE)
    assert ended.result.transactions > 0
    assert get_backtest_job(deps, ADMIN, job.id) == ended


def test_a_job_ended_is_not_run_again(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    first = run_backtest_job(deps, "acme", job.id)
    deps.clock += dt.timedelta(minutes=5)
    assert run_backtest_job(deps, "acme", job.id) == first  # an execution started twice
    assert (
        fail_backtest_job(deps, "acme", job.id, "States.Timeout") == first
    )  # a late failure changes nothing


def test_an_attempt_that_loses_the_job_to_another_leaves_it_to_that_one(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    store, save = deps.backtest_jobs, deps.backtest_jobs.save

    def other_attempt_first(saved, expected):
        if saved.status == "running":  # the other attempt moved it to running between our read and our write
            save(saved.model_copy(update={"started_at": saved.requested_at}), expected=expected)
        return save(saved, expected)

    store.save = other_attempt_first  # type: ignore[method-assign]
    answered = run_backtest_job(deps, "acme", job.id)
    assert answered.status == "running"
    assert answered.started_at == job.requested_at  # the other attempt's, not this one's
    assert answered.result is None  # this attempt ran nothing


def test_a_refusal_of_the_backtest_itself_is_the_jobs_failure_naming_the_field(deps, monkeypatch):
    from arbiter.services import transaction_backtests

    monkeypatch.setattr(transaction_backtests, "MAX_BACKTEST_TRANSACTIONS", 5)
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    ended = run_backtest_job(deps, "acme", job.id)
    assert ended.status == "failed"
    assert ended.result is None
    assert ended.error is not None
    assert ended.error.path == "end"
    assert "end_at_most" in ended.error.context
    assert "more than 5 transactions" in ended.error.message


def test_a_task_that_failed_for_good_marks_its_job_failed(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    failed = fail_backtest_job(deps, "acme", job.id, "States.Timeout")
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error is not None
    assert "States.Timeout" in failed.error.message


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"version": 1, "rule_set": {"id": "x"}}, "version"),
        ({"version": 1, "start": RANGE["end"], "end": RANGE["start"]}, "end"),
        ({"rule_set": {"id": "transaction-monitoring", "rules": "none"}}, None),
    ],
)
def test_what_can_be_refused_at_once_is_refused_before_anything_is_stored(deps, arguments, path):
    with pytest.raises(InvalidInput) as refused:
        start_backtest_job(deps, ADMIN, **{**RANGE, **arguments})
    if path is not None:
        assert refused.value.path == path
    assert deps.backtest_jobs.jobs == {}
    assert deps.engine.started == []


def test_an_unsaved_version_is_a_404_before_anything_is_stored(deps):
    with pytest.raises(NotFound):
        start_backtest_job(deps, ADMIN, version=99, **RANGE)
    assert deps.backtest_jobs.jobs == {}


def test_a_job_whose_execution_cannot_start_is_not_left_queued(deps):
    deps.engine.fail_starts = True
    with pytest.raises(TransientError):
        start_backtest_job(deps, ADMIN, version=1, **RANGE)
    assert deps.backtest_jobs.jobs == {}


def test_only_admins_start_and_read_jobs_and_only_their_tenants(deps):
    job = start_backtest_job(deps, ADMIN, version=1, **RANGE)
    senior = Principal(kind="reviewer", tenant_id="acme", id="rev-1", roles=("senior",))
    with pytest.raises(NotAllowed):
        start_backtest_job(deps, senior, version=1, **RANGE)
    with pytest.raises(NotAllowed):
        get_backtest_job(deps, senior, job.id)
    other = Principal(kind="reviewer", tenant_id="globex", id="adm-2", roles=("admin",))
    with pytest.raises(NotFound):
        get_backtest_job(deps, other, job.id)
    with pytest.raises(NotFound):
        run_backtest_job(deps, "globex", job.id)
