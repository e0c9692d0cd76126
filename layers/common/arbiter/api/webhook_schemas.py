"""Request and response bodies of the webhook subscriptions API (`/v1/webhooks`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from arbiter.domain.webhooks import Attempt, Delivery, Subscription, WebhookFormat

__all__ = [
    "AttemptView",
    "DeliveryDetail",
    "DeliveryList",
    "DeliveryView",
    "RecoverRequest",
    "RecoveredDeliveries",
    "RotateRequest",
    "SubscriptionCreate",
    "SubscriptionList",
    "SubscriptionUpdate",
    "SubscriptionView",
    "SubscriptionWithSecret",
    "TestDelivery",
    "attempt_view",
    "case_delivery_view",
    "delivery_view",
    "subscription_view",
]


class SubscriptionCreate(BaseModel):
    """Subscribe a URL to event types."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="Where to POST (http or https)")
    event_types: list[str] = Field(min_length=1, max_length=50, description="e.g. case.decided")
    description: str | None = Field(default=None, max_length=500)
    format: WebhookFormat = Field(
        default="standard",
        description="standard: Standard Webhooks; ballerine: Ballerine's events and X-HMAC-Signature",
    )


class SubscriptionUpdate(BaseModel):
    """Change a subscription; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None


class RotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: int | None = Field(
        default=None, ge=0, le=7 * 86400, description="How long the old secret keeps signing (default 24 h)"
    )


class RecoverRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(description="Replay failed deliveries created at or after this time")


def subscription_view(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    """A subscription as the API shows it: never the secrets, except a new one once."""
    view = subscription.model_dump(mode="json", exclude={"secrets", "tenant_id"})
    now = dt.datetime.now(dt.UTC)
    view["signing_secrets"] = len(subscription.signing_secrets(now))
    if secret is not None:
        view["secret"] = secret
    return view


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    return delivery.model_dump(mode="json", exclude={"tenant_id"})


def case_delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery as the reviewers' case view lists it: what went where, and how it went (most telling first)."""
    return {
        "event_type": delivery.event_type,
        "status": delivery.status.value,
        "url": delivery.url,
        "attempts": delivery.total_attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "updated_at": delivery.updated_at.isoformat(),
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return attempt.model_dump(mode="json")


# ---------------------------------------------------------------- what the API answers


class SubscriptionView(BaseModel):
    """A webhook: where, which events, in which format; never its secrets, except a new one once."""

    id: str
    url: str
    event_types: list[str]
    description: str | None
    format: WebhookFormat
    enabled: bool
    disabled_reason: str | None = Field(description="Why Arbiter turned it off (deliveries kept failing)")
    case_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    signing_secrets: int = Field(description="How many secrets sign each delivery now (2 while rotating)")


class SubscriptionWithSecret(SubscriptionView):
    """A webhook with its new signing secret, shown this once (creation, rotation)."""

    secret: str = Field(description="The new signing secret (Standard Webhooks: whsec_…)")


class SubscriptionList(BaseModel):
    items: list[SubscriptionView]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class DeliveryView(Delivery):
    """One event sent to one webhook, across its attempts."""

    tenant_id: SkipJsonSchema[str] = Field(default="", exclude=True)


class DeliveryList(BaseModel):
    items: list[DeliveryView]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class AttemptView(Attempt):
    """One HTTP attempt of a delivery."""


class DeliveryDetail(DeliveryView):
    attempt_log: list[AttemptView]


class TestDelivery(DeliveryView):
    attempt: AttemptView


class RecoveredDeliveries(BaseModel):
    replayed: list[str] = Field(description="The ids of the deliveries sent again")
    count: int
