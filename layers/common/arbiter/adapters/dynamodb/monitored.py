"""The monitored index in DynamoDB: one item per approved entity of a tenant, in the tenant's `MONITORED` partition.

The item is written by the case store with the approving decision (`DynamoCaseRepository`, in the decision's
transaction); this adapter reads the partition (a list update reads it whole, page by page: one Query round trip
per MB, whatever the list) and switches monitoring off and on, each switch in one transaction with its audit entry
on the onboarding case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.audit_writes import write_with_audit
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import NotFound
from arbiter.domain.monitored import MonitoredEntity

__all__ = ["DynamoMonitoredEntities"]


class DynamoMonitoredEntities:
    """Implements `arbiter.services.ports.MonitoredEntities`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, tenant_id: str, key: str) -> MonitoredEntity | None:
        """The entity's record, if it is in the index."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.monitored_pk(tenant_id), "sk": key}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _record(tenant_id, from_item(item)) if item else None

    def of_tenant(self, tenant_id: str) -> Iterator[MonitoredEntity]:
        """Every record of the tenant, switched on or off, page by page."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.monitored_pk(tenant_id)}),
        }
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield _record(tenant_id, from_item(item))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def keys_of_tenant(self, tenant_id: str) -> Iterator[str]:
        """The keys of every record of the tenant, in key order: the sort keys only, a page at a time."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": keys.monitored_pk(tenant_id)}),
            "ProjectionExpression": "sk",
        }
        for item in self._pages(request):
            yield str(item["sk"])

    def in_range(self, tenant_id: str, first: str, last: str) -> Iterator[MonitoredEntity]:
        """The tenant's records with keys from `first` to `last`, both included (one shard of a full re-screen)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.monitored_pk(tenant_id), ":first": first, ":last": last}
            ),
        }
        for item in self._pages(request):
            yield _record(tenant_id, item)

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def set_enabled(self, tenant_id: str, key: str, enabled: bool, audit: AuditEntry, case_id: str) -> bool:
        """Switch monitoring of the entity on or off with `audit` on `case_id` (its hash chain moved), atomically;
        False (nothing written) if it already was, NotFound if the entity is not in the index."""
        switch = {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"pk": keys.monitored_pk(tenant_id), "sk": key}),
                "UpdateExpression": "SET enabled = :to",
                "ConditionExpression": "attribute_exists(pk) AND enabled <> :to",
                "ExpressionAttributeValues": to_item({":to": enabled}),
            }
        }
        if write_with_audit(self._client, self._table, switch, tenant_id, case_id, audit):
            return True
        if self.get(tenant_id, key) is None:
            raise NotFound(f"entity {key} is not monitored", entity_id=key)
        return False


def _record(tenant_id: str, item: dict[str, Any]) -> MonitoredEntity:
    data = json.loads(item["data"])
    return MonitoredEntity.model_validate(
        {**data, "tenant_id": tenant_id, "key": item["sk"], "enabled": bool(item.get("enabled", True))}
    )
