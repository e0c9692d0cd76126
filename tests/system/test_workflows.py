"""The KYB, KYC and manual-review workflows running for real in moto, end to end: the automated part on the Express
automation machine, the waits for people on each workflow's Standard machine. Each test reads the states every
execution of the case entered from Step Functions' own execution history."""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import Any

from tests.support.cases import publish_demo_rule_sets
from tests.waiting import wait_for

KYB_CHECKS = 5  # identifiers, ownership, contact, website, sanctions
KYC_CHECKS = 2  # contact, sanctions
SCREENING_CHECKS = 1  # sanctions, in both: run by ScreeningFunction (RunScreening), the others by RunCheck
#: The states nested in the automation machine's `ChecksAndOwners` (its branches and their Map iterations).
ITERATIONS = {
    "Checks",
    "HasOwners",
    "Owners",
    "NoOwners",
    "IsScreening",
    "RunCheck",
    "RunScreening",
    "CheckFailed",
    "DeferCheck",
    "AutomateOwner",
    "OwnersFailed",
    "RunDeferredCheck",
    "RunDeferredScreening",
    "DeferredCheckFailed",
}


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


def executions(stack: Any, case_id: str) -> dict[str, dict[str, Any]]:
    """Every execution started for the case, by name (`<case>-a<n>`: a run of the automated part, Express;
    `<case>-w<n>`: the Standard execution a run handed over to; `<case>`: a manual-review workflow's), once each
    has ended: its machine, status, the top-level states it entered in order, and the Map iterations' states."""
    sfn = stack.client("stepfunctions")
    own = re.compile(rf"^{re.escape(case_id)}(-[aw]\d+)?$")
    found: dict[str, dict[str, Any]] = {}
    for machine in sfn.list_state_machines()["stateMachines"]:
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine["stateMachineArn"])
        for execution in (e for page in pages for e in page["executions"] if own.match(e["name"])):
            entered = [
                event["stateEnteredEventDetails"]["name"]
                for event in sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
                if event["type"].endswith("StateEntered")
            ]
            found[execution["name"]] = {
                "machine": machine["name"].rsplit("-", 1)[-1],
                "status": execution["status"],
                "states": [s for s in entered if s not in ITERATIONS],
                "iterations": Counter(s for s in entered if s in ITERATIONS),
            }
    return found


