"""The KYB, KYC and manual-review state machines, running for real in moto, end to end."""

from __future__ import annotations

from typing import Any

from tests.support.cases import publish_demo_rule_sets
from tests.waiting import wait_for


def business(entity_id: str, owners: list[tuple[str, str, float]]) -> dict[str, Any]:
    return {
        "type": "business",
        "id": entity_id,
        "business": {
            "name": "Acme Payments GmbH",
            "registration_number": "HRB 123456",
            "country_of_incorporation": "DE",
            "ubos": [
                {"first_name": f, "last_name": last, "date_of_birth": "1980-02-03", "ownership_percent": pct}
                for f, last, pct in owners
            ],
        },
    }


def case_state(api: Any, case_id: str) -> str:
    return str(api.get(f"/v1/cases/{case_id}").json()["state"])


def decide(reviewer: Any, case_id: str, decision: str, reason: str = "checked") -> None:
    response = reviewer.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": reason}
    )
    assert response.status_code == 200, response.text


def test_a_kyb_case_opens_one_kyc_case_per_owner_and_waits_for_them(tenant: Any, stack: Any) -> None:
    api = tenant.api()
    created = api.post(
        "/v1/cases",
        json={
            "workflow": "kyb",
            "entity": business("kyb-ubo", [("Ada", "Lovelace", 60), ("Alan", "Turing", 40)]),
        },
    )
    assert created.status_code == 202, created.text
    parent_id = created.json()["id"]
    parent = wait_for(
        lambda: len((c := api.get(f"/v1/cases/{parent_id}").json())["child_case_ids"]) == 2 and c,
        what="two child cases",
    )
    children = [api.get(f"/v1/cases/{cid}").json() for cid in parent["child_case_ids"]]
    assert {c["workflow"] for c in children} == {"kyc"}
    assert {c["parent_case_id"] for c in children} == {parent_id}
    assert sorted(c["entity"]["individual"]["last_name"] for c in children) == ["Lovelace", "Turing"]
    for child in children:
        wait_for(lambda cid=child["id"]: case_state(api, cid) == "manual_review", what="child in review")

    reviewer = tenant.reviewer("reviewer")
    detail = reviewer.get(f"/v1/review/cases/{parent_id}").json()
    assert sorted(c["id"] for c in detail["children"]) == sorted(parent["child_case_ids"])
    # The parent waits while any owner's case is open.
    decide(reviewer, children[0]["id"], "approve")
    assert case_state(api, parent_id) == "processing"
    decide(reviewer, children[1]["id"], "reject", "owner is on a watchlist")
    # Every child decided: the parent's workflow resumes and its assessment reads their outcomes.
    wait_for(lambda: case_state(api, parent_id) != "processing", timeout=60, what="the parent to resume")
    resumed = api.get(f"/v1/cases/{parent_id}").json()
    assert resumed["state"] in ("manual_review", "rejected"), resumed["state"]
    execution = reviewer.get(f"/v1/review/cases/{parent_id}").json()
    steps = [step["state"] for step in execution["path"]]
    assert steps.index("Decide") < steps.index("DecideAfterOwners")


def test_an_automatically_approved_kyb_case_decides_its_owner_in_the_same_step(
    tenant: Any, stack: Any
) -> None:
    """The cost-minded path: the parent's one Decide step opens, checks and decides the owner's KYC case too."""

    publish_demo_rule_sets(tenant)
    api = tenant.api()
    entity = business("kyb-auto", [("Grace", "Hopper", 100)])
    entity["business"].update(website="https://acme.example", email="ops@acme.example")
    entity["business"]["ubos"][0]["nationality"] = "DE"
    created = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity})
    assert created.status_code == 202, created.text
    parent_id = created.json()["id"]
    wait_for(lambda: case_state(api, parent_id) != "processing", timeout=60, what="the automated part")
    viewer = tenant.reviewer("viewer")
    parent = viewer.get(f"/v1/review/cases/{parent_id}").json()
    assert parent["case"]["state"] == "approved", parent["case"]["risk"]
    assert parent["case"]["decision"]["automatic"] is True
    (child,) = parent["children"]
    assert (child["state"], child["decision"]["automatic"]) == ("approved", True)
    owner = viewer.get(f"/v1/review/cases/{child['id']}").json()
    # decided inside its parent's step: no execution of its own
    assert tenant.stored_case(child["id"]).execution_arn is None
    assert owner["case"]["risk"] is not None
    assert "contact" in owner["checks"]
    assert owner["path"] == []
    # Three billed states for the whole KYB case, owner included.
    assert [step["state"] for step in parent["path"]] == ["Decide", "AfterDecision", "Decided"]


