"""A tenant's own workflows on the local stack: an admin publishes version 2 of a workflow while a case runs on
version 1 (the running case finishes on 1, new cases start on 2), and a workflow of the tenant's own runs on the
deployed Standard machine with nothing deployed for it."""

from __future__ import annotations

import secrets
from typing import Any

from arbiter.workflows import builtin_workflows
from tests.waiting import wait_for


def kyc_body(**changes: Any) -> dict[str, Any]:
    """The built-in KYC definition as GET …/versions/1 shows it, changed. No rule set: every case goes to review,
    where the Standard machine waits."""
    return {**builtin_workflows()["kyc"].model_dump(mode="json"), "rule_set_id": None, **changes}


def start(tenant, workflow: str = "kyc") -> str:
    entity = {
        "type": "individual",
        "id": f"tw-{secrets.token_hex(3)}",
        "individual": {"first_name": "Ada", "last_name": "Kowalski", "date_of_birth": "1990-01-02"},
    }
    created = tenant.api().post("/v1/cases", json={"workflow": workflow, "entity": entity})
    assert created.status_code == 202, created.text
    case_id = str(created.json()["id"])
    wait_for(
        lambda: tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "manual_review",
        timeout=60,
        what=f"{case_id} in review",
    )
    return case_id


def approve(tenant, case_id: str) -> None:
    decided = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "documents seen"}
    )
    assert decided.status_code == 200, decided.text
    wait_for(
        lambda: tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "approved",
        timeout=60,
        what=f"{case_id} approved",
    )


def execution_status(tenant, case_id: str) -> tuple[str, str]:
    arn = tenant.stored_case(case_id).execution_arn
    status = tenant.stack.client("stepfunctions").describe_execution(executionArn=arn)["status"]
    return arn, str(status)


def test_a_running_case_finishes_on_its_version_while_new_cases_start_on_the_published_one(tenant):
    admin = tenant.reviewer("admin")
    running = start(tenant)
    saved = admin.post("/v1/admin/workflows", json=kyc_body(custom_events=["address_confirmed"]))
    assert saved.status_code == 201, saved.text
    assert (saved.json()["version"], saved.json()["status"]) == (2, "draft")
    published = admin.post("/v1/admin/workflows/kyc/versions/2/publish")
    assert published.status_code == 200, published.text
    assert admin.post("/v1/admin/workflows/kyc/versions/2/publish").status_code == 409

    started_after = start(tenant)
    assert tenant.stored_case(running).workflow_version == 1
    assert tenant.stored_case(started_after).workflow_version == 2
    event = {"name": "address_confirmed", "payload": {"source": "utility bill"}}
    assert tenant.api().post(f"/v1/cases/{started_after}/events", json=event).status_code == 200
    refused = tenant.api().post(f"/v1/cases/{running}/events", json=event)
    assert refused.status_code == 400, refused.text
    assert "workflow kyc (version 1) declares no event 'address_confirmed'" in refused.json()["message"]

    approve(tenant, running)
    assert tenant.stored_case(running).workflow_version == 1
    assert execution_status(tenant, running)[1] == "SUCCEEDED"
    detail = admin.get("/v1/admin/workflows/kyc").json()
    assert (detail["current_version"], [v["version"] for v in detail["versions"]]) == (2, [2, 1])


