"""The workflow engine port on AWS Step Functions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from typing import Any, Literal

from botocore.exceptions import ClientError

from arbiter.domain.errors import Conflict, TransientError, WorkflowRefused
from arbiter.services.ports import ExecutionStatus, RescreenRun

__all__ = ["StepFunctionsEngine", "StepFunctionsRescreens"]

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


class StepFunctionsRescreens:
    """Implements `arbiter.services.ports.FullRescreens` on the full re-screen state machine.

    A run's id is its execution's name, `rescreen-<12 hex of the list key's SHA-256>-<UTC start>-<4 hex>`: the
    runs of one list share a prefix, which is how a run under way for it is found (ListExecutions, RUNNING)."""

    def __init__(
        self,
        client: Any,
        state_machine_arn: str,
        bucket: str,
        *,
        shard_size: int,
        max_concurrency: int,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._bucket = bucket
        self._shard_size = shard_size
        self._max_concurrency = max_concurrency
        self._now = now

    def start(
        self, list_key: str, *, reason: str, etag: str | None = None, shard_size: int | None = None
    ) -> RescreenRun:
        """Start a run of the list; its input names the bucket (the lists' and the manifests')."""
        at = self._now()
        name = f"{_list_prefix(list_key)}{at:%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"
        payload = {
            "list": list_key,
            "bucket": self._bucket,
            "shard_size": shard_size or self._shard_size,
            "max_concurrency": self._max_concurrency,
            "reason": reason,
            "etag": etag,
        }
        try:
            self._client.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in _THROTTLED:
                raise TransientError(f"Step Functions is busy: {code}", code=code) from exc
            raise
        return RescreenRun(id=name, list=list_key, status="running", started_at=at)

    def running(self, list_key: str) -> RescreenRun | None:
        prefix = _list_prefix(list_key)
        request: dict[str, Any] = {"stateMachineArn": self._arn, "statusFilter": "RUNNING"}
        while True:
            response = self._client.list_executions(**request)
            for execution in response.get("executions", []):
                if str(execution["name"]).startswith(prefix):
                    return self.get(str(execution["name"]))
            if not response.get("nextToken"):
                return None
            request["nextToken"] = response["nextToken"]

    def get(self, rescreen_id: str) -> RescreenRun | None:
        if not _RUN_ID.fullmatch(rescreen_id):
            return None
        arn = self._arn.replace(":stateMachine:", ":execution:", 1) + f":{rescreen_id}"
        try:
            execution = self._client.describe_execution(executionArn=arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return None
            raise
        given = json.loads(execution.get("input") or "{}")
        ended = _ENDED.get(execution["status"])
        status: Literal["running", "succeeded", "failed"] = (
            "running" if ended is None else "succeeded" if ended == "succeeded" else "failed"
        )
        output = json.loads(execution["output"]) if execution.get("output") else None
        error = None
        if status == "failed":
            error = ": ".join(str(execution[k]) for k in ("error", "cause") if execution.get(k)) or None
        return RescreenRun(
            id=rescreen_id,
            list=str(given.get("list", "")),
            status=status,
            started_at=execution["startDate"],
            stopped_at=execution.get("stopDate"),
            summary=output,
            error=error,
            etag=given.get("etag"),
        )


def _list_prefix(list_key: str) -> str:
    return f"rescreen-{hashlib.sha256(list_key.encode()).hexdigest()[:12]}-"


_RUN_ID = re.compile(r"rescreen-[0-9a-f]{12}-\d{8}T\d{6}-[0-9a-f]{4}")
