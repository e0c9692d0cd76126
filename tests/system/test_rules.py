"""Rule sets on the local stack: the admin API, and the real workflows deciding with published versions."""

from __future__ import annotations

import json

import pytest

from tests.support.cases import DEMO, OWNER, business, finished, publish_demo_rule_sets, start
from tests.waiting import wait_for


@pytest.fixture
def ruled(tenant):
    """A tenant whose kyb-default and kyc-default are published."""
    publish_demo_rule_sets(tenant)
    return tenant


def test_a_clean_business_is_approved_by_the_rule_set_and_the_case_shows_why(ruled):
    case_id = start(ruled, business("clean-1"))
    case = finished(ruled, case_id)
    assert case["state"] == "approved"
    assert case["decision"]["automatic"] is True
    assert case["risk"]["recommendation"] == "approve"
    assert case["risk"]["rule_set"] == {"id": "kyb-default", "version": 1}
    detail = ruled.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    risk = detail["case"]["risk"]
    assert risk["score"] == 0
    assert detail["case"]["rule_set"] == {"id": "kyb-default", "version": 1}  # pinned when it started
    clean = next(h for h in risk["hits"] if h["rule_id"] == "clean-profile")
    assert clean["outcome"] == "approve"
    assert clean["values"]["entity.business.country_of_incorporation"] == "GB"
    assessed = next(e for e in detail["audit"] if e["action"] == "risk.assessed")
    assert assessed["details"]["rule_set"] == {"id": "kyb-default", "version": 1}
    assert "clean-profile" in assessed["details"]["hits"]
    owners = [ruled.api().get(f"/v1/cases/{child}").json() for child in case["child_case_ids"]]
    assert [o["state"] for o in owners] == ["approved"]
    assert owners[0]["risk"]["rule_set"] == {"id": "kyc-default", "version": 1}


def test_a_business_in_a_high_risk_country_is_rejected_with_the_hit_explained(ruled):
    case_id = start(ruled, business("bad-1", country_of_incorporation="IR"))
    case = finished(ruled, case_id)
    assert case["state"] == "rejected"
    assert "Incorporated in a high-risk country" in case["decision"]["reason"]
    hits = ruled.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["risk"]["hits"]
    hit = next(h for h in hits if h["rule_id"] == "high-risk-country")
    assert hit["explanation"] == "entity.business.country_of_incorporation = IR in high_risk_countries"
    assert hit["severity"] == "critical"


def test_a_sanctions_flag_rejects_a_person(ruled):
    person = {"type": "individual", "id": "p-bad", "individual": {**OWNER, "nationality": "FR"}}
    response = ruled.api().post(
        "/v1/cases", json={"workflow": "kyc", "entity": person, "metadata": {"sanctions_hit": True}}
    )
    case = finished(ruled, response.json()["id"])
    assert case["state"] == "rejected"
    assert case["risk"]["level"] == "critical"


def test_a_politically_exposed_director_sends_the_case_to_a_reviewer(ruled):
    director = {"first_name": "Pat", "last_name": "Minister", "is_pep": True, "roles": ["director"]}
    case_id = start(ruled, business("pep-1", directors=[director]))
    case = finished(ruled, case_id)
    assert case["state"] == "manual_review"
    assert case["risk"]["recommendation"] == "review"
    hits = ruled.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["risk"]["hits"]
    assert "pep-involved" in [h["rule_id"] for h in hits]


def test_without_a_published_rule_set_cases_go_to_review(tenant):
    case_id = start(tenant, {"type": "individual", "id": "p-1", "individual": OWNER}, workflow="kyc")
    case = finished(tenant, case_id)
    assert case["state"] == "manual_review"
    assert case["risk"]["rule_set"] is None


