"""Check results in DynamoDB: a write of several is one packed item (one write unit where two results fit one KB
together), a check's own write one item, and the items stored before (one per check, no `at`) still read, older
than anything written now; erasure deletes every earlier item."""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import item_size, to_item
from arbiter.domain.case import SYSTEM, Case
from tests.builders import individual

SCREENING = {
    "status": "ok",
    "data": {"list": {"sha256": "ab" * 32, "key": "watchlists/default/targets.simple.csv"}, "parties": []},
    "flags": [],
    "duration_ms": 41,
}
CONTACT = {"status": "ok", "data": {"email": {"valid": True, "domain": "bench.example"}}, "duration_ms": 3}


@pytest.fixture
def store(stack: Any) -> tuple[Any, DynamoCaseRepository, str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    return (
        client,
        DynamoCaseRepository(client, stack.physical_id("ArbiterTable")),
        stack.physical_id("ArbiterTable"),
    )


def stored_case(cases: DynamoCaseRepository) -> Case:
    case, change = Case.open(
        tenant_id=f"t-{secrets.token_hex(4)}",
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(f"e-{secrets.token_hex(3)}"),
        actor=SYSTEM,
    )
    cases.add(case, change)
    return case


def check_items(client: Any, table: str, case: Case) -> list[dict[str, Any]]:
    items = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues=to_item({":pk": keys.case_pk(case.tenant_id, case.id), ":c": "CHECK"}),
    )["Items"]
    return [i for i in items if i["sk"]["S"] != keys.CASE_SK]


def test_results_written_together_are_one_item_under_one_kb(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case = stored_case(cases)
    cases.save_checks(case.tenant_id, case.id, {"sanctions": SCREENING, "contact": CONTACT})
    (item,) = check_items(client, table, case)
    assert item["sk"]["S"].startswith(keys.CHECKS_PREFIX)
    assert item_size(item) <= 1024  # one write unit; as two items, two
    assert cases.detail(case.tenant_id, case.id).checks == {"contact": CONTACT, "sanctions": SCREENING}
    cases.save_checks(
        case.tenant_id, case.id, {"contact": CONTACT, "sanctions": SCREENING}
    )  # the same set again
    assert len(check_items(client, table, case)) == 1  # replaces its item


def test_a_result_stored_before_packing_reads_and_loses_to_any_newer_one(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case = stored_case(cases)
    pk = keys.case_pk(case.tenant_id, case.id)
    for name, result in (
        ("sanctions", {"status": "error"}),
        ("registry", {"status": "ok"}),
    ):  # the old layout
        client.put_item(
            TableName=table,
            Item=to_item({"pk": pk, "sk": f"CHECK#{name}", "name": name, "data": json.dumps(result)}),
        )
    assert cases.detail(case.tenant_id, case.id).checks == {
        "registry": {"status": "ok"},
        "sanctions": {"status": "error"},
    }
    cases.save_checks(case.tenant_id, case.id, {"sanctions": SCREENING, "contact": CONTACT})
    assert cases.detail(case.tenant_id, case.id).checks == {
        "contact": CONTACT,
        "registry": {"status": "ok"},
        "sanctions": SCREENING,
    }


def test_erasure_replaces_every_item_so_none_keeps_what_was_redacted(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case = stored_case(cases)
    cases.save_checks(case.tenant_id, case.id, {"sanctions": SCREENING, "contact": CONTACT})
    cases.save_checks(case.tenant_id, case.id, {"website": {"status": "ok", "data": {"host": "x"}}})
    redacted = {name: {"status": "ok", "erased": True} for name in ("contact", "sanctions", "website")}
    cases.save_checks(case.tenant_id, case.id, redacted, replace=True)
    (item,) = check_items(client, table, case)  # the packed pair and the lone result are gone
    assert item["names"] == to_item({"n": sorted(redacted)})["n"]
    assert cases.detail(case.tenant_id, case.id).checks == redacted


def test_a_checks_own_result_is_stored_packed_and_replaces_the_one_before(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case = stored_case(cases)
    parties = [
        {"name": f"Owner {n}", "matches": [{"id": f"NK-{n}{m}", "score": 0.5} for m in range(6)]}
        for n in range(4)
    ]
    screening = {**SCREENING, "data": {**SCREENING["data"], "parties": parties}}
    assert len(json.dumps(screening)) > 1024  # as plain JSON: two write units
    cases.save_checks(case.tenant_id, case.id, {"sanctions": screening})
    (item,) = check_items(client, table, case)
    assert item["sk"]["S"] == "CHECK#sanctions"
    assert "data" not in item
    assert item_size(item) <= 1024
    assert cases.detail(case.tenant_id, case.id).checks == {"sanctions": screening}
    cases.save_checks(case.tenant_id, case.id, {"sanctions": SCREENING})  # run again
    assert cases.detail(case.tenant_id, case.id).checks == {"sanctions": SCREENING}
