"""The reviewers' API on the local stack: real Cognito tokens, the real workflow waiting on a task token."""

from __future__ import annotations

import json
import threading

import httpx
import jwt

from tests.support.cases import case_in_review
from tests.support.tenants import make_tenant
from tests.waiting import wait_for


def test_a_reviewer_approves_and_the_execution_ends(tenant, stack, bus_events):
    case_id = case_in_review(tenant)
    reviewer = tenant.reviewer("reviewer")
    queue = reviewer.get("/v1/review/cases", params={"state": "manual_review"}).json()
    assert case_id in [c["id"] for c in queue["items"]]
    response = reviewer.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "ID and selfie match"}
    )
    assert response.status_code == 200, response.text
    detail = reviewer.get(f"/v1/review/cases/{case_id}").json()
    assert detail["case"]["state"] == "approved"
    decided = next(e for e in detail["audit"] if e["action"] == "case.decided")
    assert decided["reason"] == "ID and selfie match"
    assert decided["actor"]["type"] == "reviewer"
    assert "execution_arn" not in detail["case"]
    execution = tenant.stored_case(case_id).execution_arn
    sfn = stack.client("stepfunctions")
    wait_for(
        lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED", what="execution end"
    )
    decided_events = wait_for(
        lambda: [e for e in bus_events.for_case(case_id) if e["detail-type"] == "case.decided"],
        what="decided event",
    )
    assert decided_events[0]["source"] == "arbiter"
    assert decided_events[0]["detail"]["outcome"] == "approved"


def test_a_viewer_cannot_decide(tenant):
    case_id = case_in_review(tenant)
    response = tenant.reviewer("viewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "looks fine"}
    )
    assert response.status_code == 403
    assert "needs the reviewer role" in response.json()["message"]
    assert tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "manual_review"


def test_concurrent_decisions_one_wins_the_rest_get_409(tenant):
    case_id = case_in_review(tenant)
    clients = [tenant.reviewer("reviewer"), tenant.reviewer("admin")]
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(4)

    def decide(client, decision):
        barrier.wait()
        answers.append(
            client.post(f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": "r"})
        )

    threads = [
        threading.Thread(target=decide, args=(clients[i % 2], ("approve", "reject")[i % 2])) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes.count(200) == 1, codes
    assert set(codes) == {200, 409}
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert len([e for e in detail["audit"] if e["action"] == "case.decided"]) == 1


def test_another_tenants_reviewer_sees_nothing(tenant, stack):
    case_id = case_in_review(tenant)

    other = make_tenant(stack)
    assert other.reviewer("admin").get(f"/v1/review/cases/{case_id}").status_code == 404


def test_tokens_are_verified_not_trusted(tenant):
    token = tenant.reviewer("reviewer").headers["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "cognito:groups": ["admin"]}, "not-the-key", algorithm="HS256")
    url = f"{tenant.stack.api_url}/v1/review/cases"
    assert httpx.get(url, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert httpx.get(url).status_code == 401
    api_key_as_token = httpx.get(url, headers={"Authorization": f"Bearer {tenant.api_key}"})
    assert api_key_as_token.status_code == 401


def test_revision_then_resubmission_then_approval(tenant):
    api = tenant.api()
    case_id = case_in_review(tenant, entity_id="rev-2")
    reviewer = tenant.reviewer("reviewer")
    response = reviewer.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "revision", "reason": "selfie is blurry"}
    )
    assert response.status_code == 200
    assert api.get(f"/v1/cases/{case_id}").json()["revision"]["reason"] == "selfie is blurry"
    wait_for(
        lambda: api.post(f"/v1/cases/{case_id}/events", json={"name": "resubmitted"}).status_code == 200,
        what="the resubmission to be accepted",
    )
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="back in review"
    )
    reviewer.post(f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "clear now"})
    assert api.get(f"/v1/cases/{case_id}").json()["decision"]["outcome"] == "approved"


