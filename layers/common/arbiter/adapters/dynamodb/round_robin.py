"""Round-robin turns in DynamoDB: one counter item per tenant and queue, and one claim item per event that took a
turn, written together in one transaction.

The bus delivers an event at least once, and a Lambda retries a failed invocation: the claim makes a second copy
of the same `case.awaiting_review` read the turn the first copy took instead of taking another one (which would
skip a reviewer). The counter moves by a conditional SET on the value read just before, so two different cases
entering review at once still get two different turns (the loser of the race reads again and retries).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.errors import ConcurrentUpdate

__all__ = ["DynamoRoundRobin"]

#: A claim is kept this long (the table's TTL removes it); the bus stops retrying an event after 24 h.
CLAIM_RETENTION = dt.timedelta(days=7)
#: Turns taken by other cases between our read and our write: try again this many times.
MAX_RACES = 20


class DynamoRoundRobin:
    """Implements `arbiter.services.review_team.RoundRobinCounter`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def next_turn(self, tenant_id: str, queue: str, claim: str) -> int:
        """The queue's next turn (1 for its first case, then 2, 3…); the same turn again for a `claim` seen before."""
        counter_key = {"pk": keys.round_robin_pk(tenant_id), "sk": queue}
        claim_key = {"pk": keys.round_robin_pk(tenant_id), "sk": keys.round_robin_claim_sk(queue, claim)}
        for _ in range(MAX_RACES):
            taken = self._claimed(claim_key)
            if taken is not None:
                return taken
            current = self._turns(counter_key)
            turn = current + 1
            expires = int((dt.datetime.now(dt.UTC) + CLAIM_RETENTION).timestamp())
            # The first turn creates the counter; every later one moves it only from the value just read.
            condition = "attribute_not_exists(turns)" if current == 0 else "turns = :current"
            values: dict[str, Any] = {":turn": turn} if current == 0 else {":turn": turn, ":current": current}
            counter_update = {
                "TableName": self._table,
                "Key": to_item(counter_key),
                "UpdateExpression": "SET turns = :turn",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {"Update": counter_update},
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item({**claim_key, "turn": turn, "expires_at": expires}),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                continue  # another case took this turn, or another copy of this event claimed one: read again
            return turn
        raise ConcurrentUpdate(f"the round-robin counter of {queue} kept moving", queue=queue)

    def _claimed(self, key: dict[str, Any]) -> int | None:
        item = self._client.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True).get("Item")
        return int(from_item(item)["turn"]) if item else None

    def _turns(self, key: dict[str, Any]) -> int:
        item = self._client.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True).get("Item")
        return int(from_item(item).get("turns", 0)) if item else 0
