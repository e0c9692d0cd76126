"""The ByWorkflow index's key has no state: a decision leaves a case's entry where it is, a workflow's cases of one
state are filtered from its partition, and entries stored with the state in their key (before) are still listed."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.case import SYSTEM, Case, CaseState
from arbiter.services.ports import CaseQuery
from tests.builders import individual

T0 = dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(stack: Any) -> tuple[Any, DynamoCaseRepository, str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = stack.physical_id("ArbiterTable")
    return client, DynamoCaseRepository(client, table), table


def opened(cases: DynamoCaseRepository, tenant_id: str, minute: int) -> Case:
    case, change = Case.open(
        tenant_id=tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(f"e-{secrets.token_hex(3)}"),
        actor=SYSTEM,
        at=T0 + dt.timedelta(minutes=minute),
    )
    cases.add(case, change)
    return case


def decided(cases: DynamoCaseRepository, case: Case) -> Case:
    current = cases.get(case.tenant_id, case.id)
    change = current.decide(
        "approved", actor=SYSTEM, reason="clean", automatic=True, at=T0 + dt.timedelta(hours=1)
    )
    cases.save(current, change, expected_version=current.version)
    return current


def case_item(client: Any, table: str, case: Case) -> dict[str, Any]:
    key = to_item({"pk": keys.case_pk(case.tenant_id, case.id), "sk": keys.CASE_SK})
    return from_item(client.get_item(TableName=table, Key=key)["Item"])


def listed(cases: DynamoCaseRepository, tenant_id: str, **filters: Any) -> list[str]:
    return [c.id for c in cases.query(CaseQuery(tenant_id=tenant_id, workflow_id="kyc", **filters)).items]


def test_a_decision_leaves_the_cases_workflow_entry_where_it_is(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case = opened(cases, f"t-{secrets.token_hex(4)}", 0)
    before = case_item(client, table, case)
    decided(cases, case)
    after = case_item(client, table, case)
    assert after["state"] == "approved"
    assert after["workflow_sk"] == before["workflow_sk"] == f"{keys.timestamp(case.created_at)}#{case.id}"
    assert after["status_sk"] == before["status_sk"]
    assert after["status_pk"] != before["status_pk"]


def test_a_workflows_cases_of_one_state_are_filtered_in_creation_order(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    _, cases, _ = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    first, second, third = (opened(cases, tenant_id, minute) for minute in range(3))
    decided(cases, second)
    assert listed(cases, tenant_id) == [first.id, second.id, third.id]
    assert listed(cases, tenant_id, states=(CaseState.PROCESSING,)) == [first.id, third.id]
    assert listed(cases, tenant_id, states=(CaseState.APPROVED,)) == [second.id]
    assert listed(cases, tenant_id, newest_first=True, states=(CaseState.PROCESSING,)) == [third.id, first.id]
    page = cases.query(CaseQuery(tenant_id=tenant_id, workflow_id="kyc", limit=1))
    assert [c.id for c in page.items] == [first.id]
    assert page.cursor
    rest = cases.query(CaseQuery(tenant_id=tenant_id, workflow_id="kyc", limit=5, cursor=page.cursor))
    assert [c.id for c in rest.items] == [second.id, third.id]


def test_entries_stored_with_the_state_in_their_key_are_still_listed(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    older, newer = opened(cases, tenant_id, 0), opened(cases, tenant_id, 1)
    item = case_item(client, table, older)
    item["workflow_sk"] = f"processing#{keys.timestamp(older.created_at)}#{older.id}"  # as stored before
    client.put_item(TableName=table, Item=to_item(item))
    assert listed(cases, tenant_id) == [newer.id, older.id]  # the older layout's entries sort after
    assert listed(cases, tenant_id, states=(CaseState.PROCESSING,)) == [newer.id, older.id]
    decided(cases, older)  # its next save moves it to the new key
    assert case_item(client, table, older)["workflow_sk"] == f"{keys.timestamp(older.created_at)}#{older.id}"
    assert listed(cases, tenant_id) == [older.id, newer.id]
    assert listed(cases, tenant_id, states=(CaseState.APPROVED,)) == [older.id]
