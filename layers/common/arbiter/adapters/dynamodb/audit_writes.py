"""An audit entry appended to a case outside a change of the case itself (a clearance, monitoring switched on or
off), in one transaction with the write it records: the entry at its place in the case's hash chain, and the case's
chain head moved, conditional on the head read (re-read and tried again when another change moved it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import audit_day, audit_put, chain_head_of, chain_head_values
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import ChainHead, extend
from arbiter.domain.case import AuditEntry
from arbiter.domain.errors import ConcurrentUpdate, NotFound
from arbiter.domain.events import ArbiterEvent

__all__ = ["write_with_audit"]

HEAD_ATTEMPTS = 4


def write_with_audit(
    client: Any,
    table: str,
    write: dict[str, Any],
    tenant_id: str,
    case_id: str,
    audit: AuditEntry,
    event: ArbiterEvent | None = None,
) -> bool:
    """`write`, with `audit` appended to the case's chain (carrying `event` for the stream publisher) and the
    case's head moved: all or nothing. False when `write`'s own condition failed (nothing written); NotFound
    without the case."""
    for _ in range(HEAD_ATTEMPTS):
        head = _head(client, table, tenant_id, case_id)
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
                    "TableName": table,
                    "Key": to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
                    "UpdateExpression": "SET chain_head = :chain_head, chain_len = :chain_len, audit_day = :day",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_item(values),
                }
            },
            audit_put(table, tenant_id, case_id, audit, chain_link, event),
        ]
        try:
            client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if _head_moved(exc):
                continue
            return False
        return True
    raise ConcurrentUpdate("the case is being changed right now; try again", case_id=case_id)


def _head(client: Any, table: str, tenant_id: str, case_id: str) -> ChainHead | None:
    """The case's chain head, read consistently; NotFound without the case."""
    response = client.get_item(
        TableName=table,
        Key=to_item({"pk": keys.case_pk(tenant_id, case_id), "sk": keys.CASE_SK}),
        ProjectionExpression="pk, chain_head, chain_len",
        ConsistentRead=True,
    )
    if "Item" not in response:
        raise NotFound(f"case {case_id} not found", case_id=case_id)
    return chain_head_of(from_item(response["Item"]))


def _head_moved(exc: ClientError) -> bool:
    """True when the case's head moved since it was read (read it again); False when `write`'s own
    condition failed (the expected race: nothing to do); anything else is raised."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        raise exc
    reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
    if reasons[:1] == ["ConditionalCheckFailed"]:
        return False
    if reasons[1:2] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
        return True  # the next read says NotFound if the case is gone
    raise exc
