"""The workflow engine port on AWS Step Functions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from arbiter.domain.errors import Conflict, TransientError, WorkflowRefused
from arbiter.services.ports import ExecutionStatus

__all__ = ["StepFunctionsEngine"]

_GONE = {"TaskDoesNotExist", "InvalidToken", "TaskTimedOut"}
# StartExecution errors no retry will change: the case's workflow cannot start as it is.
_REFUSED = {
    "StateMachineDoesNotExist",
    "StateMachineDeleting",
    "InvalidArn",
    "InvalidName",
    "InvalidExecutionInput",
    "ValidationException",
}
_THROTTLED = {"ThrottlingException", "ExecutionLimitExceeded", "ServiceUnavailable", "InternalServerError"}
#: DescribeExecution statuses that mean the execution is over.
_ENDED: dict[str, ExecutionStatus] = {
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "failed",
}


class StepFunctionsEngine:
    """Implements `arbiter.services.ports.WorkflowEngine`."""

    def __init__(self, client: Any, state_machine_arn_prefix: str) -> None:
        self._client = client
        self._prefix = state_machine_arn_prefix

    def start(self, workflow_id: str, execution_name: str, payload: dict[str, Any]) -> str:
        """Start workflow `workflow_id`; starting the same name with the same input again is a no-op."""
        arn = f"{self._prefix}{workflow_id}"
        try:
            response = self._client.start_execution(
                stateMachineArn=arn, name=execution_name, input=json.dumps(payload)
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "ExecutionAlreadyExists":
                return self.execution_arn(workflow_id, execution_name)
            if code in _REFUSED:
                raise WorkflowRefused(f"Step Functions refused to start {arn}: {code}", code=code) from exc
            if code in _THROTTLED:
                raise TransientError(f"Step Functions is busy: {code}", code=code) from exc
            raise
        return str(response["executionArn"])

    def status(self, execution_arn: str) -> ExecutionStatus:
        """`running`, `succeeded`, `failed` (failed, timed out or aborted) or `missing` (never started)."""
        try:
            response = self._client.describe_execution(executionArn=execution_arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return "missing"
            raise
        return _ENDED.get(response["status"], "running")

    def execution_arn(self, workflow_id: str, execution_name: str) -> str:
        """The ARN an execution of `workflow_id` named `execution_name` has (known before it starts)."""
        return (
            f"{self._prefix}{workflow_id}".replace(":stateMachine:", ":execution:", 1) + f":{execution_name}"
        )

    def complete_task(self, task_token: str, output: dict[str, Any]) -> None:
        """SendTaskSuccess; Conflict if the workflow no longer waits on this token."""
        self._answer(lambda: self._client.send_task_success(taskToken=task_token, output=json.dumps(output)))

    def fail_task(self, task_token: str, error: str) -> None:
        """SendTaskFailure with `error` (the state machine's Catch routes on it); Conflict as `complete_task`."""
        self._answer(lambda: self._client.send_task_failure(taskToken=task_token, error=error))

    @staticmethod
    def _answer(call: Callable[[], Any]) -> None:
        try:
            call()
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in _GONE:
                raise Conflict("the workflow is no longer waiting for this step") from exc
            if code in _THROTTLED:
                raise TransientError(f"Step Functions is busy: {code}", code=code) from exc
            raise

    def definition(self, workflow_id: str) -> dict[str, Any]:
        """The workflow's state machine definition (ASL), to draw it."""
        response = self._client.describe_state_machine(stateMachineArn=f"{self._prefix}{workflow_id}")
        definition: dict[str, Any] = json.loads(response["definition"])
        return definition

    def path(self, execution_arn: str) -> list[dict[str, Any]]:
        """The states the execution entered, in order: name, type, entered/exited time, status."""
        steps: list[dict[str, Any]] = []
        open_steps: dict[str, dict[str, Any]] = {}
        events: list[dict[str, Any]] = []
        try:
            for page in self._client.get_paginator("get_execution_history").paginate(
                executionArn=execution_arn
            ):
                events += page["events"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return []
            raise
        for event in events:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                details = event.get("stateEnteredEventDetails", {})
                step = {
                    "state": details.get("name"),
                    "type": kind[: -len("StateEntered")],
                    "entered_at": event["timestamp"].isoformat(),
                    "status": "running",
                }
                steps.append(step)
                open_steps[step["state"]] = step
            elif kind.endswith("StateExited"):
                name = event.get("stateExitedEventDetails", {}).get("name")
                if name in open_steps:
                    open_steps.pop(name).update(status="succeeded", exited_at=event["timestamp"].isoformat())
            elif kind in ("TaskFailed", "LambdaFunctionFailed", "ExecutionFailed", "TaskTimedOut"):
                for step in open_steps.values():
                    step["status"] = "failed"
        return steps
