"""`POST /v1/review/cases/{id}/replay` on the local stack: a case decided by the real workflow is replayed with its
pinned rule set and reproduces; once a new version changing a rule is published, a replay against the current
version reports the difference while the pinned one still reproduces; each replay is a view in the audit trail,
whose chain still verifies, and the case is otherwise untouched."""

from __future__ import annotations

import copy

import pytest

from tests.support.cases import DEMO, OWNER, business, finished, publish_demo_rule_sets, start
from tests.support.tenants import make_tenant


@pytest.fixture
def ruled(tenant):
    publish_demo_rule_sets(tenant)
    return tenant


def test_a_decided_case_reproduces_and_a_changed_rule_shows_against_the_current_version(ruled):
    case_id = start(ruled, business("replay-1"))
    case = finished(ruled, case_id)
    assert case["state"] == "approved"
    assert case["decision"]["automatic"] is True
    reviewer_api = ruled.reviewer("reviewer")
    before = reviewer_api.get(f"/v1/review/cases/{case_id}").json()

    pinned = reviewer_api.post(f"/v1/review/cases/{case_id}/replay", json={"against": "pinned"})
    assert pinned.status_code == 200, pinned.text
    answer = pinned.json()
    assert answer["reproduced"] is True
    assert answer["rule_set"] == {"id": "kyb-default", "version": 1}
    assert answer["recommendation_before"] == answer["recommendation_now"] == "approve"
    assert "clean-profile" in answer["hits_now"]
    assert answer["rules"] == []
    assert answer["checks_changed"] == []

    # Version 2: Great Britain joins the countries no business is onboarded from.
    changed = copy.deepcopy(DEMO["kyb-default"])
    rule = next(r for r in changed["rules"] if r["id"] == "high-risk-country")
    rule["condition"] = {"in": [{"var": "entity.business.country_of_incorporation"}, ["GB", "IR"]]}
    admin = ruled.reviewer("admin")
    assert admin.post("/v1/admin/rule-sets", json=changed).json()["version"] == 2
    assert admin.post("/v1/admin/rule-sets/kyb-default/versions/2/publish").status_code == 200

    current = reviewer_api.post(f"/v1/review/cases/{case_id}/replay", json={"against": "current"}).json()
    assert current["reproduced"] is False
    assert current["rule_set"] == {"id": "kyb-default", "version": 2}
    assert current["pinned_version"] == 1
    assert (current["recommendation_before"], current["recommendation_now"]) == ("approve", "reject")
    assert current["score_now"] > current["score_before"]
    difference = next(r for r in current["rules"] if r["rule_id"] == "high-risk-country")
    assert difference["hit_before"] is False
    assert difference["hit_now"] is True
    assert difference["values_now"] == {"entity.business.country_of_incorporation": "GB"}

    again = reviewer_api.post(f"/v1/review/cases/{case_id}/replay", json={})  # pinned by default
    assert again.status_code == 200
    assert again.json()["reproduced"] is True
    assert again.json()["rule_set"]["version"] == 1

    after = reviewer_api.get(f"/v1/review/cases/{case_id}").json()
    assert after["case"]["state"] == before["case"]["state"] == "approved"
    assert after["case"]["risk"] == before["case"]["risk"]
    assert after["case"]["decision"] == before["case"]["decision"]
    replays = [e for e in after["audit"] if e["action"] == "decision.replayed"]
    assert [(e["details"]["against"], e["details"]["reproduced"]) for e in replays] == [
        ("pinned", True),
        ("current", False),
        ("pinned", True),
    ]
    assert replays[1]["details"]["rules_changed"] == ["high-risk-country"]
    assert replays[0]["actor"]["type"] == "reviewer"
    refused = ruled.reviewer("viewer").post(f"/v1/review/cases/{case_id}/replay", json={})
    assert refused.status_code == 403
    verified = reviewer_api.get(f"/v1/review/cases/{case_id}/audit/verify").json()
    assert verified["valid"] is True
    assert verified["entries"] == len(after["audit"])


def test_replay_refuses_a_bad_against_an_unknown_case_and_a_case_never_assessed(ruled, stack):
    case_id = start(ruled, business("replay-2"))
    finished(ruled, case_id)
    reviewer_api = ruled.reviewer("reviewer")
    entries = len(reviewer_api.get(f"/v1/review/cases/{case_id}").json()["audit"])

    no_body = reviewer_api.post(f"/v1/review/cases/{case_id}/replay")
    assert no_body.status_code == 422
    assert no_body.json()["errors"][0]["path"] == "body"
    ballerine_style = reviewer_api.post(
        f"/v1/review/cases/{case_id}/replay", json={"against": "", "extra": 1}
    )
    assert ballerine_style.status_code == 200
    assert ballerine_style.json()["rule_set"]["version"] == 1  # an empty string is the default, pinned
    entries += 1
    bad = reviewer_api.post(f"/v1/review/cases/{case_id}/replay", json={"against": "yesterday"})
    assert bad.status_code == 422
    assert "against" in bad.text
    assert reviewer_api.post("/v1/review/cases/no-such-case/replay", json={}).status_code == 404
    assert (
        len(reviewer_api.get(f"/v1/review/cases/{case_id}").json()["audit"]) == entries
    )  # only the good replay

    # A tenant with no published rule set: its case went to review without any rule assessing it.
    other = make_tenant(stack)
    unruled = start(other, {"type": "individual", "id": "replay-3", "individual": OWNER}, workflow="kyc")
    assert finished(other, unruled)["state"] == "manual_review"
    refused = other.reviewer("reviewer").post(
        f"/v1/review/cases/{unruled}/replay", json={"against": "pinned"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "NothingToReplay"
    assert "nothing to replay" in refused.json()["message"]
    assert ruled.reviewer("reviewer").post(f"/v1/review/cases/{unruled}/replay", json={}).status_code == 404