def ended(stack: Any, case_id: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """`executions`, once exactly `names` were started and every one has ended."""
    return wait_for(
        lambda: (
            sorted(found := executions(stack, case_id)) == sorted(names)
            and all(e["status"] != "RUNNING" for e in found.values())
            and found
        ),
        timeout=60,
        what=f"executions {names} to end",
    )


def automated(
    checks: int, *, owners: int = 0, rules: bool = True, outcome: str = "Concluded"
) -> tuple[list[str], Counter[str]]:
    """The states a run of the automated part enters, and its Map iterations: each check's IsScreening, then
    RunScreening for the sanctions check and RunCheck for the others."""
    states = ["Plan", "IsSettled", "HasDocuments", "ChecksAndOwners"]
    states += ["HasRules", "EvaluateRules", "Decide", outcome] if rules else ["HasRules", "Decide", outcome]
    branches = Counter({"Checks": 1, "HasOwners": 1, "Owners" if owners else "NoOwners": 1})
    screening = SCREENING_CHECKS if checks else 0
    iterations = Counter(
        {"IsScreening": checks, "RunCheck": checks - screening, "RunScreening": screening}
        | ({"AutomateOwner": owners} if owners else {})
    )
    return states, +iterations + branches


def run_of(execution: dict[str, Any]) -> tuple[list[str], Counter[str]]:
    return execution["states"], execution["iterations"]


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
    if resumed["state"] == "manual_review":
        decide(reviewer, parent_id, "reject", "an owner is rejected")
    runs = ended(stack, parent_id, [f"{parent_id}-a1", f"{parent_id}-w1"])
    # The automated part: five checks side by side, both owners' cases, then the hand-over.
    assert run_of(runs[f"{parent_id}-a1"]) == automated(KYB_CHECKS, owners=2)
    assert runs[f"{parent_id}-a1"]["machine"] == "automation"
    assert runs[f"{parent_id}-w1"]["machine"] == "kyb"
    # Three billed transitions while the owners are reviewed and the parent decided.
    assert runs[f"{parent_id}-w1"]["states"] == ["Handover", "AwaitOwners", "DecideAfterOwners"]
    # Each owner's case: automated inside the parent's run, then its own Standard execution waits for review.
    for child in children:
        own = ended(stack, child["id"], [f"{child['id']}-w1"])
        assert own[f"{child['id']}-w1"]["states"] == ["ManualReview"]  # one billed transition for a review
    path = reviewer.get(f"/v1/review/cases/{parent_id}").json()["path"]
    automated_steps = [s for s in path if s["machine"] == "automation"]
    owners = sorted(s["item"] for s in automated_steps if s["state"] == "AutomateOwner")
    assert owners == ["owner 0", "owner 1"]
    assert all(s["status"] == "succeeded" and s["entered_at"] <= s["exited_at"] for s in automated_steps)
    assert [s["state"] for s in path if s["machine"] == "workflow"] == runs[f"{parent_id}-w1"]["states"]


def test_an_automatically_approved_kyb_case_decides_its_owner_in_the_same_run(
    tenant: Any, stack: Any
) -> None:
    """The cost-minded path: one Express run opens, checks and decides the owner's KYC case too, and decides the
    parent: no Standard execution ever starts."""

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
    assert owner["case"]["risk"] is not None
    assert "contact" in owner["checks"]
    assert owner["path"] == []  # decided inside its parent's run: no execution of its own
    runs = ended(stack, parent_id, [f"{parent_id}-a1"])  # and no Standard execution for the parent
    assert run_of(runs[f"{parent_id}-a1"]) == automated(KYB_CHECKS, owners=1)
    assert executions(stack, child["id"]) == {}
    steps = [s["state"] for s in parent["path"]]
    assert steps[0] == "Plan"
    assert steps[-1] == "Decide"
    assert {s["machine"] for s in parent["path"]} == {"automation"}


def test_an_automatically_rejected_case_starts_no_standard_execution(tenant: Any, stack: Any) -> None:
    publish_demo_rule_sets(tenant)
    api = tenant.api()
    entity = business("kyb-reject", [])
    entity["business"]["country_of_incorporation"] = "KP"  # the demo rules reject a high-risk country
    case_id = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity}).json()["id"]
    wait_for(lambda: case_state(api, case_id) != "processing", timeout=60, what="the automated part")
    assert case_state(api, case_id) == "rejected"
    runs = ended(stack, case_id, [f"{case_id}-a1"])
    assert run_of(runs[f"{case_id}-a1"]) == automated(KYB_CHECKS)


def test_a_kyb_case_without_owners_does_not_wait(tenant: Any) -> None:
    api = tenant.api()
    created = api.post("/v1/cases", json={"workflow": "kyb", "entity": business("kyb-none", [])}).json()
    wait_for(lambda: case_state(api, created["id"]) != "processing", timeout=60, what="the case to move on")
    assert api.get(f"/v1/cases/{created['id']}").json()["child_case_ids"] == []


def test_the_kyc_workflow_runs_checks_then_the_assessment_then_waits_for_a_reviewer(
    tenant: Any, stack: Any
) -> None:
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
        lambda: case_state(api, case_id) == "manual_review", timeout=60, what="the automated part to finish"
    )
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert "contact" in detail["checks"]
    assert detail["case"]["risk"] is not None
    decide(tenant.reviewer("reviewer"), case_id, "approve")
    runs = ended(stack, case_id, [f"{case_id}-a1", f"{case_id}-w1"])
    assert run_of(runs[f"{case_id}-a1"]) == automated(KYC_CHECKS)
    assert runs[f"{case_id}-w1"]["states"] == ["ManualReview"]
    checks = [s for s in detail["path"] if s["state"] in ("RunCheck", "RunScreening")]
    assert sorted((s["item"], s["state"]) for s in checks) == [
        ("contact", "RunCheck"),
        ("sanctions", "RunScreening"),
    ]
    assert {s["within"] for s in checks} == {"ChecksAndOwners"}


