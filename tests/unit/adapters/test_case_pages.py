"""Numbered pages of cases (`CaseRepository.query_page`) in DynamoDB, against the local stack's moto, and the
in-memory fake held to the same answers: a page's requests do not grow with its number."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.domain.case import ACTIVE_STATES, SYSTEM, Case, CaseState
from arbiter.services.ports import CaseQuery
from tests.builders import individual
from tests.unit.fakes import InMemoryCases

START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
COUNT = 25


@pytest.fixture(scope="module")
def stored(stack) -> tuple[DynamoCaseRepository, InMemoryCases, str, list[Case], Counter[str]]:
    """25 cases of a tenant of their own, a minute apart, in three states, in DynamoDB and in the fake; and a counter
    of the DynamoDB requests made from here on."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    repository = DynamoCaseRepository(client, stack.physical_id("ArbiterTable"))
    fake = InMemoryCases()
    tenant_id = f"t-{secrets.token_hex(4)}"
    cases = []
    for i in range(COUNT):
        case, change = Case.open(
            tenant_id=tenant_id,
            workflow_id="kyc",
            workflow_version=1,
            entity=individual(f"p-{i}"),
            actor=SYSTEM,
            collecting=i % 3 == 0,
            at=START + dt.timedelta(minutes=i),
        )
        repository.add(case, change)
        fake.add(case.model_copy(deep=True), change)
        if i % 3 == 2:
            for store in (repository, fake):
                current = store.get(tenant_id, case.id)
                store.save(current, current.await_review("token"), expected_version=current.version)
        cases.append(case)
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
    return repository, fake, tenant_id, cases, calls


def ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def query(tenant_id: str, *states: CaseState, limit: int = 4, newest_first: bool = False) -> CaseQuery:
    return CaseQuery(tenant_id=tenant_id, states=states, limit=limit, newest_first=newest_first)


def test_a_late_page_costs_one_query_and_one_batch_read(stored):
    repository, _fake, tenant_id, cases, calls = stored
    calls.clear()
    page = repository.query_page(query(tenant_id), 5)
    assert ids(page) == ids(cases[16:20])
    assert calls == {"Query": 1, "BatchGetItem": 1}


def test_states_are_merged_in_creation_order_one_query_per_state(stored):
    repository, _fake, tenant_id, cases, calls = stored
    calls.clear()
    active = query(tenant_id, *ACTIVE_STATES, limit=5, newest_first=True)
    assert ids(repository.query_page(active, 2)) == ids(cases[::-1][5:10])
    assert calls == {"Query": len(ACTIVE_STATES), "BatchGetItem": 1}
    in_review = [c for i, c in enumerate(cases) if i % 3 == 2]
    assert ids(repository.query_page(query(tenant_id, CaseState.MANUAL_REVIEW, limit=3), 3)) == ids(
        in_review[6:9]
    )


def test_a_page_past_the_end_reads_no_case(stored):
    repository, _fake, tenant_id, _cases, calls = stored
    calls.clear()
    assert repository.query_page(query(tenant_id, limit=10), 4) == []
    assert calls == {"Query": 1}


@pytest.mark.parametrize(
    ("states", "limit", "number", "newest_first"),
    [
        ((), 4, 1, False),
        ((), 7, 4, True),
        ((CaseState.COLLECTING,), 2, 3, True),
        ((CaseState.PROCESSING, CaseState.MANUAL_REVIEW), 6, 2, False),
        (tuple(CaseState), 10, 3, True),
        ((CaseState.APPROVED,), 5, 1, False),
    ],
)
def test_the_fake_answers_as_dynamodb_does(stored, states, limit, number, newest_first):
    repository, fake, tenant_id, _cases, _calls = stored
    q = query(tenant_id, *states, limit=limit, newest_first=newest_first)
    assert ids(fake.query_page(q, number)) == ids(repository.query_page(q, number))


@pytest.mark.parametrize(
    "other",
    [
        {"workflow_id": "kyc"},
        {"assignee": "unassigned"},
        {"entity_id": "p-1"},
        {"search": "ada"},
        {"cursor": "abc"},
        {"created_from": START},
    ],
)
def test_numbered_pages_filter_by_state_only(stored, other: dict[str, Any]):
    repository, fake, tenant_id, _cases, _calls = stored
    q = CaseQuery(tenant_id=tenant_id, **other)
    for store in (repository, fake):
        with pytest.raises(ValueError, match="by state only"):
            store.query_page(q, 1)
        with pytest.raises(ValueError, match="numbered from 1"):
            store.query_page(query(tenant_id), 0)
