"""Request and response bodies of the webhook subscriptions API (`/v1/webhooks`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arbiter.domain.webhooks import Attempt, Delivery, Subscription, WebhookFormat

__all__ = [
    "RecoverRequest",
    "RotateRequest",
    "SubscriptionCreate",
    "SubscriptionUpdate",
    "attempt_view",
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


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return attempt.model_dump(mode="json")
