"""Delivering events to webhook subscriptions: fan-out from the bus, one attempt at a time, and the payloads.

The first attempt is made by the function that receives the event from the bus. No function waits between
attempts: a delivery whose first attempt fails runs in a small state machine (statemachines/
webhook-delivery.asl.json) that waits, in a Wait state, for the seconds the last attempt returned, then calls
`attempt_delivery`. The schedule itself lives in `arbiter.domain.webhooks`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from arbiter.domain.case import Case
from arbiter.domain.errors import NotFound, SecretUnreadable
from arbiter.domain.events import ArbiterEvent, WebhookDeliveryFailed
from arbiter.domain.sealed import SecretBox, ballerine_secret_context, reveal, webhook_secret_context
from arbiter.domain.webhook_signing import ballerine_headers, standard_headers
from arbiter.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Subscription,
    WebhookChange,
    WebhookRoutes,
    ballerine_event_name,
    delivery_id_for,
    wait_before_attempt,
)
from arbiter.egress import AllowList, Resolver
from arbiter.services.ports import CaseRepository, Page, TenantRepository

#: The ping a tenant sends to check a receiver (never published on the bus): one attempt, never retried.
TEST_EVENT_TYPE = "webhook.test"
#: New deliveries attempted at once by the function that receives the event (the rest start in the machine).
INLINE_ATTEMPTS = 8

__all__ = [
    "INLINE_ATTEMPTS",
    "TEST_EVENT_TYPE",
    "DeliveryScheduler",
    "SendResult",
    "WebhookDeps",
    "WebhookRepository",
    "WebhookSender",
    "attempt_delivery",
    "attempt_now",
    "ballerine_body",
    "deliver_event",
    "standard_body",
]


@dataclass(frozen=True)
class SendResult:
    """What one HTTP attempt produced."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    excerpt: str = ""


class WebhookSender(Protocol):
    def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        """POST `body` to `url`; never raises for the receiver's failures (they are in the result)."""


class DeliveryScheduler(Protocol):
    def start(self, delivery: Delivery, wait_seconds: int) -> None:
        """Run the delivery's round of attempts after `wait_seconds` (idempotent per delivery and round)."""


class WebhookRepository(Protocol):
    def add_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> bool:
        """Store a new subscription and its audit entry together (and widen its tenant's routes:
        `arbiter.services.webhook_routing`); False (and none of them) if the id exists."""
        ...

    def webhook_routes(self, tenant_id: str) -> WebhookRoutes | None:
        """The tenant's routes (read consistently), or None until `keep_routes` first stored them."""
        ...

    def keep_routes(self, tenant_id: str, routes: WebhookRoutes) -> None:
        """Add routes worked out from the tenant's subscriptions to the tenant's, and mark them complete."""
        ...

    def route_ballerine_runs(self, tenant_id: str) -> None:
        """Route the tenant's Ballerine-named events (a Ballerine run asked for webhooks in its config)."""
        ...

    def save_subscription(self, subscription: Subscription, change: WebhookChange | None = None) -> None:
        """Replace a subscription and store the change's audit entry together; NotFound if it is gone."""
        ...

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription: ...
    def delete_subscription(
        self, tenant_id: str, subscription_id: str, change: WebhookChange | None = None
    ) -> None: ...
    def changes(self, tenant_id: str, subscription_id: str) -> list[WebhookChange]:
        """A subscription's audit entries, oldest first (kept after it is deleted)."""
        ...

    def list_subscriptions(
        self, tenant_id: str, *, cursor: str | None = None, limit: int = 25
    ) -> Page[Subscription]: ...
    def subscriptions_for(self, tenant_id: str, case_id: str | None) -> list[Subscription]: ...
    def add_delivery(self, delivery: Delivery) -> bool: ...
    def save_delivery(self, delivery: Delivery) -> None: ...
    def get_delivery(self, tenant_id: str, delivery_id: str) -> Delivery: ...
    def record_attempt(self, delivery: Delivery, attempt: Attempt, events: list[ArbiterEvent]) -> None: ...
    def attempts(self, tenant_id: str, delivery_id: str) -> list[Attempt]: ...
    def list_deliveries(
        self,
        tenant_id: str,
        *,
        subscription_id: str | None = None,
        case_id: str | None = None,
        since: dt.datetime | None = None,
        cursor: str | None = None,
        limit: int = 25,
    ) -> Page[Delivery]: ...


