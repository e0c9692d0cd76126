"""The watchlists are held by one function: ScreeningFunction reads them and every machine's screening check runs
there; the checks' and the workflow tasks' functions neither read the lists nor may."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
FUNCTIONS = TEMPLATE.of_type("AWS::Serverless::Function")
MACHINES = TEMPLATE.of_type("AWS::Serverless::StateMachine")
WATCHLISTS = "/watchlists/*"


def variables(name: str) -> dict[str, Any]:
    return dict(FUNCTIONS[name]["Properties"].get("Environment", {}).get("Variables", {}))


def statements(name: str) -> list[dict[str, Any]]:
    return [s for policy in FUNCTIONS[name]["Properties"]["Policies"] for s in policy.get("Statement", [])]


def test_only_the_screening_functions_are_given_the_watchlists() -> None:
    given = {name for name in FUNCTIONS if "WATCHLISTS_BUCKET" in variables(name)}
    assert given == {"ScreeningFunction"}  # OngoingScreeningFunction gets the bucket with each S3 event
    reads = [
        s for s in statements("ScreeningFunction") if s["Effect"] == "Allow" and WATCHLISTS in json.dumps(s)
    ]
    assert [s["Action"] for s in reads] == [["s3:GetObject"]]


@pytest.mark.parametrize("name", ["PluginsFunction", "WorkflowTasksFunction"])
def test_the_checks_and_the_workflow_tasks_send_screening_to_it_and_may_not_read_the_lists(name: str) -> None:
    assert variables(name)["SCREENING_FUNCTION"] == {"Ref": "ScreeningFunction.Alias"}
    assert "WATCHLISTS_BUCKET" not in variables(name)
    denied = [s for s in statements(name) if s["Effect"] == "Deny"]
    assert [(s["Action"], WATCHLISTS in json.dumps(s["Resource"])) for s in denied] == [(["s3:*"], True)]
    invokes = [
        p["LambdaInvokePolicy"]
        for p in FUNCTIONS[name]["Properties"]["Policies"]
        if "LambdaInvokePolicy" in p
    ]
    assert {"FunctionName": {"Ref": "ScreeningFunction"}} in invokes


@pytest.mark.parametrize(
    ("machine", "asl", "twin", "screening"),
    [
        ("AutomationStateMachine", "automation.asl.json", "RunCheck", "RunScreening"),
        ("DeferredChecksStateMachine", "checks.asl.json", "RunDeferredCheck", "RunDeferredScreening"),
    ],
)
def test_a_machine_runs_a_screening_check_in_the_screening_function_with_the_same_retries(
    machine: str, asl: str, twin: str, screening: str
) -> None:
    properties = MACHINES[machine]["Properties"]
    assert properties["DefinitionSubstitutions"]["ScreeningFunctionArn"] == {"Ref": "ScreeningFunction.Alias"}
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": "ScreeningFunction"}}} in properties["Policies"]
    text = (PROJECT_ROOT / "statemachines" / asl).read_text()
    map_state = next(
        s
        for s in _states(json.loads(text))
        if s.get("Type") == "Map" and twin in s["ItemProcessor"]["States"]
    )
    states = map_state["ItemProcessor"]["States"]
    assert map_state["ItemProcessor"]["StartAt"] == "IsScreening"
    assert [c["Next"] for c in states["IsScreening"]["Choices"]] == [screening]
    assert states["IsScreening"]["Default"] == twin
    assert states[screening]["Parameters"]["FunctionName"] == "${ScreeningFunctionArn}"
    assert states[twin]["Parameters"]["FunctionName"] == "${PluginsFunctionArn}"
    for key in ("Retry", "Catch", "TimeoutSeconds", "ResultSelector", "ResultPath"):
        assert states[screening].get(key) == states[twin].get(key), key
    assert "States.ArrayContains" in map_state["ItemSelector"]["screens.$"]


def _states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every state of a definition, the Parallel branches' and the Maps' included."""
    found = []
    for state in definition["States"].values():
        found.append(state)
        for branch in state.get("Branches", []):
            found += _states(branch)
        if "ItemProcessor" in state:
            found += _states(state["ItemProcessor"])
    return found
