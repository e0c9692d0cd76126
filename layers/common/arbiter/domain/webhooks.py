"""Webhook subscriptions, deliveries and their attempts, and the retry schedule (in one place).

A subscription names a URL, the event types it wants and how they are shaped and signed: `standard`
(Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`) or `ballerine` (Ballerine's event
names and payloads, `X-HMAC-Signature`). A delivery is one event for one subscription; its id is the
`webhook-id` header, the same on every attempt. Each attempt is recorded.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.case import Actor
from arbiter.domain.events import EVENT_TYPES

__all__ = [
    "BALLERINE_EVENT_NAMES",
    "RETRY_SCHEDULE_SECONDS",
    "SUBSCRIBABLE_EVENT_TYPES",
    "SUCCESS_TIMEOUT_SECONDS",
    "Attempt",
    "ChangeAction",
    "Delivery",
    "DeliveryStatus",
    "SigningSecret",
    "Subscription",
    "WebhookChange",
    "WebhookFormat",
    "WebhookRoutes",
    "ballerine_event_name",
    "delivery_id_for",
    "generate_secret",
    "parse_schedule",
    "wait_before_attempt",
]

#: When each attempt of a delivery is made, counted from the previous one: immediately, 5 s, 5 min, 30 min,
#: 2 h, 5 h, 10 h, 10 h; after the last one fails the delivery is failed. Tests shorten it through the
#: WEBHOOK_RETRY_SCHEDULE setting (template parameter WebhookRetrySchedule).
RETRY_SCHEDULE_SECONDS: tuple[int, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
#: A delivery succeeds when the receiver answers 2xx within this time.
SUCCESS_TIMEOUT_SECONDS = 15.0
#: How much of a receiver's answer the log keeps.
RESPONSE_EXCERPT_BYTES = 1024

WebhookFormat = Literal["standard", "ballerine"]
#: What a change to a subscription did (its audit entry's `action`).
ChangeAction = Literal["created", "changed", "secret_rotated", "deleted"]

#: Event types a subscription may ask for (webhook events themselves are on the bus only: no loops).
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = tuple(t for t in EVENT_TYPES if not t.startswith("webhook."))
#: Ballerine's event names, and the Arbiter events each is made from.
BALLERINE_EVENT_NAMES: dict[str, str] = {
    "case.decided": "workflow.completed",
    "case.status_changed": "workflow.state.changed",
    "document.uploaded": "workflow.context.document.changed",
}


class WebhookRoutes(BaseModel):
    """Which of a tenant's events the bus hands to the webhooks function: the types some subscription of the
    tenant asked for, and every Ballerine-named event once a Ballerine run asked for webhooks in its config (those
    subscriptions are made from the case when its first such event is delivered). Kept as subscriptions are made
    and changed, never narrowed: a type no subscription wants any longer costs an invocation, never an event."""

    model_config = ConfigDict(frozen=True)

    event_types: frozenset[str] = frozenset()
    ballerine_runs: bool = False

    def wants(self, event_type: str) -> bool:
        """Whether an event of `event_type` may have a subscriber (webhook events are never delivered: no loops)."""
        if event_type.startswith("webhook."):
            return False
        return event_type in self.event_types or (
            self.ballerine_runs and ballerine_event_name(event_type) is not None
        )


def ballerine_event_name(event_type: str) -> str | None:
    """The Ballerine event an Arbiter event becomes (None: Ballerine has no such event)."""
    return BALLERINE_EVENT_NAMES.get(event_type)


def parse_schedule(text: str | None) -> tuple[int, ...]:
    """`"0,5,300"` -> (0, 5, 300); empty means the standard schedule. ValueError names the problem."""
    if not text or not text.strip():
        return RETRY_SCHEDULE_SECONDS
    problem = "the retry schedule is a comma-separated list of seconds, each 0 or more"
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{problem}: {text!r}") from exc
    if not values or any(v < 0 for v in values):
        raise ValueError(f"{problem}: {text!r}")
    return values


def wait_before_attempt(schedule: tuple[int, ...], attempt_index: int) -> int | None:
    """Seconds to wait before attempt `attempt_index` (0-based), or None when the schedule is used up."""
    return schedule[attempt_index] if attempt_index < len(schedule) else None


def generate_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def delivery_id_for(subscription_id: str, event_id: str) -> str:
    """The same event for the same subscription is always the same delivery (the bus delivers at least once)."""
    digest = hashlib.sha256(f"{subscription_id}|{event_id}".encode()).hexdigest()
    return f"msg_{digest[:28]}"


class SigningSecret(BaseModel):
    """A secret that signs deliveries until `expires_at` (None: until it is rotated)."""

    value: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None


class Subscription(BaseModel):
    """Where a tenant wants which events, shaped and signed how."""

    id: str
    tenant_id: str
    url: str
    event_types: list[str]
    description: str | None = None
    format: WebhookFormat = "standard"
    enabled: bool = True
    disabled_reason: str | None = None
    #: Set for the subscriptions a Ballerine run brings in `config.subscriptions`: that case's events only.
    case_id: str | None = None
    secrets: list[SigningSecret] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime

    def signing_secrets(self, now: dt.datetime) -> list[str]:
        """The secrets that sign now: the current one, and during a rotation's overlap the previous ones."""
        return [s.value for s in self.secrets if s.expires_at is None or s.expires_at > now]

    def wants(self, event_type: str, case_id: str | None) -> bool:
        """Whether this subscription receives an event of `event_type` about `case_id`."""
        if not self.enabled or (self.case_id is not None and self.case_id != case_id):
            return False
        if self.format == "ballerine":
            name = ballerine_event_name(event_type)
            return name is not None and name in self.event_types
        return event_type in self.event_types

    def routed_event_types(self) -> set[str]:
        """The Arbiter event types this subscription may want (the bus sends the tenant's events of these types to
        the webhooks function: `WebhookRoutes`)."""
        if self.format == "ballerine":
            return {t for t, name in BALLERINE_EVENT_NAMES.items() if name in self.event_types}
        return set(self.event_types)

    def rotate(self, now: dt.datetime, overlap: dt.timedelta) -> str:
        """A new secret; the ones signing now keep signing for `overlap` (receivers switch in between)."""
        new = generate_secret()
        kept = []
        for old in self.secrets:
            if old.expires_at is None or old.expires_at > now:
                ends = now + overlap
                kept.append(old.model_copy(update={"expires_at": min(ends, old.expires_at or ends)}))
        self.secrets = [SigningSecret(value=new, created_at=now), *kept]
        self.updated_at = now
        return new

    def disable(self, reason: str, now: dt.datetime) -> None:
        """Stop delivering to this subscription (a 410 from the receiver, or the tenant's choice)."""
        self.enabled = False
        self.disabled_reason = reason
        self.updated_at = now


