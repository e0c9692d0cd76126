"""Use cases of webhook subscriptions: subscribe, change, rotate the secret, test, read the log, replay."""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.domain.webhooks import (
    BALLERINE_EVENT_NAMES,
    SUBSCRIBABLE_EVENT_TYPES,
    Attempt,
    ChangeAction,
    Delivery,
    DeliveryStatus,
    SigningSecret,
    Subscription,
    WebhookChange,
    WebhookFormat,
    generate_secret,
)
from arbiter.egress import AllowList, Resolver, refusal_reason
from arbiter.services.ports import Page
from arbiter.services.webhook_delivery import (
    TEST_EVENT_TYPE,
    WebhookDeps,
    WebhookRepository,
    send_once,
    standard_body,
)

__all__ = [
    "SubscriptionOverview",
    "case_deliveries",
    "check_event_types",
    "check_run_subscriptions",
    "check_webhook_url",
    "create_subscription",
    "delete_subscription",
    "delivery_detail",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "queue_test",
    "recent_case_deliveries",
    "recover",
    "redeliver",
    "replay",
    "rotate_secret",
    "send_test",
    "subscription_changes",
    "subscription_delivery",
    "subscription_overviews",
    "update_subscription",
]

MAX_RECOVER = 500


def _may_manage(principal: Principal, doing: str) -> None:
    """An integrator's API key manages its tenant's webhooks; a reviewer needs the admin role (the back office's
    admin screen); an applicant's collection link never does."""
    if principal.kind == "reviewer":
        principal.require("admin", doing)
    elif principal.kind != "integrator":
        raise NotAllowed(f"{doing} needs an API key or an admin", required_role="admin")


def _change(
    principal: Principal,
    subscription: Subscription,
    action: ChangeAction,
    at: dt.datetime,
    fields: Sequence[str] = (),
) -> WebhookChange:
    """The audit entry of a change made by `principal` (never a secret: only what changed, and the result)."""
    return WebhookChange(
        tenant_id=subscription.tenant_id,
        subscription_id=subscription.id,
        at=at,
        actor=principal.actor,
        action=action,
        fields=list(fields),
        url=subscription.url,
        event_types=subscription.event_types,
        enabled=subscription.enabled,
    )


def check_webhook_url(url: str, allow: AllowList, resolve: Resolver, path: str = "url") -> str:
    """The URL if deliveries may go there (the egress rules); InvalidInput naming `path` otherwise."""
    import httpx  # the URL parser the delivery uses; loaded when a URL is checked, not at cold start

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise InvalidInput(f"not a valid URL: {exc}", path=path) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput("must be an absolute http or https URL", path=path)
    if parsed.userinfo:
        raise InvalidInput("must not carry a user name or password", path=path)
    host = parsed.host
    if allow.allows_host(host):
        return url
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a) for a in resolve(host, parsed.port or 443)]
        except (OSError, socket.gaierror, ValueError) as exc:
            raise InvalidInput(f"the host {host} does not resolve", path=path) from exc
    for address in addresses:
        if allow.allows_address(address):
            continue
        reason = refusal_reason(address)
        if reason:
            raise InvalidInput(f"deliveries may not go to {host} ({address}): {reason}", path=path)
    return url


def check_event_types(event_types: list[str], format: WebhookFormat, path: str = "event_types") -> list[str]:
    """The event types, if the format knows them all; InvalidInput naming the first unknown one."""
    known = tuple(BALLERINE_EVENT_NAMES.values()) if format == "ballerine" else SUBSCRIBABLE_EVENT_TYPES
    if not event_types:
        raise InvalidInput("name at least one event type", path=path)
    for index, event_type in enumerate(event_types):
        if event_type not in known:
            raise InvalidInput(
                f"unknown event type {event_type!r}; known: {', '.join(known)}", path=f"{path}[{index}]"
            )
    return list(dict.fromkeys(event_types))