def kyc_case_without_its_rule_set(tenant: Any, stack: Any, entity_id: str) -> str:
    """A KYC case, not yet submitted, whose pinned rule set version then disappears from the table (an operator's
    mistake, a bad restore): as the version every KYC case opened after it pins."""
    from arbiter.adapters.dynamodb.keys import rule_set_pk, version_sk

    publish_demo_rule_sets(tenant)
    person = {
        "type": "individual",
        "id": entity_id,
        "individual": {"first_name": "Ada", "last_name": "Byron"},
    }
    created = tenant.api().post("/v1/cases", json={"workflow": "kyc", "entity": person, "submit": False})
    assert created.status_code == 202, created.text
    case_id = str(created.json()["id"])
    rule_set = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["rule_set"]
    assert rule_set["id"] == "kyc-default"
    stack.client("dynamodb").delete_item(
        TableName=stack.physical_id("ArbiterTable"),
        Key={
            "pk": {"S": rule_set_pk(tenant.id, rule_set["id"])},
            "sk": {"S": version_sk(rule_set["version"])},
        },
    )
    return case_id


def test_a_step_failing_beyond_its_retries_fails_the_case_and_the_run(tenant: Any, stack: Any) -> None:
    """The Catch path: EvaluateRules cannot load the rule set version pinned on the case."""
    api = tenant.api()
    case_id = kyc_case_without_its_rule_set(tenant, stack, "kyc-fail")
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
    assert sorted(review["checks"]) == ["contact", "sanctions"]  # stored by EvaluateRules before it failed
    runs = ended(stack, case_id, [f"{case_id}-a1"])
    run = runs[f"{case_id}-a1"]
    assert run["status"] == "FAILED"
    expected = [
        "Plan",
        "IsSettled",
        "HasDocuments",
        "ChecksAndOwners",
        "HasRules",
        "EvaluateRules",
        "RecordFailure",
    ]
    assert run["states"] == [*expected, "Failed"]
    steps = [s["state"] for s in review["path"]]
    assert steps[-1] == "RecordFailure"


def test_an_owner_failing_beyond_its_retries_fails_the_run_after_the_checks_results_are_stored(
    tenant: Any, stack: Any
) -> None:
    """The Owners Map's Catch: the owner's KYC case cannot load its pinned rule set version. The run goes to
    RecordFailure through OwnersError, and the parent's checks, whose results the run held, are stored first."""
    api = tenant.api()
    kyc_case_without_its_rule_set(tenant, stack, "kyc-pin")  # and so every owner's case opened after it
    entity = business("kyb-owner-fails", [("Grace", "Hopper", 100)])
    created = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity})
    assert created.status_code == 202, created.text
    parent_id = created.json()["id"]
    wait_for(lambda: case_state(api, parent_id) == "failed", timeout=60, what="the case to fail")
    review = tenant.reviewer("viewer").get(f"/v1/review/cases/{parent_id}").json()
    assert sorted(review["checks"]) == ["contact", "identifiers", "ownership", "sanctions", "website"]
    failure = next(e for e in review["audit"] if e["action"] == "case.failed")
    assert failure["reason"] == "NotFound"  # the owner's own error, not OwnersError's OwnerFailed
    runs = ended(stack, parent_id, [f"{parent_id}-a1"])
    states, iterations = run_of(runs[f"{parent_id}-a1"])
    assert runs[f"{parent_id}-a1"]["status"] == "FAILED"
    expected = [
        "Plan",
        "IsSettled",
        "HasDocuments",
        "ChecksAndOwners",
        "HasRules",
        "OwnersError",
        "RecordFailure",
    ]
    assert states == [*expected, "Failed"]
    assert iterations["RunCheck"] + iterations["RunScreening"] == KYB_CHECKS
    assert iterations["AutomateOwner"] >= 1
    path = [(s["state"], s.get("status")) for s in review["path"]]
    assert ("AutomateOwner", "failed") in path
    assert path[-3:] == [
        ("HasRules", "succeeded"),
        ("OwnersError", "succeeded"),
        ("RecordFailure", "succeeded"),
    ]