# ------------------------------------------------------------------------------------------- admin API
def test_a_malformed_rule_is_refused_with_the_path_and_nothing_is_saved(tenant):
    admin = tenant.reviewer("admin")
    body = {
        "id": "broken",
        "name": "Broken",
        "rules": [
            {"id": "ok", "name": "ok", "condition": True},
            {"id": "bad", "name": "bad", "condition": {"and": [True, {"no_such_op": [1]}]}},
        ],
    }
    response = admin.post("/v1/admin/rule-sets", json=body)
    assert response.status_code == 422
    assert response.json()["path"] == "rules[1].condition.and[1].no_such_op"
    assert "unknown operator" in response.json()["message"]
    body["rules"][1]["outcome"] = "maybe"
    response = admin.post("/v1/admin/rule-sets", json=body)
    assert response.status_code == 422
    assert response.json()["path"] == "rules[1].outcome"
    assert admin.get("/v1/admin/rule-sets/broken").status_code == 404
    assert admin.get("/v1/admin/rule-sets").json()["items"] == []


def test_versions_are_numbered_and_published_once(tenant):
    admin = tenant.reviewer("admin")
    draft = {"id": "simple", "name": "Simple", "rules": [{"id": "r", "name": "r", "condition": True}]}
    assert admin.post("/v1/admin/rule-sets", json=draft).json()["version"] == 1
    second = admin.post("/v1/admin/rule-sets", json={**draft, "name": "Simple v2"}).json()
    assert (second["version"], second["status"]) == (2, "draft")
    assert admin.post("/v1/admin/rule-sets/simple/versions/2/publish").status_code == 200
    again = admin.post("/v1/admin/rule-sets/simple/versions/2/publish")
    assert again.status_code == 409
    assert "already published" in again.json()["message"]
    older = admin.post("/v1/admin/rule-sets/simple/versions/1/publish")
    assert older.status_code == 409
    summary = admin.get("/v1/admin/rule-sets/simple").json()
    assert summary["published_version"] == 2
    assert [v["status"] for v in summary["versions"]] == ["published", "draft"]
    assert admin.get("/v1/admin/rule-sets/simple/versions/1").json()["name"] == "Simple"
    listed = admin.get("/v1/admin/rule-sets").json()["items"]
    assert [(r["id"], r["latest_version"], r["published_version"]) for r in listed] == [("simple", 2, 2)]


def test_unknown_ids_and_other_tenants_rule_sets_are_not_found(tenant, stack):
    admin = tenant.reviewer("admin")
    assert admin.get("/v1/admin/rule-sets/nope").status_code == 404
    assert admin.get("/v1/admin/rule-sets/nope/versions/1").status_code == 404
    assert admin.post("/v1/admin/rule-sets/nope/versions/1/publish").status_code == 404
    draft = {"id": "mine", "name": "Mine", "rules": []}
    assert admin.post("/v1/admin/rule-sets", json=draft).status_code == 201
    from tests.support.reviewers import sign_in
    from tests.support.tenants import TenantFixture

    other = TenantFixture(id=f"{tenant.id}x", api_key="", stack=stack)
    other_admin_token = sign_in(stack, other.id, "admin")
    import httpx

    with httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {other_admin_token}"}) as o:
        assert o.get("/v1/admin/rule-sets/mine").status_code == 404
        assert o.get("/v1/admin/rule-sets/mine/versions/1").status_code == 404
        assert o.post("/v1/admin/rule-sets/mine/versions/1/publish").status_code == 404
        assert o.get("/v1/admin/rule-sets").json()["items"] == []
    assert admin.get("/v1/admin/rule-sets/mine/versions/1").json()["status"] == "draft"


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
def test_only_admins_manage_rule_sets(tenant, role):
    client = tenant.reviewer(role)
    draft = {"id": "x", "name": "x", "rules": []}
    for response in [
        client.post("/v1/admin/rule-sets", json=draft),
        client.get("/v1/admin/rule-sets"),
        client.get("/v1/admin/rule-sets/x"),
        client.post("/v1/admin/rule-sets/x/versions/1/publish"),
        client.post("/v1/admin/rule-sets/x/versions/1/dry-run", json={"context": {}}),
    ]:
        assert response.status_code == 403, response.text
        assert "needs the admin role" in response.json()["message"]


