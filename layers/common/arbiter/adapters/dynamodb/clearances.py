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

import datetime as dt
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import audit_day, audit_put, chain_head_of, chain_head_values
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import ChainHead, extend
from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import ConcurrentUpdate, NotFound
from arbiter.domain.screening import Clearance

__all__ = ["DynamoClearanceStore"]

#: Reads of the case's head a clearance makes when case changes keep moving it.
HEAD_ATTEMPTS = 4


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
        """`write`, with `audit` appended to the case's chain and the case's head moved: all or nothing. False
        when `write`'s own condition failed (nothing written); NotFound without the case."""
        for _ in range(HEAD_ATTEMPTS):
            head = self._head(tenant_id, case_id)
            (chain_link,) = extend(head, tenant_id, case_id, [audit.model_dump(mode="json")])
            moved = ChainHead(hash=chain_link.hash, entries=chain_link.seq + 1)
            values = {
                **{f":{name}": value for name, value in chain_head_values(moved).items()},
                ":day": audit_day(tenant_id, case_id, dt.datetime.now(dt.UTC).date().isoformat()),
            }
            if head is None:
                condition = "attribute_exists(pk) AND attribute_not_exists(chain_len)"
            else:
                condition = "attribute_exists(pk) AND chain_len = :read_len"
                values[":read_len"] = head.entries
            operations = [
                write,
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
                        "UpdateExpression": "SET chain_head = :chain_head, chain_len = :chain_len, audit_day = :day",
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": to_item(values),
                    }
                },
                audit_put(self._table, tenant_id, case_id, audit, chain_link),
            ]
            try:
                self._client.transact_write_items(TransactItems=operations)
            except ClientError as exc:
                if self._head_moved(exc):
                    continue
                return False
            return True
        raise ConcurrentUpdate("the case is being changed right now; try again", case_id=case_id)

    def _head(self, tenant_id: str, case_id: str) -> ChainHead | None:
        """The case's chain head, read consistently; NotFound without the case."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
            ProjectionExpression="pk, chain_head, chain_len",
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise NotFound(f"case {case_id} not found", case_id=case_id)
        return chain_head_of(from_item(response["Item"]))

    @staticmethod
    def _head_moved(exc: ClientError) -> bool:
        """True when the case's head moved since it was read (read it again); False when the clearance's own
        condition failed (the expected race: nothing to do); anything else is raised."""
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise exc
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons[:1] == ["ConditionalCheckFailed"]:
            return False
        if reasons[1:2] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
            return True  # the next read says NotFound if the case is gone
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
