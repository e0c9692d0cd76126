"""Transaction batches in DynamoDB: the batch item, its repeat and failure entries, and its decided transactions
read back from the ByStatus index.

A status is two Queries whatever the state of the batch: the batch's partition (the batch and its repeat and
failure entries, small items) and the ByStatus partition of the batch, where every transaction decided in it has a
keys-only entry whose sort key carries its decision and what it did to an alert (written with the transaction,
`arbiter.adapters.dynamodb.transactions`). At most 1,000 entries of about 150 bytes each: one page of each Query.
"""

from __future__ import annotations

from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from arbiter.adapters.dynamodb import keys
from arbiter.domain.transaction_batches import AlertEffect, Batch, BatchEntry
from arbiter.domain.transactions import Decision

__all__ = ["DynamoTransactionBatches"]

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize
_EFFECTS: dict[str, AlertEffect] = {"O": "opened", "J": "joined", "N": "none"}


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in values.items() if v is not None}


def _values(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserialize(v) for k, v in item.items()}


class DynamoTransactionBatches:
    """Implements `arbiter.services.transaction_batches.BatchStore`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, batch: Batch) -> None:
        """The batch item (its id is fresh: never written over another)."""
        self._client.put_item(
            TableName=self._table,
            Item=_item(
                {
                    "pk": keys.batch_pk(batch.tenant_id, batch.id),
                    "sk": keys.BATCH_SK,
                    "data": batch.model_dump_json(),
                }
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def delete(self, tenant_id: str, batch_id: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=_item({"pk": keys.batch_pk(tenant_id, batch_id), "sk": keys.BATCH_SK})
        )

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """The batch, or None (its key holds the tenant: another tenant's batch is not found)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": keys.batch_pk(tenant_id, batch_id), "sk": keys.BATCH_SK}),
        )
        if "Item" not in response:
            return None
        return Batch.model_validate_json(_values(response["Item"])["data"])

    def put_entry(self, tenant_id: str, batch_id: str, entry: BatchEntry) -> None:
        """A repeat or a failure, keyed by its transaction id: a redelivery writes the same item again."""
        self._client.put_item(
            TableName=self._table,
            Item=_item(
                {
                    "pk": keys.batch_pk(tenant_id, batch_id),
                    "sk": f"{keys.BATCH_ENTRY_PREFIX}{entry.transaction_id}",
                    "data": entry.model_dump_json(),
                }
            ),
        )

    def entries(self, tenant_id: str, batch_id: str) -> list[BatchEntry]:
        """The repeat and failure entries, then the decided transactions from the index's keys."""
        found = [
            BatchEntry.model_validate_json(values["data"])
            for values in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues=_item(
                    {":pk": keys.batch_pk(tenant_id, batch_id), ":prefix": keys.BATCH_ENTRY_PREFIX}
                ),
            )
        ]
        for values in self._query(
            IndexName="ByStatus",
            KeyConditionExpression="status_pk = :p",
            ExpressionAttributeValues=_item({":p": keys.batch_index_pk(tenant_id, batch_id)}),
        ):
            decision, effect, transaction_id = values["status_sk"].split("#", 2)
            found.append(
                BatchEntry(
                    transaction_id=transaction_id,
                    decision=cast(Decision, decision),
                    alert=_EFFECTS[effect],
                )
            )
        return found

    def _query(self, **request: Any) -> list[dict[str, Any]]:
        request["TableName"] = self._table
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            items += [_values(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
