"""Audit items changed behind the API's back (boto3 on the stack's moto) are caught by the verifier, entries stored
before the chain still read, and an audit item still carries its change's event for the stream publisher."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import zlib
from typing import Any

import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import ChainVerification, canonical, verify
from arbiter.domain.case import SYSTEM, Actor, Case
from arbiter.services.outbox import outbox_events
from tests.builders import individual

T0 = dt.datetime(2026, 11, 4, 9, 0, tzinfo=dt.UTC)
REVIEWER = Actor(type="reviewer", id="r-1")


class Table:
    def __init__(self, stack: Any) -> None:
        self.client = stack.client("dynamodb")
        self.name = stack.physical_id("ArbiterTable")
        self.cases = DynamoCaseRepository(self.client, self.name)
        self.tenant_id = f"t-{secrets.token_hex(4)}"

    def case_with_notes(self, notes: int) -> Case:
        case, change = Case.open(
            tenant_id=self.tenant_id,
            workflow_id="kyc",
            workflow_version=1,
            entity=individual("e-1"),
            actor=SYSTEM,
            at=T0,
        )
        self.cases.add(case, change)
        for n in range(1, notes + 1):
            current = self.cases.get(self.tenant_id, case.id)
            note = current.record_note(f"note {n}", REVIEWER, at=T0 + dt.timedelta(minutes=n))
            self.cases.save(current, note, expected_version=current.version)
        return case

    def audit_items(self, case_id: str) -> list[dict[str, Any]]:
        return self.client.query(
            TableName=self.name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :audit)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.case_pk(self.tenant_id, case_id), ":audit": keys.AUDIT_PREFIX}
            ),
            ConsistentRead=True,
        )["Items"]

    def verify(self, case_id: str) -> ChainVerification:
        return verify(self.cases.audit_chain(self.tenant_id, case_id))


@pytest.fixture
def table(stack: Any) -> Table:
    return Table(stack)


def test_an_untouched_trail_verifies(table: Table) -> None:
    case = table.case_with_notes(2)
    result = table.verify(case.id)
    assert (result.valid, result.entries, result.unchained) == (True, 3, 0)
    item = table.client.get_item(
        TableName=table.name, Key=to_item({"pk": keys.case_pk(table.tenant_id, case.id), "sk": keys.CASE_SK})
    )["Item"]
    assert bytes(item["chain_head"]["B"]).hex() == result.head
    assert item["chain_len"]["N"] == "3"
    assert item["audit_day"]["S"].startswith(dt.datetime.now(dt.UTC).date().isoformat() + "#")


def test_an_audit_item_edited_behind_the_api_is_caught_with_the_entry_named(table: Table) -> None:
    case = table.case_with_notes(3)
    items = table.audit_items(case.id)
    target = from_item(items[2])
    content = table.cases.audit_chain(table.tenant_id, case.id).records[2].content
    content["reason"] = "a kinder note"
    table.client.put_item(TableName=table.name, Item=to_item({**target, "data": canonical(content).decode()}))
    result = table.verify(case.id)
    assert not result.valid
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        2,
        content["id"],
        "edited",
    )


def test_an_audit_item_deleted_behind_the_api_is_caught(table: Table) -> None:
    case = table.case_with_notes(3)
    items = table.audit_items(case.id)
    table.client.delete_item(TableName=table.name, Key={"pk": items[1]["pk"], "sk": items[1]["sk"]})
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "missing")
    table.client.delete_item(TableName=table.name, Key={"pk": items[3]["pk"], "sk": items[3]["sk"]})
    table.client.put_item(TableName=table.name, Item=items[1])  # the middle back, the last gone
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        3,
        None,
        "missing",
    )


def test_a_chain_head_changed_behind_the_api_is_caught(table: Table) -> None:
    case = table.case_with_notes(1)
    key = to_item({"pk": keys.case_pk(table.tenant_id, case.id), "sk": keys.CASE_SK})
    table.client.update_item(
        TableName=table.name,
        Key=key,
        UpdateExpression="SET chain_head = :forged",
        ExpressionAttributeValues={":forged": {"B": bytes(32)}},
    )
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "head_mismatch")
    table.client.update_item(TableName=table.name, Key=key, UpdateExpression="REMOVE chain_len")
    assert table.cases.get(table.tenant_id, case.id).id == case.id  # the case still reads
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert result.broken_at.reason == "head_mismatch"
    table.client.update_item(TableName=table.name, Key=key, UpdateExpression="REMOVE chain_head")
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert result.broken_at.reason == "head_mismatch"


def test_entries_whose_places_were_swapped_are_caught(table: Table) -> None:
    case = table.case_with_notes(2)
    items = table.audit_items(case.id)
    first, second = items[1], items[2]
    table.client.put_item(TableName=table.name, Item={**first, "seq": second["seq"]})
    table.client.put_item(TableName=table.name, Item={**second, "seq": first["seq"]})
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "reordered")


def test_an_entry_inserted_behind_the_api_is_caught(table: Table) -> None:
    case = table.case_with_notes(1)
    forged = from_item(table.audit_items(case.id)[-1])
    forged["sk"] = f"{keys.AUDIT_PREFIX}{keys.timestamp(T0 + dt.timedelta(hours=1))}#forged"
    for attribute in ("seq", "hash", "event", "detail_type"):
        forged.pop(attribute, None)
    table.client.put_item(TableName=table.name, Item=to_item(forged))
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert result.broken_at.reason == "inserted"


def test_entries_stored_before_the_chain_read_and_the_next_change_chains_after_them(table: Table) -> None:
    case = table.case_with_notes(1)
    key = to_item({"pk": keys.case_pk(table.tenant_id, case.id), "sk": keys.CASE_SK})
    # As the table held them before the chain: no links on the entries, no head on the case, `data` unsorted JSON.
    entries = table.cases.detail(table.tenant_id, case.id).audit
    for raw, entry in zip(table.audit_items(case.id), entries, strict=True):
        item = from_item(raw)
        table.client.put_item(
            TableName=table.name,
            Item=to_item({"pk": item["pk"], "sk": item["sk"], "data": entry.model_dump_json()}),
        )
    table.client.update_item(
        TableName=table.name, Key=key, UpdateExpression="REMOVE chain_head, chain_len, audit_day"
    )
    assert [e.action for e in table.cases.detail(table.tenant_id, case.id).audit] == [
        "case.created",
        "note.added",
    ]
    result = table.verify(case.id)
    assert (result.valid, result.entries, result.unchained, result.head) == (True, 2, 2, None)
    current = table.cases.get(table.tenant_id, case.id)
    later = current.record_note("after the upgrade", REVIEWER, at=T0 + dt.timedelta(days=1))
    table.cases.save(current, later, expected_version=current.version)
    result = table.verify(case.id)
    assert (result.valid, result.entries, result.unchained) == (True, 3, 2)
    assert [i.get("seq", {}).get("N") for i in table.audit_items(case.id)] == [None, None, "0"]


def test_an_audit_item_still_carries_its_changes_event_for_the_stream(table: Table) -> None:
    case = table.case_with_notes(0)
    (created,) = table.audit_items(case.id)
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "1",
            "NewImage": {
                **created,
                "event": {"B": base64.b64encode(bytes(created["event"]["B"])).decode()},
            },
        },
    }
    ((_, envelope),) = outbox_events([record], zlib.decompress)
    assert envelope["type"] == "case.created"
    assert envelope["case_id"] == case.id
    assert {"seq", "hash"} <= set(created)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("data", {"S": "not json at all"}),
        ("data", {"S": "[1, 2, 3]"}),
        ("hash", {"S": "a hash as text"}),
        ("seq", {"S": "one"}),
    ],
)
def test_an_audit_item_changed_into_what_the_store_never_writes_is_reported_not_a_crash(
    table: Table, attribute: str, value: dict[str, Any]
) -> None:
    case = table.case_with_notes(2)
    target = table.audit_items(case.id)[1]
    table.client.put_item(TableName=table.name, Item={**target, attribute: value})
    result = table.verify(case.id)
    assert not result.valid
    assert result.broken_at is not None
    assert result.broken_at.reason == "edited"


def _case_with_a_change_of_three_entries(table: Table) -> Case:
    """A case opened, then changed once with three entries (as an automatic decision records several)."""
    case = table.case_with_notes(0)
    current = table.cases.get(table.tenant_id, case.id)
    change = current.record_note("first", REVIEWER, at=T0 + dt.timedelta(minutes=1))
    change += current.record_note("second", REVIEWER, at=T0 + dt.timedelta(minutes=2))
    change += current.record_note("third", REVIEWER, at=T0 + dt.timedelta(minutes=3))
    table.cases.save(current, change, expected_version=current.version)
    return case


def test_a_change_of_several_entries_is_one_item_that_reads_and_verifies(table: Table) -> None:
    case = _case_with_a_change_of_three_entries(table)
    items = [from_item(i) for i in table.audit_items(case.id)]
    assert len(items) == 2  # the creation's entry, then the change's three in one item
    packed = items[1]
    assert "data" not in packed
    assert packed["seq"] == 1
    assert len(bytes(packed["hash"].value)) == 3 * 32
    assert [e.reason for e in table.cases.detail(table.tenant_id, case.id).audit] == [
        None,
        "first",
        "second",
        "third",
    ]
    result = table.verify(case.id)
    assert (result.valid, result.entries, result.unchained) == (True, 4, 0)
    records = table.cases.audit_chain(table.tenant_id, case.id).records
    assert [r.seq for r in records] == [0, 1, 2, 3]
    # and the next change chains after the item's last entry
    current = table.cases.get(table.tenant_id, case.id)
    table.cases.save(
        current,
        current.record_note("later", REVIEWER, at=T0 + dt.timedelta(hours=1)),
        expected_version=current.version,
    )
    assert table.verify(case.id).entries == 5
    assert table.verify(case.id).valid


def test_an_entry_edited_inside_a_changes_item_is_caught_with_the_entry_named(table: Table) -> None:
    from arbiter.adapters.dynamodb.packing import pack, unpack

    case = _case_with_a_change_of_three_entries(table)
    packed = from_item(table.audit_items(case.id)[1])
    lines = unpack(bytes(packed["entries"].value)).split(b"\n")
    content = json.loads(lines[1])
    content["reason"] = "a kinder note"
    lines[1] = canonical(content)
    table.client.put_item(TableName=table.name, Item=to_item({**packed, "entries": pack(b"\n".join(lines))}))
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        2,
        content["id"],
        "edited",
    )


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("entries", {"B": b"not zlib"}), ("hash", {"B": bytes(32)}), ("seq", {"S": "one"})],
)
def test_a_changes_item_changed_into_what_the_store_never_writes_is_reported_not_a_crash(
    table: Table, attribute: str, value: dict[str, Any]
) -> None:
    case = _case_with_a_change_of_three_entries(table)
    target = table.audit_items(case.id)[1]
    table.client.put_item(TableName=table.name, Item={**target, attribute: value})
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "edited")


def test_a_changes_item_deleted_is_caught_as_missing_entries(table: Table) -> None:
    case = _case_with_a_change_of_three_entries(table)
    current = table.cases.get(table.tenant_id, case.id)
    table.cases.save(
        current,
        current.record_note("later", REVIEWER, at=T0 + dt.timedelta(hours=1)),
        expected_version=current.version,
    )
    packed = table.audit_items(case.id)[1]
    table.client.delete_item(TableName=table.name, Key={"pk": packed["pk"], "sk": packed["sk"]})
    result = table.verify(case.id)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "missing")


def test_a_changes_item_carries_all_its_events_for_the_stream(table: Table) -> None:
    from arbiter.adapters.dynamodb.packing import unpack

    case = table.case_with_notes(0)
    current = table.cases.get(table.tenant_id, case.id)
    change = current.record_note("first", REVIEWER, at=T0 + dt.timedelta(minutes=1))
    change += current.record_note("second", REVIEWER, at=T0 + dt.timedelta(minutes=2))
    events = [e.id for e in change.events]
    table.cases.save(current, change, expected_version=current.version)
    packed = table.audit_items(case.id)[1]
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "7",
            "NewImage": {**packed, "event": {"B": base64.b64encode(bytes(packed["event"]["B"])).decode()}},
        },
    }
    assert [(sequence, e["id"]) for sequence, e in outbox_events([record], unpack)] == [
        ("7", event) for event in events
    ]


def test_a_lone_entrys_events_ride_together_when_they_fit(table: Table) -> None:
    from arbiter.adapters.dynamodb.packing import unpack

    case = table.case_with_notes(0)
    current = table.cases.get(table.tenant_id, case.id)
    change = current.await_review("token", at=T0 + dt.timedelta(minutes=1))
    assert (len(change.audit), len(change.events)) == (1, 2)
    events = [e.id for e in change.events]
    table.cases.save(current, change, expected_version=current.version)
    items = table.client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": keys.case_pk(table.tenant_id, case.id)}),
        ConsistentRead=True,
    )["Items"]
    assert not [i for i in items if i["sk"]["S"].startswith(keys.EVENT_PREFIX)]  # no outbox item of its own
    carrying = table.audit_items(case.id)[1]
    assert "data" in carrying  # a lone entry keeps its layout
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "3",
            "NewImage": {
                **carrying,
                "event": {"B": base64.b64encode(bytes(carrying["event"]["B"])).decode()},
            },
        },
    }
    assert [e["id"] for _, e in outbox_events([record], unpack)] == events
    assert table.verify(case.id).valid
