"""In-memory fakes of the ports the plugins use (secrets, function invocation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arbiter.secrets import SecretUnavailable, parse_reference


class InMemorySecrets:
    """A `SecretResolver` over a dict of reference → value; counts reads."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})
        self.reads: list[str] = []

    def resolve(self, reference: str) -> str:
        parse_reference(reference)
        self.reads.append(reference)
        if reference not in self.values:
            raise SecretUnavailable(reference, "ResourceNotFoundException")
        return self.values[reference]


class InMemoryInvoker:
    """A `FunctionInvoker` whose functions are Python callables keyed by ARN or name."""

    def __init__(self, functions: dict[str, Callable[[dict[str, Any]], Any]] | None = None) -> None:
        self.functions = dict(functions or {})
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function: str, payload: dict[str, Any], *, timeout_seconds: float) -> Any:
        from arbiter.plugins.builtin.custom_lambda import FunctionInvocationFailed

        self.calls.append((function, payload))
        if function not in self.functions:
            raise FunctionInvocationFailed(function, "ResourceNotFoundException", transient=False)
        return self.functions[function](payload)
