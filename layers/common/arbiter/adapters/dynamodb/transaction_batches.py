"""Transaction batches in DynamoDB: the batch item, its repeat and failure entries, and its decided transactions.

A status is two Queries whatever the state of the batch: the batch's partition (the batch, its repeat and failure
entries, and one item per invocation of the scoring function listing the transactions it decided, up to ten: one
write for ten transactions instead of an index entry each) and the ByStatus partition of the batch, where batches
scored before those items have a keys-only entry per decided transaction. At most 1,000 transactions: a page or two.
"""

from __future__ import annotations

import json
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

    def put_decided(self, tenant_id: str, batch_id: str, entries: list[BatchEntry]) -> None:
        """Transactions of the batch decided together, in one item keyed by their ids: a redelivery of the same
        messages writes the same item again."""
        self._client.put_item(
            TableName=self._table,
            Item=_item(
                {
                    "pk": keys.batch_pk(tenant_id, batch_id),
                    "sk": keys.BATCH_DECIDED_PREFIX + keys.ids_hash([e.transaction_id for e in entries]),
                    "data": json.dumps([e.model_dump(mode="json", exclude_defaults=True) for e in entries]),
                }
            ),
        )

    def entries(self, tenant_id: str, batch_id: str) -> list[BatchEntry]:
        """The repeat and failure entries and the lists of decided transactions (the batch's partition), then the
        decided transactions of batches scored before those lists, from the index's keys."""
        found: list[BatchEntry] = []
        for values in self._query(
            KeyConditionExpression="pk = :pk AND sk > :batch",
            ExpressionAttributeValues=_item(
                {":pk": keys.batch_pk(tenant_id, batch_id), ":batch": keys.BATCH_SK}
            ),
        ):
            if values["sk"].startswith(keys.BATCH_ENTRY_PREFIX):
                found.append(BatchEntry.model_validate_json(values["data"]))
            elif values["sk"].startswith(keys.BATCH_DECIDED_PREFIX):
                found += [BatchEntry.model_validate(entry) for entry in json.loads(values["data"])]
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
