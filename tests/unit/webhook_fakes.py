"""In-memory fakes of the webhook ports, with the same rules as the DynamoDB adapter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.sealed import seal_once, webhook_secret_context
from arbiter.domain.webhooks import Attempt, Delivery, Subscription, WebhookChange, WebhookRoutes
from arbiter.services.ports import Page
from arbiter.services.webhook_delivery import SendResult
from tests.unit.fakes import InMemorySecretBox, decode_cursor, encode_cursor


class InMemoryWebhooks:
    """Stores subscriptions as the DynamoDB repository does: signing secrets sealed on every write."""

    def __init__(self, box: Any = None) -> None:
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.deliveries: dict[tuple[str, str], Delivery] = {}
        self.attempt_log: dict[tuple[str, str], list[Attempt]] = {}
        self.events: list[ArbiterEvent] = []
        self.change_log: dict[tuple[str, str], list[WebhookChange]] = {}
        self.box = box or InMemorySecretBox()
        #: Per tenant: (event types routed, Ballerine runs routed, complete).
        self.routes: dict[str, tuple[frozenset[str], bool, bool]] = {}
        self.route_reads = 0

    def _widen(self, subscription: Subscription) -> None:
        types = subscription.routed_event_types()
        if subscription.case_id is None and types:
            old, ballerine, complete = self.routes.get(subscription.tenant_id, (frozenset(), False, False))
            self.routes[subscription.tenant_id] = (old | types, ballerine, complete)

    def webhook_routes(self, tenant_id: str) -> WebhookRoutes | None:
        self.route_reads += 1
        types, ballerine, complete = self.routes.get(tenant_id, (frozenset(), False, False))
        return WebhookRoutes(event_types=types, ballerine_runs=ballerine) if complete else None

    def keep_routes(self, tenant_id: str, routes: WebhookRoutes) -> None:
        types, ballerine, _ = self.routes.get(tenant_id, (frozenset(), False, False))
        self.routes[tenant_id] = (types | routes.event_types, ballerine or routes.ballerine_runs, True)

    def route_ballerine_runs(self, tenant_id: str) -> None:
        types, _, complete = self.routes.get(tenant_id, (frozenset(), False, False))
        self.routes[tenant_id] = (types, True, complete)

    def _sealed(self, subscription: Subscription) -> Subscription:
        stored = subscription.model_copy(deep=True)
        context = webhook_secret_context(subscription.tenant_id)
        for secret in stored.secrets:
            secret.value = seal_once(self.box, secret.value, context)
        return stored

    def _note(self, change: WebhookChange | None) -> None:
        if change is not None:
            self.change_log.setdefault((change.tenant_id, change.subscription_id), []).append(change)

    def add_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> bool:
        key = (subscription.tenant_id, subscription.id)
        if key in self.subscriptions:
            return False
        self.subscriptions[key] = self._sealed(subscription)
        self._widen(subscription)
        self._note(change)
        return True

    def save_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> None:
        key = (subscription.tenant_id, subscription.id)
        if key not in self.subscriptions:
            raise NotFound(f"webhook {subscription.id} not found")
        self.subscriptions[key] = self._sealed(subscription)
        self._widen(subscription)
        self._note(change)

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription:
        found = self.subscriptions.get((tenant_id, subscription_id))
        if found is None:
            raise NotFound(f"webhook {subscription_id} not found")
        return found.model_copy(deep=True)

    def delete_subscription(
        self, tenant_id: str, subscription_id: str, change: WebhookChange | None = None
    ) -> None:
        if self.subscriptions.pop((tenant_id, subscription_id), None) is None:
            raise NotFound(f"webhook {subscription_id} not found")
        self._note(change)

    def changes(self, tenant_id: str, subscription_id: str) -> list[WebhookChange]:
        return sorted(self.change_log.get((tenant_id, subscription_id), []), key=lambda c: (c.at, c.id))

    def list_subscriptions(
        self, tenant_id: str, *, cursor: str | None = None, limit: int = 25
    ) -> Page[Subscription]:
        items = [s for (t, _), s in self.subscriptions.items() if t == tenant_id and s.case_id is None]
        return _newest_first(items, f"{tenant_id}/webhooks", cursor, limit)

    def subscriptions_for(self, tenant_id: str, case_id: str | None) -> list[Subscription]:
        """The tenant's subscriptions, then the case's, each oldest first (the store's two index partitions)."""
        mine = [s for (t, _), s in self.subscriptions.items() if t == tenant_id]
        ordered = sorted(mine, key=lambda s: (s.created_at, s.id))
        return [s.model_copy(deep=True) for s in ordered if s.case_id is None] + [
            s.model_copy(deep=True) for s in ordered if case_id and s.case_id == case_id
        ]

    def add_delivery(self, delivery: Delivery) -> bool:
        key = (delivery.tenant_id, delivery.id)
        if key in self.deliveries:
            return False
        self.deliveries[key] = delivery.model_copy(deep=True)
        return True

    def save_delivery(self, delivery: Delivery) -> None:
        self.deliveries[(delivery.tenant_id, delivery.id)] = delivery.model_copy(deep=True)

    def get_delivery(self, tenant_id: str, delivery_id: str) -> Delivery:
        found = self.deliveries.get((tenant_id, delivery_id))
        if found is None:
            raise NotFound(f"delivery {delivery_id} not found")
        return found.model_copy(deep=True)

    def record_attempt(self, delivery: Delivery, attempt: Attempt, events: list[ArbiterEvent]) -> None:
        self.save_delivery(delivery)
        log = self.attempt_log.setdefault((delivery.tenant_id, delivery.id), [])
        # One record per (round, number): an attempt recorded again replaces the first, as a Put does.
        log[:] = [a for a in log if (a.round, a.number) != (attempt.round, attempt.number)] + [attempt]
        self.events += events

    def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]:
        return sorted(self.attempt_log.get((tenant_id, delivery_id), []), key=lambda a: (a.round, a.number))

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
        if subscription_id:
            scope = f"{tenant_id}/deliveries/{subscription_id}"
            found = [
                d
                for (t, _), d in self.deliveries.items()
                if t == tenant_id and d.subscription_id == subscription_id
            ]
        elif case_id:
            scope = f"{tenant_id}/case-deliveries/{case_id}"
            found = [d for (t, _), d in self.deliveries.items() if t == tenant_id and d.case_id == case_id]
        else:
            raise InvalidInput("name a webhook or a case", path="case_id")
        found = [d for d in found if since is None or d.created_at >= since]
        return _newest_first(found, scope, cursor, limit)


def _newest_first(items: list[Any], scope: str, cursor: str | None, limit: int) -> Page[Any]:
    """A page of subscriptions or deliveries as the store's index gives them: newest first, by creation time and
    id, after the cursor (which only this list, `scope`, accepts)."""

    def key(item: Any) -> tuple[str, str]:
        return (item.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"), item.id)

    ordered = sorted(items, key=key, reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor, scope)
        ordered = [item for item in ordered if key(item) < after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page(
        [item.model_copy(deep=True) for item in page], encode_cursor(scope, key(page[-1])) if more else None
    )


class RecordingScheduler:
    """Remembers which (delivery, round, first wait) were started; a round starts once, as named executions do."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int, int]] = []

    def start(self, delivery: Delivery, wait_seconds: int) -> None:
        if not any(s[:2] == (delivery.id, delivery.round) for s in self.started):
            self.started.append((delivery.id, delivery.round, wait_seconds))


class ScriptedSender:
    """Answers each send with the next scripted result (200 once the script runs out); records requests."""

    def __init__(self, *answers: int | str) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        self.sent.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, str):
            return SendResult(None, 3, answer)
        return SendResult(answer, 3, None, "ok")
