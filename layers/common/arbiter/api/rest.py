"""The HTTP functions' REST app: powertools' validating resolver, built with the first request.

`APIGatewayRestResolver(enable_validation=True)` lives in `aws_lambda_powertools.event_handler`, and importing
any part of that package runs its `__init__`, which loads every resolver (AppSync, Bedrock, VPC Lattice…), every
event data class and the OpenAPI machinery: about a third of a cold start again on top of boto3. So the API
functions declare their routes on a `DeferredResolver` (or a `DeferredRouter`), which only records them; the
real resolver is created, given the error handlers of `arbiter.api.errors` and the recorded routes in their
order, the first time something asks it for more than a route (`resolve`, `current_event`,
`get_openapi_json_schema`…). Validation, the OpenAPI document and error bodies are powertools' own and unchanged;
the build's cost moves from the import to the first request of each cold start.

`Query`, `Header`, `Path` and `Body` make powertools' parameter markers when called, and `Response` is
powertools' `Response` on first use: with `from __future__ import annotations`, route annotations such as
`Annotated[int, Query(ge=1)]` or `Response[CaseView]` are evaluated when the resolver is built, not at import.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Router

__all__ = [
    "Body",
    "DeferredResolver",
    "DeferredRouter",
    "Header",
    "Path",
    "Query",
    "Response",
    "deferred_module",
    "rest_api",
]

_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class _Deferred:
    """Records route declarations until the first use of the real object, then hands everything to it."""

    def __init__(self) -> None:
        self._declarations: list[tuple[str, tuple[Any, ...], dict[str, Any], Any]] = []
        self._built: Any = None
        self._lock = threading.RLock()

    def _create(self) -> Any:
        raise NotImplementedError

    def _build(self) -> Any:
        built = self._built
        if built is None:
            with self._lock:  # the local stack may send a function's first requests concurrently
                if self._built is None:
                    real = self._create()
                    for method, args, kwargs, target in self._declarations:
                        _declare(real, method, args, kwargs, target)
                    self._declarations.clear()
                    self._built = real
                built = self._built
        return built

    @property
    def built(self) -> bool:
        """Whether the real resolver or router exists yet."""
        return self._built is not None

    def _declare(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], target: Any) -> None:
        with self._lock:
            if self._built is None:
                self._declarations.append((method, args, kwargs, target))
                return
        _declare(self._built, method, args, kwargs, target)

    def _decorator(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Decorator:
        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self._declare(method, args, kwargs, func)
            return func

        return register

    def route(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("route", args, kwargs)

    def get(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("get", args, kwargs)

    def post(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("post", args, kwargs)

    def put(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("put", args, kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("patch", args, kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("delete", args, kwargs)

    def head(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("head", args, kwargs)

    def exception_handler(self, *args: Any, **kwargs: Any) -> _Decorator:
        return self._decorator("exception_handler", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        # Anything but a declaration (current_event, context, resolve, append_context…) needs the real thing.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._build(), name)


def _declare(real: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any], target: Any) -> None:
    if method == "include_router":
        real.include_router(
            target._build() if isinstance(target, DeferredRouter) else target, *args, **kwargs
        )
    else:
        getattr(real, method)(*args, **kwargs)(target)


class DeferredRouter(_Deferred):
    """A powertools `Router` whose routes are recorded until the including resolver is built."""

    def _create(self) -> Router:
        from aws_lambda_powertools.event_handler.api_gateway import Router

        return Router()


class DeferredResolver(_Deferred):
    """`APIGatewayRestResolver(enable_validation=True)` with Arbiter's error handlers, built on first use."""

    def __init__(self, *, ballerine_paths: Callable[[str], bool] | None = None) -> None:
        super().__init__()
        self._ballerine_paths = ballerine_paths

    def _create(self) -> APIGatewayRestResolver:
        from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

        from arbiter.api.errors import register_error_handlers

        app = APIGatewayRestResolver(enable_validation=True)
        if self._ballerine_paths is None:
            register_error_handlers(app)
        else:
            register_error_handlers(app, ballerine_paths=self._ballerine_paths)
        return app

    def include_router(self, router: DeferredRouter | Router, prefix: str | None = None) -> None:
        """Add a router's routes (and context) after the routes declared so far, as powertools does."""
        self._declare("include_router", (prefix,), {}, router)


def rest_api(*, ballerine_paths: Callable[[str], bool] | None = None) -> DeferredResolver:
    """The app an API function declares its routes on; errors on `ballerine_paths` use Ballerine's body."""
    return DeferredResolver(ballerine_paths=ballerine_paths)


def Query(*args: Any, **kwargs: Any) -> Any:
    """powertools' `Query(...)` marker for a query-string parameter."""
    from aws_lambda_powertools.event_handler.openapi.params import Query

    return Query(*args, **kwargs)


def Header(*args: Any, **kwargs: Any) -> Any:
    """powertools' `Header(...)` marker for a request header."""
    from aws_lambda_powertools.event_handler.openapi.params import Header

    return Header(*args, **kwargs)


def Path(*args: Any, **kwargs: Any) -> Any:
    """powertools' `Path(...)` marker for a path parameter."""
    from aws_lambda_powertools.event_handler.openapi.params import Path

    return Path(*args, **kwargs)


def Body(*args: Any, **kwargs: Any) -> Any:
    """powertools' `Body(...)` marker for the request body."""
    from aws_lambda_powertools.event_handler.openapi.params import Body

    return Body(*args, **kwargs)


class _DeferredModule:
    """A module imported on first attribute access (the import lock makes concurrent first uses safe)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


def deferred_module(name: str) -> ModuleType:
    """`name`, imported the first time a route uses it: for services that only route bodies call."""
    return _DeferredModule(name)  # type: ignore[return-value]  # stands for the module


class _DeferredResponse:
    """Stands for powertools' `Response`: `Response(...)` builds one, `Response[Model]` is its generic alias."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from aws_lambda_powertools.event_handler import Response

        return Response(*args, **kwargs)

    def __getitem__(self, item: Any) -> Any:
        from aws_lambda_powertools.event_handler import Response

        return Response[item]


if not TYPE_CHECKING:
    Response = _DeferredResponse()
