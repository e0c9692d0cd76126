"""The custom Lambda plugin with an in-memory invoker: the payload it sends and the replies it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter.plugins import InvalidPluginConfig, PluginRegistry, run_checks, validate_configs
from arbiter.plugins.builtin import CustomLambdaPlugin, FunctionInvocationFailed
from tests.support.fakes import InMemoryInvoker, InMemorySecrets

ARN = "arn:aws:lambda:eu-west-1:123456789012:function:acme-risk-check:live"
CONTEXT = {
    "case_id": "c-3",
    "tenant_id": "t-1",
    "entity": {"type": "individual", "individual": {"first_name": "Ann"}},
    "documents": [{"type": "passport"}],
    "metadata": {"channel": "web"},
}


def run(invoker: InMemoryInvoker, **config: Any) -> Any:
    entry = {"plugin": "custom_lambda", "name": "in_house", "config": {"function": ARN, **config}}
    return run_checks(
        CONTEXT,
        [entry],
        registry=PluginRegistry([CustomLambdaPlugin(invoker)]),
        secrets=InMemorySecrets(),
        sleep=lambda _s: None,
    )["in_house"]


def test_the_payload_is_documented_and_the_reply_is_the_result() -> None:
    reply = {
        "status": "ok",
        "data": {"score": 12},
        "flags": [{"code": "young_account", "severity": "low", "message": "New."}],
        "plugin_version": "acme-2.1",
    }
    invoker = InMemoryInvoker({ARN: lambda payload: reply})
    result = run(invoker, config={"threshold": 3})
    assert invoker.calls == [
        (ARN, {"plugin": "custom_lambda", "config": {"threshold": 3}, "context": CONTEXT})
    ]
    assert result.status == "ok"
    assert result.data == {"score": 12}
    assert result.flags[0].code == "young_account"
    assert result.plugin_version == "acme-2.1"


def test_documents_can_be_left_out() -> None:
    invoker = InMemoryInvoker({ARN: lambda payload: {"status": "skipped", "data": {"reason": "n/a"}}})
    assert run(invoker, include_documents=False).status == "skipped"
    assert "documents" not in invoker.calls[0][1]["context"]
    assert run(invoker).plugin_version == "1.0.0"


@pytest.mark.parametrize(
    "reply",
    [
        None,
        "ok",
        {"status": "fine"},
        {"status": "ok", "extra": 1},
        {"status": "error"},
        {"status": "ok", "flags": [{"code": "x"}]},
    ],
)
def test_replies_that_are_not_plugin_results_fail_the_check(reply: Any) -> None:
    result = run(InMemoryInvoker({ARN: lambda payload: reply}))
    assert result.status == "error"
    assert "is not a PluginResult" in (result.error or "")
    assert result.flags[-1].code == "check_failed"


def test_transient_invocation_failures_are_retried() -> None:
    calls: list[int] = []

    def function(payload: dict[str, Any]) -> Any:
        calls.append(1)
        if len(calls) < 3:
            raise FunctionInvocationFailed(ARN, "TooManyRequestsException", transient=True)
        return {"status": "ok"}

    assert run(InMemoryInvoker({ARN: function})).status == "ok"
    assert len(calls) == 3


def test_missing_functions_fail_without_retry() -> None:
    invoker = InMemoryInvoker({})
    result = run(invoker)
    assert "ResourceNotFoundException" in (result.error or "")
    assert len(invoker.calls) == 1


@pytest.mark.parametrize(
    "function",
    [
        "acme-check",
        "acme-check:3",
        "123456789012:function:acme-check",
        ARN,
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:x",
    ],
)
def test_function_names_and_arns_are_accepted(function: str) -> None:
    validate_configs(
        [{"plugin": "custom_lambda", "config": {"function": function}}],
        PluginRegistry([CustomLambdaPlugin(InMemoryInvoker())]),
    )


def test_other_function_strings_are_refused() -> None:
    with pytest.raises(InvalidPluginConfig, match=r"plugins\[0\].config.function"):
        validate_configs(
            [{"plugin": "custom_lambda", "config": {"function": "arn:aws:s3:::bucket"}}],
            PluginRegistry([CustomLambdaPlugin(InMemoryInvoker())]),
        )
