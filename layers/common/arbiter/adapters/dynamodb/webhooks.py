"""Webhook subscriptions, deliveries and the attempt log in DynamoDB (key layout in `keys.py`).

An attempt is stored in one transaction with the delivery's new state and, when the delivery fails for good,
the `webhook.delivery_failed` event (the outbox the stream publisher reads), so the log, the state and the
event never disagree.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.sealed import SecretBox, seal_once, webhook_secret_context
from arbiter.domain.webhooks import Attempt, Delivery, Subscription, WebhookChange, WebhookRoutes
from arbiter.services.ports import Page

__all__ = ["DynamoWebhookRepository"]

EVENT_RETENTION = dt.timedelta(days=30)
#: Deliveries and their attempts are kept this long after they were created (the table's TTL removes them).
DELIVERY_RETENTION = dt.timedelta(days=90)


def _routes_key(tenant_id: str) -> dict[str, Any]:
    """The key of the tenant's webhook routes item."""
    return to_item({"pk": keys.webhook_routes_pk(tenant_id), "sk": keys.WEBHOOK_ROUTES_SK})


class DynamoWebhookRepository:
    """Implements `arbiter.services.webhooks.WebhookRepository`.

    A subscription's signing secrets are stored sealed (`secrets`) and read back sealed: only signing opens them. A
    secret stored before secrets were sealed is sealed when its subscription is next written.
    """

    def __init__(self, client: Any, table_name: str, *, secrets: SecretBox | None = None) -> None:
        self._client = client
        self._table = table_name
        self._secrets = secrets

    def _conditionally(self, write: Any, **request: Any) -> bool:
        """Run a conditional write on the table; False when its condition does not hold."""
        try:
            write(TableName=self._table, **request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _with_change(
        self, write: dict[str, Any], change: WebhookChange | None, routes: dict[str, Any] | None = None
    ) -> bool:
        """One write of a subscription, its audit entry and the widening of its tenant's routes in the same
        transaction; False when the write's condition does not hold (then none is stored)."""
        items = [write] + ([{"Update": routes}] if routes else [])
        if change is not None:
            entry = {
                "pk": keys.webhook_pk(change.tenant_id, change.subscription_id),
                "sk": f"{keys.WEBHOOK_CHANGE_PREFIX}{keys.timestamp(change.at)}#{change.id}",
                "data": change.model_dump_json(),
            }
            items.append({"Put": {"TableName": self._table, "Item": to_item(entry)}})
        if len(items) == 1:
            kind, request = next(iter(write.items()))
            call = {"Put": self._client.put_item, "Delete": self._client.delete_item}[kind]
            return self._conditionally(call, **{k: v for k, v in request.items() if k != "TableName"})
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ routes
    def _widened_routes(self, subscription: Subscription) -> dict[str, Any] | None:
        """The update adding a tenant-wide subscription's event types to its tenant's routes (a case's own
        subscriptions, made from a Ballerine run's config, are routed by `route_ballerine_runs`)."""
        types = sorted(subscription.routed_event_types())
        if subscription.case_id is not None or not types:
            return None
        return {
            "TableName": self._table,
            "Key": _routes_key(subscription.tenant_id),
            "UpdateExpression": "ADD event_types :types",
            "ExpressionAttributeValues": {":types": {"SS": types}},
        }

    def webhook_routes(self, tenant_id: str) -> WebhookRoutes | None:
        """The tenant's routes, read consistently (a subscription stored before the read is in them); None until
        they were worked out once from the tenant's subscriptions (`keep_routes`: those made before routes were
        kept)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_routes_key(tenant_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if item is None or not item.get("complete", {}).get("BOOL"):
            return None
        return WebhookRoutes(
            event_types=frozenset(item.get("event_types", {}).get("SS", [])),
            ballerine_runs=bool(item.get("ballerine_runs", {}).get("BOOL", False)),
        )

    def keep_routes(self, tenant_id: str, routes: WebhookRoutes) -> None:
        """Add routes worked out from the tenant's subscriptions to what subscriptions and runs stored meanwhile,
        and mark them complete."""
        sets = ["complete = :yes"] + (["ballerine_runs = :yes"] if routes.ballerine_runs else [])
        values: dict[str, Any] = {":yes": {"BOOL": True}}
        expression = "SET " + ", ".join(sets)
        if routes.event_types:
            expression += " ADD event_types :types"
            values[":types"] = {"SS": sorted(routes.event_types)}
        self._client.update_item(
            TableName=self._table,
            Key=_routes_key(tenant_id),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )

    def route_ballerine_runs(self, tenant_id: str) -> None:
        """A Ballerine run of the tenant asked for webhooks: its Ballerine-named events go to the webhooks function
        from now on (before the run's case is stored, so none of its events is published unrouted)."""
        self._client.update_item(
            TableName=self._table,
            Key=_routes_key(tenant_id),
            UpdateExpression="SET ballerine_runs = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    # ------------------------------------------------------------------ subscriptions
    def add_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> bool:
        """Store a new subscription (and the change that made it); False if one with this id exists (it is left as
        it is)."""
        put = {
            "TableName": self._table,
            "Item": to_item(self._subscription_item(subscription)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        return self._with_change({"Put": put}, change, self._widened_routes(subscription))

    def save_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> None:
        """Replace a stored subscription (with the change's audit entry); NotFound if it was deleted meanwhile."""
        put = {
            "TableName": self._table,
            "Item": to_item(self._subscription_item(subscription)),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if not self._with_change({"Put": put}, change, self._widened_routes(subscription)):
            raise NotFound(f"webhook {subscription.id} not found", webhook_id=subscription.id)

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription:
        """The subscription, or NotFound (also for another tenant's)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.webhook_pk(tenant_id, subscription_id), "sk": keys.WEBHOOK_SK}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise NotFound(f"webhook {subscription_id} not found", webhook_id=subscription_id)
        return Subscription.model_validate_json(from_item(response["Item"])["data"])

    def delete_subscription(
        self, tenant_id: str, subscription_id: str, change: WebhookChange | None = None
    ) -> None:
        """Delete it (the change's audit entry stays); NotFound if there is none. Its deliveries stay in the log."""
        delete = {
            "TableName": self._table,
            "Key": to_item({"pk": keys.webhook_pk(tenant_id, subscription_id), "sk": keys.WEBHOOK_SK}),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if not self._with_change({"Delete": delete}, change):
            raise NotFound(f"webhook {subscription_id} not found", webhook_id=subscription_id)

    def changes(self, tenant_id: str, subscription_id: str) -> list[WebhookChange]:
        """The subscription's audit trail, oldest first (kept after it is deleted)."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.webhook_pk(tenant_id, subscription_id), ":prefix": keys.WEBHOOK_CHANGE_PREFIX}
            ),
            ConsistentRead=True,
        )
        return [WebhookChange.model_validate_json(i["data"]) for i in items]

    def list_subscriptions(
        self, tenant_id: str, *, cursor: str | None = None, limit: int = 25
    ) -> Page[Subscription]:
        """The tenant's subscriptions made through the API, newest first."""
        items, next_cursor = self._page(keys.tenant_index_pk(tenant_id, "WEBHOOK"), "ByTenant", cursor, limit)
        return Page([Subscription.model_validate_json(i["data"]) for i in items], next_cursor)

    def subscriptions_for(self, tenant_id: str, case_id: str | None) -> list[Subscription]:
        """Every subscription that may want an event of this tenant about `case_id`."""
        partitions = [keys.tenant_index_pk(tenant_id, "WEBHOOK")]
        if case_id:
            partitions.append(keys.tenant_index_pk(tenant_id, f"WEBHOOK#CASE#{case_id}"))
        found = []
        for partition in partitions:
            found += [
                Subscription.model_validate_json(i["data"])
                for i in self._query_all(
                    IndexName="ByTenant",
                    KeyConditionExpression="tenant_pk = :p",
                    ExpressionAttributeValues=to_item({":p": partition}),
                )
            ]
        return found

    def _subscription_item(self, subscription: Subscription) -> dict[str, Any]:
        kind = f"WEBHOOK#CASE#{subscription.case_id}" if subscription.case_id else "WEBHOOK"
        return {
            "pk": keys.webhook_pk(subscription.tenant_id, subscription.id),
            "sk": keys.WEBHOOK_SK,
            "tenant_pk": keys.tenant_index_pk(subscription.tenant_id, kind),
            "tenant_sk": f"{keys.timestamp(subscription.created_at)}#{subscription.id}",
            "data": self._sealed(subscription).model_dump_json(),
        }

    def _sealed(self, subscription: Subscription) -> Subscription:
        if not subscription.secrets:
            return subscription
        if self._secrets is None:
            raise ValueError(
                "storing a webhook's signing secrets needs a SecretBox (SECRETS_KEY_ID): never in clear"
            )
        context = webhook_secret_context(subscription.tenant_id)
        sealed = [
            s.model_copy(update={"value": seal_once(self._secrets, s.value, context)})
            for s in subscription.secrets
        ]
        return subscription.model_copy(update={"secrets": sealed})

    # ------------------------------------------------------------------ deliveries
    def add_delivery(self, delivery: Delivery) -> bool:
        """Store a new delivery; False if it exists (the same event seen twice)."""
        return self._conditionally(
            self._client.put_item,
            Item=to_item(self._delivery_item(delivery)),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def save_delivery(self, delivery: Delivery) -> None:
        """Replace the delivery's record (a replay)."""
        self._client.put_item(TableName=self._table, Item=to_item(self._delivery_item(delivery)))

    def get_delivery(self, tenant_id: str, delivery_id: str) -> Delivery:
        """The delivery, or NotFound (also for another tenant's)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": keys.delivery_pk(tenant_id, delivery_id), "sk": keys.DELIVERY_SK}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise NotFound(f"delivery {delivery_id} not found", delivery_id=delivery_id)
        return Delivery.model_validate_json(from_item(response["Item"])["data"])

    def record_attempt(self, delivery: Delivery, attempt: Attempt, events: list[ArbiterEvent]) -> None:
        """The attempt, the delivery's new state and any event it produced, in one transaction."""
        pk = keys.delivery_pk(delivery.tenant_id, delivery.id)
        expires = int((dt.datetime.now(dt.UTC) + EVENT_RETENTION).timestamp())
        attempt_item = {
            "pk": pk,
            "sk": f"{keys.ATTEMPT_PREFIX}{attempt.round:04d}#{attempt.number:03d}",
            "data": attempt.model_dump_json(),
            "expires_at": _expiry(delivery),
        }
        operations: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": to_item(self._delivery_item(delivery))}},
            {"Put": {"TableName": self._table, "Item": to_item(attempt_item)}},
        ]
        for event in events:
            outbox = {
                "pk": pk,
                "sk": f"{keys.EVENT_PREFIX}{keys.timestamp(event.time)}#{event.id}",
                "detail_type": event.type,
                "data": json.dumps(event.envelope()),
                "expires_at": expires,
            }
            operations.append({"Put": {"TableName": self._table, "Item": to_item(outbox)}})
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise Conflict("the delivery is being updated right now", delivery_id=delivery.id) from exc
            raise

    def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]:
        """Every attempt of the delivery, oldest first."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.delivery_pk(tenant_id, delivery_id), ":prefix": keys.ATTEMPT_PREFIX}
            ),
            ConsistentRead=True,
        )
        return [Attempt.model_validate_json(i["data"]) for i in items]

    def list_deliveries(
        self,
        tenant_id: str,
        *,
        subscription_id: str | None = None,
        case_id: str | None = None,
        since: dt.datetime | None = None,
        cursor: str | None = None,
        limit: int = 25,
    ) -> Page[Delivery]:
        """A subscription's or a case's deliveries, newest first (`since`: created at or after)."""
        if subscription_id:
            index, partition = "ByTenant", keys.tenant_index_pk(tenant_id, f"DELIVERY#{subscription_id}")
        elif case_id:
            index, partition = "ByEntity", keys.case_deliveries_pk(tenant_id, case_id)
        else:
            raise InvalidInput("name a webhook or a case", path="case_id")
        items, next_cursor = self._page(partition, index, cursor, limit, since=since)
        return Page([Delivery.model_validate_json(i["data"]) for i in items], next_cursor)

    def _delivery_item(self, delivery: Delivery) -> dict[str, Any]:
        t = delivery.tenant_id
        created = f"{keys.timestamp(delivery.created_at)}#{delivery.id}"
        item: dict[str, Any] = {
            "pk": keys.delivery_pk(t, delivery.id),
            "sk": keys.DELIVERY_SK,
            "status": delivery.status.value,
            "tenant_pk": keys.tenant_index_pk(t, f"DELIVERY#{delivery.subscription_id}"),
            "tenant_sk": created,
            "data": delivery.model_dump_json(),
            "expires_at": _expiry(delivery),
        }
        if delivery.case_id:
            item["entity_pk"] = keys.case_deliveries_pk(t, delivery.case_id)
            item["entity_sk"] = created
        return item

    # ------------------------------------------------------------------ reading pages
    _SORT = {"ByTenant": ("tenant_pk", "tenant_sk"), "ByEntity": ("entity_pk", "entity_sk")}

    def _page(
        self, partition: str, index: str, cursor: str | None, limit: int, since: dt.datetime | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        partition_attr, sort_attr = self._SORT[index]
        condition = f"{partition_attr} = :p"
        values: dict[str, Any] = {":p": partition}
        if since is not None:
            condition += f" AND {sort_attr} >= :since"
            values[":since"] = keys.timestamp(since)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = _decode_cursor(cursor, partition_attr, partition)
        if start:
            request["ExclusiveStartKey"] = start
        response = self._client.query(**request)
        items = [from_item(i) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return items, _encode_cursor(from_item(last)) if last and len(items) == limit else None

    def _query_all(self, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(TableName=self._table, **request)
            items += [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _expiry(delivery: Delivery) -> int:
    return int((delivery.created_at + DELIVERY_RETENTION).timestamp())


def _encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None, partition_attr: str, partition: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    key: Any = None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = isinstance(key, dict) and key.get(partition_attr) == partition
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInput("the cursor does not belong to this list; start again without it", path="cursor")
    return to_item(key)
