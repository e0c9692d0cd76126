"""Reviewers' clearances of screening matches in DynamoDB, one item per (party, list entry).

A clearance and the audit entry that records it on the case are written in one transaction, conditional on the
case existing and on the clearance not existing yet: a clearance is never stored without its audit line, and
clearing twice changes nothing. Revoking deletes it in the same way, conditional on it still being there, with
its own audit line on the case it is revoked from.

The audit line extends the case's hash chain from the head read with the case item, and the same transaction
moves the head, conditional on it being the one read: a case change saved in between makes it read again
(a few times, then ConcurrentUpdate), and a case change saved after it finds the head moved (a lost race), so the
chain never forks.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.audit_writes import write_with_audit
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.case import AuditEntry
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.screening import Clearance

__all__ = ["DynamoClearanceStore"]

#: Reads of the case's head a clearance makes when case changes keep moving it.


class DynamoClearanceStore:
    """Implements `arbiter.services.screening.ClearanceStore` (and the sanctions check's `ClearanceReader`)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        """For each party key, the list entry ids cleared for it: one Query per party, sent at once (a business
        and its owners: the screening waits for one round trip, not one per party)."""
        parties = list(dict.fromkeys(party_keys))
        if len(parties) > 1:
            with ThreadPoolExecutor(
                max_workers=min(8, len(parties)), thread_name_prefix="clearances"
            ) as pool:
                found = list(pool.map(lambda key: self._party_items(tenant_id, key), parties))
        else:
            found = [self._party_items(tenant_id, key) for key in parties]
        cleared: dict[str, set[str]] = {}
        for party_key, items in zip(parties, found, strict=True):
            entries = {item["entry_id"] for item in items}
            if entries:
                cleared[party_key] = entries
        return cleared

    def get(self, tenant_id: str, party_key: str, entry_id: str) -> Clearance | None:
        """The clearance of `entry_id` for the party, if any."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.screened_party_pk(tenant_id, party_key), "sk": _sk(entry_id)}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return Clearance.model_validate_json(from_item(item)["data"]) if item else None

    def for_party(self, tenant_id: str, party_key: str) -> list[Clearance]:
        """Every clearance of one party."""
        return [Clearance.model_validate_json(i["data"]) for i in self._party_items(tenant_id, party_key)]

    def add(self, clearance: Clearance, audit: AuditEntry, event: ArbiterEvent | None = None) -> bool:
        """Store the clearance with its audit entry (carrying `event` for the stream publisher) on the case; False
        (nothing written) if it already exists."""
        item = {
            "pk": keys.screened_party_pk(clearance.tenant_id, clearance.party_key),
            "sk": _sk(clearance.entry_id),
            "entry_id": clearance.entry_id,
            "case_id": clearance.case_id,
            "data": clearance.model_dump_json(),
        }
        put = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return write_with_audit(
            self._client, self._table, put, clearance.tenant_id, clearance.case_id, audit, event
        )

    def remove(
        self, clearance: Clearance, case_id: str, audit: AuditEntry, event: ArbiterEvent | None = None
    ) -> bool:
        """Delete the clearance with an audit entry (carrying `event`) on `case_id`; False (nothing written) if it
        is already gone."""
        key = {
            "pk": keys.screened_party_pk(clearance.tenant_id, clearance.party_key),
            "sk": _sk(clearance.entry_id),
        }
        delete = {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(key),
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
        return write_with_audit(self._client, self._table, delete, clearance.tenant_id, case_id, audit, event)

    def _party_items(self, tenant_id: str, party_key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :cleared)",
            "ExpressionAttributeValues": to_item(
                {":pk": keys.screened_party_pk(tenant_id, party_key), ":cleared": keys.CLEARED_PREFIX}
            ),
        }
        while True:
            response = self._client.query(**request)
            items.extend(from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _sk(entry_id: str) -> str:
    return f"{keys.CLEARED_PREFIX}{entry_id}"
