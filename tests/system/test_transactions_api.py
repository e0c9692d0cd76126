"""Transaction monitoring over HTTP on the local stack: decisions from the default scenarios, alerts stored and
published on the bus, idempotency on the id, and refusals that store nothing."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import httpx
import pytest

from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
from arbiter.domain.transactions import Transaction
from tests.waiting import wait_for

BASE = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)


def body(number: int | str, amount: float = 100.0, minutes: float = 0, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"tx-{number}",
        "customer": {"id": "acme-1"},
        "amount": amount,
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "counterparty": {"name": "Northwind Trading", "account": "DE89370400440532013000", "country": "DE"},
        "time": (BASE + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
        "channel": "api",
        "metadata": {"reference": f"invoice {number}"},
        **fields,
    }


def decide(api: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/transactions", json=payload)
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


def store(stack: Any) -> DynamoTransactionStore:
    return DynamoTransactionStore(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))


def stored_items(tenant: Any) -> list[dict[str, Any]]:
    """Every monitoring item of the tenant: transactions, history, alerts (a test may scan; a request never does)."""
    table = tenant.stack.physical_id("ArbiterTable")
    found = []
    for prefix in ("TX#", "CUSTOMER#", "ALERT#"):
        pages = tenant.stack.client("dynamodb").get_paginator("scan")
        for page in pages.paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": f"TENANT#{tenant.id}#{prefix}"}},
        ):
            found += page["Items"]
    return found


def customer_count(tenant: Any, customer: str = "acme-1") -> int:
    """How many transactions the customer's history holds (its first-seen marker's count)."""
    probe = Transaction(
        id="probe",
        customer_id=customer,
        amount=1,
        currency="EUR",
        direction="outbound",
        type="transfer",
        time=BASE,
    )
    seen = store(tenant.stack).history(tenant.id, probe).customer
    return seen.count if seen else 0


def test_structuring_opens_an_alert_that_is_stored_and_published(tenant, bus_events):
    api = tenant.api()
    assert decide(api, body(1, 9500, minutes=-300))["decision"] == "allow"
    assert decide(api, body(2, 9400, minutes=-200))["decision"] == "allow"
    decided = decide(api, body(3, 9800))
    assert decided["decision"] == "review"
    assert decided["rule_set"] == {"id": "transaction-monitoring", "version": 1}
    hit = next(h for h in decided["hits"] if h["rule"] == "structuring")
    assert hit["values"] == {
        "tx.amount": 9800.0,
        "window.24h.currency_count": 2,
        "window.24h.avg": 9450.0,
        "window.24h.max": 9500.0,
    }
    assert "window.24h.avg = 9450" in hit["explanation"]
    alert = store(tenant.stack).get_alert(tenant.id, decided["alert_id"])
    assert alert is not None
    assert (alert.status, alert.customer_id, alert.transaction_id, alert.decision) == (
        "open",
        "acme-1",
        "tx-3",
        "review",
    )

    def published() -> list[dict[str, Any]]:
        return [
            e
            for e in bus_events.drain()
            if e["detail-type"] == "transaction.decided" and e["detail"]["tenant_id"] == tenant.id
        ]

    [event] = wait_for(published, what="transaction.decided on the bus")
    assert event["source"] == "arbiter"
    assert event["detail"]["alert_id"] == decided["alert_id"]
    assert event["detail"]["transaction_id"] == "tx-3"
    assert event["detail"]["amount"] == "9800"
    assert [h["rule"] for h in event["detail"]["hits"]] == [h["rule"] for h in decided["hits"]]


def test_a_burst_keeps_one_alert_open_per_customer_and_scenario_and_publishes_its_changes(tenant, bus_events):
    api = tenant.api()
    answers = [decide(api, body(n, 25.0, minutes=n)) for n in range(8)]
    reviewed = answers[5:]
    assert [a["decision"] for a in reviewed] == ["review"] * 3
    [alert_id] = {a["alert_id"] for a in reviewed}
    alert = store(tenant.stack).get_alert(tenant.id, alert_id)
    assert alert is not None
    assert (alert.scenario, alert.transaction_id, alert.transaction_count, alert.last_transaction_id) == (
        "velocity-spike",
        "tx-5",
        3,
        "tx-7",
    )
    # Another customer's burst opens its own.
    other = [decide(api, body(f"o{n}", 25.0, minutes=n, customer={"id": "acme-2"})) for n in range(6)]
    assert other[-1]["alert_id"] not in (None, alert_id)

    def published() -> list[dict[str, Any]]:
        changes = [
            e
            for e in bus_events.drain()
            if e["detail-type"] in ("alert.opened", "alert.updated") and e["detail"]["alert_id"] == alert_id
        ]
        return changes if len(changes) == 3 else []

    changes = sorted(
        wait_for(published, what="alert.opened and two alert.updated on the bus"), key=lambda e: e["time"]
    )
    assert [(e["detail-type"], e["detail"]["transaction_id"]) for e in changes] == [
        ("alert.opened", "tx-5"),
        ("alert.updated", "tx-6"),
        ("alert.updated", "tx-7"),
    ]
    assert [e["detail"].get("transaction_count") for e in changes[1:]] == [2, 3]


def test_a_reviewer_closes_an_alert_and_the_next_hit_opens_a_new_one(tenant, bus_events):
    api = tenant.api()
    answers = [decide(api, body(n, 25.0, minutes=n, customer={"id": "acme-9"})) for n in range(6)]
    alert_id = answers[-1]["alert_id"]
    assert alert_id
    path = f"/v1/review/alerts/{alert_id}/close"
    viewer = tenant.reviewer("viewer").post(path, json={"resolution": "false_positive", "reason": "payroll"})
    assert viewer.status_code == 403, viewer.text
    bad = tenant.reviewer("reviewer").post(path, json={"resolution": "maybe", "reason": ""})
    assert bad.status_code == 422, bad.text
    assert {e["path"] for e in bad.json()["errors"]} == {"resolution", "reason"}
    assert store(tenant.stack).get_alert(tenant.id, alert_id).status == "open"  # type: ignore[union-attr]
    missing = tenant.reviewer("reviewer").post(
        "/v1/review/alerts/alert_0000000000000000/close", json={"resolution": "no_action", "reason": "x"}
    )
    assert missing.status_code == 404, missing.text

    closed = tenant.reviewer("reviewer").post(
        path, json={"resolution": "false_positive", "reason": " payroll run "}
    )
    assert closed.status_code == 200, closed.text
    view = closed.json()
    assert (view["status"], view["resolution"], view["reason"], view["transaction_count"]) == (
        "closed",
        "false_positive",
        "payroll run",
        1,
    )
    again = tenant.reviewer("reviewer").post(path, json={"resolution": "no_action", "reason": "x"})
    assert again.status_code == 409, again.text

    following = decide(api, body(6, 25.0, minutes=6, customer={"id": "acme-9"}))
    assert following["alert_id"] not in (None, alert_id)

    def published() -> list[dict[str, Any]]:
        return [
            e
            for e in bus_events.drain()
            if e["detail-type"] == "alert.closed" and e["detail"]["alert_id"] == alert_id
        ]

    [event] = wait_for(published, what="alert.closed on the bus")
    assert (event["detail"]["resolution"], event["detail"]["actor"]["type"]) == ("false_positive", "reviewer")


def test_a_burst_of_transactions_trips_the_velocity_scenario(tenant):
    api = tenant.api()
    answers = [decide(api, body(n, 25.0, minutes=n)) for n in range(6)]
    assert [a["decision"] for a in answers] == ["allow"] * 5 + ["review"]
    assert [h["rule"] for h in answers[-1]["hits"]] == ["velocity-spike"]
    assert answers[-1]["hits"][0]["values"]["window.1h.count"] == 5
    assert customer_count(tenant) == 6


def test_the_same_id_twice_is_one_transaction(tenant):
    api = tenant.api()
    first = decide(api, body(1, 12345, counterparty={"name": "Pyongyang Export", "country": "KP"}))
    again = decide(api, body(1, 12345.00, counterparty={"name": "Pyongyang Export", "country": "KP"}))
    assert again == first
    assert first["decision"] == "block"
    assert customer_count(tenant) == 1
    alerts = [i for i in stored_items(tenant) if i["pk"]["S"].startswith(f"TENANT#{tenant.id}#ALERT#")]
    assert len([a for a in alerts if a["sk"]["S"] == "ALERT"]) == 1


def test_another_body_under_a_used_id_is_a_409_naming_the_fields(tenant):
    api = tenant.api()
    decide(api, body(1, 100))
    response = api.post("/v1/transactions", json=body(1, 101, direction="inbound"))
    assert response.status_code == 409
    assert response.json()["fields"] == ["amount", "direction"]
    assert "amount, direction" in response.json()["message"]
    assert customer_count(tenant) == 1


def test_the_stored_transaction_is_read_with_its_decision(tenant):
    api = tenant.api()
    decided = decide(api, body(1, 250.75, extra_field="ignored"))
    response = api.get("/v1/transactions/tx-1")
    assert response.status_code == 200
    stored = response.json()
    assert stored["amount"] == "250.75"
    assert stored["customer"] == {"id": "acme-1"}
    assert stored["counterparty"] == {
        "name": "Northwind Trading",
        "account": "DE89370400440532013000",
        "country": "DE",
    }
    assert stored["metadata"] == {"reference": "invoice 1"}
    assert stored["decision"] == decided
    assert "extra_field" not in stored


def test_a_transaction_is_not_found_elsewhere(tenant, stack):
    from tests.support.tenants import make_tenant

    decide(tenant.api(), body(1))
    other = make_tenant(stack)
    assert other.api().get("/v1/transactions/tx-1").status_code == 404
    missing = tenant.api().get("/v1/transactions/tx-nope")
    assert missing.status_code == 404
    assert missing.json()["transaction_id"] == "tx-nope"


def test_empty_strings_are_absent_fields_and_unknown_fields_are_ignored(tenant):
    payload = body(
        1, counterparty={"name": "", "account": " ", "country": ""}, channel="", metadata="", mcc="5411"
    )
    decided = decide(tenant.api(), payload)
    assert decided["decision"] == "allow"
    stored = tenant.api().get("/v1/transactions/tx-1").json()
    assert stored["counterparty"] == {"name": None, "account": None, "country": None}
    assert (stored["channel"], stored["metadata"]) == (None, {})


def test_without_a_key_nothing_is_decided(tenant):
    response = httpx.post(f"{tenant.stack.api_url}/v1/transactions", json=body(1))
    assert response.status_code == 401
    assert stored_items(tenant) == []


FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"id": ""}, "id"),
        ({"id": "x" * 129}, "id"),
        ({"customer": {}}, "customer.id"),
        ({"customer": {"id": ""}}, "customer.id"),
        ({"amount": None}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": 0.123456789}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"direction": "sideways"}, "direction"),
        ({"type": ""}, "type"),
        ({"counterparty": {"country": "Atlantis"}}, "counterparty.country"),
        ({"time": "yesterday"}, "time"),
        ({"time": FUTURE}, "time"),
        ({"time": "0001-01-01T00:00:00Z"}, "time"),
        ({"time": "9999-12-31T23:00:00-05:00"}, "time"),
        ({"metadata": {"blob": "x" * 17000}}, "metadata"),
        ({"metadata": ["not", "an", "object"]}, "metadata"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(tenant, change, path):
    response = tenant.api().post("/v1/transactions", json={**body(f"bad-{secrets.token_hex(2)}"), **change})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["error"] in ("ValidationError", "InvalidInput")
    named = [e["path"] for e in problem.get("errors", [])] or [problem.get("path")]
    assert path in named, problem
    assert stored_items(tenant) == []


def test_a_missing_body_field_is_named(tenant):
    payload = body(1)
    del payload["currency"]
    response = tenant.api().post("/v1/transactions", json=payload)
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["currency"]
    assert stored_items(tenant) == []


def test_a_body_that_is_not_json_is_a_400_and_stores_nothing(tenant):
    response = tenant.api().post(
        "/v1/transactions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert stored_items(tenant) == []


def test_a_tenants_own_scenarios_published_through_the_admin_api_are_pinned(tenant):
    from arbiter.services.transactions import default_scenarios

    api, admin = tenant.api(), tenant.reviewer("admin")
    assert decide(api, body(1, 4000))["rule_set"]["version"] == 1  # the shipped default, installed
    listed = admin.get("/v1/admin/rule-sets/transaction-monitoring").json()
    assert listed["published_version"] == 1
    stricter = default_scenarios().model_dump(mode="json")
    stricter["rules"].append(
        {
            "id": "over-3000",
            "name": "Over 3,000",
            "condition": {">": [{"var": "tx.amount"}, 3000]},
            "score": 40,
            "severity": "medium",
            "outcome": "review",
        }
    )
    created = admin.post("/v1/admin/rule-sets", json=stricter)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 2
    tried = admin.post(
        "/v1/admin/rule-sets/transaction-monitoring/versions/2/dry-run",
        json={"context": {"tx": {"amount": 4000}, "window": {}, "customer": {}}},
    )
    assert tried.status_code == 200, tried.text
    assert [h["rule_id"] for h in tried.json()["hits"]] == ["over-3000"]
    assert decide(api, body(2, 4000, minutes=1))["decision"] == "allow"  # version 2 is not published yet
    published = admin.post("/v1/admin/rule-sets/transaction-monitoring/versions/2/publish")
    assert published.status_code == 200, published.text
    decided = decide(api, body(3, 4000, minutes=2))
    assert (decided["decision"], decided["rule_set"]["version"]) == ("review", 2)
    assert [h["rule"] for h in decided["hits"]] == ["over-3000"]
    assert api.get("/v1/transactions/tx-1").json()["decision"]["rule_set"]["version"] == 1  # kept as decided


def test_an_alert_reaches_a_webhook_subscriber_signed(tenant):
    from tests.support.webhooks import Receiver, subscribe

    receiver = Receiver()
    try:
        created = subscribe(tenant, receiver.url, event_types=["transaction.decided"])
        receiver.secret = created["secret"]
        decide(tenant.api(), body(1, 50.0))  # allowed: nothing is sent
        decided = decide(tenant.api(), body(2, 12345, minutes=1, counterparty={"country": "KP"}))
        assert decided["decision"] == "block"
        payload = wait_for(lambda: receiver.verified, what="a verified transaction.decided delivery")[0]
        assert receiver.rejected == []
        assert payload["type"] == "transaction.decided"
        assert (payload["data"]["alert_id"], payload["data"]["decision"]) == (decided["alert_id"], "block")
        assert len(receiver.verified) == 1
    finally:
        receiver.close()
