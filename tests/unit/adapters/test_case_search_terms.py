"""Search terms in DynamoDB are written outside the case's transaction (the new ones before it, the dropped ones
after it): what a write that stopped half-way leaves behind never lists a case under a name it does not have."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import to_item
from arbiter.domain.case import SYSTEM, Case
from arbiter.domain.errors import Conflict
from arbiter.services.ports import CaseQuery
from tests.builders import individual


@pytest.fixture
def store(stack: Any) -> tuple[Any, DynamoCaseRepository, str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = stack.physical_id("ArbiterTable")
    return client, DynamoCaseRepository(client, table), table


def opened(tenant_id: str, first: str, last: str) -> tuple[Case, Any]:
    return Case.open(
        tenant_id=tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(f"e-{secrets.token_hex(3)}", first_name=first, last_name=last),
        actor=SYSTEM,
    )


def terms_of(client: Any, table: str, tenant_id: str, case_id: str) -> list[str]:
    items = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": keys.search_pk(tenant_id)}),
    )["Items"]
    return sorted(i["sk"]["S"].rsplit("#", 1)[0] for i in items if i["case_id"]["S"] == case_id)


def test_a_case_is_found_by_the_terms_written_beside_it(store: tuple[Any, DynamoCaseRepository, str]) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    case, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(case, change)
    # "ada" starts "adalovelace": a search for it finds that term, so it is not written too
    assert terms_of(client, table, tenant_id, case.id) == ["adalovelace", "lovelace"]
    for text in ("lovel", "ada", "Ada Love", "adalovelace"):
        found = cases.query(CaseQuery(tenant_id=tenant_id, search=text)).items
        assert [c.id for c in found] == [case.id], text


def test_terms_of_a_case_that_was_never_stored_list_nothing(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    first, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(first, change)
    # A second case under the same id is refused; the terms written before its transaction stay behind.
    clash, clash_change = opened(tenant_id, "Grace", "Hopper")
    clash.id = first.id
    with pytest.raises(Conflict):
        cases.add(clash, clash_change)
    assert "hopper" in terms_of(client, table, tenant_id, first.id)
    assert cases.query(CaseQuery(tenant_id=tenant_id, search="hopper")).items == []
    assert cases.get(tenant_id, first.id).entity.individual.last_name == "Lovelace"  # type: ignore[union-attr]


def test_a_term_a_rename_left_behind_lists_nothing(store: tuple[Any, DynamoCaseRepository, str]) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    case, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(case, change)
    current = cases.get(tenant_id, case.id)
    current.entity = individual(case.entity.id, first_name="Grace", last_name="Hopper")
    cases.save(current, current.record_note("renamed", actor=SYSTEM), expected_version=1)
    assert terms_of(client, table, tenant_id, case.id) == ["gracehopper", "hopper"]
    # as if the deletes after the transaction had never run
    client.put_item(
        TableName=table,
        Item=to_item({"pk": keys.search_pk(tenant_id), "sk": f"lovelace#{case.id}", "case_id": case.id}),
    )
    assert cases.query(CaseQuery(tenant_id=tenant_id, search="lovelace")).items == []
    assert [c.id for c in cases.query(CaseQuery(tenant_id=tenant_id, search="hopper")).items] == [case.id]


def test_the_terms_are_not_kept_on_the_case_item_and_a_rename_still_drops_the_old_ones(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    case, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(case, change)
    key = to_item({"pk": keys.case_pk(tenant_id, case.id), "sk": keys.CASE_SK})
    assert "search_terms" not in client.get_item(TableName=table, Key=key)["Item"]  # computed when read
    current = cases.get(tenant_id, case.id)
    current.entity = individual(case.entity.id, first_name="Grace", last_name="Hopper")
    cases.save(current, current.record_note("renamed", actor=SYSTEM), expected_version=1)
    assert terms_of(client, table, tenant_id, case.id) == ["gracehopper", "hopper"]


def test_a_case_item_stored_with_its_terms_still_has_the_dropped_ones_removed(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    case, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(case, change)
    # As an item written before the terms left it: they are on it, and one of them is not the case's own any more
    # (the way terms were computed changed since).
    key = to_item({"pk": keys.case_pk(tenant_id, case.id), "sk": keys.CASE_SK})
    client.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET search_terms = :t",
        ExpressionAttributeValues=to_item({":t": ["ada", "adalovelace", "lovelace", "lady"]}),
    )
    client.put_item(
        TableName=table,
        Item=to_item({"pk": keys.search_pk(tenant_id), "sk": f"lady#{case.id}", "case_id": case.id}),
    )
    current = cases.get(tenant_id, case.id)
    cases.save(current, current.record_note("read again", actor=SYSTEM), expected_version=1)
    assert terms_of(client, table, tenant_id, case.id) == ["adalovelace", "lovelace"]


def test_a_term_stored_before_terms_that_start_others_were_dropped_still_finds_its_case(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    tenant_id = f"t-{secrets.token_hex(4)}"
    case, change = opened(tenant_id, "Ada", "Lovelace")
    cases.add(case, change)
    client.put_item(  # as written before: the first word had an item of its own
        TableName=table,
        Item=to_item({"pk": keys.search_pk(tenant_id), "sk": f"ada#{case.id}", "case_id": case.id}),
    )
    found = cases.query(CaseQuery(tenant_id=tenant_id, search="ada")).items
    assert [c.id for c in found] == [case.id]  # once, though two of its terms start with the text