def check_run_subscriptions(
    config: dict[str, Any], tenant: Tenant, allow: AllowList, resolve: Resolver
) -> None:
    """A Ballerine run's `config.subscriptions`: webhooks with a deliverable URL and Ballerine event names."""
    wanted = config.get("subscriptions")
    if wanted is None:
        return
    if not isinstance(wanted, list):
        raise InvalidInput("must be a list of {type, url, events}", path="config.subscriptions")
    for index, item in enumerate(wanted):
        path = f"config.subscriptions[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput("must be an object {type, url, events}", path=path)
        if item.get("type", "webhook") != "webhook":
            raise InvalidInput("only webhook subscriptions are supported", path=f"{path}.type")
        if not isinstance(item.get("url"), str) or not item["url"]:
            raise InvalidInput("url is required", path=f"{path}.url")
        check_webhook_url(item["url"], allow, resolve, path=f"{path}.url")
        events = item.get("events")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise InvalidInput("events must be a list of event names", path=f"{path}.events")
        check_event_types(events, "ballerine", path=f"{path}.events")
    if wanted and not tenant.settings.webhook_shared_secret:
        raise InvalidInput(
            "this tenant has no webhook shared secret to sign Ballerine webhooks (X-HMAC-Signature); "
            "ask the operator to set one",
            path="config.subscriptions",
        )


def create_subscription(
    deps: WebhookDeps,
    principal: Principal,
    *,
    url: str,
    event_types: list[str],
    description: str | None = None,
    format: WebhookFormat = "standard",
) -> tuple[Subscription, str]:
    """A new subscription and its signing secret (shown this once)."""
    _may_manage(principal, "subscribing webhooks")
    check_webhook_url(url, deps.allow, deps.resolve)
    types = check_event_types(event_types, format)
    now = deps.now()
    secret = generate_secret()
    subscription = Subscription(
        id=f"wh_{secrets.token_hex(12)}",
        tenant_id=principal.tenant_id,
        url=url,
        event_types=types,
        description=description,
        format=format,
        secrets=[SigningSecret(value=secret, created_at=now)],
        created_at=now,
        updated_at=now,
    )
    deps.webhooks.add_subscription(subscription, _change(principal, subscription, "created", now))
    return subscription, secret


def list_subscriptions(
    deps: WebhookDeps, principal: Principal, cursor: str | None, limit: int
) -> Page[Subscription]:
    """The tenant's subscriptions, newest first."""
    _may_manage(principal, "reading webhooks")
    return deps.webhooks.list_subscriptions(principal.tenant_id, cursor=cursor, limit=limit)


class SubscriptionOverview:
    """A subscription and its latest delivery (None: nothing sent yet), as the admin screen lists them."""

    def __init__(self, subscription: Subscription, last_delivery: Delivery | None) -> None:
        self.subscription = subscription
        self.last_delivery = last_delivery


def subscription_overviews(
    deps: WebhookDeps, principal: Principal, cursor: str | None, limit: int
) -> Page[SubscriptionOverview]:
    """The tenant's subscriptions with how their latest delivery went (one query each, on the page's few)."""
    page = list_subscriptions(deps, principal, cursor, limit)
    items = []
    for subscription in page.items:
        latest = deps.webhooks.list_deliveries(principal.tenant_id, subscription_id=subscription.id, limit=1)
        items.append(SubscriptionOverview(subscription, latest.items[0] if latest.items else None))
    return Page(items, page.cursor)


def get_subscription(deps: WebhookDeps, principal: Principal, subscription_id: str) -> Subscription:
    """One of the tenant's subscriptions; NotFound for another tenant's."""
    _may_manage(principal, "reading webhooks")
    return deps.webhooks.get_subscription(principal.tenant_id, subscription_id)


def subscription_changes(
    deps: WebhookDeps, principal: Principal, subscription_id: str
) -> list[WebhookChange]:
    """Who changed the subscription, when and what, oldest first."""
    _may_manage(principal, "reading webhooks")
    deps.webhooks.get_subscription(principal.tenant_id, subscription_id)  # NotFound for another tenant's
    return deps.webhooks.changes(principal.tenant_id, subscription_id)


