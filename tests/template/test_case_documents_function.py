"""The automation machine's ingest step (the pages a case was sent by reference, decoded to be measured and
thumbnailed) runs in a function of its own, sized for pages; the workflow's other tasks run in
WorkflowTasksFunction, sized without them."""

from __future__ import annotations

import json
from typing import Any

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
FUNCTIONS = TEMPLATE.of_type("AWS::Serverless::Function")
MACHINES = TEMPLATE.of_type("AWS::Serverless::StateMachine")
STATEMACHINES = PROJECT_ROOT / "statemachines"
FUNCTION = "IngestCaseDocumentsFunction"


def _states(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every state of a definition with its name, the Parallel branches' and the Maps' included."""
    found = []
    for name, state in definition["States"].items():
        found.append((name, state))
        for branch in state.get("Branches", []):
            found += _states(branch)
        if "ItemProcessor" in state:
            found += _states(state["ItemProcessor"])
    return found


def _automation() -> dict[str, dict[str, Any]]:
    return dict(_states(json.loads((STATEMACHINES / "automation.asl.json").read_text())))


def test_the_ingest_step_runs_in_its_own_function_with_the_other_tasks_retries_and_catch() -> None:
    properties = MACHINES["AutomationStateMachine"]["Properties"]
    assert properties["DefinitionSubstitutions"][f"{FUNCTION}Arn"] == {"Ref": f"{FUNCTION}.Alias"}
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": FUNCTION}}} in properties["Policies"]
    states = _automation()
    ingest, plan = states["IngestDocuments"], states["Plan"]
    assert ingest["Parameters"]["FunctionName"] == "${IngestCaseDocumentsFunctionArn}"
    assert ingest["Parameters"]["Payload"]["task"] == "ingest_documents"
    for key in ("Retry", "Catch", "ResultSelector"):
        assert ingest[key] == plan[key], key
    # The function is given at least the time the state allows it, so the state's limit is the one that acts.
    assert FUNCTIONS[FUNCTION]["Properties"]["Timeout"] >= ingest["TimeoutSeconds"]


def test_no_machine_sends_pages_to_the_workflow_tasks_function() -> None:
    for path in sorted(STATEMACHINES.glob("*.asl.json")):
        for name, state in _states(json.loads(path.read_text())):
            parameters = state.get("Parameters", {})
            if parameters.get("FunctionName") == "${WorkflowTasksFunctionArn}":
                assert parameters["Payload"].get("task") != "ingest_documents", f"{path.name}: {name}"


def test_it_reaches_the_pages_and_the_egress_allow_list_but_not_the_watchlists() -> None:
    properties = FUNCTIONS[FUNCTION]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables["DOCUMENTS_BUCKET"] == {"Ref": "DocumentsBucket"}
    assert variables["ALLOWED_EGRESS_HOSTS"] == {"Ref": "AllowedEgressHosts"}
    assert {"S3CrudPolicy": {"BucketName": {"Ref": "DocumentsBucket"}}} in properties["Policies"]
    denied = [
        s for policy in properties["Policies"] for s in policy.get("Statement", []) if s["Effect"] == "Deny"
    ]
    assert [(s["Action"], "/watchlists/*" in json.dumps(s["Resource"])) for s in denied] == [(["s3:*"], True)]
