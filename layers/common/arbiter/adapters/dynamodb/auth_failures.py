"""Failed authentications per source address and window, in DynamoDB (one counter item per window)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.adapters.dynamodb import keys

__all__ = ["DynamoAuthFailureCounter"]


class DynamoAuthFailureCounter:
    """Implements `arbiter.services.ports.AuthFailureCounter`.

    The window is part of the key, so a count never reads an earlier window, whenever DynamoDB's TTL gets to
    deleting it (`expires_at`, usually within a few days).
    """

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, source: str, window: dt.datetime) -> dict[str, Any]:
        return {"pk": {"S": keys.auth_failures_pk(source, window)}, "sk": {"S": keys.AUTH_FAILURES_SK}}

    def count(self, source: str, window: dt.datetime) -> int:
        """The failures counted so far (0 when none); an eventually consistent read, half the price of a strong one."""
        item = self._client.get_item(
            TableName=self._table, Key=self._key(source, window), ProjectionExpression="failures"
        ).get("Item")
        return int(item["failures"]["N"]) if item else 0

    def record(self, source: str, window: dt.datetime, *, expires_at: dt.datetime) -> int:
        """One more failure: a single atomic ADD, so concurrent failures are all counted."""
        response = self._client.update_item(
            TableName=self._table,
            Key=self._key(source, window),
            UpdateExpression="ADD failures :one SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":expires": {"N": str(int(expires_at.timestamp()))},
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["failures"]["N"])