def test_a_kyc_revision_runs_the_automated_part_again_then_waits_for_a_reviewer(
    tenant: Any, stack: Any
) -> None:
    """Revision: the Standard execution waits for the resubmission and ends; a new run of the automated part
    (the checks and rules anew) hands the case to a new Standard execution."""
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
    names = [f"{case_id}-a1", f"{case_id}-w1", f"{case_id}-a2", f"{case_id}-w2"]
    runs = ended(stack, case_id, names)
    assert run_of(runs[f"{case_id}-a1"]) == run_of(runs[f"{case_id}-a2"]) == automated(KYC_CHECKS)
    # The revision is the review step's failure, caught into AwaitResubmission; the resubmission ends it.
    assert runs[f"{case_id}-w1"]["states"] == ["ManualReview", "AwaitResubmission"]
    assert runs[f"{case_id}-w2"]["states"] == ["ManualReview"]
    path = reviewer.get(f"/v1/review/cases/{case_id}").json()["path"]
    assert {s["run"] for s in path if s["machine"] == "automation"} == {1, 2}


def test_a_manual_review_case_goes_straight_to_a_reviewer(tenant: Any, stack: Any) -> None:
    """No checks and no rules: the run hands the case over at once, and a review is one billed transition."""
    api = tenant.api()
    person = {
        "type": "individual",
        "id": "manual-1",
        "individual": {"first_name": "Ada", "last_name": "Byron"},
    }
    case_id = api.post("/v1/cases", json={"workflow": "manual-review", "entity": person}).json()["id"]
    wait_for(lambda: case_state(api, case_id) == "manual_review", timeout=60, what="review")
    decide(tenant.reviewer("reviewer"), case_id, "approve")
    runs = ended(stack, case_id, [f"{case_id}-a1", f"{case_id}-w1"])
    assert run_of(runs[f"{case_id}-a1"]) == automated(0, rules=False)
    assert runs[f"{case_id}-w1"]["machine"] == "review"
    assert runs[f"{case_id}-w1"]["states"] == ["ManualReview"]
    assert tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]["risk"] is None


def test_a_check_that_fails_past_its_retries_is_caught_and_the_case_goes_to_a_reviewer(
    tenant: Any, stack: Any
) -> None:
    """One check's task fails (it cannot read its case): the Map's Catch records it as failed, the other checks and
    the rules still run, and a reviewer gets the case with the failure flagged."""
    from tests.support.faults import refused_calls

    def sanctions_read(params: dict[str, Any]) -> bool:
        """The sanctions check's read of its case (the task runs in this process: its frames are on the stack)."""
        if f"TENANT#{tenant.id}#" not in params["Key"]["pk"]["S"]:
            return False
        frame = sys._getframe()
        while frame is not None:
            if frame.f_code.co_name == "run_held_check" and frame.f_locals.get("name") == "sanctions":
                return True
            frame = frame.f_back
        return False

    api = tenant.api()
    person = {
        "type": "individual",
        "id": "kyc-caught",
        "individual": {"first_name": "Ada", "last_name": "Byron"},
    }
    with refused_calls(
        "dynamodb", "GetItem", times=1, matching=sanctions_read, code="ValidationException"
    ) as refused:
        case_id = api.post("/v1/cases", json={"workflow": "kyc", "entity": person}).json()["id"]
        wait_for(lambda: case_state(api, case_id) != "processing", timeout=60, what="the automated part")
    assert refused.refused == 1
    assert case_state(api, case_id) == "manual_review"
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert detail["checks"]["sanctions"]["status"] == "error"
    assert any(f["code"] == "check_failed" and f["source"] == "sanctions" for f in detail["case"]["flags"])
    caught = [s for s in detail["path"] if s["state"] == "CheckFailed"]
    assert [(s["item"], s["status"], s["within"]) for s in caught] == [
        ("sanctions", "failed", "ChecksAndOwners")
    ]
    decide(tenant.reviewer("reviewer"), case_id, "approve")
    runs = ended(stack, case_id, [f"{case_id}-a1", f"{case_id}-w1"])
    states, iterations = run_of(runs[f"{case_id}-a1"])
    assert states == automated(KYC_CHECKS)[0]
    assert iterations == Counter(
        {
            "IsScreening": 2,
            "RunCheck": 1,
            "RunScreening": 1,
            "CheckFailed": 1,
            "Checks": 1,
            "HasOwners": 1,
            "NoOwners": 1,
        }
    )


