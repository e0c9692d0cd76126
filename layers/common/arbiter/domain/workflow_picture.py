"""What reviewers see of a workflow's state machine: its states, their types and transitions, and what each task runs.

A state machine's definition (ASL) names its functions by ARN, which carries the AWS account id, the stack's names
and the alias; none of that is the reviewers' business, and the back office draws the graph from states and
transitions alone. A task's `Resource` becomes the role of the function it runs: the template's logical id when
the function's name carries one (`WorkflowTasksFunction`), else the function's bare name; a service integration
other than Lambda is named by its action (`dynamodb:putItem`). Parameters, paths and retries are left out.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["workflow_picture"]

#: What a state keeps as it is: its kind, its description and where it goes next.
_KEPT = ("Type", "Comment", "Next", "End", "Default", "Error")
#: SAM names a function `<stack>-<LogicalId>-<suffix>`; the logical id is the function's role in the template.
_LOGICAL_ID = re.compile(r"[A-Z][A-Za-z0-9]*Function")
_LAMBDA_INVOKE = "lambda:invoke"


def workflow_picture(definition: dict[str, Any]) -> dict[str, Any]:
    """The drawable part of an ASL definition (nested branches and item processors included), with no ARN in it."""
    picture: dict[str, Any] = {"StartAt": definition.get("StartAt")}
    if "Comment" in definition:
        picture["Comment"] = definition["Comment"]
    states = definition.get("States")
    picture["States"] = (
        {str(name): _state(state) for name, state in states.items() if isinstance(state, dict)}
        if isinstance(states, dict)
        else {}
    )
    return picture


def _state(state: dict[str, Any]) -> dict[str, Any]:
    out = {key: state[key] for key in _KEPT if key in state}
    choices = state.get("Choices")
    if isinstance(choices, list):
        out["Choices"] = [{"Next": c["Next"]} for c in choices if isinstance(c, dict) and "Next" in c]
    catches = state.get("Catch")
    if isinstance(catches, list):
        out["Catch"] = [
            {"ErrorEquals": list(c.get("ErrorEquals", [])), "Next": c["Next"]}
            for c in catches
            if isinstance(c, dict) and "Next" in c
        ]
    if state.get("Type") == "Task":
        out.update(_task(state))
    branches = state.get("Branches")
    if isinstance(branches, list):
        out["Branches"] = [workflow_picture(b) for b in branches if isinstance(b, dict)]
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if isinstance(processor, dict):
        out["ItemProcessor"] = workflow_picture(processor)
    return out


def _task(state: dict[str, Any]) -> dict[str, str]:
    """`Resource` (what runs) and `Integration` (how the workflow calls it, e.g. waiting for a task token)."""
    resource = str(state.get("Resource", ""))
    arguments = state.get("Parameters") or state.get("Arguments") or {}
    if resource.startswith("arn:") and ":::" in resource:  # a service integration: no account, no region
        action = resource.split(":::", 1)[1]
        if action.startswith(_LAMBDA_INVOKE):
            named = arguments.get("FunctionName") if isinstance(arguments, dict) else None
            function = _function_role(named) if isinstance(named, str) else "function chosen at run time"
            return {"Resource": function, "Integration": action}
        return {"Resource": action, "Integration": action.split(":", 1)[0]}
    parts = resource.split(":")
    if resource.startswith("arn:") and len(parts) > 6 and parts[2] == "lambda":
        return {"Resource": _function_role(resource), "Integration": "lambda"}
    if resource.startswith("arn:") and len(parts) > 6 and parts[5] == "activity":
        return {"Resource": parts[6], "Integration": "activity"}
    return {"Resource": "task", "Integration": "unknown"}


def _function_role(function: str) -> str:
    """The function's role from its ARN, partial ARN or name (any alias or version left out)."""
    parts = function.split(":")
    if function.startswith("arn:") and len(parts) > 6:
        name = parts[6]
    elif len(parts) >= 3 and parts[1] == "function":  # partial ARN: 123456789012:function:name
        name = parts[2]
    else:
        name = parts[0]
    found = _LOGICAL_ID.search(name)
    return found.group(0) if found else name