class WebhookChange(BaseModel):
    """One change to a subscription, kept in its audit trail (also after it is deleted): who, when, what; never a
    secret."""

    id: str = Field(default_factory=lambda: secrets.token_hex(8))
    tenant_id: str
    subscription_id: str
    at: dt.datetime
    actor: Actor
    action: ChangeAction
    #: The fields a change set (`url`, `event_types`, `description`, `enabled`).
    fields: list[str] = Field(default_factory=list)
    #: The subscription's URL and event types after the change (before it, for a deletion).
    url: str
    event_types: list[str]
    enabled: bool


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: The subscription was disabled or deleted before the delivery succeeded.
    CANCELLED = "cancelled"


class Attempt(BaseModel):
    """One try at a delivery, as the log shows it."""

    delivery_id: str
    round: int = Field(description="0 for the first delivery, then one more per replay")
    number: int = Field(description="1 for the first attempt of the round")
    at: dt.datetime
    success: bool
    status_code: int | None = None
    latency_ms: int
    error: str | None = None
    response_excerpt: str = Field(default="", description="The first bytes of the receiver's answer")


class Delivery(BaseModel):
    """One event for one subscription: the exact body sent, and where it stands."""

    id: str
    tenant_id: str
    subscription_id: str
    url: str
    format: WebhookFormat
    event_id: str | None = None
    event_type: str
    case_id: str | None = None
    body: str = Field(description="The exact bytes sent (UTF-8 JSON), the same on every attempt")
    status: DeliveryStatus = DeliveryStatus.PENDING
    round: int = 0
    attempts: int = Field(default=0, description="Attempts made in the current round")
    total_attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    next_attempt_at: dt.datetime | None = None

    def record(self, attempt: Attempt, next_wait: int | None) -> None:
        """Apply an attempt's outcome; `next_wait` is the wait before the next one (None: no more)."""
        self.attempts += 1
        self.total_attempts += 1
        self.last_status_code = attempt.status_code
        self.last_error = attempt.error
        self.updated_at = attempt.at
        if attempt.success:
            self.status = DeliveryStatus.SUCCEEDED
            self.next_attempt_at = None
        elif next_wait is None:
            self.status = DeliveryStatus.FAILED
            self.next_attempt_at = None
        else:
            self.status = DeliveryStatus.PENDING
            self.next_attempt_at = attempt.at + dt.timedelta(seconds=next_wait)

    def replay(self, now: dt.datetime) -> None:
        """Start a new round of attempts with the same body and id."""
        self.round += 1
        self.attempts = 0
        self.status = DeliveryStatus.PENDING
        self.updated_at = now
        self.next_attempt_at = now
