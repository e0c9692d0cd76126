"""Where the local stack makes moto behave as AWS does, because the product relies on it."""

from __future__ import annotations

import secrets
from typing import Any

import pytest


def test_a_retried_transaction_with_its_client_token_is_not_applied_twice(stack: Any) -> None:
    dynamodb = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    key = f"FIDELITY#{secrets.token_hex(4)}"

    def put(token: str, value: str) -> dict[str, Any]:
        return dynamodb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": key}, "sk": {"S": "X"}, "value": {"S": value}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ],
        )

    token = secrets.token_hex(16)
    put(token, "first")
    put(token, "first")  # the SDK's retry of a write that went through: DynamoDB answers success again
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": key}, "sk": {"S": "X"}})["Item"]
    assert item["value"] == {"S": "first"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        put(secrets.token_hex(16), "second")  # another request: the condition still holds the line


def test_a_binary_attribute_goes_through_the_tables_stream(stack: Any) -> None:
    """Case items hold their JSON compressed (binary): the stream hands such records to the outbox publisher,
    base64-encoded as DynamoDB Streams does, instead of failing the write."""
    import base64
    import zlib

    from arbiter_local.moto_bridge import _StreamRecordJson

    dynamodb = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    key = {"pk": {"S": f"FIDELITY#{secrets.token_hex(4)}"}, "sk": {"S": "CASE"}}
    body = zlib.compress(b'{"id": "fidelity"}')
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {**key, "body": {"B": body}}}}]
    )
    dynamodb.put_item(TableName=table, Item={**key, "body": {"B": body}, "again": {"BOOL": True}})
    assert dynamodb.get_item(TableName=table, Key=key)["Item"]["body"] == {"B": body}
    record = _StreamRecordJson().loads(_StreamRecordJson.dumps({"NewImage": {"body": {"B": body}}}))
    assert base64.b64decode(record["NewImage"]["body"]["B"]) == body
