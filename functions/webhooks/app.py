"""Webhook subscriptions API, fan-out of bus events to subscriptions, and the delivery state machine's step."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api import content_types
from arbiter.api.integrator import integrator_principal
from arbiter.api.openapi import API_KEY_SECURITY, openapi_document, responses
from arbiter.api.rest import RestApi
from arbiter.api.webhook_schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryView,
    RecoveredDeliveries,
    RecoverRequest,
    RotateRequest,
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionUpdate,
    SubscriptionView,
    SubscriptionWithSecret,
    TestDelivery,
    attempt_view,
    delivery_view,
    subscription_view,
)
from arbiter.domain.principal import Principal
from arbiter.services import webhooks
from arbiter.services.webhook_delivery import attempt_delivery, deliver_event

logger = Logger()


deps = bootstrap.composition_root()  # each adapter is built when a route or event first needs it


def authenticate(event: BaseProxyEvent) -> Principal:
    """The calling tenant's principal: the authorizer's verdict on its API key, or the key itself (401 when missing
    or unknown)."""
    return integrator_principal(deps().tenants, event)


OPENAPI_PATH = "/v1/webhooks/openapi.json"
app: RestApi[Principal] = RestApi(
    authenticate=authenticate,
    public_paths=(OPENAPI_PATH,),
    allowed_origin=lambda: deps().settings.cors_allowed_origin,
)
caller = app.caller
TAGS = ["webhooks"]


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post(
    "/v1/webhooks",
    summary="Subscribe a URL to events; the secret is shown once",
    operation_id="createWebhook",
    tags=TAGS,
    responses=responses(status=201, description="Subscribed; keep the secret, it is not shown again"),
)
def create(body: SubscriptionCreate) -> Response[SubscriptionWithSecret]:
    subscription, secret = webhooks.create_subscription(
        deps(),
        caller(),
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        format=body.format,
    )
    return _json(201, SubscriptionWithSecret.model_validate(subscription_view(subscription, secret)))


@app.get("/v1/webhooks", summary="The tenant's webhooks", operation_id="listWebhooks", tags=TAGS)
def list_all(
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> SubscriptionList:
    page = webhooks.list_subscriptions(deps(), caller(), cursor, limit)
    return SubscriptionList.model_validate(
        {"items": [subscription_view(s) for s in page.items], "cursor": page.cursor}
    )


@app.get(
    "/v1/webhooks/deliveries",
    summary="The deliveries of one case's events",
    operation_id="listCaseDeliveries",
    tags=TAGS,
)
def case_deliveries(
    case_id: Annotated[str, Query(min_length=1, max_length=100)],
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> DeliveryList:
    page = webhooks.case_deliveries(deps(), caller(), case_id, cursor, limit)
    return DeliveryList.model_validate(
        {"items": [delivery_view(d) for d in page.items], "cursor": page.cursor}
    )


@app.get(
    "/v1/webhooks/deliveries/<delivery_id>",
    summary="A delivery and its attempts",
    operation_id="getDelivery",
    tags=TAGS,
    responses=responses(404),
)
def delivery(delivery_id: str) -> DeliveryDetail:
    found, attempts = webhooks.delivery_detail(deps(), caller(), delivery_id)
    return DeliveryDetail.model_validate(
        {**delivery_view(found), "attempt_log": [attempt_view(a) for a in attempts]}
    )


@app.post(
    "/v1/webhooks/deliveries/<delivery_id>/replay",
    summary="Send a delivery again",
    operation_id="replayDelivery",
    tags=TAGS,
    responses=responses(404, 409, status=202, description="Queued to be sent again"),
)
def replay(delivery_id: str) -> Response[DeliveryView]:
    return _json(
        202, DeliveryView.model_validate(delivery_view(webhooks.replay(deps(), caller(), delivery_id)))
    )


@app.get(
    "/v1/webhooks/<webhook_id>",
    summary="A webhook",
    operation_id="getWebhook",
    tags=TAGS,
    responses=responses(404),
)
def get(webhook_id: str) -> SubscriptionView:
    return SubscriptionView.model_validate(
        subscription_view(webhooks.get_subscription(deps(), caller(), webhook_id))
    )


@app.patch(
    "/v1/webhooks/<webhook_id>",
    summary="Change a webhook",
    operation_id="updateWebhook",
    tags=TAGS,
    responses=responses(404, 409),
)
def update(webhook_id: str, body: SubscriptionUpdate) -> SubscriptionView:
    changes = body.model_dump(exclude_unset=True)
    return SubscriptionView.model_validate(
        subscription_view(webhooks.update_subscription(deps(), caller(), webhook_id, changes))
    )


@app.delete(
    "/v1/webhooks/<webhook_id>",
    summary="Delete a webhook",
    operation_id="deleteWebhook",
    tags=TAGS,
    responses=responses(404, status=204, description="Deleted"),
)
def delete(webhook_id: str) -> Response[None]:
    webhooks.delete_subscription(deps(), caller(), webhook_id)
    # The annotation says "no content" to the OpenAPI document; the resolver still wants a string body.
    return Response(status_code=204, body="")  # type: ignore[arg-type]


@app.post(
    "/v1/webhooks/<webhook_id>/rotate-secret",
    summary="A new secret; the old one signs too for a while",
    operation_id="rotateWebhookSecret",
    tags=TAGS,
    responses=responses(404, 409),
)
def rotate(webhook_id: str, body: RotateRequest | None = None) -> SubscriptionWithSecret:
    overlap = body.overlap_seconds if body else None
    subscription, secret = webhooks.rotate_secret(deps(), caller(), webhook_id, overlap)
    return SubscriptionWithSecret.model_validate(subscription_view(subscription, secret))


@app.post(
    "/v1/webhooks/<webhook_id>/test",
    summary="Send a test delivery now",
    operation_id="testWebhook",
    tags=TAGS,
    responses=responses(404, 409),
)
def test(webhook_id: str) -> TestDelivery:
    sent, attempt = webhooks.send_test(deps(), caller(), webhook_id)
    return TestDelivery.model_validate({**delivery_view(sent), "attempt": attempt_view(attempt)})


@app.get(
    "/v1/webhooks/<webhook_id>/deliveries",
    summary="A webhook's deliveries, newest first",
    operation_id="listWebhookDeliveries",
    tags=TAGS,
    responses=responses(404),
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


@app.post(
    "/v1/webhooks/<webhook_id>/recover",
    summary="Replay every failed delivery since a time",
    operation_id="recoverWebhookDeliveries",
    tags=TAGS,
    responses=responses(404, 409, status=202, description="The failed deliveries are queued again"),
)
def recover(webhook_id: str, body: RecoverRequest) -> Response[RecoveredDeliveries]:
    replayed = webhooks.recover(deps(), caller(), webhook_id, body.since)
    return _json(202, RecoveredDeliveries(replayed=[d.id for d in replayed], count=len(replayed)))


@app.get(OPENAPI_PATH, summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    return _json(200, openapi_json())


def openapi_json() -> str:
    """The OpenAPI 3.1 document of the webhook routes (docs/openapi-webhooks.json is this, checked in)."""
    return openapi_document(
        app,
        title="Arbiter webhooks API",
        description="Subscribe URLs to Arbiter's events, follow and replay their deliveries (docs/events.md). "
        "Authenticate with your API key (Authorization: Bearer <key> or X-API-Key).",
        security_schemes=API_KEY_SECURITY,
        public_paths=(OPENAPI_PATH,),
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "detail-type" in event:  # an event from the bus (rule DecisionEvents)
        return {"deliveries": deliver_event(deps(), event["detail"])}
    if event.get("task") == "attempt_delivery":  # a step of the webhook-delivery state machine
        return {
            **{k: event[k] for k in ("tenant_id", "delivery_id", "round")},
            **attempt_delivery(deps(), event["tenant_id"], event["delivery_id"], int(event["round"])),
        }
    return app.resolve(event, context)
