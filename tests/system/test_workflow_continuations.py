"""Workflow continuations on the local stack: a stored case or decision always reaches its execution, even when
Step Functions refuses for a while, and the reconciler sets right a case whose execution never started."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.support.faults import refused_calls
from tests.waiting import wait_for


def kyc_case(api: Any, entity_id: str) -> str:
    """A KYC case; with no rule set published it goes to manual review."""
    body = {
        "workflow": "kyc",
        "entity": {
            "type": "individual",
            "id": entity_id,
            "individual": {"first_name": "Grace", "last_name": "Hopper"},
        },
    }
    created = api.post("/v1/cases", json=body)
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


def state_of(api: Any, case_id: str) -> str:
    return str(api.get(f"/v1/cases/{case_id}").json()["state"])


def execution_of(stack: Any, case_id: str) -> dict[str, Any] | None:
    """The Standard execution the case's automated run handed it to (`<case>-w<n>`, the newest), as Step Functions
    describes it (None: there is none)."""
    sfn = stack.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack.physical_id("KycStateMachine")
    )
    own = sorted(
        e["name"] for page in pages for e in page["executions"] if e["name"].startswith(f"{case_id}-w")
    )
    if not own:
        return None
    arn = stack.physical_id("KycStateMachine").replace(":stateMachine:", ":execution:") + f":{own[-1]}"
    return sfn.describe_execution(executionArn=arn)


def test_a_decision_step_functions_refuses_at_first_is_answered_and_still_ends_the_execution(tenant, stack):
    api, reviewer = tenant.api(), tenant.reviewer()
    case_id = kyc_case(api, "cont-decision")
    wait_for(lambda: state_of(api, case_id) == "manual_review", what="the case in review")
    with refused_calls("stepfunctions", "SendTaskSuccess", times=2) as refusals:
        answer = reviewer.post(
            f"/v1/review/cases/{case_id}/decision",
            json={"decision": "approve", "reason": "documents verified"},
        )
        assert answer.status_code == 200, (
            answer.text
        )  # the reviewer is not told about Step Functions' trouble
        assert answer.json()["state"] == "approved"
        wait_for(lambda: refusals.refused == 2, what="Step Functions to refuse twice")
        ended = wait_for(
            lambda: (e := execution_of(stack, case_id)) and e["status"] != "RUNNING" and e,
            timeout=60,
            what="the execution to end once the resume got through",
        )
    assert ended["status"] == "SUCCEEDED"
    assert json.loads(ended["output"])["outcome"]["decision"] == "approved"
    assert state_of(api, case_id) == "approved"


def test_a_case_whose_start_step_functions_refuses_at_first_still_runs(tenant, stack):
    api = tenant.api()
    with refused_calls(
        "stepfunctions", "StartExecution", times=3, matching=lambda p: p.get("name", "").startswith("case_")
    ) as refusals:
        case_id = kyc_case(api, "cont-start")
        wait_for(lambda: state_of(api, case_id) == "manual_review", timeout=60, what="the case to run")
    assert refusals.refused == 3
    assert execution_of(stack, case_id)["status"] == "RUNNING"  # waiting for its reviewer


def test_the_reconciler_starts_a_case_whose_start_was_given_up_on(tenant, stack):
    api = tenant.api()
    with refused_calls("stepfunctions", "StartExecution", times=1000, matching=lambda p: True) as refusals:
        case_id = kyc_case(api, "cont-orphan")
        # Past every retry of the stream, the continuation is given up on (kept for an operator, on AWS in the
        # mapping's queue): the case is stored, in processing, with nothing running.
        wait_for(
            lambda: any(
                case_id in error or "ContinueWorkflows" in error for error in stack.bridge.delivery_errors
            ),
            timeout=60,
            what="the stream to give up on the start",
        )
        assert refusals.refused > 1
    assert state_of(api, case_id) == "processing"
    assert execution_of(stack, case_id) is None

    report = stack.runtime.invoke(
        stack.runtime.by_logical_id("ReconcileCasesFunction").name, {"after_minutes": 0}
    )
    assert case_id in report["restarted"]
    wait_for(lambda: state_of(api, case_id) == "manual_review", timeout=60, what="the restarted case to run")
    audit = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert "workflow.restarted" in [entry["action"] for entry in audit]

    again = stack.runtime.invoke(
        stack.runtime.by_logical_id("ReconcileCasesFunction").name, {"after_minutes": 0}
    )
    assert case_id not in again["restarted"] + again["failed"]


def test_cases_started_at_once_each_get_their_execution(tenant, stack):
    """Many concurrent starts: none stays in processing without an execution (start and case are one write)."""
    api = tenant.api()
    with ThreadPoolExecutor(max_workers=4) as pool:
        case_ids = list(pool.map(lambda n: kyc_case(api, f"cont-many-{n}"), range(24)))
    for case_id in case_ids:
        wait_for(lambda cid=case_id: execution_of(stack, cid), timeout=60, what=f"an execution for {case_id}")
    for case_id in case_ids:
        wait_for(
            lambda cid=case_id: state_of(api, cid) == "manual_review", timeout=60, what=f"{case_id} in review"
        )