def test_dry_run_on_a_context_and_on_an_existing_case(ruled):
    admin = ruled.reviewer("admin")
    context = {"entity": business("dry")}
    result = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/1/dry-run", json={"context": context}
    ).json()
    assert result["recommendation"] == "approve"
    assert [h["rule_id"] for h in result["hits"]] == ["clean-profile"]
    context["entity"]["business"]["country_of_incorporation"] = "KP"
    result = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/1/dry-run", json={"context": context}
    ).json()
    assert result["recommendation"] == "reject"
    assert "entity.business.country_of_incorporation = KP in high_risk_countries" in [
        h["explanation"] for h in result["hits"]
    ]
    case_id = start(ruled, business("dry-case"))
    finished(ruled, case_id)
    on_case = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/1/dry-run", json={"case_id": case_id}
    ).json()
    assert on_case["recommendation"] == "approve"
    assert on_case["case_id"] == case_id
    both = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/1/dry-run", json={"context": {}, "case_id": case_id}
    )
    assert both.status_code == 422
    missing_case = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/1/dry-run", json={"case_id": "case_nope"}
    )
    assert missing_case.status_code == 404


def test_backtest_a_draft_against_the_last_decided_cases(ruled):
    approved = start(ruled, business("bt-1"))
    rejected = start(ruled, business("bt-2", country_of_incorporation="IR"))
    finished(ruled, approved)
    finished(ruled, rejected)
    admin = ruled.reviewer("admin")
    stricter = json.loads(json.dumps(DEMO["kyb-default"]))
    stricter["lists"]["high_risk_countries"] = ["IR", "KP", "MM", "GB"]  # the rule set's own list wins
    draft = admin.post("/v1/admin/rule-sets", json=stricter).json()
    assert draft["version"] == 2
    report = admin.post(
        "/v1/admin/rule-sets/kyb-default/versions/2/backtest", json={"workflow": "kyb", "limit": 10}
    ).json()
    assert report["cases"] == 2
    assert report["changed"] == 1
    change = report["changes"][0]
    assert (change["case_id"], change["previous_recommendation"], change["recommendation"]) == (
        approved,
        "approve",
        "reject",
    )
    assert (
        admin.post(
            "/v1/admin/rule-sets/kyb-default/versions/2/backtest", json={"workflow": "kyb", "limit": 0}
        ).status_code
        == 422
    )
    assert (
        admin.post(
            "/v1/admin/rule-sets/kyb-default/versions/2/backtest", json={"workflow": "nope"}
        ).status_code
        == 404
    )


def test_a_sanctioned_owner_gets_the_business_rejected(ruled):
    owner = {**OWNER, "first_name": "Viktor", "middle_name": "Sergeyevich", "last_name": "Orlov",
             "date_of_birth": "1962-04-17", "nationality": "RU"}  # fmt: skip
    case_id = start(ruled, business("sanctioned-owner", ubos=[owner]))
    case = finished(ruled, case_id)
    assert case["state"] == "rejected"
    hits = ruled.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["risk"]["hits"]
    assert {"sanctions-hit", "owner-case-rejected"} <= {h["rule_id"] for h in hits}
    owner_case = ruled.api().get(f"/v1/cases/{case['child_case_ids'][0]}").json()
    assert owner_case["state"] == "rejected"


def test_the_demo_tenant_decides_with_its_seeded_rule_sets(stack):
    import secrets

    import httpx

    assert stack.seeded["rule_sets"] == {
        "kyb-default": 1,
        "kyc-default": 1,
        "merchant-underwriting-default": 1,
    }
    with httpx.Client(base_url=stack.api_url, headers={"Authorization": "Bearer secret"}, timeout=30) as api:
        clean = api.post(
            "/v1/cases", json={"workflow": "kyb", "entity": business(f"demo-{secrets.token_hex(4)}")}
        )
        bad = api.post(
            "/v1/cases",
            json={
                "workflow": "kyb",
                "entity": business(f"demo-{secrets.token_hex(4)}", country_of_incorporation="KP"),
            },
        )
        states = {}
        for name, response in (("clean", clean), ("bad", bad)):
            case_id = response.json()["id"]
            states[name] = wait_for(
                lambda case_id=case_id: (s := api.get(f"/v1/cases/{case_id}").json()["state"]) in ("approved", "rejected", "manual_review", "failed") and s,
                timeout=120,
                what=f"the {name} demo case to be decided",
            )  # fmt: skip
    assert states == {"clean": "approved", "bad": "rejected"}


