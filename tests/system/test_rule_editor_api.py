"""What the rule editor calls, on the local stack: the variables a workflow exposes, a backtest of an unsaved rule
set, and publishing with a reason."""

from __future__ import annotations

import json

import pytest

from tests.support.cases import DEMO, business, finished, publish_demo_rule_sets, start
from tests.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def ruled(tenant):
    publish_demo_rule_sets(tenant)
    return tenant


def test_the_variables_of_a_workflow_come_with_types_and_the_values_of_its_cases(ruled):
    finished(ruled, start(ruled, business("vars-1")))
    admin = ruled.reviewer("admin")
    listing = admin.get("/v1/admin/rule-variables", params={"workflow": "kyb"})
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert (body["workflow"], body["rule_set_id"]) == ("kyb", "kyb-default")
    assert body["cases_sampled"] >= 1
    variables = {v["path"]: v for v in body["variables"]}
    country = variables["entity.business.country_of_incorporation"]
    assert (country["type"], country["examples"]) == ("string", ["GB"])
    assert variables["checks.sanctions.status"]["examples"] == ["ok"]
    assert variables["entity.business.ubos"]["type"] == "list"
    by_rule_set = admin.get("/v1/admin/rule-variables", params={"rule_set": "kyb-default", "samples": 0})
    assert by_rule_set.json()["workflow"] == "kyb"
    assert all(v["examples"] == [] for v in by_rule_set.json()["variables"])
    both = admin.get("/v1/admin/rule-variables", params={"workflow": "kyb", "rule_set": "kyb-default"})
    assert (both.status_code, both.json()["path"]) == (422, "workflow")
    assert admin.get("/v1/admin/rule-variables", params={"workflow": "nope"}).status_code == 404
    assert ruled.reviewer("reviewer").get("/v1/admin/rule-variables?workflow=kyb").status_code == 403


def test_an_unsaved_rule_set_is_backtested_and_nothing_is_saved(ruled):
    approved = start(ruled, business("bt-draft-1"))
    finished(ruled, approved)
    admin = ruled.reviewer("admin")
    stricter = json.loads(json.dumps(DEMO["kyb-default"]))
    stricter["lists"]["high_risk_countries"] = ["IR", "KP", "MM", "GB"]
    report = admin.post(
        "/v1/admin/rule-sets/backtest", json={"rule_set": stricter, "workflow": "kyb", "limit": 10}
    )
    assert report.status_code == 200, report.text
    assert report.json()["rule_set"] == {"id": "kyb-default", "version": None}
    assert [(c["case_id"], c["recommendation"]) for c in report.json()["changes"]] == [(approved, "reject")]
    assert admin.get("/v1/admin/rule-sets/kyb-default").json()["latest_version"] == 1
    stricter["rules"][0]["condition"] = {"nope": []}
    broken = admin.post("/v1/admin/rule-sets/backtest", json={"rule_set": stricter, "workflow": "kyb"})
    assert broken.status_code == 422
    assert broken.json()["path"].startswith("rules[0].condition")


def test_publishing_records_the_reason_and_a_client_that_sends_none_still_publishes(ruled, bus_events):
    admin = ruled.reviewer("admin")
    saved = admin.post("/v1/admin/rule-sets", json={**DEMO["kyb-default"], "name": "KYB v2"}).json()
    blank = admin.post(
        f"/v1/admin/rule-sets/kyb-default/versions/{saved['version']}/publish", json={"reason": ""}
    )
    assert (blank.status_code, blank.json()["errors"][0]["path"]) == (422, "reason"), blank.text
    published = admin.post(
        f"/v1/admin/rule-sets/kyb-default/versions/{saved['version']}/publish",
        json={"reason": "GB moved to the high-risk list"},
    )
    assert published.status_code == 200, published.text
    assert published.json()["publish_reason"] == "GB moved to the high-risk list"
    newest = admin.get("/v1/admin/rule-sets/kyb-default").json()["versions"][0]
    assert (newest["status"], newest["publish_reason"]) == ("published", "GB moved to the high-risk list")
    assert newest["published_by"]
    third = admin.post("/v1/admin/rule-sets", json=DEMO["kyb-default"]).json()
    older_client = admin.post(f"/v1/admin/rule-sets/kyb-default/versions/{third['version']}/publish")
    assert older_client.status_code == 200, older_client.text
    assert older_client.json()["publish_reason"] is None

    def kyb_publications() -> list[dict] | None:
        found = [
            e["detail"]
            for e in bus_events.drain()
            if e["detail-type"] == "rule_set.published"
            and e["detail"]["tenant_id"] == ruled.id
            and e["detail"]["rule_set_id"] == "kyb-default"
        ]
        return found if len(found) >= 3 else None

    events = sorted(
        wait_for(kyb_publications, what="3 rule_set.published events"), key=lambda e: e["version"]
    )
    assert [(e["version"], e["previous_version"], e["reason"]) for e in events] == [
        (1, None, None),
        (2, 1, "GB moved to the high-risk list"),
        (3, 2, None),
    ]
    assert events[1]["actor"]["type"] == "reviewer"
