"""Admins manage the tenant's webhooks from the back office's API (`/v1/admin/webhooks`) with their Cognito token: a
real receiver (an HTTP server in the test) gets the test ping and a case's decision signed with the secret shown
once; every change is audited; plain reviewers get 403, another tenant's admin 404."""

from __future__ import annotations

import json

import pytest

from tests.support.cases import case_in_review
from tests.support.tenants import make_tenant
from tests.support.webhooks import Receiver
from tests.waiting import wait_for


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_an_admin_subscribes_tests_follows_redelivers_rotates_and_deletes(tenant, stack, receiver):
    admin = tenant.reviewer("admin")
    created = admin.post("/v1/admin/webhooks", json={"url": receiver.url, "event_types": ["case.created"]})
    assert created.status_code == 201, created.text
    assert created.headers.get("Cache-Control") == "no-store"
    hook = created.json()
    receiver.secret = hook["secret"]
    assert hook["secret"].startswith("whsec_")
    hook_id = hook["id"]

    listed = admin.get("/v1/admin/webhooks").json()["items"]
    mine = next(h for h in listed if h["id"] == hook_id)
    assert (mine["url"], mine["event_types"], mine["enabled"], mine["last_delivery"]) == (
        receiver.url,
        ["case.created"],
        True,
        None,
    )
    assert "secret" not in mine
    assert hook["secret"] not in admin.get(f"/v1/admin/webhooks/{hook_id}").text

    # The test ping: one attempt, made by the delivery state machine; the receiver's answer is in its log.
    queued = admin.post(f"/v1/admin/webhooks/{hook_id}/test")
    assert queued.status_code == 202, queued.text
    ping = queued.json()["id"]
    detail = wait_for(
        lambda: (
            # The attempt is logged, then the delivery settles: wait for both.
            (d := admin.get(f"/v1/admin/webhooks/{hook_id}/deliveries/{ping}").json())["attempt_log"]
            and d["status"] != "pending"
            and d
        ),
        what="the test ping's attempt and outcome",
    )
    assert (detail["status"], detail["attempt_log"][0]["status_code"]) == ("succeeded", 200)
    assert json.loads(detail["attempt_log"][0]["response_excerpt"]) == {"received": True}
    assert receiver.verified[0]["type"] == "webhook.test"
    assert receiver.rejected == []
    overview = next(h for h in admin.get("/v1/admin/webhooks").json()["items"] if h["id"] == hook_id)
    assert (overview["last_delivery"]["status"], overview["last_delivery"]["last_status_code"]) == (
        "succeeded",
        200,
    )

    # Event types from the catalog; a case's decision then reaches the receiver, and is delivered again on demand.
    catalog = {e["type"] for e in admin.get("/v1/admin/webhooks/event-types").json()["items"]}
    assert {"case.decided", "case.created"} <= catalog
    assert not any(t.startswith("webhook.") for t in catalog)
    changed = admin.patch(f"/v1/admin/webhooks/{hook_id}", json={"event_types": ["case.decided"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["case.decided"]
    case_id = case_in_review(tenant, entity_id="wh-admin-1")
    decided = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "checked"}
    )
    assert decided.status_code == 200, decided.text
    wait_for(
        lambda: [v for v in receiver.verified if v["type"] == "case.decided"], what="the decision delivered"
    )
    deliveries = admin.get(f"/v1/admin/webhooks/{hook_id}/deliveries").json()["items"]
    decision = next(d for d in deliveries if d["event_type"] == "case.decided")
    assert (decision["case_id"], decision["status"], decision["last_status_code"]) == (
        case_id,
        "succeeded",
        200,
    )
    again = admin.post(f"/v1/admin/webhooks/{hook_id}/deliveries/{decision['id']}/redeliver")
    assert again.status_code == 202, again.text
    assert again.json()["round"] == 1
    wait_for(
        lambda: len([v for v in receiver.verified if v["type"] == "case.decided"]) == 2,
        what="the decision delivered again",
    )
    ids = [r.headers.get("webhook-id") for r in receiver.requests if b"case.decided" in r.body]
    assert ids == [decision["id"], decision["id"]]  # the same webhook-id: receivers deduplicate on it

    # Rotation: a new secret shown once, and both sign for the overlap.
    rotated = admin.post(f"/v1/admin/webhooks/{hook_id}/rotate-secret", json={"overlap_seconds": 600})
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers.get("Cache-Control") == "no-store"
    assert rotated.json()["secret"] != hook["secret"]
    assert rotated.json()["signing_secrets"] == 2

    off = admin.patch(f"/v1/admin/webhooks/{hook_id}", json={"enabled": False})
    assert (off.json()["enabled"], off.json()["disabled_reason"]) == (False, "disabled by the tenant")
    assert admin.post(f"/v1/admin/webhooks/{hook_id}/test").status_code == 409
    assert admin.patch(f"/v1/admin/webhooks/{hook_id}", json={"enabled": True}).json()["enabled"] is True

    assert admin.delete(f"/v1/admin/webhooks/{hook_id}").status_code == 204
    assert admin.get(f"/v1/admin/webhooks/{hook_id}").status_code == 404
    assert all(h["id"] != hook_id for h in admin.get("/v1/admin/webhooks").json()["items"])


def test_every_change_is_in_the_webhooks_history_with_who_made_it(tenant, receiver):
    admin = tenant.reviewer("admin")
    hook = admin.post(
        "/v1/admin/webhooks", json={"url": receiver.url, "event_types": ["case.decided"]}
    ).json()
    admin.patch(f"/v1/admin/webhooks/{hook['id']}", json={"enabled": False, "description": "paused"})
    admin.post(f"/v1/admin/webhooks/{hook['id']}/rotate-secret")
    history = admin.get(f"/v1/admin/webhooks/{hook['id']}/changes")
    assert history.status_code == 200, history.text
    trail = history.json()["items"]
    assert [(c["action"], c["fields"]) for c in trail] == [
        ("created", []),
        ("changed", ["description", "enabled"]),
        ("secret_rotated", []),
    ]
    assert {c["actor"]["type"] for c in trail} == {"reviewer"}
    assert hook["secret"] not in history.text


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("ftp://hooks.example.com/in", "http or https"),
        ("https://user:pw@hooks.example.com/in", "user name"),
    ],
)
def test_urls_the_egress_rules_refuse_are_422_naming_url(tenant, receiver, url, problem):
    admin = tenant.reviewer("admin")
    refused = admin.post("/v1/admin/webhooks", json={"url": url, "event_types": ["case.decided"]})
    assert refused.status_code == 422, refused.text
    assert "url" in json.dumps(refused.json())
    assert problem in refused.text
    hook = admin.post(
        "/v1/admin/webhooks", json={"url": receiver.url, "event_types": ["case.decided"]}
    ).json()
    changed = admin.patch(f"/v1/admin/webhooks/{hook['id']}", json={"url": url})
    assert changed.status_code == 422, changed.text
    assert admin.get(f"/v1/admin/webhooks/{hook['id']}").json()["url"] == receiver.url