def update_subscription(
    deps: WebhookDeps, principal: Principal, subscription_id: str, changes: dict[str, Any]
) -> Subscription:
    """Change url, event types, description or enabled (re-enabling clears the reason it was disabled)."""
    _may_manage(principal, "changing webhooks")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    if "url" in changes:
        subscription.url = check_webhook_url(changes["url"], deps.allow, deps.resolve)
    if "event_types" in changes:
        subscription.event_types = check_event_types(changes["event_types"], subscription.format)
    if "description" in changes:
        subscription.description = changes["description"]
    if "enabled" in changes:
        subscription.enabled = bool(changes["enabled"])
        subscription.disabled_reason = None if subscription.enabled else "disabled by the tenant"
    subscription.updated_at = deps.now()
    fields = [f for f in ("url", "event_types", "description", "enabled") if f in changes]
    change = _change(principal, subscription, "changed", subscription.updated_at, fields)
    deps.webhooks.save_subscription(subscription, change)
    return subscription


def delete_subscription(deps: WebhookDeps, principal: Principal, subscription_id: str) -> None:
    """Delete a subscription; its deliveries and audit trail stay."""
    _may_manage(principal, "deleting webhooks")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    change = _change(principal, subscription, "deleted", deps.now())
    deps.webhooks.delete_subscription(principal.tenant_id, subscription_id, change)


def rotate_secret(
    deps: WebhookDeps, principal: Principal, subscription_id: str, overlap_seconds: int | None
) -> tuple[Subscription, str]:
    """A new secret; the previous one keeps signing (beside it) for the overlap."""
    _may_manage(principal, "rotating webhook secrets")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    if subscription.format != "standard":
        raise Conflict("Ballerine-format webhooks are signed with the tenant's shared secret", path="format")
    overlap = deps.rotation_overlap if overlap_seconds is None else dt.timedelta(seconds=overlap_seconds)
    now = deps.now()
    secret = subscription.rotate(now, overlap)
    deps.webhooks.save_subscription(subscription, _change(principal, subscription, "secret_rotated", now))
    return subscription, secret


