"""Which published events go to the webhooks function: those some subscription of their tenant may want; a
subscription stored before an event is published gets it, whatever the publisher read before."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arbiter.domain.webhooks import Subscription, WebhookRoutes
from arbiter.services.outbox import publish_outbox
from arbiter.services.webhook_routing import WebhookRouter
from tests.builders import tenant
from tests.unit.fakes import InMemoryTenants
from tests.unit.webhook_fakes import InMemoryWebhooks

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def event(event_id: str, event_type: str, tenant_id: str = "acme") -> dict[str, Any]:
    return {"id": event_id, "type": event_type, "tenant_id": tenant_id, "case_id": "case-1"}


def subscribed(tenant_id: str, sub_id: str, *types: str, format: str = "standard") -> Subscription:
    return Subscription(
        id=sub_id,
        tenant_id=tenant_id,
        url=f"https://hooks.example.com/{sub_id}",
        event_types=list(types),
        format=format,  # type: ignore[arg-type]
        created_at=NOW,
        updated_at=NOW,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def router(webhooks: InMemoryWebhooks, tenants: InMemoryTenants | None = None, clock: Clock | None = None):
    return WebhookRouter(webhooks, tenants or InMemoryTenants(), clock=clock or Clock(), max_age_seconds=60)


def test_a_tenant_without_subscriptions_has_no_event_routed() -> None:
    webhooks = InMemoryWebhooks()
    routing = router(webhooks)
    assert routing.routed([event("e-1", "case.created"), event("e-2", "case.decided")]) == set()
    assert webhooks.routes["acme"] == (frozenset(), False, True)  # worked out once, kept


def test_only_the_types_a_subscription_wants_are_routed_and_webhook_events_never() -> None:
    webhooks = InMemoryWebhooks()
    webhooks.add_subscription(subscribed("acme", "sub-1", "case.decided"))
    webhooks.add_subscription(subscribed("globex", "sub-2", "case.created"))
    routed = router(webhooks).routed(
        [
            event("e-1", "case.created"),
            event("e-2", "case.decided"),
            event("e-3", "webhook.delivery_failed"),
            event("e-4", "case.created", tenant_id="globex"),
        ]
    )
    assert routed == {"e-2", "e-4"}


def test_a_subscription_made_after_the_routes_were_read_gets_the_next_event_at_once() -> None:
    webhooks, clock = InMemoryWebhooks(), Clock()
    routing = router(webhooks, clock=clock)
    assert routing.routed([event("e-1", "case.created")]) == set()
    clock.now = 1.0  # well within the cache's age
    webhooks.add_subscription(subscribed("acme", "sub-1", "case.decided"))
    assert routing.routed([event("e-2", "case.decided")]) == {"e-2"}


def test_a_routed_type_is_not_read_again_while_the_routes_are_fresh() -> None:
    webhooks, clock = InMemoryWebhooks(), Clock()
    webhooks.add_subscription(subscribed("acme", "sub-1", "case.decided"))
    routing = router(webhooks, clock=clock)
    assert routing.routed([event("e-1", "case.decided"), event("e-2", "case.decided")]) == {"e-1", "e-2"}
    reads = webhooks.route_reads
    clock.now = 30.0
    assert routing.routed([event("e-3", "case.decided")]) == {"e-3"}
    assert webhooks.route_reads == reads  # from the cache
    assert routing.routed([event("e-4", "case.created")]) == set()
    assert webhooks.route_reads == reads + 1  # a type not routed is read again, every time
    clock.now = 91.0  # more than 60 s after the last read (e-4's)
    assert routing.routed([event("e-5", "case.decided")]) == {"e-5"}
    assert webhooks.route_reads == reads + 2  # too old: read again


def test_subscriptions_older_than_the_routes_are_worked_out_once_with_the_ballerine_runs_of_a_signing_tenant() -> (
    None
):
    webhooks = InMemoryWebhooks()
    webhooks.subscriptions[("acme", "sub-1")] = subscribed(
        "acme", "sub-1", "case.decided"
    )  # stored before routes
    tenants = InMemoryTenants()
    tenants.add(tenant("acme", webhook_shared_secret="s3cret"))
    routed = router(webhooks, tenants).routed(
        [event("e-1", "case.decided"), event("e-2", "case.status_changed"), event("e-3", "case.assigned")]
    )
    assert routed == {"e-1", "e-2"}  # case.status_changed: a Ballerine run of this tenant may want it
    assert webhooks.routes["acme"] == (frozenset({"case.decided"}), True, True)


def test_a_ballerine_run_asking_for_webhooks_routes_its_tenants_ballerine_events() -> None:
    webhooks = InMemoryWebhooks()
    routing = router(webhooks)
    assert routing.routed([event("e-1", "case.status_changed")]) == set()
    webhooks.route_ballerine_runs("acme")
    assert routing.routed([event("e-2", "case.status_changed"), event("e-3", "case.assigned")]) == {"e-2"}


def test_routes_that_cannot_be_read_send_every_event_to_the_webhooks() -> None:
    class Bus:
        def __init__(self) -> None:
            self.routed: set[str] = set()

        def publish(self, envelopes: list[dict[str, Any]], routed: Any = ()) -> list[dict[str, Any]]:
            self.routed |= set(routed)
            return []

    def unreadable(_: list[dict[str, Any]]) -> set[str]:
        raise ConnectionError("the table did not answer")

    import base64
    import json
    import zlib

    records = [
        {
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": "1",
                "NewImage": {
                    "sk": {"S": "AUDIT#1"},
                    "event": {
                        "B": base64.b64encode(
                            zlib.compress(json.dumps(event("e-1", "case.created")).encode())
                        )
                    },
                },
            },
        }
    ]
    bus = Bus()
    assert publish_outbox(bus, records, unreadable, inflate=zlib.decompress) == []
    assert bus.routed == {"e-1"}


def test_routes_want_what_they_say() -> None:
    routes = WebhookRoutes(event_types=frozenset({"case.decided"}), ballerine_runs=True)
    assert routes.wants("case.decided")
    assert routes.wants("document.uploaded")
    assert not routes.wants("case.assigned")
    assert not routes.wants("webhook.delivery_failed")
