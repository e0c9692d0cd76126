"""Merchant underwriting on the local stack: three merchants, their websites served by the test, read by the
website content check through the egress guard; the decision table proposes the terms; a reviewer adjusts them
within their role's authority, and the terms travel with the decision."""

from __future__ import annotations

import pytest

from tests.support.merchant_sites import apply_merchant, publish_underwriting
from tests.waiting import wait_for


@pytest.fixture
def underwriting(tenant, serve) -> dict[str, str]:
    return publish_underwriting(tenant, serve)


def test_terms_for_a_saas_merchant_a_travel_agency_and_a_prohibited_goods_shop(
    tenant, underwriting, bus_events
):
    saas = apply_merchant(tenant, "BrightDesk GmbH", underwriting["brightdesk"], "5734", 40_000)
    assert saas["state"] == "approved", saas
    assert saas["decision"]["terms"] == {
        "risk_tier": "low",
        "monthly_limit": 150000.0,
        "currency": "EUR",
        "reserve_percent": 0.0,
        "reserve_days": 0,
        "settlement_delay_days": 2,
        "conditions": [],
    }
    decided = wait_for(
        lambda: [e for e in bus_events.for_case(saas["id"]) if e["detail-type"] == "case.decided"],
        timeout=30,
        what="case.decided on the bus",
    )
    assert decided[0]["detail"]["terms"]["risk_tier"] == "low"

    travel = apply_merchant(tenant, "Horizonte Viajes S.L.", underwriting["horizonte-viajes"], "4722", 80_000)
    assert travel["state"] == "manual_review"
    proposed = travel["risk"]["terms"]
    assert (proposed["risk_tier"], proposed["monthly_limit"], proposed["reserve_percent"]) == (
        "high",
        50000.0,
        10.0,
    )
    assert "3-D Secure required" in proposed["conditions"]

    shop = apply_merchant(tenant, "Luxe Time Trading Ltd", underwriting["luxetime"], "5944", 20_000)
    assert shop["state"] == "rejected"
    checks = tenant.reviewer("viewer").get(f"/v1/review/cases/{shop['id']}").json()["checks"]
    assert {p["term"] for p in checks["website_content"]["data"]["prohibited"]} == {
        "counterfeit",
        "replica watches",
    }
    assert "terms" not in shop["decision"] or shop["decision"]["terms"] is None


def test_an_underwriter_adjusts_terms_within_their_authority_only(tenant, underwriting):
    travel = apply_merchant(tenant, "Horizonte Viajes S.L.", underwriting["horizonte-viajes"], "4722", 80_000)
    reviewer = tenant.reviewer("reviewer")
    path = f"/v1/review/cases/{travel['id']}/decision"
    proposed = travel["risk"]["terms"]
    before = reviewer.get(f"/v1/review/cases/{travel['id']}").json()["audit"]

    raised = reviewer.post(
        path,
        json={
            "decision": "approve",
            "reason": "seasonal peak",
            "terms": {**proposed, "monthly_limit": 200_000},
        },
    )
    assert raised.status_code == 403, raised.text
    assert "beyond your authority (at most 100,000)" in raised.json()["message"]
    relaxed = reviewer.post(
        path, json={"decision": "approve", "reason": "x", "terms": {**proposed, "reserve_percent": 0}}
    )
    assert relaxed.status_code == 403, relaxed.text
    view = reviewer.get(f"/v1/review/cases/{travel['id']}").json()
    assert (view["case"]["state"], view["audit"]) == ("manual_review", before)  # nothing written

    tightened = {
        **proposed,
        "monthly_limit": 40_000,
        "conditions": [*proposed["conditions"], "Weekly payouts"],
    }
    approved = reviewer.post(
        path, json={"decision": "approve", "reason": "licensed agency", "terms": tightened}
    )
    assert approved.status_code == 200, approved.text
    case = wait_for(
        lambda: (c := tenant.api().get(f"/v1/cases/{travel['id']}").json())["state"] == "approved" and c,
        timeout=60,
        what="approved",
    )
    assert case["decision"]["terms"]["monthly_limit"] == 40000.0
    assert case["decision"]["terms"]["conditions"][-1] == "Weekly payouts"
    adjusted = [
        e
        for e in reviewer.get(f"/v1/review/cases/{travel['id']}").json()["audit"]
        if e["action"] == "terms.adjusted"
    ]
    assert adjusted[0]["details"]["changed"] == ["monthly_limit", "conditions"]


def test_an_application_that_breaks_the_workflows_schema_is_refused_naming_the_field(tenant, underwriting):
    body = {
        "workflow": "merchant-underwriting",
        "entity": {"type": "business", "business": {"name": "Nameless GmbH"}},
        "application": {"monthly_volume": 1000, "average_ticket": 10, "currency": "EUR"},
    }
    refused = tenant.api().post("/v1/cases", json=body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["path"] == "context.application.mcc"
    body["application"]["mcc"] = "travel"
    assert tenant.api().post("/v1/cases", json=body).json()["path"] == "context.application.mcc"
    assert tenant.api().get("/v1/cases", params={"workflow": "merchant-underwriting"}).json()["items"] == []


def test_a_month_over_the_limit_or_the_chargeback_threshold_opens_one_review_case(tenant, underwriting):
    saas = apply_merchant(tenant, "BrightDesk GmbH", underwriting["brightdesk"], "5734", 40_000)
    assert saas["state"] == "approved"
    entity_id = saas["entity"]["id"]
    api = tenant.api()
    path = f"/v1/entities/{entity_id}/underwriting-metrics"

    quiet = api.post(
        path,
        json={"period": "2026-10", "processed_volume": 90_000, "currency": "EUR", "chargeback_ratio": 0.3},
    )
    assert quiet.status_code == 200, quiet.text
    assert (quiet.json()["triggers"], quiet.json()["case_id"]) == ([], None)

    month = {"period": "2026-11", "processed_volume": 182_000, "currency": "EUR", "chargeback_ratio": 1.2}
    busy = api.post(path, json=month)
    assert busy.status_code == 200, busy.text
    body = busy.json()
    assert [t["code"] for t in body["triggers"]] == ["volume_over_limit", "chargebacks_over_threshold"]
    assert "over the monthly limit of 150,000" in body["triggers"][0]["message"]
    assert body["opened"] is True
    again = api.post(path, json=month).json()
    assert (again["case_id"], again["opened"]) == (body["case_id"], False)  # one month, one case

    review = tenant.stored_case(body["case_id"])
    assert (review.workflow_id, review.onboarding_case_id) == ("merchant-underwriting", saas["id"])
    assert review.context["reported"]["processed_volume"] == 182000
    assert review.context["application"]["mcc"] == "5734"

    assert api.post(path, json={**month, "currency": "USD"}).status_code == 422
    assert api.post(path, json={**month, "period": "2026-13"}).status_code == 422
    assert api.post("/v1/entities/nobody/underwriting-metrics", json=month).status_code == 404
    other = tenant.api(key="not-a-key").post(path, json=month)
    assert other.status_code == 401
