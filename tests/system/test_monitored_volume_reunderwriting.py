"""Re-underwriting from transaction monitoring on the local stack: a merchant approved with a monthly limit of
150,000 EUR; its payments decided through `/v1/transactions` are counted in its daily buckets, and the one that takes
the month over the limit (sent in a batch, decided by the queue's consumer) opens the month's re-underwriting review
case, which a report of the same month through `underwriting-metrics` finds already open."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.merchant_sites import apply_merchant, publish_underwriting
from tests.waiting import wait_for


@pytest.fixture
def underwriting(tenant, serve) -> dict[str, str]:
    return publish_underwriting(tenant, serve)


def payment(merchant: str, number: int, amount: float, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": f"{merchant}-p{number}",
        "customer": {"id": merchant},
        "amount": amount,
        "currency": "EUR",
        "direction": "inbound",
        "type": "card_payment",
        "counterparty": {"name": f"Card holder {number}", "country": "DE"},
        "time": at.isoformat().replace("+00:00", "Z"),
    }


def test_the_payment_that_takes_a_merchants_month_over_its_limit_opens_its_review(
    tenant, underwriting, bus_events
):
    saas = apply_merchant(tenant, "BrightDesk GmbH", underwriting["brightdesk"], "5734", 40_000)
    assert (saas["state"], saas["decision"]["terms"]["monthly_limit"]) == ("approved", 150000.0)
    merchant, api = saas["entity"]["id"], tenant.api()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    at = max(now - dt.timedelta(minutes=30), now.replace(day=1, hour=0, minute=0, second=0))

    for number, amount in enumerate((100_000, 50_000)):  # 150,000: at the limit, not over
        decided = api.post("/v1/transactions", json=payment(merchant, number, amount, at))
        assert decided.status_code == 200, decided.text
    listed = api.get("/v1/cases", params={"entity_id": merchant, "limit": 10}).json()["items"]
    assert [c["id"] for c in listed] == [saas["id"]]

    # The payment over comes in a batch: the queue's consumer (ScoreTransactionsFunction) decides it.
    over = api.post("/v1/transactions/batch", json={"transactions": [payment(merchant, 2, 25, at)]})
    assert over.status_code == 202, over.text

    def review_opened() -> list[dict[str, Any]]:
        listed = api.get("/v1/cases", params={"entity_id": merchant, "limit": 10}).json()["items"]
        return [c for c in listed if c["id"] != saas["id"]]

    [review] = wait_for(review_opened, timeout=60, what="the re-underwriting review opened by the batch")
    stored = tenant.stored_case(review["id"])
    assert (stored.workflow_id, stored.onboarding_case_id) == ("merchant-underwriting", saas["id"])
    assert stored.context["reported"] == {
        "period": at.strftime("%Y-%m"),
        "processed_volume": 150025.0,
        "currency": "EUR",
        "source": "transactions",
    }
    due = wait_for(
        lambda: [e for e in bus_events.for_case(review["id"]) if e["detail-type"] == "entity.review_due"],
        what="entity.review_due on the bus",
    )
    assert due[0]["detail"]["triggers"] == ["volume_over_limit"]

    assert api.post("/v1/transactions", json=payment(merchant, 3, 5_000, at)).status_code == 200
    month = {"period": at.strftime("%Y-%m"), "processed_volume": 155_025, "currency": "EUR"}
    reported = api.post(f"/v1/entities/{merchant}/underwriting-metrics", json=month).json()
    assert (reported["case_id"], reported["opened"]) == (review["id"], False)  # one month, one case
    listed = api.get("/v1/cases", params={"entity_id": merchant, "limit": 10}).json()["items"]
    assert len(listed) == 2
