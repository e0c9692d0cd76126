"""The workflow picture keeps what the back office draws (states, types, transitions) and no ARN or account id."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from arbiter.domain.workflow_picture import workflow_picture
from tests.unit.fakes import STATE_MACHINES, FakeEngine

ACCOUNT = "123456789012"
WORKFLOWS = [
    "automation",
    "checks",
    "full-rescreen",
    "kyb",
    "kyc",
    "manual-review",
    "transaction-backtests",
    "webhook-delivery",
]


def strings(value: Any) -> list[str]:
    """Every key and string value, however deep."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return [value] if isinstance(value, str) else []


def transitions(states: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(from, to, kind) for every Next, Default, Choice and Catch: the graph the back office draws."""
    found = set()
    for name, state in states.items():
        if "Next" in state:
            found.add((name, state["Next"], "next"))
        if "Default" in state:
            found.add((name, state["Default"], "choice"))
        found |= {(name, c["Next"], "choice") for c in state.get("Choices", []) if "Next" in c}
        found |= {(name, c["Next"], "catch") for c in state.get("Catch", [])}
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_a_deployed_definition_loses_every_arn_and_keeps_its_graph(workflow: str) -> None:
    deployed = FakeEngine().definition(workflow)
    assert ACCOUNT in json.dumps(deployed)  # what describe_state_machine returns

    picture = workflow_picture(deployed)

    shown = strings(picture)
    assert not [s for s in shown if s.startswith("arn:") or re.search(r"\d{12}", s)], shown
    assert picture["StartAt"] == deployed["StartAt"]
    assert set(picture["States"]) == set(deployed["States"])
    assert transitions(picture["States"]) == transitions(deployed["States"])
    for name, state in deployed["States"].items():
        assert picture["States"][name]["Type"] == state["Type"]
        assert picture["States"][name].get("End") == state.get("End")


def test_tasks_name_the_function_they_run_and_how() -> None:
    picture = workflow_picture(FakeEngine().definition("kyb"))["States"]
    assert (picture["ManualReview"]["Resource"], picture["ManualReview"]["Integration"]) == (
        "WorkflowTasksFunction",
        "lambda:invoke.waitForTaskToken",
    )
    assert (picture["RecordFailure"]["Resource"], picture["RecordFailure"]["Integration"]) == (
        "WorkflowTasksFunction",
        "lambda",
    )
    assert "Parameters" not in picture["ManualReview"]
    assert "Retry" not in picture["ManualReview"]
    # A reviewer's answer ends the execution; a revision is the step's failure, caught into AwaitResubmission.
    assert picture["ManualReview"]["End"] is True
    assert picture["ManualReview"]["Catch"] == [
        {"ErrorEquals": ["RevisionRequested"], "Next": "AwaitResubmission"},
        {"ErrorEquals": ["States.ALL"], "Next": "RecordFailure"},
    ]
    automated = workflow_picture(FakeEngine().definition("automation"))["States"]
    checks = automated["ChecksAndOwners"]["Branches"][0]["States"]["Checks"]["ItemProcessor"]["States"]
    assert (checks["RunCheck"]["Resource"], checks["RunCheck"]["Integration"]) == (
        "PluginsFunction",
        "lambda:invoke",
    )
    # A check out of the run's time is handed over (DeferCheck); one that fails is recorded (CheckFailed).
    assert checks["RunCheck"]["Catch"] == [
        {"ErrorEquals": ["CheckDeferred"], "Next": "DeferCheck"},
        {"ErrorEquals": ["States.ALL"], "Next": "CheckFailed"},
    ]
    assert checks["DeferCheck"]["Type"] == "Pass"
    assert automated["EvaluateRules"]["Resource"] == "EvaluateRulesFunction"
    # The pages sent by reference are copied in a function sized for them, not in the other tasks' one.
    assert automated["IngestDocuments"]["Resource"] == "IngestCaseDocumentsFunction"


def test_every_kind_of_task_and_nested_state_is_pictured_without_its_arn() -> None:
    lambda_arn = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:acme-prod-PluginsFunction-AbCdEf:live"
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Own",
                        "States": {"Own": {"Type": "Task", "Resource": lambda_arn, "End": True}},
                    },
                    {
                        "StartAt": "Named",
                        "States": {
                            "Named": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {"FunctionName": f"{ACCOUNT}:function:vendor-check"},
                                "End": True,
                            }
                        },
                    },
                ],
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Put",
                    "States": {
                        "Put": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::dynamodb:putItem",
                            "Parameters": {"TableName": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/t"},
                            "End": True,
                        }
                    },
                },
                "Next": "Human",
            },
            "Human": {
                "Type": "Task",
                "Resource": f"arn:aws:states:eu-west-1:{ACCOUNT}:activity:second-look",
                "Next": "Dynamic",
            },
            "Dynamic": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.function"},
                "Next": "Done",
            },
            "Done": {"Type": "Fail", "Error": "Stopped", "Cause": f"see {lambda_arn}"},
        },
    }

    picture = workflow_picture(definition)

    assert ACCOUNT not in json.dumps(picture)
    fan = picture["States"]["Fan"]
    assert fan["Branches"][0]["States"]["Own"] == {
        "Type": "Task",
        "End": True,
        "Resource": "PluginsFunction",
        "Integration": "lambda",
    }
    assert fan["Branches"][1]["States"]["Named"]["Resource"] == "vendor-check"
    assert picture["States"]["Each"]["ItemProcessor"]["States"]["Put"]["Resource"] == "dynamodb:putItem"
    assert picture["States"]["Human"]["Resource"] == "second-look"
    assert picture["States"]["Dynamic"]["Resource"] == "function chosen at run time"
    assert picture["States"]["Done"] == {"Type": "Fail", "Error": "Stopped"}


def test_a_definition_with_nothing_to_draw_stays_drawable() -> None:
    assert workflow_picture({}) == {"StartAt": None, "States": {}}
    assert workflow_picture({"StartAt": "A", "States": ["not", "a", "map"]}) == {"StartAt": "A", "States": {}}


def test_the_picture_is_taken_from_every_state_machine_file() -> None:
    assert sorted(p.name.removesuffix(".asl.json") for p in STATE_MACHINES.glob("*.asl.json")) == WORKFLOWS
