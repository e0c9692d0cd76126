"""`GET /v1/review/reports/rules` on the local stack: cases decided by the real workflows with the demo KYB rules,
one held for review by a rule and approved by a reviewer, reported per rule."""

from __future__ import annotations

from tests.support.cases import business, finished, publish_demo_rule_sets, start
from tests.waiting import wait_for


def test_the_report_counts_hits_and_a_reviewer_overturning_a_rule(tenant):
    publish_demo_rule_sets(tenant)
    clean = start(tenant, business("report-clean"))
    director = {"first_name": "Pat", "last_name": "Minister", "is_pep": True, "roles": ["director"]}
    pep = start(tenant, business("report-pep", directors=[director]))
    assert finished(tenant, clean)["state"] == "approved"
    assert finished(tenant, pep)["state"] == "manual_review"
    reviewer = tenant.reviewer("reviewer")
    decided = wait_for(
        lambda: (
            (
                r := reviewer.post(
                    f"/v1/review/cases/{pep}/decision",
                    json={"decision": "approve", "reason": "known minister, fine"},
                )
            ).status_code
            == 200
            and r
        ),
        what="the review step to take the decision",
    )
    assert decided.json()["state"] == "approved"

    response = tenant.reviewer("viewer").get(
        "/v1/review/reports/rules", params={"rule_set": "kyb-default", "version": 1}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rule_set"] == {"id": "kyb-default", "version": 1}
    assert report["cases"] == 2
    rules = {r["rule_id"]: r for r in report["rules"]}
    assert (rules["pep-involved"]["hits"], rules["pep-involved"]["hit_rate"]) == (1, 0.5)
    assert rules["pep-involved"]["decided_by_reviewer"] == 1
    assert rules["pep-involved"]["overturned"] == 1
    assert rules["pep-involved"]["overturn_rate"] == 1.0
    assert rules["clean-profile"]["hits"] == 2  # the PEP case was otherwise clean
    assert rules["clean-profile"]["overturn_rate"] is None
    assert rules["high-risk-country"]["hits"] == 0
    assert report["screening"]["false_positive_rate"] is None


def test_the_report_names_a_missing_or_bad_parameter_and_an_unknown_version(tenant):
    publish_demo_rule_sets(tenant)
    viewer = tenant.reviewer("viewer")
    missing = viewer.get("/v1/review/reports/rules", params={"version": 1})
    assert missing.status_code == 422
    assert "rule_set" in missing.text
    bad = viewer.get("/v1/review/reports/rules", params={"rule_set": "kyb-default", "version": 0})
    assert bad.status_code == 422
    assert "version" in bad.text
    unknown = viewer.get("/v1/review/reports/rules", params={"rule_set": "kyb-default", "version": 7})
    assert unknown.status_code == 404
