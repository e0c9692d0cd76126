"""Tenants and API keys in DynamoDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.errors import Conflict, NotFound
from arbiter.domain.sealed import SecretBox, ballerine_secret_context, seal_once
from arbiter.domain.tenant import ApiKey, Tenant

__all__ = ["DynamoTenantRepository"]


class DynamoTenantRepository:
    """Implements `arbiter.services.ports.TenantRepository`.

    A tenant's `webhook_shared_secret` is stored sealed (`secrets`); it is read back sealed, and opened only where a
    webhook is signed. A value stored before secrets were sealed is sealed when its tenant is next written.
    """

    def __init__(self, client: Any, table_name: str, *, secrets: SecretBox | None = None) -> None:
        self._client = client
        self._table = table_name
        self._secrets = secrets

    def _item(self, tenant: Tenant) -> dict[str, Any]:
        return {
            "pk": keys.tenant_pk(tenant.id),
            "sk": keys.TENANT_SK,
            "tenant_pk": keys.tenant_index_pk("_", "TENANT"),
            "tenant_sk": tenant.id,
            "data": self._sealed(tenant).model_dump_json(),
        }

    def _sealed(self, tenant: Tenant) -> Tenant:
        secret = tenant.settings.webhook_shared_secret
        if not secret:
            return tenant
        if self._secrets is None:
            raise ValueError(
                "storing a tenant's shared secret needs a SecretBox (SECRETS_KEY_ID): never in clear"
            )
        sealed = seal_once(self._secrets, secret, ballerine_secret_context(tenant.id))
        settings = tenant.settings.model_copy(update={"webhook_shared_secret": sealed})
        return tenant.model_copy(update={"settings": settings})

    def add(self, tenant: Tenant) -> None:
        """Store a new tenant, with its webhook routes complete (no subscription yet: none of its events goes to the
        webhooks function until one asks, `arbiter.services.webhook_routing`); Conflict if the id is taken."""
        item = self._item(tenant)
        routes = {
            "TableName": self._table,
            "Key": to_item({"pk": keys.webhook_routes_pk(tenant.id), "sk": keys.WEBHOOK_ROUTES_SK}),
            "UpdateExpression": "SET complete = :yes",
            "ExpressionAttributeValues": {":yes": {"BOOL": True}},
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Update": routes},
                ]
            )
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and reasons[:1] == [
                "ConditionalCheckFailed"
            ]:
                raise Conflict(f"tenant {tenant.id} already exists", tenant_id=tenant.id) from exc
            raise

    def update(self, tenant: Tenant) -> None:
        """Replace an existing tenant's record; NotFound if there is none."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(self._item(tenant)),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFound(f"tenant {tenant.id} not found", tenant_id=tenant.id) from exc
            raise

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": keys.tenant_pk(tenant_id), "sk": keys.TENANT_SK})
        )
        item = response.get("Item")
        return Tenant.model_validate_json(from_item(item)["data"]) if item else None

    def add_api_key(self, key: ApiKey) -> None:
        """Store a key's hash; Conflict if that hash exists (the same key issued twice)."""
        item = {
            "pk": keys.api_key_pk(key.key_hash),
            "sk": keys.API_KEY_SK,
            "data": key.model_dump_json(),
            # The tenant's keys, listed by admins (ByTenant).
            "tenant_pk": keys.tenant_index_pk(key.tenant_id, "APIKEY"),
            "tenant_sk": key.key_id,
        }
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
        return _api_key(from_item(item)) if item else None

    def api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included (a Query on ByTenant, then the keys' own items for the day each
        was last used, which the index does not carry)."""
        found: list[ApiKey] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByTenant",
            "KeyConditionExpression": "tenant_pk = :p",
            "ExpressionAttributeValues": to_item({":p": keys.tenant_index_pk(tenant_id, "APIKEY")}),
        }
        while True:
            response = self._client.query(**request)
            found += [ApiKey.model_validate_json(from_item(i)["data"]) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        used: dict[str, dt.date] = {}
        for start in range(0, len(found), 100):
            wanted = [
                to_item({"pk": keys.api_key_pk(k.key_hash), "sk": keys.API_KEY_SK})
                for k in found[start : start + 100]
            ]
            pending: dict[str, Any] = {
                self._table: {"Keys": wanted, "ProjectionExpression": "pk, last_used_on"}
            }
            while pending:
                answer = self._client.batch_get_item(RequestItems=pending)
                for raw in answer.get("Responses", {}).get(self._table, []):
                    item = from_item(raw)
                    if item.get("last_used_on"):
                        used[item["pk"]] = dt.date.fromisoformat(item["last_used_on"])
                pending = answer.get("UnprocessedKeys") or {}
        return [
            k.model_copy(update={"last_used_on": used.get(keys.api_key_pk(k.key_hash))}) if used else k
            for k in found
        ]

    def revoke_api_key(self, tenant_id: str, key_id: str, at: dt.datetime) -> ApiKey:
        """Revoke one of the tenant's keys (again: no change); NotFound for another tenant's or an unknown id."""
        key = next((k for k in self.api_keys(tenant_id) if k.key_id == key_id), None)
        if key is None:
            raise NotFound(f"no API key {key_id!r}", key_id=key_id)
        if key.revoked:
            return key
        revoked = key.model_copy(update={"revoked": True, "revoked_at": at, "last_used_on": None})
        self._client.update_item(
            TableName=self._table,
            Key=to_item({"pk": keys.api_key_pk(key.key_hash), "sk": keys.API_KEY_SK}),
            UpdateExpression="SET #data = :data",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#data": "data"},
            ExpressionAttributeValues=to_item({":data": revoked.model_dump_json(exclude={"last_used_on"})}),
        )
        return revoked.model_copy(update={"last_used_on": key.last_used_on})

    def record_key_use(self, key: ApiKey, day: dt.date) -> None:
        """Note that `key` was used on `day` (one write a day at most: a later one for the same day changes nothing).
        It also indexes a key stored before keys were listed by tenant."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": keys.api_key_pk(key.key_hash), "sk": keys.API_KEY_SK}),
                UpdateExpression="SET last_used_on = :day, tenant_pk = :tpk, tenant_sk = :id",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(last_used_on) OR last_used_on < :day)",
                ExpressionAttributeValues=to_item(
                    {
                        ":day": day.isoformat(),
                        ":tpk": keys.tenant_index_pk(key.tenant_id, "APIKEY"),
                        ":id": key.key_id,
                    }
                ),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

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


def _api_key(item: dict[str, Any]) -> ApiKey:
    key = ApiKey.model_validate_json(item["data"])
    used = item.get("last_used_on")
    return key.model_copy(update={"last_used_on": dt.date.fromisoformat(used)}) if used else key
