"""A change's workflow continuations ride on its audit item when the item still fits one KB (an item of their own
is two write units in the transaction), and get items of their own when they do not; the stream hands both to the
continuer."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import from_item, item_size, to_item
from arbiter.adapters.dynamodb.packing import unpack
from arbiter.domain.case import SYSTEM, Case, Change
from arbiter.services.continuations import outbox_continuations
from tests.builders import individual


@pytest.fixture
def store(stack: Any) -> tuple[Any, DynamoCaseRepository, str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = stack.physical_id("ArbiterTable")
    return client, DynamoCaseRepository(client, table), table


def items_of(client: Any, table: str, case: Case) -> list[dict[str, Any]]:
    return client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": keys.case_pk(case.tenant_id, case.id)}),
        ConsistentRead=True,
    )["Items"]


def inserted(item: dict[str, Any], sequence: str) -> dict[str, Any]:
    """The stream record of `item`'s insert (binary attributes in base64, as Lambda receives them)."""
    image = {
        name: {"B": base64.b64encode(bytes(value["B"])).decode()} if "B" in value else value
        for name, value in item.items()
    }
    return {"eventName": "INSERT", "dynamodb": {"SequenceNumber": sequence, "NewImage": image}}


def test_a_starts_continuation_rides_on_the_creations_audit_item(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case, change = Case.open(
        tenant_id=f"t-{secrets.token_hex(4)}",
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(),
        actor=SYSTEM,
    )
    change += case.start_automation()
    (start,) = change.continuations
    cases.add(case, change)
    stored = items_of(client, table, case)
    assert [i["sk"]["S"].split("#", 1)[0] for i in stored] == ["AUDIT", "CASE"]  # no continuation item
    (audit,) = [i for i in stored if i["sk"]["S"].startswith(keys.AUDIT_PREFIX)]
    assert item_size(audit) <= 1024
    ((sequence, carried),) = outbox_continuations([inserted(audit, "9")], unpack)
    assert (sequence, carried) == ("9", start)
    assert [e.action for e in cases.detail(case.tenant_id, case.id).audit] == ["case.created"]


def test_continuations_that_would_take_the_audit_item_over_one_kb_get_items_of_their_own(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case, current = stored_case(cases)
    note = current.record_note("resumed", SYSTEM)
    note += current.resume_step(secrets.token_urlsafe(900), {"decision": "approved"})  # a long task token
    cases.save(current, note, expected_version=current.version)
    stored = [i for i in items_of(client, table, case) if i["sk"]["S"] > "AUDIT#" + "0"]
    audits = [i for i in stored if i["sk"]["S"].startswith(keys.AUDIT_PREFIX)]
    conts = [i for i in stored if i["sk"]["S"].startswith(keys.CONTINUATION_PREFIX)]
    assert len(conts) == 1
    assert not any("continuations" in i for i in audits)
    records = [inserted(i, str(n)) for n, i in enumerate(audits + conts)]
    ((_, resumed),) = outbox_continuations(records, unpack)
    assert resumed.output == {"decision": "approved"}
    assert from_item(conts[0])["kind"] == "resume"


def test_a_change_without_audit_entries_stores_its_continuations_as_items_of_their_own(
    store: tuple[Any, DynamoCaseRepository, str],
) -> None:
    client, cases, table = store
    case, current = stored_case(cases)
    note = current.record_note("a note's event, without its entry", SYSTEM)
    bare = Change(events=note.events, continuations=current.resume_step("token", {}).continuations)
    cases.save(current, bare, expected_version=current.version)
    stored = items_of(client, table, case)
    kinds = sorted(i["sk"]["S"].split("#", 1)[0] for i in stored)
    assert kinds == ["AUDIT", "CASE", "CONT", "EVENT"]  # nothing rides on the outbox item
    (cont,) = [i for i in stored if i["sk"]["S"].startswith(keys.CONTINUATION_PREFIX)]
    ((_, resumed),) = outbox_continuations([inserted(cont, "1")], unpack)
    assert resumed.token == "token"


def stored_case(cases: DynamoCaseRepository) -> tuple[Case, Case]:
    """A new KYC case stored, and the case as read back."""
    case, change = Case.open(
        tenant_id=f"t-{secrets.token_hex(4)}",
        workflow_id="kyc",
        workflow_version=1,
        entity=individual(),
        actor=SYSTEM,
    )
    cases.add(case, change)
    return case, cases.get(case.tenant_id, case.id)
