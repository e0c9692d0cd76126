"""Webhooks on the local stack: real receivers (HTTP servers in the test), the real delivery state machine."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

import pytest
from standardwebhooks import Webhook

from tests.support.cases import case_in_review
from tests.support.tenants import make_tenant
from tests.support.webhooks import Receiver, subscribe
from tests.waiting import wait_for


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        receiver = Receiver(**kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def with_secret(receiver: Receiver, secret: str) -> Receiver:
    receiver.secret = secret
    return receiver


def decide(tenant, case_id, decision="approve"):
    response = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": "checked by hand"}
    )
    assert response.status_code == 200, response.text


WEBHOOKS_ROUTE = "arbiter:webhooks"  # in `resources`: the publisher routed the event to the webhooks function


def quiet(stack) -> int:
    """The invocation count once nothing has been invoked for 1.5 s (the publisher and the bus deliveries done)."""
    seen = {"count": -1, "since": time.monotonic()}

    def settled() -> list[int] | None:
        count = stack.runtime.invocation_count
        if count != seen["count"]:
            seen.update(count=count, since=time.monotonic())
        return [count] if time.monotonic() - seen["since"] >= 1.5 else None

    return wait_for(settled, timeout=60, interval=0.2, what="the stack to be quiet")[0]


def test_a_tenant_without_subscriptions_invokes_no_webhooks_function(tenant, stack, bus_events):
    webhooks = stack.runtime.by_logical_id("WebhooksFunction").name
    before = quiet(stack)
    case_id = case_in_review(tenant, entity_id=f"quiet-{secrets.token_hex(3)}")
    decide(tenant, case_id)
    published = wait_for(
        lambda: (
            (found := bus_events.for_case(case_id)) and found[-1]["detail-type"] == "case.decided" and found
        ),
        what="the case's events on the bus",
    )
    quiet(stack)
    assert [e["detail-type"] for e in published] == [
        "case.created",
        "case.status_changed",
        "case.awaiting_review",
        "case.status_changed",
        "case.decided",
    ]
    assert [e["resources"] for e in published] == [[f"arbiter:case/{case_id}"]] * len(published)
    invoked = [r.function for r in stack.runtime.invocations_since(before)]
    assert invoked  # the case did run through the stack
    assert webhooks not in invoked, invoked


def test_a_subscription_made_after_a_first_event_gets_the_next_ones(tenant, receivers, bus_events):
    case_id = case_in_review(tenant, entity_id=f"late-{secrets.token_hex(3)}")
    earlier = wait_for(lambda: bus_events.for_case(case_id), what="the case's first events")
    assert all(WEBHOOKS_ROUTE not in e["resources"] for e in earlier)  # nobody subscribed yet
    receiver = receivers()
    created = subscribe(tenant, receiver.url, event_types=["case.decided"])
    with_secret(receiver, created["secret"])
    decide(tenant, case_id)  # at once: no cache may hold the routes read for the first events back
    payload = wait_for(lambda: receiver.verified, what="the decision delivered")[0]
    assert (payload["type"], payload["data"]["case_id"]) == ("case.decided", case_id)
    decided = [e for e in bus_events.for_case(case_id) if e["detail-type"] == "case.decided"]
    assert [WEBHOOKS_ROUTE in e["resources"] for e in decided] == [True]
    assert receiver.rejected == []


def test_a_reviewers_decision_reaches_a_verifying_receiver(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    assert created["secret"].startswith("whsec_")
    with_secret(receiver, created["secret"])
    case_id = case_in_review(tenant, entity_id="wh-1")
    decide(tenant, case_id)
    payload = wait_for(lambda: receiver.verified, what="a verified delivery")[0]
    assert receiver.rejected == []
    assert payload["type"] == "case.decided"
    assert payload["data"]["case_id"] == case_id
    assert payload["data"]["outcome"] == "approved"
    assert payload["data"]["actor"]["type"] == "reviewer"
    assert dt.datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
    deliveries = wait_for(
        lambda: [
            d
            for d in tenant.api().get(f"/v1/webhooks/{created['id']}/deliveries").json()["items"]
            if d["status"] == "succeeded"
        ],
        what="the delivery logged as succeeded",
    )
    assert deliveries[0]["id"] == receiver.requests[0].headers["webhook-id"]
    assert json.loads(deliveries[0]["body"]) == payload


def deliveries_of(tenant, webhook_id, status=None):
    items = tenant.api().get(f"/v1/webhooks/{webhook_id}/deliveries").json()["items"]
    return [d for d in items if status is None or d["status"] == status]


def new_case(tenant):
    """A case of its own (its case.created event is what most tests deliver)."""
    response = tenant.api().post(
        "/v1/cases",
        json={
            "workflow": "manual-review",
            "entity": {
                "type": "individual",
                "id": f"wh-{secrets.token_hex(4)}",
                "individual": {"first_name": "Ada", "last_name": "Byron"},
            },
        },
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def test_a_receiver_down_for_three_attempts_gets_exactly_one_success_with_one_webhook_id(
    tenant, receivers, stack
):
    receiver = receivers(answers=[503, 503, 503])
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    with_secret(receiver, created["secret"])
    case_id = new_case(tenant)
    delivered = wait_for(
        lambda: deliveries_of(tenant, created["id"], "succeeded"), what="success after retries"
    )
    assert len(receiver.requests) == 4
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert receiver.requests[0].headers["webhook-id"] == delivered[0]["id"]
    assert [p["data"]["case_id"] for p in receiver.verified] == [case_id] * 4
    detail = tenant.api().get(f"/v1/webhooks/deliveries/{delivered[0]['id']}").json()
    log = detail["attempt_log"]
    assert [a["status_code"] for a in log] == [503, 503, 503, 200]
    assert [a["success"] for a in log] == [False, False, False, True]
    assert [a["number"] for a in log] == [1, 2, 3, 4]
    assert all(a["latency_ms"] >= 0 and a["at"] for a in log)
    assert log[-1]["response_excerpt"] == '{"received": true}'
    assert detail["attempts"] == 4
    # Each attempt is signed afresh: timestamps move on, the id stays.
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert stamps == sorted(stamps)
    # The first attempt came from the function the bus invoked; the platform waited between the others.
    sfn = stack.client("stepfunctions")
    machine = stack.physical_id("WebhookDeliveryStateMachine")
    execution = machine.replace(":stateMachine:", ":execution:") + f":{delivered[0]['id']}-0"
    wait_for(
        lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED", what="execution end"
    )
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in sfn.get_execution_history(executionArn=execution)["events"]
        if e["type"].endswith("StateEntered")
    ]
    assert entered.count("WaitBeforeNextAttempt") == 3
    assert entered.count("Attempt") == 3
    assert stamps[-1] > stamps[0]


def test_every_attempt_failing_ends_failed_with_a_delivery_failed_event_then_recover(
    tenant, receivers, bus_events
):
    receiver = receivers(answers=[500] * 8)
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    with_secret(receiver, created["secret"])
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    case_id = new_case(tenant)
    failed = wait_for(
        lambda: deliveries_of(tenant, created["id"], "failed"), timeout=60, what="failed delivery"
    )[0]
    assert len(receiver.requests) == 8
    assert failed["last_status_code"] == 500
    event = wait_for(
        lambda: [
            e
            for e in bus_events.drain()
            if e["detail-type"] == "webhook.delivery_failed" and e["detail"]["delivery_id"] == failed["id"]
        ],
        what="webhook.delivery_failed on the bus",
    )[0]["detail"]
    assert event["subscription_id"] == created["id"]
    assert event["case_id"] == case_id
    assert event["attempts"] == 8
    assert event["event_type"] == "case.created"
    # The receiver is fixed: recover everything that failed since before the case was created.
    response = tenant.api().post(f"/v1/webhooks/{created['id']}/recover", json={"since": since.isoformat()})
    assert response.status_code == 202, response.text
    assert response.json()["replayed"] == [failed["id"]]
    wait_for(lambda: deliveries_of(tenant, created["id"], "succeeded"), what="recovered delivery")
    assert receiver.requests[-1].headers["webhook-id"] == failed["id"]
    assert receiver.rejected == []


def test_410_disables_the_subscription(tenant, receivers):
    receiver = receivers(answers=[410])
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    new_case(tenant)
    wait_for(
        lambda: tenant.api().get(f"/v1/webhooks/{created['id']}").json()["enabled"] is False,
        what="subscription disabled",
    )
    subscription = tenant.api().get(f"/v1/webhooks/{created['id']}").json()
    assert "410" in subscription["disabled_reason"]
    assert deliveries_of(tenant, created["id"])[0]["status"] == "cancelled"
    assert len(receiver.requests) == 1
    # Nothing more is sent while it is disabled; enabling it again resumes deliveries.
    new_case(tenant)
    assert (
        tenant.api()
        .post(f"/v1/webhooks/deliveries/{deliveries_of(tenant, created['id'])[0]['id']}/replay")
        .status_code
        == 409
    )
    enabled = tenant.api().patch(f"/v1/webhooks/{created['id']}", json={"enabled": True}).json()
    assert enabled["enabled"] is True
    assert enabled["disabled_reason"] is None
    new_case(tenant)
    wait_for(lambda: deliveries_of(tenant, created["id"], "succeeded"), what="delivery after re-enabling")


def test_replay_resends_with_a_new_timestamp_and_a_valid_signature(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    with_secret(receiver, created["secret"])
    new_case(tenant)
    first = wait_for(lambda: deliveries_of(tenant, created["id"], "succeeded"), what="first delivery")[0]
    wait_for(
        lambda: (
            int(dt.datetime.now(dt.UTC).timestamp()) > int(receiver.requests[0].headers["webhook-timestamp"])
        ),
        what="the next second",
    )
    response = tenant.api().post(f"/v1/webhooks/deliveries/{first['id']}/replay")
    assert response.status_code == 202, response.text
    wait_for(lambda: len(receiver.verified) == 2, what="the replay")
    original, replayed = receiver.requests
    assert replayed.headers["webhook-id"] == original.headers["webhook-id"] == first["id"]
    assert int(replayed.headers["webhook-timestamp"]) > int(original.headers["webhook-timestamp"])
    assert replayed.body == original.body
    assert receiver.rejected == []
    detail = wait_for(
        lambda: (
            (d := tenant.api().get(f"/v1/webhooks/deliveries/{first['id']}").json())["status"] == "succeeded"
            and d
        ),
        what="replay recorded",
    )
    assert [(a["round"], a["number"]) for a in detail["attempt_log"]] == [(0, 1), (1, 1)]


def test_during_a_rotation_old_and_new_secret_holders_both_verify(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    old_secret = created["secret"]
    rotated = tenant.api().post(f"/v1/webhooks/{created['id']}/rotate-secret", json={"overlap_seconds": 3600})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret
    assert rotated.json()["signing_secrets"] == 2
    assert "secret" not in tenant.api().get(f"/v1/webhooks/{created['id']}").json()
    sent = tenant.api().post(f"/v1/webhooks/{created['id']}/test")
    assert sent.status_code == 200, sent.text
    assert sent.json()["attempt"]["success"] is True
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"
    # With no overlap the old secret stops signing at once.
    tenant.api().post(f"/v1/webhooks/{created['id']}/rotate-secret", json={"overlap_seconds": 0})
    tenant.api().post(f"/v1/webhooks/{created['id']}/test")
    last = receiver.requests[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret).verify(last.body, last.headers)


def test_another_tenant_cannot_see_change_or_replay(tenant, stack, receivers):

    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    sent = tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()
    other = make_tenant(stack).api()
    assert created["id"] not in [w["id"] for w in other.get("/v1/webhooks").json()["items"]]
    assert other.get(f"/v1/webhooks/{created['id']}").status_code == 404
    assert other.get(f"/v1/webhooks/{created['id']}/deliveries").status_code == 404
    assert other.get(f"/v1/webhooks/deliveries/{sent['id']}").status_code == 404
    assert other.post(f"/v1/webhooks/deliveries/{sent['id']}/replay").status_code == 404
    assert other.patch(f"/v1/webhooks/{created['id']}", json={"enabled": False}).status_code == 404
    assert other.delete(f"/v1/webhooks/{created['id']}").status_code == 404
    assert other.post(f"/v1/webhooks/{created['id']}/rotate-secret").status_code == 404
    assert tenant.api().get(f"/v1/webhooks/{created['id']}").json()["enabled"] is True
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://10.0.0.7/hook", "private address"),
        ("http://[::ffff:169.254.169.254]/hook", "cloud metadata address"),
        ("ftp://example.com/hook", "http or https"),
        ("not a url", "http or https"),
        ("http://user:pw@example.com/hook", "user name or password"),
    ],
)
def test_urls_the_egress_rules_refuse_are_422_naming_the_field(tenant, url, reason):
    response = tenant.api().post("/v1/webhooks", json={"url": url, "event_types": ["case.decided"]})
    assert response.status_code == 422, response.text
    assert response.json()["path"] == "url"
    assert reason in response.json()["message"]
    assert tenant.api().get("/v1/webhooks").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"event_types": ["case.decided"]}, "url"),
        ({"url": "http://127.0.0.1:9/hook"}, "event_types"),
        ({"url": "http://127.0.0.1:9/hook", "event_types": []}, "event_types"),
        (
            {"url": "http://127.0.0.1:9/hook", "event_types": ["case.decided", "case.exploded"]},
            "event_types[1]",
        ),
        ({"url": "http://127.0.0.1:9/hook", "event_types": ["webhook.delivery_failed"]}, "event_types[0]"),
        ({"url": "http://127.0.0.1:9/hook", "event_types": ["case.decided"], "format": "svix"}, "format"),
        (
            {"url": "http://127.0.0.1:9/hook", "event_types": ["case.decided"], "format": "ballerine"},
            "event_types[0]",
        ),
        ({"url": "http://127.0.0.1:9/hook", "event_types": ["case.decided"], "colour": "red"}, "colour"),
    ],
)
def test_bad_subscriptions_are_422_naming_the_field_and_store_nothing(tenant, body, path):
    response = tenant.api().post("/v1/webhooks", json=body)
    assert response.status_code == 422, response.text
    paths = [e["path"] for e in response.json().get("errors", [])] or [response.json()["path"]]
    assert path in paths
    assert tenant.api().get("/v1/webhooks").json()["items"] == []


def test_patch_is_checked_like_create_and_delete_removes(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    api = tenant.api()
    refused = api.patch(f"/v1/webhooks/{created['id']}", json={"url": "http://169.254.169.254/"})
    assert refused.status_code == 422
    assert refused.json()["path"] == "url"
    bad_type = api.patch(f"/v1/webhooks/{created['id']}", json={"event_types": ["nope"]})
    assert bad_type.status_code == 422
    assert bad_type.json()["path"] == "event_types[0]"
    unchanged = api.get(f"/v1/webhooks/{created['id']}").json()
    assert unchanged["url"] == receiver.url
    assert unchanged["event_types"] == ["case.decided"]
    changed = api.patch(
        f"/v1/webhooks/{created['id']}",
        json={"event_types": ["case.created", "case.decided"], "description": "all"},
    ).json()
    assert changed["event_types"] == ["case.created", "case.decided"]
    assert changed["description"] == "all"
    assert api.delete(f"/v1/webhooks/{created['id']}").status_code == 204
    assert api.get(f"/v1/webhooks/{created['id']}").status_code == 404
    assert api.delete(f"/v1/webhooks/{created['id']}").status_code == 404


def test_a_disabled_subscription_gets_nothing(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url, event_types=["case.created"])
    tenant.api().patch(f"/v1/webhooks/{created['id']}", json={"enabled": False})
    other = receivers()
    watcher = subscribe(tenant, other.url, event_types=["case.created"])
    new_case(tenant)
    wait_for(lambda: deliveries_of(tenant, watcher["id"], "succeeded"), what="the enabled one's delivery")
    assert receiver.requests == []
    assert deliveries_of(tenant, created["id"]) == []


def test_lists_page_with_a_cursor_and_a_case_lists_its_deliveries(tenant, receivers):
    receiver = receivers()
    created = subscribe(
        tenant, receiver.url, event_types=["case.created", "case.status_changed", "case.awaiting_review"]
    )
    for _ in range(3):
        subscribe(tenant, receiver.url)
    api = tenant.api()
    first = api.get("/v1/webhooks", params={"limit": 3}).json()
    second = api.get("/v1/webhooks", params={"limit": 3, "cursor": first["cursor"]}).json()
    assert len(first["items"]) == 3
    assert len(second["items"]) == 1
    assert second["cursor"] is None
    assert {w["id"] for w in first["items"] + second["items"]} >= {created["id"]}
    case_id = case_in_review(tenant, entity_id="wh-list")
    wait_for(lambda: len(deliveries_of(tenant, created["id"], "succeeded")) >= 3, what="three deliveries")
    page = api.get(f"/v1/webhooks/{created['id']}/deliveries", params={"limit": 2}).json()
    rest = api.get(
        f"/v1/webhooks/{created['id']}/deliveries", params={"limit": 2, "cursor": page["cursor"]}
    ).json()
    assert len(page["items"]) == 2
    assert page["cursor"] is not None
    ids = [d["id"] for d in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) >= 3
    for_case = api.get("/v1/webhooks/deliveries", params={"case_id": case_id}).json()["items"]
    assert {d["event_type"] for d in for_case} >= {"case.created", "case.status_changed"}
    assert all(d["case_id"] == case_id for d in for_case)
    bad = api.get(f"/v1/webhooks/{created['id']}/deliveries", params={"cursor": page["cursor"][:-3] + "xyz"})
    assert bad.status_code == 422
    assert api.get("/v1/webhooks/deliveries").status_code == 422
    # Reviewers see the case's deliveries in the case view.
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert {d["event_type"] for d in detail["webhook_deliveries"]} >= {"case.created"}
    shown = next(d for d in detail["webhook_deliveries"] if d["event_type"] == "case.created")
    assert shown["status"] == "succeeded"
    assert shown["url"] == receiver.url
    assert shown["attempts"] == 1
    assert shown["last_status_code"] == 200
    assert "body" not in shown


def test_a_test_ping_to_a_dead_receiver_is_logged_as_failed(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    receiver.close()
    sent = tenant.api().post(f"/v1/webhooks/{created['id']}/test").json()
    assert sent["attempt"]["success"] is False
    assert sent["attempt"]["status_code"] is None
    assert "ConnectFailed" in sent["attempt"]["error"]
    assert deliveries_of(tenant, created["id"])[0]["status"] == "failed"


def ballerine_tenant(tenant, stack, secret="ballerine-shared-secret"):
    from tests.support.tenants import tenant_repository

    repository = tenant_repository(stack)
    stored = repository.get(tenant.id)
    stored.settings.webhook_shared_secret = secret
    repository.update(stored)
    return secret


def ballerine_run(tenant, subscriptions, entity_id=None):
    return tenant.api().post(
        "/api/v1/external/workflows/run",
        json={
            "workflowId": "manual-review",
            "context": {
                "entity": {
                    "id": entity_id or f"bal-{secrets.token_hex(4)}",
                    "type": "individual",
                    "data": {"firstName": "Ada", "lastName": "Lovelace"},
                },
                "documents": [],
            },
            "config": {"subscriptions": subscriptions},
        },
    )


def test_a_ballerine_run_with_config_subscriptions_gets_hmac_signed_ballerine_events(
    tenant, stack, receivers
):
    import hashlib
    import hmac

    secret = ballerine_tenant(tenant, stack)
    tenant.set_settings(allow_integrator_decisions=True)  # the run is approved with the key below
    receiver = receivers()
    run = ballerine_run(
        tenant,
        [
            {
                "type": "webhook",
                "url": receiver.url,
                "events": ["workflow.completed", "workflow.state.changed"],
            }
        ],
    )
    assert run.status_code in (200, 201), run.text
    runtime_id = run.json()["workflowRuntimeId"]
    api = tenant.api()
    wait_for(
        lambda: api.get(f"/v1/cases/{runtime_id}").json()["state"] == "manual_review", what="manual review"
    )
    approved = api.post(
        f"/api/v1/external/workflows/{runtime_id}/event",
        json={"name": "approve", "payload": {"reason": "ok"}},
    )
    assert approved.status_code in (200, 201), approved.text
    completed = wait_for(
        lambda: [r for r in receiver.requests if json.loads(r.body)["eventName"] == "workflow.completed"],
        what="workflow.completed",
    )[0]
    for request in receiver.requests:
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-hmac-signature"] == expected
        assert "x-authorization" not in request.headers
        assert "webhook-signature" not in request.headers
    body = json.loads(completed.body)
    assert body["workflowRuntimeId"] == runtime_id
    assert body["workflowDefinitionId"] == "manual-review"
    assert body["workflowStatus"] == "completed"
    assert body["workflowFinalState"] == "approved"
    assert body["data"]["entity"]["data"]["firstName"] == "Ada"
    assert body["data"]["decision"]["status"] == "approved"

    # Deliveries run concurrently: "approved" may land after "workflow.completed".
    def states_changed() -> set[str]:
        bodies = [json.loads(r.body) for r in receiver.requests]
        return {b["state"] for b in bodies if b["eventName"] == "workflow.state.changed"}

    wait_for(lambda: states_changed() >= {"manual_review", "approved"}, what="state changes to approved")
    assert states_changed() >= {"manual_review", "approved"}
    # The run's subscriptions are that case's only: another run without them sends nothing there.
    stack.bridge.wait_idle(10)
    before = len(receiver.requests)
    other = ballerine_run(tenant, [])
    assert other.status_code in (200, 201)
    wait_for(
        lambda: api.get(f"/v1/cases/{other.json()['workflowRuntimeId']}").json()["state"] == "manual_review",
        what="the other run in review",
    )
    stack.bridge.wait_idle(10)
    assert len(receiver.requests) == before
    assert all(json.loads(r.body)["workflowRuntimeId"] == runtime_id for r in receiver.requests)


@pytest.mark.parametrize(
    ("subscriptions", "path"),
    [
        (
            [{"type": "webhook", "url": "http://169.254.169.254/", "events": ["workflow.completed"]}],
            "config.subscriptions[0].url",
        ),
        ([{"type": "webhook", "events": ["workflow.completed"]}], "config.subscriptions[0].url"),
        (
            [{"type": "webhook", "url": "http://127.0.0.1:9/h", "events": ["case.decided"]}],
            "config.subscriptions[0].events[0]",
        ),
        ([{"type": "email", "url": "http://127.0.0.1:9/h", "events": []}], "config.subscriptions[0].type"),
        ("everything", "config.subscriptions"),
    ],
)
def test_bad_ballerine_subscriptions_are_refused_naming_the_field(tenant, stack, subscriptions, path):
    ballerine_tenant(tenant, stack)
    response = ballerine_run(tenant, subscriptions)
    assert response.status_code == 422, response.text
    assert path in [e["path"] for e in response.json()["errors"]]
    assert tenant.api().get("/v1/cases").json()["items"] == []


def test_ballerine_subscriptions_need_the_tenants_shared_secret(tenant):
    response = ballerine_run(
        tenant, [{"type": "webhook", "url": "http://127.0.0.1:9/h", "events": ["workflow.completed"]}]
    )
    assert response.status_code == 422
    assert "shared secret" in response.json()["message"]
    assert tenant.api().get("/v1/cases").json()["items"] == []
