"""The webhook store's contract (`arbiter.services.webhook_delivery.WebhookRepository`): subscriptions, deliveries
and the attempt log, the same in the fake and in DynamoDB."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.events import WebhookDeliveryFailed
from arbiter.domain.sealed import is_sealed, webhook_secret_context
from arbiter.domain.webhooks import Attempt, Delivery, DeliveryStatus, SigningSecret, Subscription
from arbiter.services.ports import Page
from arbiter.services.webhook_delivery import WebhookRepository
from tests.unit.contracts.backends import Backend
from tests.unit.fakes import InMemorySecretBox

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def subscription(tenant_id: str, sub_id: str, minute: int = 0, case_id: str | None = None) -> Subscription:
    return Subscription(
        id=sub_id,
        tenant_id=tenant_id,
        url=f"https://hooks.example.com/{sub_id}",
        event_types=["case.decided"],
        case_id=case_id,
        secrets=[SigningSecret(value=f"whsec_{sub_id}-secret", created_at=at(minute))],
        created_at=at(minute),
        updated_at=at(minute),
    )


def delivery(
    tenant_id: str, delivery_id: str, minute: int, sub_id: str = "sub-1", case_id: str | None = "case-1"
) -> Delivery:
    return Delivery(
        id=delivery_id,
        tenant_id=tenant_id,
        subscription_id=sub_id,
        url="https://hooks.example.com/sub-1",
        format="standard",
        event_type="case.decided",
        case_id=case_id,
        body='{"type": "case.decided"}',
        created_at=at(minute),
        updated_at=at(minute),
    )


def attempt(delivery_id: str, round_: int, number: int, success: bool = False) -> Attempt:
    return Attempt(
        delivery_id=delivery_id,
        round=round_,
        number=number,
        at=at(60 + round_ * 10 + number),
        success=success,
        status_code=200 if success else 503,
        latency_ms=12,
    )


def walk(list_page: Any, limit: int) -> list[list[str]]:
    """Every page's ids, following the cursors."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(20):
        page: Page[Any] = list_page(cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        pages.append([item.id for item in page.items])
        cursor = page.cursor
        if cursor is None:
            return pages
    raise AssertionError("the cursor never ended")


# ---------------------------------------------------------------------------------------------- subscriptions


def test_a_subscription_is_added_once_and_read_back_with_its_secrets_sealed(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    sub = subscription(backend.tenant_id, "sub-1")
    assert webhooks.add_subscription(sub) is True
    assert webhooks.add_subscription(subscription(backend.tenant_id, "sub-1", minute=5)) is False
    stored = webhooks.get_subscription(backend.tenant_id, "sub-1")
    assert stored.model_dump(exclude={"secrets"}) == sub.model_dump(exclude={"secrets"})
    sealed = stored.secrets[0].value
    assert is_sealed(sealed)
    assert "sub-1-secret" not in sealed
    box = InMemorySecretBox()
    assert box.open(sealed, webhook_secret_context(backend.tenant_id)) == "whsec_sub-1-secret"
    webhooks.save_subscription(stored)  # a sealed secret is kept as it is
    assert webhooks.get_subscription(backend.tenant_id, "sub-1").secrets[0].value == sealed


def test_another_tenants_or_a_missing_subscription_is_not_found(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    webhooks.add_subscription(subscription(backend.tenant_id, "sub-1"))
    for tenant_id, sub_id in ((backend.other_tenant(), "sub-1"), (backend.tenant_id, "sub-2")):
        with pytest.raises(NotFound):
            webhooks.get_subscription(tenant_id, sub_id)
        with pytest.raises(NotFound):
            webhooks.delete_subscription(tenant_id, sub_id)
    with pytest.raises(NotFound):
        webhooks.save_subscription(subscription(backend.tenant_id, "sub-2"))
    with pytest.raises(NotFound):
        webhooks.get_subscription(backend.tenant_id, "sub-2")  # a save never creates one


def test_a_saved_subscription_replaces_the_stored_one_and_a_deleted_one_is_gone(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    webhooks.add_subscription(subscription(t, "sub-1"))
    changed = webhooks.get_subscription(t, "sub-1")
    changed.disable("the receiver answered 410", at(3))
    webhooks.save_subscription(changed)
    stored = webhooks.get_subscription(t, "sub-1")
    assert (stored.enabled, stored.disabled_reason, stored.updated_at) == (
        False,
        "the receiver answered 410",
        at(3),
    )
    webhooks.delete_subscription(t, "sub-1")
    with pytest.raises(NotFound):
        webhooks.get_subscription(t, "sub-1")
    assert webhooks.list_subscriptions(t).items == []


def test_the_list_holds_the_tenants_own_subscriptions_newest_first(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    for minute, sub_id in enumerate(["s-a", "s-b", "s-c"]):
        webhooks.add_subscription(subscription(t, sub_id, minute))
    webhooks.add_subscription(subscription(t, "s-run", 9, case_id="case-1"))  # a Ballerine run's: not listed
    webhooks.add_subscription(subscription(backend.other_tenant(), "s-theirs", 9))
    assert [s.id for s in webhooks.list_subscriptions(t).items] == ["s-c", "s-b", "s-a"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_cursor_walks_the_subscriptions(
    webhooks: WebhookRepository, backend: Backend, limit: int
) -> None:
    t = backend.tenant_id
    for minute in range(5):
        webhooks.add_subscription(subscription(t, f"s-{minute}", minute))
    pages = walk(lambda **page: webhooks.list_subscriptions(t, **page), limit)
    assert [s for page in pages for s in page] == ["s-4", "s-3", "s-2", "s-1", "s-0"]
    assert all(pages[:-1])


def test_the_subscriptions_for_a_case_are_the_tenants_then_the_cases_own(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    webhooks.add_subscription(subscription(t, "s-all-2", 2))
    webhooks.add_subscription(subscription(t, "s-all-1", 1))
    webhooks.add_subscription(subscription(t, "s-case-1", 3, case_id="case-1"))
    webhooks.add_subscription(subscription(t, "s-case-2", 4, case_id="case-2"))
    other = backend.other_tenant()
    webhooks.add_subscription(subscription(other, "s-theirs", 0))
    assert [s.id for s in webhooks.subscriptions_for(t, "case-1")] == ["s-all-1", "s-all-2", "s-case-1"]
    assert [s.id for s in webhooks.subscriptions_for(t, None)] == ["s-all-1", "s-all-2"]
    assert [s.id for s in webhooks.subscriptions_for(other, "case-1")] == ["s-theirs"]


# ---------------------------------------------------------------------------------------------- deliveries


def test_a_delivery_is_added_once_replaced_by_a_save_and_not_seen_by_other_tenants(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    first = delivery(t, "d-1", 0)
    assert webhooks.add_delivery(first) is True
    assert webhooks.add_delivery(delivery(t, "d-1", 5)) is False  # the same event seen twice
    assert webhooks.get_delivery(t, "d-1") == first
    replayed = first.model_copy(update={"round": 1, "attempts": 0, "status": DeliveryStatus.PENDING})
    webhooks.save_delivery(replayed)
    assert webhooks.get_delivery(t, "d-1").round == 1
    with pytest.raises(NotFound):
        webhooks.get_delivery(backend.other_tenant(), "d-1")
    with pytest.raises(NotFound):
        webhooks.get_delivery(t, "d-2")


def test_an_attempt_is_recorded_with_the_deliverys_new_state_and_the_log_is_in_order(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    d = delivery(t, "d-1", 0)
    webhooks.add_delivery(d)
    for round_, number in ((0, 1), (0, 2), (1, 1)):
        tried = attempt("d-1", round_, number)
        d.record(tried, next_wait=None if (round_, number) == (1, 1) else 1)
        failed = WebhookDeliveryFailed(
            time=tried.at, tenant_id=t, delivery_id="d-1", subscription_id="sub-1", event_type="case.decided",
            url=d.url, attempts=d.total_attempts, last_status_code=503, last_error=None, case_id="case-1",
        )  # fmt: skip
        webhooks.record_attempt(d, tried, [failed] if d.status == DeliveryStatus.FAILED else [])
    assert [(a.round, a.number) for a in webhooks.attempts(t, "d-1")] == [(0, 1), (0, 2), (1, 1)]
    stored = webhooks.get_delivery(t, "d-1")
    assert (stored.status, stored.total_attempts) == (d.status, 3)
    assert webhooks.attempts(t, "d-2") == []
    assert webhooks.attempts(backend.other_tenant(), "d-1") == []


def test_deliveries_are_listed_by_subscription_or_by_case_newest_first(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    webhooks.add_delivery(delivery(t, "d-1", 1, sub_id="sub-1", case_id="case-1"))
    webhooks.add_delivery(delivery(t, "d-2", 2, sub_id="sub-2", case_id="case-1"))
    webhooks.add_delivery(delivery(t, "d-3", 3, sub_id="sub-1", case_id="case-2"))
    webhooks.add_delivery(delivery(t, "d-4", 4, sub_id="sub-1", case_id=None))
    webhooks.add_delivery(delivery(backend.other_tenant(), "d-9", 9, sub_id="sub-1", case_id="case-1"))

    def listed(**filters: Any) -> list[str]:
        return [d.id for d in webhooks.list_deliveries(t, **filters).items]

    assert listed(subscription_id="sub-1") == ["d-4", "d-3", "d-1"]
    assert listed(case_id="case-1") == ["d-2", "d-1"]
    assert listed(subscription_id="sub-1", since=at(3)) == ["d-4", "d-3"]
    assert listed(case_id="case-1", since=at(2)) == ["d-2"]
    assert listed(subscription_id="sub-3") == []


def test_listing_deliveries_needs_a_subscription_or_a_case(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhooks.list_deliveries(backend.tenant_id)
    assert refused.value.path == "case_id"


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_the_cursor_walks_a_subscriptions_deliveries(
    webhooks: WebhookRepository, backend: Backend, limit: int
) -> None:
    t = backend.tenant_id
    for minute in range(5):
        webhooks.add_delivery(delivery(t, f"d-{minute}", minute))
    pages = walk(lambda **page: webhooks.list_deliveries(t, subscription_id="sub-1", **page), limit)
    assert [d for page in pages for d in page] == ["d-4", "d-3", "d-2", "d-1", "d-0"]
    assert all(pages[:-1])


def test_a_cursor_of_another_list_or_a_forged_one_is_refused(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    for minute in range(3):
        webhooks.add_delivery(delivery(t, f"d-{minute}", minute))
        webhooks.add_subscription(subscription(t, f"s-{minute}", minute))
    by_subscription = webhooks.list_deliveries(t, subscription_id="sub-1", limit=1).cursor
    subscriptions = webhooks.list_subscriptions(t, limit=1).cursor
    assert by_subscription is not None
    assert subscriptions is not None
    refused = [
        lambda: webhooks.list_deliveries(t, case_id="case-1", cursor=by_subscription),
        lambda: webhooks.list_deliveries(t, subscription_id="sub-2", cursor=by_subscription),
        lambda: webhooks.list_deliveries(t, subscription_id="sub-1", cursor=subscriptions),
        lambda: webhooks.list_subscriptions(t, cursor=by_subscription),
        lambda: webhooks.list_subscriptions(backend.other_tenant(), cursor=subscriptions),
        lambda: webhooks.list_subscriptions(t, cursor="not-a-cursor"),
        lambda: webhooks.list_deliveries(t, subscription_id="sub-1", cursor="e30"),
    ]
    for list_page in refused:
        with pytest.raises(InvalidInput) as caught:
            list_page()
        assert caught.value.path == "cursor"


def test_a_subscriptions_changes_are_kept_with_it_and_after_its_deletion(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    from arbiter.domain.case import Actor
    from arbiter.domain.webhooks import WebhookChange

    t = backend.tenant_id
    admin = Actor(type="reviewer", id="admin-1", email="admin@example.com")

    def change(action: str, minute: int) -> WebhookChange:
        sub = subscription(t, "sub-1")
        return WebhookChange(
            tenant_id=t,
            subscription_id="sub-1",
            at=at(minute),
            actor=admin,
            action=action,
            url=sub.url,
            event_types=sub.event_types,
            enabled=True,
        )

    assert webhooks.add_subscription(subscription(t, "sub-1"), change("created", 1)) is True
    # A second add is refused as a whole: no audit entry for what was not stored.
    assert webhooks.add_subscription(subscription(t, "sub-1"), change("created", 2)) is False
    webhooks.save_subscription(subscription(t, "sub-1"), change("changed", 3))
    webhooks.delete_subscription(t, "sub-1", change("deleted", 4))
    with pytest.raises(NotFound):
        webhooks.save_subscription(subscription(t, "sub-1"), change("changed", 5))
    with pytest.raises(NotFound):
        webhooks.delete_subscription(t, "sub-1", change("deleted", 6))
    assert [(c.action, c.at) for c in webhooks.changes(t, "sub-1")] == [
        ("created", at(1)),
        ("changed", at(3)),
        ("deleted", at(4)),
    ]
    assert webhooks.changes(f"{t}-other", "sub-1") == []


def test_a_tenants_webhook_routes_grow_with_its_subscriptions_and_its_ballerine_runs(
    webhooks: WebhookRepository, backend: Backend
) -> None:
    from arbiter.domain.webhooks import WebhookRoutes

    t = backend.tenant_id
    assert webhooks.webhook_routes(t) is None  # never worked out: the publisher works them out once
    # A subscription stored before they were worked out is kept with what the publisher works out.
    assert webhooks.add_subscription(subscription(t, "sub-1")) is True
    assert webhooks.webhook_routes(t) is None
    webhooks.keep_routes(t, WebhookRoutes(event_types=frozenset({"case.created"})))
    assert webhooks.webhook_routes(t) == WebhookRoutes(
        event_types=frozenset({"case.created", "case.decided"})
    )
    # A Ballerine-format subscription routes the Arbiter events its Ballerine names are made from.
    ballerine = subscription(t, "sub-2").model_copy(
        update={"format": "ballerine", "event_types": ["workflow.state.changed"]}
    )
    assert webhooks.add_subscription(ballerine) is True
    # A case's own subscription (a Ballerine run's) is routed by route_ballerine_runs, not by its types.
    scoped = subscription(t, "sub-3", case_id="case-1").model_copy(
        update={"event_types": ["document.uploaded"]}
    )
    assert webhooks.add_subscription(scoped) is True
    routes = webhooks.webhook_routes(t)
    assert routes is not None
    assert routes.event_types == {"case.created", "case.decided", "case.status_changed"}
    assert routes.ballerine_runs is False
    assert not routes.wants("document.uploaded")
    webhooks.route_ballerine_runs(t)
    routes = webhooks.webhook_routes(t)
    assert routes is not None
    assert routes.ballerine_runs
    assert routes.wants("document.uploaded")
    # Changing a subscription widens them; deleting one never narrows them (an extra invocation, not a lost event).
    webhooks.save_subscription(subscription(t, "sub-1").model_copy(update={"event_types": ["case.assigned"]}))
    webhooks.delete_subscription(t, "sub-2")
    routes = webhooks.webhook_routes(t)
    assert routes is not None
    assert routes.event_types == {"case.created", "case.decided", "case.status_changed", "case.assigned"}
    assert webhooks.webhook_routes(f"{t}-other") is None


def test_a_new_tenant_starts_with_complete_empty_webhook_routes(backend: Backend) -> None:
    from arbiter.domain.webhooks import WebhookRoutes
    from tests.builders import tenant

    t = f"{backend.tenant_id}-new"
    assert backend.ports.webhooks.webhook_routes(t) is None
    backend.ports.tenants.add(tenant(t, webhook_shared_secret="s3cret"))
    # Nothing routed, and nothing to work out: its Ballerine runs route themselves when they ask for webhooks.
    assert backend.ports.webhooks.webhook_routes(t) == WebhookRoutes()