def test_unknown_event_types_are_422_naming_the_entry(tenant, receiver):
    refused = tenant.reviewer("admin").post(
        "/v1/admin/webhooks", json={"url": receiver.url, "event_types": ["case.decided", "case.exploded"]}
    )
    assert refused.status_code == 422, refused.text
    assert "event_types[1]" in refused.text


def test_plain_reviewers_get_403_and_another_tenants_admin_404(tenant, stack, receiver):
    admin = tenant.reviewer("admin")
    hook = admin.post(
        "/v1/admin/webhooks", json={"url": receiver.url, "event_types": ["case.decided"]}
    ).json()
    hook_id = hook["id"]
    ping = admin.post(f"/v1/admin/webhooks/{hook_id}/test").json()["id"]
    calls = [
        ("get", "/v1/admin/webhooks", None),
        ("get", "/v1/admin/webhooks/event-types", None),
        ("post", "/v1/admin/webhooks", {"url": receiver.url, "event_types": ["case.decided"]}),
        ("get", f"/v1/admin/webhooks/{hook_id}", None),
        ("patch", f"/v1/admin/webhooks/{hook_id}", {"enabled": False}),
        ("post", f"/v1/admin/webhooks/{hook_id}/rotate-secret", {}),
        ("post", f"/v1/admin/webhooks/{hook_id}/test", None),
        ("get", f"/v1/admin/webhooks/{hook_id}/changes", None),
        ("get", f"/v1/admin/webhooks/{hook_id}/deliveries", None),
        ("get", f"/v1/admin/webhooks/{hook_id}/deliveries/{ping}", None),
        ("post", f"/v1/admin/webhooks/{hook_id}/deliveries/{ping}/redeliver", None),
        ("delete", f"/v1/admin/webhooks/{hook_id}", None),
    ]
    for role in ("reviewer", "senior"):
        plain = tenant.reviewer(role)
        for method, path, body in calls:
            answer = getattr(plain, method)(path, **({"json": body} if body is not None else {}))
            assert answer.status_code == 403, (role, method, path, answer.text)
    other = make_tenant(stack).reviewer("admin")
    for method, path, body in calls[3:]:
        answer = getattr(other, method)(path, **({"json": body} if body is not None else {}))
        assert answer.status_code == 404, (method, path, answer.text)
    # Nothing was changed by the refused calls.
    kept = admin.get(f"/v1/admin/webhooks/{hook_id}").json()
    assert (kept["enabled"], kept["signing_secrets"]) == (True, 1)
    assert [c["action"] for c in admin.get(f"/v1/admin/webhooks/{hook_id}/changes").json()["items"]] == [
        "created"
    ]
