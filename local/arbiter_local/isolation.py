"""Request state that powertools keeps process-wide, kept per invocation instead.

In Lambda every execution environment is a process of its own, so process-wide state is one request's state.
Here every function, and every instance of a function, shares one process, and powertools' REST resolver keeps
the request it is handling where all of them see it:

- `BaseRouter.current_event` and `BaseRouter.lambda_context` are class attributes, set by `resolve()` (powertools
  3.x, `event_handler/api_gateway.py`, `resolve`). A route that reads `app.current_event` while another
  function's request is being resolved reads that other request: its headers, its caller.
- A `Router` that several resolvers include (a module-level router of the common layer, included by every
  instance of the function that uses it) delegates its request state to the resolver that included it last
  (`include_router` sets `router.api_resolver`), so its routes read another instance's `context`.

Installed once per process (`install`), this keeps both per invocation, in context variables: each invocation
runs in its own copy of the context (`LambdaRuntime.invoke`), so it sees its own event, its own Lambda context
and, through a shared router, the resolver that is resolving its own request.
"""

from __future__ import annotations

import threading
import weakref
from abc import ABCMeta
from contextvars import ContextVar
from typing import Any

__all__ = ["install"]

_current_event: ContextVar[Any] = ContextVar("powertools_current_event", default=None)
_lambda_context: ContextVar[Any] = ContextVar("powertools_lambda_context", default=None)
_resolving: ContextVar[Any] = ContextVar("powertools_resolving", default=None)

_installed = False
_install_lock = threading.Lock()


class _PerInvocation:
    """A data descriptor whose value is one context variable's: set and read per invocation."""

    def __init__(self, variable: ContextVar[Any]) -> None:
        self.variable = variable

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self.variable.get()

    def __set__(self, instance: Any, value: Any) -> None:
        self.variable.set(value)


class _RouterMeta(ABCMeta):
    """`BaseRouter`'s metaclass here: `BaseRouter.current_event = …` (a class attribute assignment, which no
    descriptor of the class itself can intercept) sets this invocation's value."""

    current_event = _PerInvocation(_current_event)
    lambda_context = _PerInvocation(_lambda_context)


class _IncludingResolver:
    """`Router.api_resolver`: the resolver resolving this invocation's request when it included the router, else
    the one that included it last (powertools' own behaviour)."""

    def __get__(self, router: Any, owner: type | None = None) -> Any:
        if router is None:
            return self
        state = router.__dict__
        current = _resolving.get()
        includers = state.get("_local_includers")
        if current is not None and includers is not None and current in includers:
            return current
        return state.get("_local_api_resolver", state.get("api_resolver"))

    def __set__(self, router: Any, resolver: Any) -> None:
        router.__dict__["_local_api_resolver"] = resolver
        if resolver is not None:
            router.__dict__.setdefault("_local_includers", weakref.WeakSet()).add(resolver)


def install() -> None:
    """Make powertools' REST request state per invocation (idempotent; for the life of the process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from aws_lambda_powertools.event_handler import api_gateway

        base = api_gateway.BaseRouter
        # Instance reads and writes (resolvers read `self.current_event`) go through descriptors on the class,
        # class-level ones through the metaclass: the descriptors go in first, the metaclass would take them.
        base.current_event = _PerInvocation(_current_event)  # type: ignore[assignment]
        base.lambda_context = _PerInvocation(_lambda_context)  # type: ignore[assignment]
        base.__class__ = _RouterMeta
        api_gateway.Router.api_resolver = _IncludingResolver()  # type: ignore[assignment]

        original = api_gateway.ApiGatewayResolver.resolve

        def resolve(self: Any, event: Any, context: Any) -> Any:
            token = _resolving.set(self)
            try:
                return original(self, event, context)
            finally:
                _resolving.reset(token)

        resolve.__wrapped__ = original  # type: ignore[attr-defined]
        api_gateway.ApiGatewayResolver.resolve = resolve  # type: ignore[method-assign]
        _installed = True