def test_a_workflow_of_the_tenants_own_runs_with_nothing_deployed_for_it(tenant):
    admin = tenant.reviewer("admin")
    german = {"==": [{"var": "entity.individual.country"}, "DE"]}
    plugins = [{"plugin": "identifiers"}, {"plugin": "contact", "name": "contact_de", "when": german}]
    body = kyc_body(id="kyc-de", name="Person onboarding, Germany", plugins=plugins)
    assert admin.post("/v1/admin/workflows", json=body).status_code == 201
    person = {"type": "individual", "individual": {"first_name": "Ada", "last_name": "Kowalski"}}
    not_yet = tenant.api().post("/v1/cases", json={"workflow": "kyc-de", "entity": person})
    assert not_yet.status_code == 404, not_yet.text  # a draft is no workflow an integrator can start
    assert admin.post("/v1/admin/workflows/kyc-de/versions/1/publish").status_code == 200
    listed = {w["id"] for w in tenant.api().get("/v1/workflows").json()["items"]}
    assert {"kyc", "kyb", "kyc-de"} <= listed

    case_id = start(tenant, "kyc-de")
    arn, status = execution_status(tenant, case_id)
    assert arn.split(":")[-2].endswith("-kyc")
    assert status == "RUNNING"
    checks = tenant.reviewer("reviewer").get(f"/v1/review/cases/{case_id}").json()["checks"]
    assert checks["identifiers"]["status"] in ("ok", "skipped")
    assert (
        checks["contact_de"]["status"] == "skipped"
    )  # Ada lives in no German address: its condition is false
    assert "condition (when)" in checks["contact_de"]["data"]["reason"]
    approve(tenant, case_id)
    assert execution_status(tenant, case_id)[1] == "SUCCEEDED"
    picture = tenant.reviewer("viewer").get("/v1/review/workflows/kyc-de/definition")
    assert picture.status_code == 200, picture.text  # the picture of the deployed machine it waits on
    assert "ManualReview" in picture.json()["states"]["States"]
    items = {w["id"]: w for w in admin.get("/v1/admin/workflows").json()["items"]}
    assert (items["kyc-de"]["builtin"], items["kyc-de"]["current_version"]) == (False, 1)


def test_bad_definitions_and_callers_are_refused_with_what_is_wrong(tenant):
    admin = tenant.reviewer("admin")
    bad = admin.post(
        "/v1/admin/workflows", json=kyc_body(plugins=[{"plugin": "sanctions", "config": {"threshold": 7}}])
    )
    assert bad.status_code == 422, bad.text
    assert "plugins[0].config.threshold" in bad.text
    unknown_rules = admin.post("/v1/admin/workflows", json=kyc_body(rule_set_id="never-saved"))
    assert unknown_rules.status_code == 422
    assert "rule_set_id" in unknown_rules.text
    assert admin.post("/v1/admin/workflows", json=[1]).status_code in (400, 422)
    assert admin.get("/v1/admin/workflows/kyc").json()["versions"][0]["status"] == "builtin"  # nothing saved
    assert tenant.reviewer("reviewer").post("/v1/admin/workflows", json=kyc_body()).status_code == 403
    assert tenant.reviewer("reviewer").get("/v1/admin/workflows").status_code == 403
    assert admin.get("/v1/admin/workflows/nope").status_code == 404
    assert admin.get("/v1/admin/workflows/kyc/versions/9").status_code == 404
    assert admin.post("/v1/admin/workflows/kyc/rollback", json={"version": 9}).status_code == 404


def test_a_declared_event_sends_a_case_in_review_back_through_its_checks_and_an_undeclared_one_is_refused(
    tenant,
):
    admin = tenant.reviewer("admin")
    events = ["address_confirmed", {"name": "registry_updated", "action": "rerun_checks"}]
    assert admin.post("/v1/admin/workflows", json=kyc_body(custom_events=events)).status_code == 201
    assert admin.post("/v1/admin/workflows/kyc/versions/2/publish").status_code == 200
    case_id = start(tenant)
    first_execution, _ = execution_status(tenant, case_id)

    undeclared = tenant.api().post(f"/v1/cases/{case_id}/events", json={"name": "approve"})
    assert undeclared.status_code == 400, undeclared.text
    assert "declares no event 'approve'" in undeclared.json()["message"]
    sent = tenant.api().post(
        f"/v1/cases/{case_id}/events", json={"name": "registry_updated", "payload": {"reason": "new extract"}}
    )
    assert sent.status_code == 200, sent.text

    # The checks and rules run again, and the case waits for a reviewer in a new execution.
    wait_for(lambda: tenant.stored_case(case_id).runs_started == 2, timeout=60, what="a second run")
    wait_for(
        lambda: tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "manual_review",
        timeout=60,
        what="back in review",
    )
    second_execution, status = execution_status(tenant, case_id)
    assert second_execution != first_execution
    assert status == "RUNNING"
    stepfunctions = tenant.stack.client("stepfunctions")
    wait_for(
        lambda: stepfunctions.describe_execution(executionArn=first_execution)["status"] == "SUCCEEDED",
        timeout=60,
        what="the first wait ended",
    )
    history = tenant.reviewer("reviewer").get(f"/v1/review/cases/{case_id}").json()
    assert "checks.rerun" in [entry["action"] for entry in history["audit"]]
    approve(tenant, case_id)
