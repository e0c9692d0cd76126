"""The backtest job store's contract (`arbiter.services.transaction_backtest_jobs.BacktestJobStore`): the fake and
DynamoDB agree on creating once, saving only over the status read, tenants apart, and deleting."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from arbiter.adapters.dynamodb.backtest_jobs import DynamoBacktestJobs
from arbiter.domain.errors import ConcurrentUpdate
from arbiter.services.transaction_backtest_jobs import BacktestJob, BacktestJobStore, JobFailure
from tests.unit.contracts.backends import BACKENDS
from tests.unit.transaction_fakes import InMemoryBacktestJobs

AT = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> BacktestJobStore:
    if request.param == "memory":
        return InMemoryBacktestJobs()
    stack: Any = request.getfixturevalue("stack")
    return DynamoBacktestJobs(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))


def job(**fields: Any) -> BacktestJob:
    values: dict[str, Any] = {
        "id": f"btj_{secrets.token_hex(6)}",
        "tenant_id": f"t-{secrets.token_hex(5)}",
        "status": "queued",
        "start": AT - dt.timedelta(days=7),
        "end": AT,
        "rule_set": {"id": "transaction-monitoring", "rules": [{"id": "r", "condition": {"==": [1, 1]}}]},
        "requested_by": "admin-1",
        "requested_at": AT,
    }
    return BacktestJob(**{**values, **fields})


def test_a_job_reads_back_as_created_and_only_in_its_tenant(store: BacktestJobStore) -> None:
    created = job()
    store.create(created)
    assert store.get(created.tenant_id, created.id) == created
    assert store.get(f"t-{secrets.token_hex(5)}", created.id) is None


def test_a_job_is_created_once(store: BacktestJobStore) -> None:
    created = job()
    store.create(created)
    with pytest.raises(ConcurrentUpdate):
        store.create(created.model_copy(update={"requested_by": "someone else"}))
    assert store.get(created.tenant_id, created.id) == created


def test_a_job_is_saved_only_over_the_status_its_writer_read(store: BacktestJobStore) -> None:
    created = job()
    store.create(created)
    running = created.model_copy(update={"status": "running", "started_at": AT})
    assert store.save(running, expected="queued")
    failed = running.model_copy(
        update={"status": "failed", "finished_at": AT, "error": JobFailure(message="no", path="end")}
    )
    assert not store.save(failed, expected="queued")  # it is running now
    assert store.get(created.tenant_id, created.id) == running
    assert store.save(failed, expected="running")
    assert store.get(created.tenant_id, created.id) == failed


def test_a_job_never_created_is_not_saved(store: BacktestJobStore) -> None:
    assert not store.save(job(status="running"), expected="queued")


def test_a_deleted_job_is_gone(store: BacktestJobStore) -> None:
    created = job()
    store.create(created)
    store.delete(created.tenant_id, created.id)
    assert store.get(created.tenant_id, created.id) is None
