"""Running Lambda handlers in this process, each with the environment its template entry gives it.

Lambda gives every function its own process and environment variables. Here all functions share one
process, so `os.environ` is replaced once by a mapping that reads a per-invocation overlay first (a context
variable, so concurrent invocations on different threads each see their own function's variables) and the
real process environment after.

Lambda answers concurrent requests with more execution environments, each taking one request at a time. Here a
function has a pool of instances, each its own load of the handler's module under its own name (every
function's module is `app.py`), so module-level state (a resolver's current request, cached clients) is never
shared by two invocations at once. A request takes an idle instance (warm), or loads a new one (a cold start)
while the function has fewer than its limit, or waits for one to come free: at most the function's timeout,
then it is throttled as Lambda throttles beyond a function's reserved concurrency. Every caller (the API
stand-in, Step Functions, EventBridge, S3 notifications, the seed) invokes through the same pools. Each
invocation runs in its own copy of the context: the API functions' resolver (`arbiter.api.rest.RestApi`) keeps
its request there, not in the class attributes powertools shares between resolvers.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "FunctionInstance",
    "FunctionSpec",
    "InstancePool",
    "InvocationError",
    "InvocationRecord",
    "LambdaContext",
    "LambdaRuntime",
    "install_environ_overlay",
]

#: Instances a function may have at once (Lambda's reserved concurrency, kept small: they share one process).
DEFAULT_INSTANCES_PER_FUNCTION = 8
#: Invocations kept for /health and the benches (the count of all of them is kept apart).
INVOCATION_LOG_SIZE = 10_000

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
    """One invocation, for /health and the benches."""

    function: str
    duration_ms: float
    errored: bool
    #: Whether it loaded a new instance (a cold start).
    cold: bool = False


@dataclass
class FunctionInstance:
    """One execution environment of a function: its own load of the handler's module."""

    spec: FunctionSpec
    number: int
    module: ModuleType
    handler: Callable[[Any, LambdaContext], Any]
    invocations: int = 0


class InstancePool:
    """A function's instances: each takes one invocation at a time; a new one (a cold start) is loaded when none
    is idle and fewer than `limit` exist, else the caller waits for one to come free, for at most `wait_s`."""

    def __init__(
        self, spec: FunctionSpec, load: Callable[[FunctionSpec, int], FunctionInstance], *, limit: int
    ) -> None:
        if limit < 1:
            raise ValueError("a function needs at least one instance")
        self.spec = spec
        self.limit = limit
        self._load = load
        self._idle: list[FunctionInstance] = []
        self._count = 0  # instances that exist or are being loaded
        self._loaded = 0  # instances ever loaded: numbers them
        self._busy = 0
        self._changed = threading.Condition()

    @property
    def size(self) -> int:
        """Instances that exist now (idle or busy)."""
        with self._changed:
            return self._count

    @property
    def busy(self) -> int:
        """Instances handling an invocation now."""
        with self._changed:
            return self._busy

    @contextlib.contextmanager
    def instance(self, *, wait_s: float) -> Iterator[FunctionInstance]:
        """An instance for one invocation, given back when the block ends."""
        instance = self._acquire(wait_s)
        try:
            yield instance
        except BaseException as exc:
            # An exception from the handler leaves the environment as it was (Lambda reuses it); anything else
            # (SystemExit, KeyboardInterrupt) ends it, as the runtime process would end.
            self._release(instance, keep=isinstance(exc, Exception))
            raise
        self._release(instance, keep=True)

    def _acquire(self, wait_s: float) -> FunctionInstance:
        deadline = time.monotonic() + wait_s
        with self._changed:
            while not self._idle and self._count >= self.limit:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    if self._idle or self._count < self.limit:
                        break
                    raise InvocationError(
                        {
                            "errorType": "TooManyRequestsException",
                            "errorMessage": f"Rate Exceeded: all {self.limit} instances of {self.spec.name} "
                            f"stayed busy for {wait_s:.0f}s",
                        }
                    )
            if self._idle:
                instance = self._idle.pop()  # the most recently used: the warmest
                self._busy += 1
                return instance
            self._count += 1
            self._loaded += 1
            number = self._loaded
        try:
            instance = self._load(self.spec, number)
        except BaseException:
            # A failed cold start leaves no instance behind: the next invocation tries again, as Lambda does.
            with self._changed:
                self._count -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._busy += 1
        return instance

    def _release(self, instance: FunctionInstance, *, keep: bool) -> None:
        with self._changed:
            self._busy -= 1
            if keep:
                self._idle.append(instance)
            else:
                self._count -= 1
            self._changed.notify()


