"""Running Lambda handlers in this process, each with the environment its template entry gives it.

Lambda gives every function its own process and environment variables. Here all functions share one
process, so `os.environ` is replaced once by a mapping that reads a per-invocation overlay first (a context
variable, so concurrent invocations on different threads each see their own function's variables) and the
real process environment after. Each handler module is loaded under its own name (every function's module is
`app.py`) the first time it is invoked: a cold start, then warm invocations reuse it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["FunctionSpec", "InvocationError", "LambdaContext", "LambdaRuntime", "install_environ_overlay"]

_overlay: ContextVar[dict[str, str] | None] = ContextVar("arbiter_local_environ_overlay", default=None)


class _LayeredEnviron(MutableMapping[str, str]):
    """`os.environ` stand-in: the current invocation's variables over the process's own."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self._base = base

    def _layer(self) -> dict[str, str] | None:
        return _overlay.get()

    def __getitem__(self, key: str) -> str:
        layer = self._layer()
        if layer is not None and key in layer:
            return layer[key]
        return self._base[key]

    def __setitem__(self, key: str, value: str) -> None:
        layer = self._layer()
        if layer is not None:
            layer[key] = value
        else:
            self._base[key] = value

    def __delitem__(self, key: str) -> None:
        layer = self._layer()
        if layer is not None and key in layer:
            del layer[key]
        else:
            del self._base[key]

    def __iter__(self) -> Iterator[str]:
        layer = self._layer() or {}
        yield from layer
        yield from (k for k in self._base if k not in layer)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        """A plain dict of what the current invocation sees."""
        return dict(self)


def install_environ_overlay() -> None:
    """Replace `os.environ` with the layered mapping (idempotent)."""
    if not isinstance(os.environ, _LayeredEnviron):
        os.environ = _LayeredEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003 - layered on purpose


@contextlib.contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the block with `variables` visible in `os.environ` on this thread only."""
    token = _overlay.set(dict(variables))
    try:
        yield
    finally:
        _overlay.reset(token)


@dataclass(frozen=True)
class FunctionSpec:
    """What the template says about one function."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    runtime: str  # the template's Runtime, e.g. python3.13
    memory_mb: int = 128
    timeout_s: int = 3
    #: FilterCriteria patterns of its DynamoDB stream sources: Lambda invokes only for matching records.
    stream_filters: tuple[str, ...] = ()


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class InvocationError(Exception):
    """A handler raised: carries Lambda's error payload (errorType is what Step Functions matches)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage", ""))
        self.payload = payload


@dataclass
class InvocationRecord:
    """One invocation, for /health and the cost benchmark."""

    function: str
    duration_ms: float
    errored: bool


class LambdaRuntime:
    """Loads and invokes the template's functions in this process."""

    def __init__(self, functions: Mapping[str, FunctionSpec], *, base_environment: Mapping[str, str]) -> None:
        self.functions = dict(functions)  # by function name
        self.base_environment = dict(base_environment)
        self.invocations: list[InvocationRecord] = []
        self._modules: dict[str, ModuleType] = {}
        self._load_lock = threading.Lock()
        install_environ_overlay()

    def by_logical_id(self, logical_id: str) -> FunctionSpec:
        """The function the template calls `logical_id`."""
        for spec in self.functions.values():
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id)

    def resolve(self, name_or_arn: str) -> FunctionSpec:
        """A function by name, ARN (qualified or not) or logical id."""
        name = (
            name_or_arn.split(":function:")[-1].split(":")[0] if ":function:" in name_or_arn else name_or_arn
        )
        if name in self.functions:
            return self.functions[name]
        return self.by_logical_id(name)

    def environment_of(self, spec: FunctionSpec) -> dict[str, str]:
        """The variables a function sees: Lambda's own, the local endpoints, then the template's."""
        return {
            **self.base_environment,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            **spec.environment,
        }

    def _module(self, spec: FunctionSpec) -> ModuleType:
        with self._load_lock:
            module = self._modules.get(spec.name)
            if module is None:
                module_file, _, _ = spec.handler.rpartition(".")
                path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
                unique = f"arbiter_functions.{spec.logical_id}.{module_file}"
                module_spec = importlib.util.spec_from_file_location(unique, path)
                if module_spec is None or module_spec.loader is None:
                    raise InvocationError(
                        {"errorType": "ImportModuleError", "errorMessage": f"cannot load {path}"}
                    )
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[unique] = module
                with function_environment(self.environment_of(spec)):
                    module_spec.loader.exec_module(module)
                self._modules[spec.name] = module
            return module

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Invoke a function with `event`; returns its result or raises `InvocationError` with Lambda's payload."""
        spec = self.resolve(name_or_arn)
        started = time.perf_counter()
        errored = False
        try:
            with function_environment(self.environment_of(spec)):
                module = self._module(spec)
                handler = getattr(module, spec.handler.rpartition(".")[2])
                context = LambdaContext(spec.name, spec.arn, spec.memory_mb, spec.timeout_s)
                # Lambda hands the handler a fresh copy of the JSON payload, never a shared object.
                return handler(json.loads(json.dumps(event)), context)
        except InvocationError:
            errored = True
            raise
        except Exception as exc:
            errored = True
            raise InvocationError(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc),
                }
            ) from exc
        finally:
            self.invocations.append(
                InvocationRecord(spec.name, (time.perf_counter() - started) * 1000, errored)
            )
