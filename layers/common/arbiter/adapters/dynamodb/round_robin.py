"""Round-robin turns in DynamoDB: one counter item per tenant and queue, moved by an atomic ADD (no read first),
so two cases entering review at once get two different turns."""

from __future__ import annotations

from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import to_item

__all__ = ["DynamoRoundRobin"]


class DynamoRoundRobin:
    """Implements `arbiter.services.review_team.RoundRobinCounter`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def next_turn(self, tenant_id: str, queue: str) -> int:
        """The queue's next turn: 1 for its first case, then 2, 3…"""
        response = self._client.update_item(
            TableName=self._table,
            Key=to_item({"pk": keys.round_robin_pk(tenant_id), "sk": queue}),
            UpdateExpression="ADD turns :one",
            ExpressionAttributeValues=to_item({":one": 1}),
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["turns"]["N"])
