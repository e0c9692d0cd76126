"""Custom Lambda: a check the operator writes as their own Lambda function, invoked with a documented payload.

Arbiter sends `{"plugin": "custom_lambda", "config": <config.config>, "context": <the case context>}` and
expects a `PluginResult`-shaped JSON reply (`status`, `data`, `flags`, `error`, `plugin_version`); anything
else fails the check. Throttling, service errors and unhandled errors in the function are retried.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import Field, JsonValue, ValidationError

from arbiter.domain.errors import ArbiterError
from arbiter.plugins.contract import (
    CaseContext,
    CheckError,
    Plugin,
    PluginConfig,
    PluginResult,
    TransientCheckError,
)
from arbiter.plugins.policy import RetryPolicy, RunPolicy

# A function name, a partial ARN or a full ARN, optionally with a version or alias.
_FUNCTION = (
    r"^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?"
    r"[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$"
)


class FunctionInvocationFailed(ArbiterError):
    """The function could not be invoked or did not answer; `transient` when a retry may help."""

    kind = "upstream"

    def __init__(self, function: str, reason: str, *, transient: bool) -> None:
        super().__init__(f"invoking {function} failed: {reason}", function=function, reason=reason)
        self.transient = transient


class FunctionInvoker(Protocol):
    """Invokes a function synchronously and returns its decoded JSON reply."""

    def invoke(self, function: str, payload: dict[str, Any], *, timeout_seconds: float) -> Any:
        """The function's reply; `FunctionInvocationFailed` when there is none."""
        ...


class CustomLambdaConfig(PluginConfig):
    function: str = Field(pattern=_FUNCTION, description="Function name or ARN (with version or alias)")
    #: Passed to the function as `config`.
    config: dict[str, JsonValue] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    #: Leave the case's documents out of the payload (Lambda's request limit is 6 MB).
    include_documents: bool = True


class CustomLambdaPlugin(Plugin[CustomLambdaConfig]):
    """Runs an operator-owned Lambda function as a check."""

    name = "custom_lambda"
    version = "1.0.0"
    Config = CustomLambdaConfig
    description = "Invokes an operator-owned Lambda function with the case and uses its PluginResult reply."

    def __init__(self, invoker: FunctionInvoker) -> None:
        self._invoker = invoker

    def policy(self, config: CustomLambdaConfig) -> RunPolicy:
        return RunPolicy(timeout_seconds=config.timeout_seconds + 5, retry=config.retry)

    def run(self, context: CaseContext, config: CustomLambdaConfig) -> PluginResult:
        case = context if config.include_documents else {k: v for k, v in context.items() if k != "documents"}
        payload = {"plugin": self.name, "config": config.config, "context": case}
        try:
            reply = self._invoker.invoke(config.function, payload, timeout_seconds=config.timeout_seconds)
        except FunctionInvocationFailed as e:
            raise (TransientCheckError if e.transient else CheckError)(e.message) from e
        try:
            result = PluginResult.model_validate(reply)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "reply"
            raise CheckError(
                f"the reply of {config.function} is not a PluginResult ({where}: {first['msg']})"
            ) from e
        # The function's own version is kept when it gives one; the runner measures the duration.
        return result.model_copy(update={"duration_ms": 0})
