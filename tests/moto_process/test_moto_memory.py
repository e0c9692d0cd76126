"""moto's memory, bounded: no model object kept after moto lets go of it, no table copied per transaction, and a
failed transaction still leaves every item as it was, with no stream record."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from arbiter_local.moto_memory import MotoMemory

TABLE = "memory-test"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    memory = MotoMemory()
    memory.install()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name="us-east-1")
            client.create_table(
                TableName=TABLE,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            )
            yield client
    finally:
        memory.uninstall()


def table() -> Table:
    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]


def put(pk: str, sk: str, value: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": value}}}}


def items(client: Any) -> dict[tuple[str, str], str]:
    scanned = client.scan(TableName=TABLE)["Items"]
    return {(i["pk"]["S"], i["sk"]["S"]): i["v"]["S"] for i in scanned}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(dynamodb):
    dynamodb.transact_write_items(TransactItems=[put("a", "1", "old"), put("b", "1", "kept")])
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                put("a", "1", "new"),  # written first, then undone
                put("c", "1", "added"),  # created, then removed
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :v",
                        "ConditionExpression": "v = :expected",
                        "ExpressionAttributeValues": {":v": {"S": "changed"}, ":expected": {"S": "other"}},
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert items(dynamodb) == {("a", "1"): "old", ("b", "1"): "kept"}


def stream_keys() -> list[tuple[str, str, str]]:
    """The table's stream records so far: event name and key."""
    shard = table().stream_shard
    assert shard is not None
    records = [r.to_json() for r in shard.items]
    return [
        (r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records
    ]


def test_a_cancelled_transaction_writes_no_stream_record_and_a_committed_one_writes_each(dynamodb):
    dynamodb.transact_write_items(TransactItems=[put("case", "CASE", "v1")])
    before = stream_keys()
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {  # the case, conditional on the version read: lost to another writer
                    "Put": {
                        **put("case", "CASE", "v2")["Put"],
                        "ConditionExpression": "v = :read",
                        "ExpressionAttributeValues": {":read": {"S": "v0"}},
                    }
                },
                put("case", "AUDIT#1", "decided"),  # moto applies it before it rolls back
            ]
        )
    assert stream_keys() == before  # nothing for the stream's Lambda mappings to publish
    assert items(dynamodb) == {("case", "CASE"): "v1"}
    dynamodb.transact_write_items(
        TransactItems=[put("case", "CASE", "v2"), put("case", "AUDIT#1", "decided")]
    )
    assert stream_keys() == [*before, ("MODIFY", "case", "CASE"), ("INSERT", "case", "AUDIT#1")]


def test_a_transaction_copies_no_table(dynamodb):
    before = table()
    tables = weakref.WeakSet(o for o in gc.get_objects() if isinstance(o, Table))
    for n in range(5):
        dynamodb.transact_write_items(TransactItems=[put("a", str(n), "x"), put("b", str(n), "y")])
    gc.collect()
    assert table() is before  # moto puts its backup copy in the table's place; here nothing is copied
    assert {id(t) for t in gc.get_objects() if isinstance(t, Table)} == {id(t) for t in tables}


def test_an_overwritten_item_is_freed(dynamodb):
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "first"}})
    backend = dynamodb_backends["123456789012"]["us-east-1"]
    first = weakref.ref(backend.get_item(TABLE, {"pk": {"S": "a"}, "sk": {"S": "1"}}))
    for n in range(20):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": str(n)}})
    gc.collect()
    assert first() is None  # moto's instance tracking no longer keeps every version
    assert len([i for i in Item.instances_tracked if i is not None]) < 20  # type: ignore[attr-defined]
    assert items(dynamodb) == {("a", "1"): "19"}


def test_the_interpreter_lists_only_its_running_threads(dynamodb):
    import threading

    from moto.stepfunctions.parser import utils
    from moto.stepfunctions.parser.asl.component.program import program

    assert program.TMP_THREADS is utils.TMP_THREADS  # the modules that imported it by name hold the same list
    ended = threading.Thread(target=lambda: None)
    ended.start()
    ended.join()
    stop = threading.Event()
    running = threading.Thread(target=stop.wait)
    running.start()
    try:
        utils.TMP_THREADS.append(ended)
        utils.TMP_THREADS.append(running)
        assert ended not in utils.TMP_THREADS
        assert running in utils.TMP_THREADS
    finally:
        stop.set()
        running.join()