def test_assign_to_me_and_filter_by_assignee(tenant):
    case_id = case_in_review(tenant, entity_id="rev-3")
    reviewer = tenant.reviewer("reviewer")
    assigned = reviewer.post(f"/v1/review/cases/{case_id}/assign", json={"assignee": "me"}).json()
    assert assigned["assignee"]["id"]
    mine = reviewer.get("/v1/review/cases", params={"assignee": "me"}).json()["items"]
    assert [c["id"] for c in mine] == [case_id]
    unassigned = reviewer.get("/v1/review/cases", params={"assignee": "unassigned"}).json()["items"]
    assert case_id not in [c["id"] for c in unassigned]
    counts = reviewer.get("/v1/review/counts").json()["states"]
    assert counts["manual_review"] == 1


def test_search_by_name(tenant):
    case_id = case_in_review(tenant, entity_id="rev-4")
    found = tenant.reviewer("viewer").get("/v1/review/cases", params={"q": "hopp"}).json()["items"]
    assert [c["id"] for c in found] == [case_id]
    assert tenant.reviewer("viewer").get("/v1/review/cases", params={"q": "nobody"}).json()["items"] == []


def test_search_by_case_id_or_entity_id_is_an_exact_look_up(tenant):
    case_id = case_in_review(tenant, entity_id="rev-exact-7")
    viewer = tenant.reviewer("viewer")
    for text in (case_id, "rev-exact-7"):
        found = viewer.get("/v1/review/cases", params={"q": text}).json()["items"]
        assert [c["id"] for c in found] == [case_id], text
    # Exact, not a prefix: a part of an id finds nothing (no term is stored for ids).
    assert viewer.get("/v1/review/cases", params={"q": "rev-exact"}).json()["items"] == []
    assert viewer.get("/v1/review/cases", params={"q": case_id[:-3]}).json()["items"] == []


def test_what_callers_see_names_no_aws_account_and_no_arn(tenant, stack):
    from arbiter_local.provision import ACCOUNT_ID

    case_id = case_in_review(tenant, entity_id="rev-arns")
    viewer = tenant.reviewer("viewer")
    seen = {
        "case view": viewer.get(f"/v1/review/cases/{case_id}"),
        "queue": viewer.get("/v1/review/cases", params={"state": "manual_review"}),
        "workflow picture": viewer.get("/v1/review/workflows/manual-review/definition"),
        "integrator view": tenant.api().get(f"/v1/cases/{case_id}"),
    }
    for what, response in seen.items():
        assert response.status_code == 200, (what, response.text)
        assert ACCOUNT_ID not in response.text, what
        assert '"arn:' not in response.text, what
        assert "execution_arn" not in response.text, what
    assert tenant.stored_case(case_id).execution_arn  # still stored: the case view's path is read from it

    picture = seen["workflow picture"].json()["states"]
    arn = stack.provisioned.state_machines["ManualReviewStateMachine"]
    deployed = json.loads(
        stack.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    )
    assert ACCOUNT_ID in json.dumps(deployed)
    assert picture["StartAt"] == deployed["StartAt"]
    assert {n: s["Type"] for n, s in picture["States"].items()} == {
        n: s["Type"] for n, s in deployed["States"].items()
    }
    tasks = {s["Resource"] for s in picture["States"].values() if s["Type"] == "Task"}
    assert tasks <= {"WorkflowTasksFunction", "PluginsFunction", "EvaluateRulesFunction"}, tasks
    automation = seen["workflow picture"].json()["automation"]
    automation_tasks = {s["Resource"] for s in automation["States"].values() if s["Type"] == "Task"}
    assert automation_tasks == {
        "WorkflowTasksFunction",
        "IngestCaseDocumentsFunction",
        "EvaluateRulesFunction",
    }, automation_tasks
    path = viewer.get(f"/v1/review/cases/{case_id}").json()["path"]
    waiting = {step["state"] for step in path if step["machine"] == "workflow"}
    automated = {step["state"] for step in path if step["machine"] == "automation"}
    assert waiting
    assert waiting <= set(picture["States"])
    assert automated
    assert automated <= set(automation["States"])


def test_the_workflow_picture_is_for_the_callers_tenant_and_roles(tenant):
    assert tenant.reviewer("viewer").get("/v1/review/workflows/no-such/definition").status_code == 404
    url = f"{tenant.stack.api_url}/v1/review/workflows/kyb/definition"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {tenant.api_key}"}).status_code == 401
