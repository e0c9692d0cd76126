"""Reviewers' clearances of screening matches in DynamoDB, one item per (party, list entry).

A clearance and the audit entry that records it on the case are written in one transaction, conditional on the
case existing and on the clearance not existing yet: a clearance is never stored without its audit line, and
clearing twice changes nothing. Revoking deletes it in the same way, conditional on it still being there, with
its own audit line on the case it is revoked from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import audit_put
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import Conflict, NotFound
from arbiter.domain.screening import Clearance

__all__ = ["DynamoClearanceStore"]


class DynamoClearanceStore:
    """Implements `arbiter.services.screening.ClearanceStore` (and the sanctions check's `ClearanceReader`)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        """For each party key, the list entry ids cleared for it: one Query per party."""
        cleared: dict[str, set[str]] = {}
        for party_key in dict.fromkeys(party_keys):
            entries = {item["entry_id"] for item in self._party_items(tenant_id, party_key)}
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

    def add(self, clearance: Clearance, audit: AuditEntry) -> bool:
        """Store the clearance with its audit entry on the case; False (nothing written) if it already exists."""
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
        return self._with_audit(put, clearance.tenant_id, clearance.case_id, audit)

    def remove(self, clearance: Clearance, case_id: str, audit: AuditEntry) -> bool:
        """Delete the clearance with an audit entry on `case_id`; False (nothing written) if it is already gone."""
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
        return self._with_audit(delete, clearance.tenant_id, case_id, audit)

    def _with_audit(self, write: dict[str, Any], tenant_id: str, case_id: str, audit: AuditEntry) -> bool:
        """`write`, conditional on the case existing, with `audit` appended to it: all or nothing. False when
        `write`'s own condition failed (nothing written)."""
        operations = [
            write,
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            audit_put(self._table, tenant_id, case_id, audit),
        ]
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            self._raise_unless_first_condition_failed(exc, case_id)
            return False
        return True

    @staticmethod
    def _raise_unless_first_condition_failed(exc: ClientError, case_id: str) -> None:
        """A cancelled transaction whose first condition failed is the expected race; anything else is raised."""
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise exc
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return
        if reasons[1:2] == ["ConditionalCheckFailed"]:
            raise NotFound(f"case {case_id} not found", case_id=case_id) from exc
        if "TransactionConflict" in reasons:
            raise Conflict("the case is being changed right now; try again", case_id=case_id) from exc
        raise exc

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