def _test_delivery(deps: WebhookDeps, principal: Principal, subscription: Subscription) -> Delivery:
    """A `webhook.test` ping for the subscription, stored in its log (not yet sent)."""
    now = deps.now()
    timestamp = now.isoformat().replace("+00:00", "Z")
    data = {
        "webhook_id": subscription.id,
        "message": "a test delivery from Arbiter",
        "tenant_id": principal.tenant_id,
    }
    delivery = Delivery(
        id=f"msg_{secrets.token_hex(14)}",
        tenant_id=principal.tenant_id,
        subscription_id=subscription.id,
        url=subscription.url,
        format=subscription.format,
        event_type=TEST_EVENT_TYPE,
        body=standard_body(TEST_EVENT_TYPE, timestamp, data),
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    deps.webhooks.add_delivery(delivery)
    return delivery


def send_test(deps: WebhookDeps, principal: Principal, subscription_id: str) -> tuple[Delivery, Attempt]:
    """Send a `webhook.test` ping now, once, and record it in the subscription's log."""
    _may_manage(principal, "testing webhooks")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    delivery = _test_delivery(deps, principal, subscription)
    attempt = send_once(deps, subscription, delivery)
    delivery.record(attempt, None)
    deps.webhooks.record_attempt(delivery, attempt, [])
    return delivery, attempt


def queue_test(deps: WebhookDeps, principal: Principal, subscription_id: str) -> Delivery:
    """A `webhook.test` ping handed to the delivery state machine, which makes its one attempt at once (only the
    webhooks function opens signing secrets); the receiver's answer is then in the delivery's attempt log."""
    _may_manage(principal, "testing webhooks")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    if not subscription.enabled:
        raise Conflict(
            f"the webhook is disabled ({subscription.disabled_reason}); enable it first",
            webhook_id=subscription.id,
        )
    delivery = _test_delivery(deps, principal, subscription)
    deps.scheduler.start(delivery, 0)
    return delivery


def list_deliveries(
    deps: WebhookDeps, principal: Principal, subscription_id: str, cursor: str | None, limit: int
) -> Page[Delivery]:
    """A subscription's deliveries, newest first."""
    _may_manage(principal, "reading webhook deliveries")
    deps.webhooks.get_subscription(principal.tenant_id, subscription_id)  # NotFound for another tenant's
    return deps.webhooks.list_deliveries(
        principal.tenant_id, subscription_id=subscription_id, cursor=cursor, limit=limit
    )


def case_deliveries(
    deps: WebhookDeps, principal: Principal, case_id: str, cursor: str | None, limit: int
) -> Page[Delivery]:
    """The deliveries of one case's events, newest first."""
    return deps.webhooks.list_deliveries(principal.tenant_id, case_id=case_id, cursor=cursor, limit=limit)


def recent_case_deliveries(
    log: WebhookRepository, principal: Principal, case_id: str, limit: int = 50
) -> list[Delivery]:
    """The latest deliveries of a case's events (the reviewers' case view; the case is already checked)."""
    return list(log.list_deliveries(principal.tenant_id, case_id=case_id, limit=limit).items)


def delivery_detail(
    deps: WebhookDeps, principal: Principal, delivery_id: str
) -> tuple[Delivery, list[Attempt]]:
    """A delivery and every attempt made."""
    _may_manage(principal, "reading webhook deliveries")
    delivery = deps.webhooks.get_delivery(principal.tenant_id, delivery_id)
    return delivery, deps.webhooks.attempts(principal.tenant_id, delivery_id)


def _delivery_of(deps: WebhookDeps, principal: Principal, subscription_id: str, delivery_id: str) -> Delivery:
    """The delivery, if it is one of this subscription's; NotFound otherwise (or for another tenant's)."""
    delivery = deps.webhooks.get_delivery(principal.tenant_id, delivery_id)
    if delivery.subscription_id != subscription_id:
        raise NotFound(
            f"delivery {delivery_id} not found for webhook {subscription_id}", delivery_id=delivery_id
        )
    return delivery


def subscription_delivery(
    deps: WebhookDeps, principal: Principal, subscription_id: str, delivery_id: str
) -> tuple[Delivery, list[Attempt]]:
    """One of a subscription's deliveries and every attempt made (status codes, the receiver's answers)."""
    _may_manage(principal, "reading webhook deliveries")
    delivery = _delivery_of(deps, principal, subscription_id, delivery_id)
    return delivery, deps.webhooks.attempts(principal.tenant_id, delivery_id)


def redeliver(deps: WebhookDeps, principal: Principal, subscription_id: str, delivery_id: str) -> Delivery:
    """Send one of a subscription's deliveries again (`replay`)."""
    _may_manage(principal, "redelivering webhooks")
    _delivery_of(deps, principal, subscription_id, delivery_id)
    return replay(deps, principal, delivery_id)


def replay(deps: WebhookDeps, principal: Principal, delivery_id: str) -> Delivery:
    """Send a delivery again (same body and `webhook-id`, new timestamp and signature), with retries."""
    _may_manage(principal, "redelivering webhooks")
    delivery = deps.webhooks.get_delivery(principal.tenant_id, delivery_id)
    subscription = deps.webhooks.get_subscription(principal.tenant_id, delivery.subscription_id)
    if not subscription.enabled:
        raise Conflict(
            f"the webhook is disabled ({subscription.disabled_reason}); enable it first",
            webhook_id=subscription.id,
        )
    if delivery.status == DeliveryStatus.PENDING and delivery.event_type != TEST_EVENT_TYPE:
        raise Conflict("the delivery is still being attempted", delivery_id=delivery.id)
    delivery.replay(deps.now())
    delivery.url = subscription.url
    deps.webhooks.save_delivery(delivery)
    deps.scheduler.start(delivery, 0)
    return delivery


def recover(
    deps: WebhookDeps, principal: Principal, subscription_id: str, since: dt.datetime
) -> list[Delivery]:
    """Replay every failed delivery of the subscription created since `since`."""
    _may_manage(principal, "redelivering webhooks")
    subscription = deps.webhooks.get_subscription(principal.tenant_id, subscription_id)
    if not subscription.enabled:
        raise Conflict(
            f"the webhook is disabled ({subscription.disabled_reason}); enable it first",
            webhook_id=subscription.id,
        )
    replayed: list[Delivery] = []
    cursor = None
    while len(replayed) < MAX_RECOVER:
        page = deps.webhooks.list_deliveries(
            principal.tenant_id, subscription_id=subscription_id, since=since, cursor=cursor, limit=100
        )
        for delivery in page.items:
            if delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
                replayed.append(replay(deps, principal, delivery.id))
        cursor = page.cursor
        if cursor is None:
            break
    return replayed
