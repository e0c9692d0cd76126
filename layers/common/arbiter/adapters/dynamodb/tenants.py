"""Tenants and API keys in DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.errors import Conflict
from arbiter.domain.tenant import ApiKey, Tenant

__all__ = ["DynamoTenantRepository"]


class DynamoTenantRepository:
    """Implements `arbiter.services.ports.TenantRepository`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add(self, tenant: Tenant) -> None:
        """Store a new tenant; Conflict if the id is taken."""
        item = {
            "pk": keys.tenant_pk(tenant.id),
            "sk": keys.TENANT_SK,
            "tenant_pk": keys.tenant_index_pk("_", "TENANT"),
            "tenant_sk": tenant.id,
            "data": tenant.model_dump_json(),
        }
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(f"tenant {tenant.id} already exists", tenant_id=tenant.id) from exc
            raise

    def update(self, tenant: Tenant) -> None:
        """Replace an existing tenant's record."""
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": keys.tenant_pk(tenant.id),
                    "sk": keys.TENANT_SK,
                    "tenant_pk": keys.tenant_index_pk("_", "TENANT"),
                    "tenant_sk": tenant.id,
                    "data": tenant.model_dump_json(),
                }
            ),
            ConditionExpression="attribute_exists(pk)",
        )

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": keys.tenant_pk(tenant_id), "sk": keys.TENANT_SK})
        )
        item = response.get("Item")
        return Tenant.model_validate_json(from_item(item)["data"]) if item else None

    def add_api_key(self, key: ApiKey) -> None:
        """Store a key's hash; Conflict if that hash exists (the same key issued twice)."""
        item = {"pk": keys.api_key_pk(key.key_hash), "sk": keys.API_KEY_SK, "data": key.model_dump_json()}
        try:
            self._client.put_item(
                TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("this API key is already issued") from exc
            raise

    def get_api_key(self, key_hash: str) -> ApiKey | None:
        """The stored key with this hash, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": keys.api_key_pk(key_hash), "sk": keys.API_KEY_SK})
        )
        item = response.get("Item")
        return ApiKey.model_validate_json(from_item(item)["data"]) if item else None

    def all(self) -> Iterator[Tenant]:
        """Every tenant, one page of the ByTenant index at a time (for scheduled jobs, not request paths)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByTenant",
            "KeyConditionExpression": "tenant_pk = :p",
            "ExpressionAttributeValues": to_item({":p": keys.tenant_index_pk("_", "TENANT")}),
        }
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield Tenant.model_validate_json(from_item(item)["data"])
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