def test_a_kyb_case_without_owners_does_not_wait(tenant: Any) -> None:
    api = tenant.api()
    created = api.post("/v1/cases", json={"workflow": "kyb", "entity": business("kyb-none", [])}).json()
    wait_for(lambda: case_state(api, created["id"]) != "processing", timeout=60, what="the case to move on")
    assert api.get(f"/v1/cases/{created['id']}").json()["child_case_ids"] == []


def test_the_kyc_workflow_runs_checks_then_the_assessment(tenant: Any, stack: Any) -> None:
    api = tenant.api()
    person = {
        "type": "individual",
        "id": "kyc-flow",
        "individual": {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "nationality": "US",
        },
    }
    case_id = api.post("/v1/cases", json={"workflow": "kyc", "entity": person}).json()["id"]
    wait_for(
        lambda: case_state(api, case_id) != "processing", timeout=60, what="the automated part to finish"
    )
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert "contact" in detail["checks"]
    assert detail["case"]["risk"] is not None
    steps = [step["state"] for step in detail["path"]]
    assert steps[0] == "Decide"  # documents, checks and rules: one billed state


def test_a_step_failing_beyond_its_retries_fails_the_case_and_the_execution(tenant: Any, stack: Any) -> None:
    """The Catch path: Decide cannot load the rule set version pinned on the case."""
    from arbiter.adapters.dynamodb.keys import rule_set_pk, rule_set_version_sk

    publish_demo_rule_sets(tenant)
    api = tenant.api()
    person = {
        "type": "individual",
        "id": "kyc-fail",
        "individual": {"first_name": "Ada", "last_name": "Byron"},
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": person, "submit": False})
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]
    rule_set = detail["rule_set"]
    assert rule_set["id"] == "kyc-default"
    # The pinned version disappears from the table (an operator's mistake, a bad restore).
    stack.client("dynamodb").delete_item(
        TableName=stack.physical_id("ArbiterTable"),
        Key={
            "pk": {"S": rule_set_pk(tenant.id, rule_set["id"])},
            "sk": {"S": rule_set_version_sk(rule_set["version"])},
        },
    )
    assert api.post(f"/v1/cases/{case_id}/events", json={"name": "submitted"}).status_code == 200
    failed = wait_for(
        lambda: (c := api.get(f"/v1/cases/{case_id}").json())["state"] == "failed" and c,
        timeout=60,
        what="the case to fail",
    )
    assert failed["decision"] is None
    review = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    failure = next(e for e in review["audit"] if e["action"] == "case.failed")
    assert failure["reason"]
    sfn = stack.client("stepfunctions")
    execution_arn = tenant.stored_case(case_id).execution_arn
    execution = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution_arn))["status"] != "RUNNING" and d,
        what="the execution to end",
    )
    assert execution["status"] == "FAILED"
    path = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["path"]
    steps = [step["state"] for step in path]
    assert steps.index("Decide") < steps.index("RecordFailure")


def test_a_kyc_revision_runs_the_automated_step_again_then_waits_for_a_reviewer(tenant: Any) -> None:
    """Revision on the KYC machine: AwaitResubmission, then Decide again (the checks and rules run anew)."""
    api = tenant.api()
    person = {
        "type": "individual",
        "id": "kyc-revision",
        "individual": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
    }
    case_id = api.post("/v1/cases", json={"workflow": "kyc", "entity": person}).json()["id"]
    wait_for(lambda: case_state(api, case_id) == "manual_review", timeout=60, what="review")
    reviewer = tenant.reviewer("reviewer")
    decide(reviewer, case_id, "revision", "the address is missing")
    assert case_state(api, case_id) == "revision_requested"
    assert api.post(f"/v1/cases/{case_id}/events", json={"name": "resubmitted"}).status_code == 200
    wait_for(lambda: case_state(api, case_id) == "manual_review", timeout=60, what="review again")
    audit = reviewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert [e["action"] for e in audit].count("risk.assessed") == 2  # the rules ran again
    decide(reviewer, case_id, "approve")
    wait_for(
        lambda: (
            [s["state"] for s in reviewer.get(f"/v1/review/cases/{case_id}").json()["path"]][-1:]
            == ["Decided"]
        ),
        what="the execution to end",
    )
    steps = [s["state"] for s in reviewer.get(f"/v1/review/cases/{case_id}").json()["path"]]
    assert steps.count("Decide") == 2
    assert steps.index("AwaitResubmission") < len(steps) - 1 - steps[::-1].index("Decide")