class LambdaRuntime:
    """Loads and invokes the template's functions in this process, each through its pool of instances."""

    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        *,
        base_environment: Mapping[str, str],
        instances_per_function: int = DEFAULT_INSTANCES_PER_FUNCTION,
    ) -> None:
        self.functions = dict(functions)  # by function name
        self.base_environment = dict(base_environment)
        self.instances_per_function = instances_per_function
        #: The latest invocations (bounded: a long-running stack must not grow with its traffic).
        self.invocations: deque[InvocationRecord] = deque(maxlen=INVOCATION_LOG_SIZE)
        self._invocation_count = 0
        self._record_lock = threading.Lock()
        self._pools: dict[str, InstancePool] = {}
        self._pools_lock = threading.Lock()
        install_environ_overlay()

    @property
    def invocation_count(self) -> int:
        """Invocations since the start, all of them."""
        return self._invocation_count

    def invocations_since(self, count: int) -> list[InvocationRecord]:
        """The invocations after the first `count` (those still in the log)."""
        with self._record_lock:
            newer = self._invocation_count - count
            return list(self.invocations)[-newer:] if newer > 0 else []

    def instances(self) -> dict[str, int]:
        """How many instances each function that was invoked has now."""
        with self._pools_lock:
            return {name: pool.size for name, pool in self._pools.items()}

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

    def pool(self, spec: FunctionSpec) -> InstancePool:
        """The function's pool of instances (created with its first invocation)."""
        with self._pools_lock:
            pool = self._pools.get(spec.name)
            if pool is None:
                pool = InstancePool(spec, self._load, limit=self.instances_per_function)
                self._pools[spec.name] = pool
            return pool

    def _load(self, spec: FunctionSpec, number: int) -> FunctionInstance:
        """A cold start: the handler's module loaded afresh under a name of its own."""
        module_file, _, handler_name = spec.handler.rpartition(".")
        path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
        unique = f"arbiter_functions.{spec.logical_id}.{module_file}"
        if number > 1:
            unique += f"_{number}"
        module_spec = importlib.util.spec_from_file_location(unique, path)
        if module_spec is None or module_spec.loader is None:
            raise InvocationError({"errorType": "ImportModuleError", "errorMessage": f"cannot load {path}"})
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[unique] = module  # dataclasses and typing look a module up by name while it loads
        try:
            contextvars.copy_context().run(self._initialise, spec, module_spec.loader, module)
            handler = getattr(module, handler_name)
        except BaseException:
            sys.modules.pop(unique, None)
            raise
        return FunctionInstance(spec, number, module, handler)

    def _initialise(self, spec: FunctionSpec, loader: Any, module: ModuleType) -> None:
        with function_environment(self.environment_of(spec)):
            loader.exec_module(module)

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Invoke a function with `event`; returns its result or raises `InvocationError` with Lambda's payload."""
        spec = self.resolve(name_or_arn)
        started = time.perf_counter()
        errored = False
        cold = False
        try:
            with self.pool(spec).instance(wait_s=spec.timeout_s) as instance:
                cold = instance.invocations == 0
                instance.invocations += 1
                # Lambda hands the handler a fresh copy of the JSON payload, never a shared object.
                payload = json.loads(json.dumps(event))
                return contextvars.copy_context().run(self._call, spec, instance, payload)
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
            record = InvocationRecord(spec.name, (time.perf_counter() - started) * 1000, errored, cold)
            with self._record_lock:
                self.invocations.append(record)
                self._invocation_count += 1

    def _call(self, spec: FunctionSpec, instance: FunctionInstance, payload: Any) -> Any:
        with function_environment(self.environment_of(spec)):
            context = LambdaContext(spec.name, spec.arn, spec.memory_mb, spec.timeout_s)
            return instance.handler(payload, context)
