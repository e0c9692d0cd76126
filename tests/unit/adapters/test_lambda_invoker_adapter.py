"""The boto3 Lambda invoker against moto, with moto's Docker-based execution replaced by Python functions."""

from __future__ import annotations

import contextlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from moto.awslambda.models import LambdaFunction

from arbiter.adapters.lambda_invoker import LambdaFunctionInvoker
from arbiter.plugins.builtin import FunctionInvocationFailed
from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT

# Customers' check functions run what Arbiter's own functions run.
RUNTIME = load_template(PROJECT_ROOT / "template.yaml").globals["Function"]["Runtime"]

# What each test's function does with the event: returns (reply JSON, errored).
Behaviour = Callable[[dict[str, Any]], tuple[str, bool]]


@pytest.fixture
def lambdas(stack: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Behaviour]]:
    # The local stack's moto runs in this process: its Lambda invocation is patched for these functions only.
    behaviours: dict[str, Behaviour] = {}
    bridge_invoke = LambdaFunction._invoke_lambda

    def invoke_in_process(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        if self.function_name not in behaviours:
            return bridge_invoke(self, event)
        decoded = json.loads(event or "{}") if isinstance(event, str | bytes | None) else event
        reply, errored = behaviours[self.function_name](decoded)
        return reply, errored, ""

    monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke_in_process)
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(
        RoleName=f"check-role-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    client = boto3.client("lambda", region_name="us-east-1")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(event, context):\n    return {}\n")
    for name in ("good-check", "broken-check", "garbled-check"):
        with contextlib.suppress(client.exceptions.ResourceConflictException):
            client.create_function(
                FunctionName=name,
                Runtime=RUNTIME,
                Role=role,
                Handler="app.handler",
                Code={"ZipFile": archive.getvalue()},
            )
    return client, behaviours


def test_invokes_with_the_payload_and_decodes_the_reply(lambdas: tuple[Any, dict[str, Behaviour]]) -> None:
    client, behaviours = lambdas
    seen: list[dict[str, Any]] = []

    def good(event: dict[str, Any]) -> tuple[str, bool]:
        seen.append(event)
        return json.dumps({"status": "ok", "data": {"n": 1}}), False

    behaviours["good-check"] = good
    reply = LambdaFunctionInvoker(client).invoke(
        "good-check", {"plugin": "custom_lambda", "context": {"case_id": "c"}}, timeout_seconds=5
    )
    assert reply == {"status": "ok", "data": {"n": 1}}
    assert seen == [{"plugin": "custom_lambda", "context": {"case_id": "c"}}]


def test_a_function_error_is_a_transient_failure(lambdas: tuple[Any, dict[str, Behaviour]]) -> None:
    client, behaviours = lambdas
    behaviours["broken-check"] = lambda _e: (
        json.dumps({"errorType": "KeyError", "errorMessage": "'entity'"}),
        True,
    )
    with pytest.raises(FunctionInvocationFailed, match="KeyError") as excinfo:
        LambdaFunctionInvoker(client).invoke("broken-check", {}, timeout_seconds=5)
    assert excinfo.value.transient


def test_a_reply_that_is_not_json_is_a_permanent_failure(lambdas: tuple[Any, dict[str, Behaviour]]) -> None:
    client, behaviours = lambdas
    behaviours["garbled-check"] = lambda _e: ("<<not json>>", False)
    with pytest.raises(FunctionInvocationFailed, match="not JSON") as excinfo:
        LambdaFunctionInvoker(client).invoke("garbled-check", {}, timeout_seconds=5)
    assert not excinfo.value.transient


def test_an_unknown_function_is_not_found(lambdas: tuple[Any, dict[str, Behaviour]]) -> None:
    client, _ = lambdas
    with pytest.raises(FunctionInvocationFailed, match="ResourceNotFoundException") as excinfo:
        LambdaFunctionInvoker(client).invoke("nope", {}, timeout_seconds=5)
    assert not excinfo.value.transient
