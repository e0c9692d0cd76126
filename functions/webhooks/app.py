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
from arbiter.api.integrator import authenticate_integrator
from arbiter.api.rest import RestApi
from arbiter.api.webhook_schemas import (
    RecoverRequest,
    RotateRequest,
    SubscriptionCreate,
    SubscriptionUpdate,
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
    """The calling tenant's principal, from its API key (401 when missing or unknown)."""
    principal, _tenant = authenticate_integrator(deps().tenants, event.headers)
    return principal


app: RestApi[Principal] = RestApi(
    authenticate=authenticate, allowed_origin=lambda: deps().settings.cors_allowed_origin
)
caller = app.caller


def _json(status: int, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.post("/v1/webhooks", summary="Subscribe a URL to events; the secret is shown once")
def create(body: SubscriptionCreate) -> Response[Any]:
    subscription, secret = webhooks.create_subscription(
        deps(),
        caller(),
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        format=body.format,
    )
    return _json(201, subscription_view(subscription, secret))


@app.get("/v1/webhooks", summary="The tenant's webhooks")
def list_all(
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    page = webhooks.list_subscriptions(deps(), caller(), cursor, limit)
    return {"items": [subscription_view(s) for s in page.items], "cursor": page.cursor}


@app.get("/v1/webhooks/deliveries", summary="The deliveries of one case's events")
def case_deliveries(
    case_id: Annotated[str, Query(min_length=1, max_length=100)],
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    page = webhooks.case_deliveries(deps(), caller(), case_id, cursor, limit)
    return {"items": [delivery_view(d) for d in page.items], "cursor": page.cursor}


@app.get("/v1/webhooks/deliveries/<delivery_id>", summary="A delivery and its attempts")
def delivery(delivery_id: str) -> dict[str, Any]:
    found, attempts = webhooks.delivery_detail(deps(), caller(), delivery_id)
    return {**delivery_view(found), "attempt_log": [attempt_view(a) for a in attempts]}


@app.post("/v1/webhooks/deliveries/<delivery_id>/replay", summary="Send a delivery again")
def replay(delivery_id: str) -> Response[Any]:
    return _json(202, delivery_view(webhooks.replay(deps(), caller(), delivery_id)))


@app.get("/v1/webhooks/<webhook_id>", summary="A webhook")
def get(webhook_id: str) -> dict[str, Any]:
    return subscription_view(webhooks.get_subscription(deps(), caller(), webhook_id))


@app.patch("/v1/webhooks/<webhook_id>", summary="Change a webhook")
def update(webhook_id: str, body: SubscriptionUpdate) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return subscription_view(webhooks.update_subscription(deps(), caller(), webhook_id, changes))


@app.delete("/v1/webhooks/<webhook_id>", summary="Delete a webhook")
def delete(webhook_id: str) -> Response[Any]:
    webhooks.delete_subscription(deps(), caller(), webhook_id)
    return Response(status_code=204, body="")


@app.post(
    "/v1/webhooks/<webhook_id>/rotate-secret", summary="A new secret; the old one signs too for a while"
)
def rotate(webhook_id: str, body: RotateRequest | None = None) -> dict[str, Any]:
    overlap = body.overlap_seconds if body else None
    subscription, secret = webhooks.rotate_secret(deps(), caller(), webhook_id, overlap)
    return subscription_view(subscription, secret)


@app.post("/v1/webhooks/<webhook_id>/test", summary="Send a test delivery now")
def test(webhook_id: str) -> dict[str, Any]:
    sent, attempt = webhooks.send_test(deps(), caller(), webhook_id)
    return {**delivery_view(sent), "attempt": attempt_view(attempt)}


@app.get("/v1/webhooks/<webhook_id>/deliveries", summary="A webhook's deliveries, newest first")
def deliveries(
    webhook_id: str,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    page = webhooks.list_deliveries(deps(), caller(), webhook_id, cursor, limit)
    return {"items": [delivery_view(d) for d in page.items], "cursor": page.cursor}


@app.post("/v1/webhooks/<webhook_id>/recover", summary="Replay every failed delivery since a time")
def recover(webhook_id: str, body: RecoverRequest) -> Response[Any]:
    replayed = webhooks.recover(deps(), caller(), webhook_id, body.since)
    return _json(202, {"replayed": [d.id for d in replayed], "count": len(replayed)})


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