def test_a_check_slower_than_a_run_allows_is_handed_to_a_standard_execution_and_the_next_run_goes_on(
    tenant: Any, stack: Any
) -> None:
    """A slow vendor: the sanctions check outlasts the time a run gives a check (CheckTimeBudgetSeconds, 15 s in
    the suite). The run hands it over instead of failing it; the deferred checks' Standard machine runs it with
    its whole time, then starts the next run, which runs no check again and takes the case to a reviewer."""
    from tests.support.faults import delayed_calls

    def own_watchlist(params: dict[str, Any]) -> bool:
        return f"watchlists/tenants/{tenant.id}/" in str(params.get("Key"))

    api = tenant.api()
    person = {
        "type": "individual",
        "id": "kyc-slow-vendor",
        "individual": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"},
    }
    with delayed_calls("s3", "HeadObject", seconds=18, times=1, matching=own_watchlist) as delayed:
        case_id = api.post("/v1/cases", json={"workflow": "kyc", "entity": person}).json()["id"]
        wait_for(lambda: case_state(api, case_id) != "processing", timeout=120, what="both runs")
    assert delayed.refused == 1
    assert case_state(api, case_id) == "manual_review"
    viewer = tenant.reviewer("viewer")
    detail = viewer.get(f"/v1/review/cases/{case_id}").json()
    assert detail["checks"]["sanctions"]["status"] == "ok"  # run by the Standard execution, in full
    assert not any(f["code"] == "check_failed" for f in detail["case"]["flags"])
    actions = [e["action"] for e in detail["audit"]]
    assert (
        actions.index("checks.deferred") < actions.index("checks.completed") < actions.index("risk.assessed")
    )
    assert actions.count("risk.assessed") == 1  # stored once: by the run that had every check
    deferred = [s for s in detail["path"] if s["state"] == "DeferCheck"]
    assert [(s["item"], s["status"], s["run"], s["within"]) for s in deferred] == [
        ("sanctions", "deferred", 1, "ChecksAndOwners")
    ]
    decide(tenant.reviewer("reviewer"), case_id, "approve")
    runs = ended(stack, case_id, [f"{case_id}-a1", f"{case_id}-w1", f"{case_id}-a2", f"{case_id}-w2"])
    first_states, first_iterations = run_of(runs[f"{case_id}-a1"])
    assert first_states == automated(KYC_CHECKS)[0]
    assert first_iterations == Counter(
        {
            "IsScreening": 2,
            "RunCheck": 1,
            "RunScreening": 1,
            "DeferCheck": 1,
            "Checks": 1,
            "HasOwners": 1,
            "NoOwners": 1,
        }
    )
    assert runs[f"{case_id}-w1"]["machine"] == "checks"
    assert runs[f"{case_id}-w1"]["states"] == ["RunDeferredChecks", "ResumeAutomation"]
    assert runs[f"{case_id}-w1"]["iterations"] == Counter({"IsScreening": 1, "RunDeferredScreening": 1})
    assert run_of(runs[f"{case_id}-a2"]) == automated(0)  # no check runs twice
    assert (runs[f"{case_id}-w2"]["machine"], runs[f"{case_id}-w2"]["states"]) == ("kyc", ["ManualReview"])
