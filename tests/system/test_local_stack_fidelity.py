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