class WebhookDeps(Protocol):
    """What the webhook use cases need (`arbiter.bootstrap.Dependencies` in a function, fakes in tests)."""

    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def scheduler(self) -> DeliveryScheduler: ...
    @property
    def sender(self) -> WebhookSender: ...
    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def secret_box(self) -> SecretBox:
        """Opens the signing secrets, which the repositories store sealed."""

    @property
    def allow(self) -> AllowList:
        """Private hosts and CIDRs a subscription URL may point at anyway."""

    @property
    def resolve(self) -> Resolver:
        """How a subscription URL's host is resolved, to refuse private addresses."""

    @property
    def schedule(self) -> tuple[int, ...]:
        """Seconds before each attempt (RETRY_SCHEDULE_SECONDS unless the stack says otherwise)."""

    @property
    def rotation_overlap(self) -> dt.timedelta:
        """How long a rotated secret keeps signing beside the new one."""

    @property
    def environment(self) -> str:
        """The stage, as Ballerine's payloads name it."""

    def now(self) -> dt.datetime:
        """The current time, aware."""


# ---------------------------------------------------------------------- payloads
def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def standard_body(event_type: str, timestamp: str, data: dict[str, Any]) -> str:
    """Standard Webhooks' body: `{type, timestamp, data}`; data is the event as published on the bus."""
    return _json({"type": event_type, "timestamp": timestamp, "data": data})


def ballerine_body(envelope: dict[str, Any], case: Case, environment: str) -> str | None:
    """Ballerine's webhook payload for the event (None when Ballerine has no such event)."""
    from arbiter.services.ballerine import runtime_view  # Ballerine's shapes, only for Ballerine receivers

    name = ballerine_event_name(envelope["type"])
    if name is None:
        return None
    runtime = runtime_view(case)
    payload: dict[str, Any] = {
        "id": envelope["id"],
        "eventName": name,
        "apiVersion": "1",
        "timestamp": envelope["time"],
        "workflowCreatedAt": runtime["createdAt"],
        "workflowResolvedAt": runtime["resolvedAt"],
        "workflowDefinitionId": runtime["workflowDefinitionId"],
        "workflowRuntimeId": case.id,
        "workflowStatus": runtime["status"],
        "workflowFinalState": runtime["state"] if case.state.terminal else None,
        "ballerineEntityId": case.entity.id or case.id,
        "correlationId": case.correlation_id,
        "environment": environment,
        "data": runtime["context"],
    }
    if envelope["type"] == "case.status_changed":
        payload["state"] = runtime["state"]
        payload["previousState"] = envelope.get("from_state")
    if envelope["type"] == "document.uploaded":
        payload["documentId"] = envelope.get("document_id")
    return _json(payload)


# ---------------------------------------------------------------------- fan-out
def ballerine_run_subscriptions(case: Case, now: dt.datetime) -> list[Subscription]:
    """The webhooks a Ballerine run asked for in `config.subscriptions`, as that case's subscriptions."""
    config = case.context.get("_config")
    wanted = config.get("subscriptions") if isinstance(config, dict) else None
    found = []
    for index, item in enumerate(wanted if isinstance(wanted, list) else []):
        if not isinstance(item, dict) or item.get("type", "webhook") != "webhook" or not item.get("url"):
            continue
        url = str(item["url"])
        digest = hashlib.sha256(f"{case.id}|{index}|{url}".encode()).hexdigest()[:24]
        events = [str(e) for e in item.get("events") or [] if isinstance(e, str)]
        found.append(
            Subscription(
                id=f"wh_{digest}",
                tenant_id=case.tenant_id,
                url=url,
                event_types=events,
                description=f"config.subscriptions[{index}] of the run {case.id}",
                format="ballerine",
                case_id=case.id,
                created_at=now,
                updated_at=now,
            )
        )
    return found


