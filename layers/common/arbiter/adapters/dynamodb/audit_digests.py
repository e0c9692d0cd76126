"""The daily audit digest's side of the table: the heads that moved on a day (the ByAuditDay index), the digest
records (`TENANT#{t}#AUDITDIGEST`, one per day) and each case's latest anchor (`ANCHOR` in the case's partition).

Why an index rather than a log item per change: every case change already rewrites the case item, and ByAuditDay
(keys only) is written only when its key moves, on a case's first change of a day. A log item per change would be
one more item in every transaction (billed twice, per KB). The index's partitions are the day and a shard of the
case key, so a busy day's first changes spread over `AUDIT_DAY_SHARDS` partitions; the digest reads them with one
Query per shard, once a day, and the heads with BatchGetItem.
"""

from __future__ import annotations

from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.cases import AUDIT_DAY_SHARDS, chain_head_of
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import Anchor
from arbiter.domain.audit_digest import CaseHead, DigestRecord
from arbiter.domain.errors import TransientError

__all__ = ["DynamoAuditHeadLog"]

INDEX = "ByAuditDay"


class DynamoAuditHeadLog:
    """Implements `arbiter.services.audit_trail.AuditHeadLog`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def heads_moved_on(self, date: str) -> list[CaseHead]:
        """One Query per shard of the day's partitions, then the heads from the case items."""
        case_keys: list[dict[str, Any]] = []
        for shard in range(AUDIT_DAY_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": INDEX,
                "KeyConditionExpression": "audit_day = :day",
                "ExpressionAttributeValues": to_item({":day": f"{date}#{shard:02d}"}),
            }
            while True:
                response = self._client.query(**request)
                case_keys += [{"pk": i["pk"], "sk": i["sk"]} for i in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        heads = []
        for item in self._read_cases(case_keys):
            head = chain_head_of(item)
            tenant_id, case_id = _tenant_and_case(item["pk"])
            if head is not None:
                heads.append(CaseHead(tenant_id=tenant_id, case_id=case_id, head=head))
        return heads

    def digest(self, tenant_id: str, date: str) -> DigestRecord | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.audit_digests_pk(tenant_id), "sk": date}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return DigestRecord.model_validate_json(from_item(item)["data"]) if item else None

    def latest_digest(self, tenant_id: str, before: str) -> DigestRecord | None:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk < :before",
            ExpressionAttributeValues=to_item({":pk": keys.audit_digests_pk(tenant_id), ":before": before}),
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return DigestRecord.model_validate_json(from_item(items[0])["data"]) if items else None

    def record_digest(self, record: DigestRecord, heads: list[CaseHead]) -> None:
        """The anchors first, the record last: a recorded digest has all its anchors."""
        requests = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "pk": keys.case_pk(h.tenant_id, h.case_id),
                            "sk": keys.ANCHOR_SK,
                            "anchor": Anchor(
                                date=record.date,
                                digest_key=record.key,
                                digest_sha256=record.sha256,
                                hash=h.head.hash,
                                entries=h.head.entries,
                            ).model_dump_json(),
                        }
                    )
                }
            }
            for h in heads
        ]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {self._table: requests[start : start + 25]}
            for _ in range(5):
                pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise TransientError("the digest's anchors could not all be stored; run it again")
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": keys.audit_digests_pk(record.tenant_id),
                    "sk": record.date,
                    "data": record.model_dump_json(),
                }
            ),
        )

    def _read_cases(self, case_keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """BatchGetItem of the case items' keys and heads, 100 at a time."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(case_keys), 100):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": case_keys[start : start + 100],
                    "ProjectionExpression": "pk, chain_head, chain_len",
                }
            }
            for _ in range(5):
                response = self._client.batch_get_item(RequestItems=pending)
                found += [from_item(i) for i in response["Responses"].get(self._table, [])]
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            if pending:
                raise TransientError("the day's chain heads could not all be read; run it again")
        return found


def _tenant_and_case(pk: str) -> tuple[str, str]:
    """`TENANT#{t}#CASE#{case}` -> (t, case)."""
    tenant_part, case_id = pk.rsplit("#CASE#", 1)
    return tenant_part.removeprefix("TENANT#"), case_id
