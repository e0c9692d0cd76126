"""The alerts queue and investigation over HTTP on the local stack: list and read an alert (its hits, transactions
and the customer's history), assign, note, escalate and file a report, each on the alert's history and published;
a viewer reads but may not write; another tenant's alert is not found."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from tests.support.tenants import make_tenant
from tests.waiting import wait_for

BASE = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)


def body(number: int, customer: str, amount: float = 25.0, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{customer}-tx-{number}",
        "customer": {"id": customer},
        "amount": amount,
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "counterparty": {"name": "Northwind Trading", "account": "DE89370400440532013000", "country": "DE"},
        "time": (BASE + dt.timedelta(minutes=number)).isoformat().replace("+00:00", "Z"),
        "channel": "api",
        **fields,
    }


def burst(api: httpx.Client, customer: str, count: int = 7) -> str:
    """`count` transactions within the hour: from the sixth on, each hits velocity-spike. The alert's id."""
    answers = []
    for n in range(count):
        response = api.post("/v1/transactions", json=body(n, customer))
        assert response.status_code == 200, response.text
        answers.append(response.json())
    alert_id = answers[-1]["alert_id"]
    assert alert_id, answers[-1]
    return str(alert_id)


def test_reviewers_work_an_alert_from_the_queue_to_a_filed_report(tenant, bus_events):
    api = tenant.api()
    worked = burst(api, "acme-queue-1")
    other = burst(api, "acme-queue-2")
    reviewer, viewer = tenant.reviewer("reviewer"), tenant.reviewer("viewer")

    listed = viewer.get("/v1/review/alerts", params={"status": "open"})
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["items"]] == [other, worked]
    first = viewer.get("/v1/review/alerts", params={"limit": 1})
    assert [a["id"] for a in first.json()["items"]] == [other]
    rest = viewer.get("/v1/review/alerts", params={"limit": 1, "cursor": first.json()["cursor"]})
    assert [a["id"] for a in rest.json()["items"]] == [worked]
    bad_cursor = viewer.get("/v1/review/alerts", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert bad_cursor.status_code == 422, bad_cursor.text
    by_customer = viewer.get("/v1/review/alerts", params={"customer": "acme-queue-1"})
    assert [a["id"] for a in by_customer.json()["items"]] == [worked]

    detail = viewer.get(f"/v1/review/alerts/{worked}")
    assert detail.status_code == 200, detail.text
    view = detail.json()
    assert view["alert"]["scenario"] == "velocity-spike"
    assert view["hits"][0]["rule_id"] == "velocity-spike"
    assert view["hits"][0]["values"]
    assert view["hits"][0]["explanation"]
    assert [t["id"] for t in view["transactions"]] == ["acme-queue-1-tx-5", "acme-queue-1-tx-6"]
    assert [t["id"] for t in view["customer_transactions"]] == [
        f"acme-queue-1-tx-{n}" for n in range(6, -1, -1)
    ]
    assert view["customer"] == {
        "id": "acme-queue-1",
        "case_id": None,
        "workflow_id": None,
        "risk_level": None,
        "monitored_since": None,
    }

    refused = viewer.post(f"/v1/review/alerts/{worked}/assign", json={"assignee": "me"})
    assert refused.status_code == 403, refused.text
    assigned = reviewer.post(f"/v1/review/alerts/{worked}/assign", json={"assignee": "me"})
    assert assigned.status_code == 200, assigned.text
    me = reviewer.get("/v1/review/me").json()
    assert assigned.json()["assignee"] == me["id"]
    mine = reviewer.get("/v1/review/alerts", params={"assignee": "me"})
    assert [a["id"] for a in mine.json()["items"]] == [worked]
    unassigned = reviewer.post(f"/v1/review/alerts/{other}/assign", json={"assignee": None})
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["assignee"] is None
    blank = reviewer.post(f"/v1/review/alerts/{other}/assign", json={"assignee": " "})
    assert blank.status_code == 422, blank.text
    assert [e["path"] for e in blank.json()["errors"]] == ["assignee"]
    empty_note = reviewer.post(f"/v1/review/alerts/{worked}/notes", json={"text": "  "})
    assert empty_note.status_code == 422, empty_note.text
    assert [e["path"] for e in empty_note.json()["errors"]] == ["text"]
    noted = reviewer.post(f"/v1/review/alerts/{worked}/notes", json={"text": "invoice on file"})
    assert noted.status_code == 200, noted.text
    escalated = reviewer.post(f"/v1/review/alerts/{worked}/escalate", json={"reason": "mule pattern"})
    assert escalated.status_code == 200, escalated.text
    assert (escalated.json()["status"], escalated.json()["escalation_reason"]) == ("open", "mule pattern")
    no_reference = reviewer.post(f"/v1/review/alerts/{worked}/report", json={"reason": "confirmed"})
    assert no_reference.status_code == 422, no_reference.text
    assert [e["path"] for e in no_reference.json()["errors"]] == ["reference"]
    filed = reviewer.post(
        f"/v1/review/alerts/{worked}/report", json={"reason": "structuring confirmed", "reference": "SAR-42"}
    )
    assert filed.status_code == 200, filed.text
    assert (filed.json()["status"], filed.json()["resolution"], filed.json()["report_reference"]) == (
        "closed",
        "true_positive",
        "SAR-42",
    )
    again = reviewer.post(f"/v1/review/alerts/{worked}/escalate", json={"reason": "x"})
    assert again.status_code == 409, again.text

    history = viewer.get(f"/v1/review/alerts/{worked}").json()["history"]
    assert [(h["action"], h["actor_id"], h.get("text")) for h in history] == [
        ("assigned", me["id"], None),
        ("noted", me["id"], "invoice on file"),
        ("escalated", me["id"], "mule pattern"),
        ("report_filed", me["id"], "structuring confirmed"),
    ]
    still_open = viewer.get("/v1/review/alerts", params={"status": "open"})
    assert [a["id"] for a in still_open.json()["items"]] == [other]
    counts = reviewer.get("/v1/review/alerts/counts")
    assert counts.status_code == 200, counts.text
    assert counts.json() == {
        "open": 1,
        "unassigned": 1,
        "mine": 0,
        "escalated": 0,
        "by_severity": {"high": 1},
        "truncated": False,
    }

    wanted = {"alert.assigned", "alert.noted", "alert.escalated", "alert.report_filed", "alert.closed"}
    seen: dict[str, dict[str, Any]] = {}

    def published() -> bool:
        for event in bus_events.drain():
            if event["detail-type"] in wanted and event["detail"]["alert_id"] == worked:
                seen[event["detail-type"]] = event["detail"]
        return set(seen) == wanted

    wait_for(published, what="the alert's five events on the bus")
    assert seen["alert.report_filed"]["reference"] == "SAR-42"
    assert seen["alert.noted"]["note_id"] == history[1]["id"]


def test_another_tenants_alert_is_not_found_and_its_queue_is_its_own(stack, tenant):
    alert_id = burst(tenant.api(), "acme-private")
    neighbour = make_tenant(stack).reviewer("reviewer")
    assert neighbour.get(f"/v1/review/alerts/{alert_id}").status_code == 404
    for action, payload in (
        ("assign", {"assignee": "me"}),
        ("notes", {"text": "x"}),
        ("escalate", {"reason": "x"}),
        ("report", {"reason": "x", "reference": "r"}),
        ("close", {"resolution": "no_action", "reason": "x"}),
    ):
        response = neighbour.post(f"/v1/review/alerts/{alert_id}/{action}", json=payload)
        assert response.status_code == 404, (action, response.text)
    assert neighbour.get("/v1/review/alerts").json()["items"] == []