def deliver_event(deps: WebhookDeps, envelope: dict[str, Any]) -> list[str]:
    """Create a delivery per subscription that wants this event and start it; returns their ids.

    The bus delivers an event at least once: the delivery id comes from the event id and the subscription,
    so a second copy finds its delivery stored and only restarts the (idempotent) execution.
    """
    tenant_id, case_id, event_type = envelope["tenant_id"], envelope.get("case_id"), envelope["type"]
    now = deps.now()
    subscriptions = deps.webhooks.subscriptions_for(tenant_id, case_id)
    case: Case | None = None
    if case_id and ballerine_event_name(event_type) is not None:  # only Ballerine payloads need the case
        try:
            case = deps.cases.get(tenant_id, case_id)
        except NotFound:
            case = None
    if case is not None:
        known = {s.id for s in subscriptions}
        for subscription in ballerine_run_subscriptions(case, now):
            if subscription.id not in known:
                deps.webhooks.add_subscription(subscription)
                subscriptions.append(subscription)
    started: list[str] = []
    fresh: list[tuple[Delivery, Subscription]] = []
    for subscription in subscriptions:
        if not subscription.wants(event_type, case_id):
            continue
        if subscription.format == "ballerine":
            body = ballerine_body(envelope, case, deps.environment) if case else None
            if body is None:
                continue
        else:
            body = standard_body(event_type, envelope["time"], envelope)
        delivery = Delivery(
            id=delivery_id_for(subscription.id, envelope["id"]),
            tenant_id=tenant_id,
            subscription_id=subscription.id,
            url=subscription.url,
            format=subscription.format,
            event_id=envelope["id"],
            event_type=event_type,
            case_id=case_id,
            body=body,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        if deps.webhooks.add_delivery(delivery):
            fresh.append((delivery, subscription))
        else:
            delivery = deps.webhooks.get_delivery(tenant_id, delivery.id)
            if delivery.status == DeliveryStatus.PENDING:
                deps.scheduler.start(delivery, 0)  # a copy of the event after a crash: make sure it runs
        started.append(delivery.id)
    first_attempts(deps, fresh)
    return started


def first_attempts(deps: WebhookDeps, fresh: list[tuple[Delivery, Subscription]]) -> None:
    """Attempt new deliveries at once, in parallel; only those that fail go to the state machine.

    Most receivers answer the first attempt, so most deliveries cost this one call and no state transition.
    At most `INLINE_ATTEMPTS` run here (each may take the full 15 s); the others start in the state machine.
    """
    inline, later = fresh[:INLINE_ATTEMPTS], fresh[INLINE_ATTEMPTS:]
    for delivery, _subscription in later:
        deps.scheduler.start(delivery, 0)
    if not inline:
        return
    with ThreadPoolExecutor(max_workers=len(inline), thread_name_prefix="webhook") as pool:
        # Each task runs in a copy of this context (the Lambda's logging keys and environment).
        results = [
            pool.submit(contextvars.copy_context().run, attempt_now, deps, delivery, subscription)
            for delivery, subscription in inline
        ]
    for (delivery, _subscription), result in zip(inline, results, strict=True):
        try:
            step = result.result()
        except Exception:  # the state machine retries what could not even be attempted or recorded
            deps.scheduler.start(delivery, 0)
            continue
        if not step["done"]:
            deps.scheduler.start(delivery, step["wait_seconds"])


# ---------------------------------------------------------------------- attempts
def signed_headers(deps: WebhookDeps, subscription: Subscription, delivery: Delivery) -> dict[str, str]:
    """The headers of one attempt: a fresh timestamp and signature, the same `webhook-id`."""
    if subscription.format == "ballerine":
        tenant = deps.tenants.get(delivery.tenant_id)
        secret = tenant.settings.webhook_shared_secret if tenant else None
        if not secret:
            raise NotFound("the tenant has no webhook shared secret to sign Ballerine webhooks")
        opened = reveal(deps.secret_box, secret, ballerine_secret_context(delivery.tenant_id))
        return ballerine_headers(delivery.body.encode("utf-8"), opened)
    now = deps.now()
    context = webhook_secret_context(subscription.tenant_id)
    secrets = [reveal(deps.secret_box, value, context) for value in subscription.signing_secrets(now)]
    return standard_headers(delivery.id, now, delivery.body, secrets)


def send_once(deps: WebhookDeps, subscription: Subscription, delivery: Delivery) -> Attempt:
    """One attempt, not yet recorded: sign, POST, judge (2xx within the time limit is success)."""
    at = deps.now()
    try:
        headers = signed_headers(deps, subscription, delivery)
    except (NotFound, SecretUnreadable, ValueError) as exc:
        return Attempt(
            delivery_id=delivery.id,
            round=delivery.round,
            number=delivery.attempts + 1,
            at=at,
            success=False,
            latency_ms=0,
            error=f"not signed: {exc}",
        )
    result = deps.sender.send(subscription.url, delivery.body.encode("utf-8"), headers)
    success = result.error is None and result.status_code is not None and 200 <= result.status_code < 300
    return Attempt(
        delivery_id=delivery.id,
        round=delivery.round,
        number=delivery.attempts + 1,
        at=at,
        success=success,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        response_excerpt=result.excerpt,
    )


def attempt_delivery(deps: WebhookDeps, tenant_id: str, delivery_id: str, round_: int) -> dict[str, Any]:
    """The state machine's step: one attempt; says whether it is done or how long to wait for the next."""
    delivery = deps.webhooks.get_delivery(tenant_id, delivery_id)
    if delivery.round != round_ or delivery.status != DeliveryStatus.PENDING:
        return {"done": True, "status": delivery.status.value, "wait_seconds": 0}  # a replay took over
    try:
        subscription = deps.webhooks.get_subscription(tenant_id, delivery.subscription_id)
    except NotFound:
        subscription = None
    return attempt_now(deps, delivery, subscription)


def attempt_now(deps: WebhookDeps, delivery: Delivery, subscription: Subscription | None) -> dict[str, Any]:
    """One attempt of a pending delivery, recorded; says whether it is done or how long to wait for the next."""
    tenant_id = delivery.tenant_id
    if subscription is None or not subscription.enabled:
        delivery.status = DeliveryStatus.CANCELLED
        delivery.last_error = "the webhook was deleted" if subscription is None else "the webhook is disabled"
        delivery.updated_at = deps.now()
        deps.webhooks.save_delivery(delivery)
        return {"done": True, "status": delivery.status.value, "wait_seconds": 0}
    attempt = send_once(deps, subscription, delivery)
    events: list[Any] = []
    if attempt.status_code == 410:
        subscription.disable("the receiver answered 410 Gone", attempt.at)
        deps.webhooks.save_subscription(subscription)
        delivery.record(attempt, None)
        delivery.status = DeliveryStatus.CANCELLED
    elif (
        delivery.event_type == TEST_EVENT_TYPE
    ):  # a test asks for the receiver's answer now: one attempt, no retry
        delivery.record(attempt, None)
    else:
        delivery.record(attempt, wait_before_attempt(deps.schedule, delivery.attempts + 1))
        if delivery.status == DeliveryStatus.FAILED:
            events.append(
                WebhookDeliveryFailed(
                    time=attempt.at,
                    tenant_id=tenant_id,
                    subscription_id=subscription.id,
                    delivery_id=delivery.id,
                    url=subscription.url,
                    event_type=delivery.event_type,
                    event_id=delivery.event_id,
                    case_id=delivery.case_id,
                    attempts=delivery.attempts,
                    last_status_code=attempt.status_code,
                    last_error=attempt.error,
                )
            )
    deps.webhooks.record_attempt(delivery, attempt, events)
    done = delivery.status != DeliveryStatus.PENDING
    wait = 0 if done else wait_before_attempt(deps.schedule, delivery.attempts) or 0
    return {"done": done, "status": delivery.status.value, "wait_seconds": wait}
