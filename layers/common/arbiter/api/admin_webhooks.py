"""Admin API for the tenant's webhook subscriptions (`/v1/admin/webhooks`), for the back office's Webhooks screen.

The same use cases as the integrators' `/v1/webhooks` (`arbiter.services.webhooks`), called with an admin's Cognito
token instead of an API key. A test ping is handed to the delivery state machine, as a redelivery is: only the
webhooks function opens signing secrets; the receiver's answer is then in the delivery's attempt log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.api.webhook_schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryView,
    RotateRequest,
    SubscriptionCreate,
    SubscriptionUpdate,
    SubscriptionView,
    SubscriptionWithSecret,
    attempt_view,
    delivery_view,
    subscription_view,
)
from arbiter.domain.events import EVENT_TYPES
from arbiter.domain.principal import Principal
from arbiter.domain.webhooks import SUBSCRIBABLE_EVENT_TYPES, WebhookChange
from arbiter.services import webhooks

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_webhooks_router"]

NO_STORE = {"Cache-Control": "no-store"}


class LastDelivery(BaseModel):
    """How the subscription's latest delivery went."""

    id: str
    event_type: str
    status: str = Field(description="pending, succeeded, failed or cancelled")
    last_status_code: int | None = Field(description="The receiver's last HTTP status (null: no answer)")
    last_error: str | None
    attempts: int = Field(description="Attempts made, over every round")
    updated_at: dt.datetime


class WebhookOverview(SubscriptionView):
    """A webhook as the admin screen lists it: where, which events, on or off, and how its last delivery went."""

    last_delivery: LastDelivery | None = Field(description="null: nothing delivered yet")


class WebhookOverviewList(BaseModel):
    items: list[WebhookOverview]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class WebhookChangeView(BaseModel):
    """One change to a webhook: who, when, what (never a secret)."""

    at: dt.datetime
    actor: dict[str, Any] = Field(
        description="{type, id, email}: an admin (reviewer) or an API key (integrator)"
    )
    action: str = Field(description="created, changed, secret_rotated or deleted")
    fields: list[str] = Field(description="The fields a change set")
    url: str
    event_types: list[str]
    enabled: bool


class WebhookChangeList(BaseModel):
    items: list[WebhookChangeView]


class EventTypeView(BaseModel):
    type: str
    description: str


class EventTypeCatalog(BaseModel):
    """The events a webhook may subscribe to (docs/events.md has their schemas)."""

    items: list[EventTypeView]


def _overview(item: webhooks.SubscriptionOverview) -> WebhookOverview:
    last = item.last_delivery
    return WebhookOverview.model_validate(
        {
            **subscription_view(item.subscription),
            "last_delivery": None
            if last is None
            else {
                "id": last.id,
                "event_type": last.event_type,
                "status": last.status.value,
                "last_status_code": last.last_status_code,
                "last_error": last.last_error,
                "attempts": last.total_attempts,
                "updated_at": last.updated_at,
            },
        }
    )


def _change_view(change: WebhookChange) -> WebhookChangeView:
    return WebhookChangeView.model_validate(
        change.model_dump(
            mode="json", include={"at", "actor", "action", "fields", "url", "event_types", "enabled"}
        )
    )


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def _summary(event_type: str) -> str:
    doc = EVENT_TYPES[event_type].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else event_type


