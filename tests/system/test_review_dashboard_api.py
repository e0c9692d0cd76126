"""The review API's dashboard and workflow list on the local stack."""

from __future__ import annotations

from tests.support.cases import case_in_review


def test_dashboard_counts_a_decision_and_the_open_workload(tenant):
    decided = case_in_review(tenant, entity_id="dash-1")
    waiting = case_in_review(tenant, entity_id="dash-2")
    reviewer = tenant.reviewer("reviewer")
    assert reviewer.post(f"/v1/review/cases/{waiting}/assign", json={"assignee": "me"}).status_code == 200
    answer = reviewer.post(
        f"/v1/review/cases/{decided}/decision", json={"decision": "approve", "reason": "ok"}
    )
    assert answer.status_code == 200, answer.text

    response = tenant.reviewer("viewer").get("/v1/review/dashboard", params={"days": 7})

    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["states"]["approved"] == 1
    assert figures["states"]["manual_review"] == 1
    assert sum(day["approved"] for day in figures["decisions_per_day"]) == 1
    assert len(figures["decisions_per_day"]) == 7
    assert figures["decided"] == 1
    assert figures["median_seconds_to_decision"] >= 0
    me = reviewer.get("/v1/review/me").json()
    assert [(w["reviewer"], w["open"]) for w in figures["workload"]] == [(me["id"], 1)]
    assert figures["unassigned"] == 0


def test_dashboard_period_is_validated(tenant):
    response = tenant.reviewer("viewer").get("/v1/review/dashboard", params={"days": 0})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "days"


def test_workflows_are_listed_for_the_queue_filter(tenant):
    response = tenant.reviewer("viewer").get("/v1/review/workflows")
    assert response.status_code == 200, response.text
    ids = {w["id"] for w in response.json()["items"]}
    assert {"kyb", "kyc", "manual-review"} <= ids


def test_dashboard_needs_a_signed_in_reviewer(tenant):
    import httpx

    assert httpx.get(f"{tenant.stack.api_url}/v1/review/dashboard").status_code == 401
    assert tenant.api().get("/v1/review/dashboard").status_code == 401
