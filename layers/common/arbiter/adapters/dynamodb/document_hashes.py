"""Which cases of a tenant hold a file: the SHA-256 index that finds the same document sent twice.

| item | pk | sk |
|---|---|---|
| page hash | `TENANT#{t}#DOCHASH#{sha256}` | `{case}#{document}#{version}#{page}` |
"""

from __future__ import annotations

from typing import Any

from arbiter.adapters.dynamodb.items import from_item, to_item

__all__ = ["DynamoDocumentHashes"]


def _pk(tenant_id: str, sha256: str) -> str:
    return f"TENANT#{tenant_id}#DOCHASH#{sha256}"


class DynamoDocumentHashes:
    """Implements `arbiter.services.documents.DocumentHashes`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(
        self, tenant_id: str, sha256: str, case_id: str, document_id: str, version: int, page: int
    ) -> list[str]:
        """Remember the page's hash; returns the other cases that hold the same file."""
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": _pk(tenant_id, sha256),
                    "sk": f"{case_id}#{document_id}#{version}#{page}",
                    "case_id": case_id,
                }
            ),
        )
        return [c for c in self._cases(tenant_id, sha256) if c != case_id]

    def forget(self, tenant_id: str, sha256: str, case_id: str) -> None:
        """Remove the case's entries for this hash (its documents were deleted)."""
        for item in self._items(tenant_id, sha256):
            if item["case_id"] == case_id:
                self._client.delete_item(
                    TableName=self._table, Key=to_item({"pk": item["pk"], "sk": item["sk"]})
                )

    def _cases(self, tenant_id: str, sha256: str) -> list[str]:
        return list(dict.fromkeys(i["case_id"] for i in self._items(tenant_id, sha256)))

    def _items(self, tenant_id: str, sha256: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": _pk(tenant_id, sha256)}),
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            items += [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