def admin_webhooks_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The webhook admin routes, bound to the including function's dependencies and its authenticated reviewer."""
    router = Router()
    tags = ["admin"]

    @router.get(
        "/v1/admin/webhooks",
        summary="The tenant's webhooks, each with how its latest delivery went",
        operation_id="listAdminWebhooks",
        tags=tags,
        responses=responses(403),
    )
    def list_webhooks(
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
    ) -> WebhookOverviewList:
        page = webhooks.subscription_overviews(deps(), caller(), cursor, limit)
        return WebhookOverviewList(items=[_overview(i) for i in page.items], cursor=page.cursor)

    @router.get(
        "/v1/admin/webhooks/event-types",
        summary="The events a webhook may subscribe to",
        operation_id="listWebhookEventTypes",
        tags=tags,
        responses=responses(403),
    )
    def event_types() -> EventTypeCatalog:
        caller().require("admin", "reading the event catalog")
        return EventTypeCatalog(
            items=[EventTypeView(type=t, description=_summary(t)) for t in SUBSCRIBABLE_EVENT_TYPES]
        )

    @router.post(
        "/v1/admin/webhooks",
        summary="Subscribe a URL to events: the answer is the only time the signing secret is shown",
        operation_id="createAdminWebhook",
        tags=tags,
        responses=responses(403, 422, status=201, description="Subscribed; the secret is shown this once"),
    )
    def create_webhook(body: SubscriptionCreate) -> Response[SubscriptionWithSecret]:
        subscription, secret = webhooks.create_subscription(
            deps(),
            caller(),
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            format=body.format,
        )
        answer = SubscriptionWithSecret.model_validate(subscription_view(subscription, secret))
        return _json(201, answer, NO_STORE)

    @router.get(
        "/v1/admin/webhooks/<webhook_id>",
        summary="A webhook",
        operation_id="getAdminWebhook",
        tags=tags,
        responses=responses(403, 404),
    )
    def get_webhook(webhook_id: str) -> SubscriptionView:
        return SubscriptionView.model_validate(
            subscription_view(webhooks.get_subscription(deps(), caller(), webhook_id))
        )

    @router.patch(
        "/v1/admin/webhooks/<webhook_id>",
        summary="Change a webhook's URL, event types, description, or switch it off or on",
        operation_id="updateAdminWebhook",
        tags=tags,
        responses=responses(403, 404, 422),
    )
    def update_webhook(webhook_id: str, body: SubscriptionUpdate) -> SubscriptionView:
        changes = body.model_dump(exclude_unset=True)
        return SubscriptionView.model_validate(
            subscription_view(webhooks.update_subscription(deps(), caller(), webhook_id, changes))
        )

    @router.delete(
        "/v1/admin/webhooks/<webhook_id>",
        summary="Delete a webhook (its deliveries and its change history stay)",
        operation_id="deleteAdminWebhook",
        tags=tags,
        responses=responses(403, 404, status=204, description="Deleted"),
    )
    def delete_webhook(webhook_id: str) -> Response[None]:
        webhooks.delete_subscription(deps(), caller(), webhook_id)
        # The annotation says "no content" to the OpenAPI document; the resolver still wants a string body.
        return Response(status_code=204, body="")  # type: ignore[arg-type]

    @router.post(
        "/v1/admin/webhooks/<webhook_id>/rotate-secret",
        summary="A new signing secret, shown once; the old one signs beside it for the overlap",
        operation_id="rotateAdminWebhookSecret",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def rotate_secret(webhook_id: str, body: RotateRequest | None = None) -> Response[SubscriptionWithSecret]:
        overlap = body.overlap_seconds if body else None
        subscription, secret = webhooks.rotate_secret(deps(), caller(), webhook_id, overlap)
        return _json(
            200, SubscriptionWithSecret.model_validate(subscription_view(subscription, secret)), NO_STORE
        )

    @router.post(
        "/v1/admin/webhooks/<webhook_id>/test",
        summary="Send a webhook.test ping: one attempt, made at once; its answer appears in the delivery",
        operation_id="testAdminWebhook",
        tags=tags,
        responses=responses(403, 404, 409, status=202, description="The ping is being sent"),
    )
    def test_webhook(webhook_id: str) -> Response[DeliveryView]:
        queued = webhooks.queue_test(deps(), caller(), webhook_id)
        return _json(202, DeliveryView.model_validate(delivery_view(queued)))

    @router.get(
        "/v1/admin/webhooks/<webhook_id>/changes",
        summary="Who changed the webhook, when and what, oldest first",
        operation_id="listAdminWebhookChanges",
        tags=tags,
        responses=responses(403, 404),
    )
    def changes(webhook_id: str) -> WebhookChangeList:
        trail = webhooks.subscription_changes(deps(), caller(), webhook_id)
        return WebhookChangeList(items=[_change_view(c) for c in trail])

    @router.get(
        "/v1/admin/webhooks/<webhook_id>/deliveries",
        summary="A webhook's recent deliveries, newest first, with their status codes and attempts",
        operation_id="listAdminWebhookDeliveries",
        tags=tags,
        responses=responses(403, 404),
    )
    def deliveries(
        webhook_id: str,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
    ) -> DeliveryList:
        page = webhooks.list_deliveries(deps(), caller(), webhook_id, cursor, limit)
        return DeliveryList.model_validate(
            {"items": [delivery_view(d) for d in page.items], "cursor": page.cursor}
        )

    @router.get(
        "/v1/admin/webhooks/<webhook_id>/deliveries/<delivery_id>",
        summary="A delivery and every attempt: status codes, latencies, the receiver's answers",
        operation_id="getAdminWebhookDelivery",
        tags=tags,
        responses=responses(403, 404),
    )
    def delivery(webhook_id: str, delivery_id: str) -> DeliveryDetail:
        found, attempts = webhooks.subscription_delivery(deps(), caller(), webhook_id, delivery_id)
        return DeliveryDetail.model_validate(
            {**delivery_view(found), "attempt_log": [attempt_view(a) for a in attempts]}
        )

    @router.post(
        "/v1/admin/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
        summary="Send a delivery again: same body and webhook-id, new timestamp and signature",
        operation_id="redeliverAdminWebhookDelivery",
        tags=tags,
        responses=responses(403, 404, 409, status=202, description="Queued to be sent again"),
    )
    def redeliver(webhook_id: str, delivery_id: str) -> Response[DeliveryView]:
        again = webhooks.redeliver(deps(), caller(), webhook_id, delivery_id)
        return _json(202, DeliveryView.model_validate(delivery_view(again)))

    return router