def test_a_publication_retried_by_the_sdk_after_it_was_applied_is_not_a_conflict(stack, tenant):
    import datetime as dt

    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.domain.errors import Conflict
    from arbiter.rules.ruleset import parse_draft

    repository = DynamoRuleSetRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    at = dt.datetime.now(dt.UTC)
    saved = repository.add_version(tenant.id, parse_draft({"id": "retry", "name": "Retry"}), actor="a", at=at)
    repository.publish(tenant.id, "retry", saved.version, actor="a", at=at)
    # The same call again (what a retry after a lost answer does): the publication found is this one.
    repository.publish(tenant.id, "retry", saved.version, actor="a", at=at)
    with pytest.raises(Conflict):  # anyone else publishing it again is refused
        repository.publish(tenant.id, "retry", saved.version, actor="b", at=dt.datetime.now(dt.UTC))
    assert repository.published_version(tenant.id, "retry") == 1


# ------------------------------------------------------------------------------------------- limits
A900 = list(range(900))
#: 729 million iterations when it could run: refused when saved, and when tried unsaved.
NESTED_LOOPS = {"all": [A900, {"all": [A900, {"all": [A900, True]}]}]}


def timed(call):
    import time

    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_a_rule_over_the_limits_gets_422_quickly_naming_the_rule(tenant):
    admin = tenant.reviewer("admin")
    admin.get("/v1/admin/rule-sets")  # the first admin call loads the rule engine
    body = {"id": "heavy", "name": "Heavy", "rules": [
        {"id": "fine", "name": "fine", "condition": True},
        {"id": "loops", "name": "loops", "condition": NESTED_LOOPS},
    ]}  # fmt: skip
    response, seconds = timed(lambda: admin.post("/v1/admin/rule-sets", json=body))
    assert response.status_code == 422, response.text
    assert seconds < 1
    error = response.json()
    assert error["error"] == "InvalidRule"
    assert error["path"].startswith("rules[1].condition.all[1]")
    assert error["rule_id"] == "loops"
    assert error["message"].startswith("rule 'loops': ")
    assert admin.get("/v1/admin/rule-sets/heavy").status_code == 404
    tried, seconds = timed(
        lambda: admin.post("/v1/admin/rule-sets/dry-run", json={"rule_set": body, "context": {}})
    )
    assert tried.status_code == 422, tried.text
    assert seconds < 1
    assert (tried.json()["path"], tried.json()["rule_id"]) == (error["path"], "loops")


def test_a_dry_run_that_goes_past_the_steps_gets_422_quickly_naming_the_rule(tenant):
    admin = tenant.reviewer("admin")
    body = {"id": "batches", "name": "Batches", "rules": [
        {"id": "known", "name": "known", "condition": True, "outcome": "approve"},
        {"id": "every-batch", "name": "every batch", "condition": {"all": [{"var": "batches"}, {"all": [A900, True]}]}},
    ]}  # fmt: skip
    assert admin.post("/v1/admin/rule-sets", json=body).status_code == 201
    small = admin.post(
        "/v1/admin/rule-sets/batches/versions/1/dry-run", json={"context": {"batches": [1, 2]}}
    )
    assert small.json()["recommendation"] == "approve"
    big = {"context": {"batches": list(range(5000))}}  # 4.5 million iterations
    response, seconds = timed(lambda: admin.post("/v1/admin/rule-sets/batches/versions/1/dry-run", json=big))
    assert response.status_code == 422, response.text
    assert seconds < 1
    error = response.json()
    assert (error["error"], error["rule_id"], error["path"], error["limit"]) == (
        "RuleLimitExceeded",
        "every-batch",
        "rules[1].condition",
        "steps",
    )
    unsaved, seconds = timed(
        lambda: admin.post("/v1/admin/rule-sets/dry-run", json={"rule_set": body, **big})
    )
    assert unsaved.status_code == 422
    assert seconds < 1
    assert unsaved.json()["rule_id"] == "every-batch"
