"""The HTTP functions' REST app: powertools' validating resolver, with Arbiter's edge and its error bodies.

`RestApi` is `APIGatewayRestResolver(enable_validation=True)` with three differences:

- **Request state belongs to the request.** powertools keeps the current event on a class attribute shared by
  every resolver in the process (`BaseRouter.current_event`) and the route context on the instance. Lambda runs
  one request per process at a time, so that is harmless there; anything that runs two requests in one process
  (the local stack, a test) would let one caller read another's headers. Here the event, the Lambda context and
  the route context live in a context variable set for the length of `resolve`.
- **The edge runs before validation.** Before a route's middlewares (powertools' request validation first
  among them), the caller is authenticated (`authenticate`, unless the path is public) and a JSON body is
  checked: its content type, its encoding (UTF-8), its syntax, its depth and its numbers. So an unknown caller
  learns nothing about the schema, and a malformed body is a 400 or a 415 naming the problem, never a 5xx.
- **Errors have one body.** `arbiter.api.errors` maps domain errors, validation errors and anything unexpected.
- **One origin.** Every answer allows the one origin browsers may call from (`allowed_origin`, the back office's),
  as API Gateway's preflight answer does; API Gateway does not add it to a proxy integration's answers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, ResponseBuilder, Route
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from arbiter.api.errors import register_error_handlers
from arbiter.domain.errors import BadRequest, UnsupportedMediaType

__all__ = ["MAX_JSON_DEPTH", "RestApi", "read_json"]

#: How deeply a JSON body may nest (objects and arrays); Arbiter's own bodies need fewer than 10 levels.
MAX_JSON_DEPTH = 64

Caller = TypeVar("Caller")


@dataclass
class _RequestState:
    event: BaseProxyEvent
    lambda_context: Any
    context: dict[str, Any]
    caller: Any = field(default=None)
    authenticated: bool = False


_request: ContextVar[_RequestState | None] = ContextVar("arbiter_api_request", default=None)


class RestApi(APIGatewayRestResolver, Generic[Caller]):
    """An API function's app: routes are declared on it at import, as powertools documents."""

    def __init__(
        self,
        *,
        authenticate: Callable[[BaseProxyEvent], Caller],
        public_paths: Collection[str] = (),
        ballerine_paths: Callable[[str], bool] | None = None,
        allowed_origin: Callable[[], str | None] | None = None,
    ) -> None:
        self._base_context: dict[str, Any] = {}
        #: Read at the first request (settings are never read at import); None or empty: no CORS header.
        self._allowed_origin = allowed_origin
        super().__init__(enable_validation=True, json_body_deserializer=read_json)
        self._authenticate = authenticate
        self._public_paths = frozenset(public_paths)
        if ballerine_paths is None:
            register_error_handlers(self)
        else:
            register_error_handlers(self, ballerine_paths=ballerine_paths)

    # -------------------------------------------------------------- request state, per request

    def _state(self) -> _RequestState:
        state = _request.get()
        if state is None:
            raise RuntimeError("no request is being resolved")
        return state

    @property  # type: ignore[override]
    def current_event(self) -> BaseProxyEvent:
        return self._state().event

    @current_event.setter
    def current_event(self, value: BaseProxyEvent) -> None:
        self._state().event = value

    @property
    def lambda_context(self) -> Any:
        return self._state().lambda_context

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._state().lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        state = _request.get()
        return self._base_context if state is None else state.context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        state = _request.get()
        if state is None:
            self._base_context = value
        else:
            state.context = value

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        """Answer one API Gateway proxy event; nothing of it outlives the call or is seen by another."""
        raw = _normalized(event.raw_event if isinstance(event, BaseProxyEvent) else event)
        state = _RequestState(self._to_proxy_event(raw), context, dict(self._base_context))
        token = _request.set(state)
        try:
            return self._allowing_origin(super().resolve(raw, context))
        finally:
            _request.reset(token)

    def _allowing_origin(self, response: dict[str, Any]) -> dict[str, Any]:
        origin = self._allowed_origin() if self._allowed_origin else None
        if origin:
            if isinstance(response.get("multiValueHeaders"), dict):
                response["multiValueHeaders"]["Access-Control-Allow-Origin"] = [origin]
            else:
                response.setdefault("headers", {})["Access-Control-Allow-Origin"] = origin
        return response

    def caller(self) -> Caller:
        """Who is calling (what `authenticate` returned for this request)."""
        state = self._state()
        if not state.authenticated:
            raise RuntimeError(f"{state.event.path} is public: it has no caller")
        return state.caller  # type: ignore[no-any-return]

    # -------------------------------------------------------------- the edge

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        try:
            self._admit(route)
        except Exception as exc:
            handled = self._call_exception_handler(exc, route)
            if handled is None:
                raise
            return handled
        return super()._call_route(route, route_arguments)

    def _admit(self, route: Route) -> None:
        """Who is calling, then whether the body can be read at all (before any validation reads it)."""
        state = self._state()
        if route.path not in self._public_paths:
            state.caller = self._authenticate(state.event)
            state.authenticated = True
        if route.body_field is not None:
            _check_json_body(state.event)


def _normalized(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type's media type in lower case (media types are case-insensitive;
    powertools compares them as written)."""
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key) or {}
        for name in headers:
            if name.lower() == "content-type":
                value = headers[name]
                fix = _lower_media_type
                headers[name] = [fix(v) for v in value] if isinstance(value, list) else fix(value)
    return event


def _lower_media_type(value: str) -> str:
    media_type, separator, parameters = value.partition(";")
    return media_type.strip().lower() + separator + parameters


def _check_json_body(event: BaseProxyEvent) -> None:
    """A route taking JSON: the content type is application/json (or absent) and the bytes are UTF-8 text."""
    content_type = (event.headers.get("content-type") or "").strip()
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type != "application/json":
        raise UnsupportedMediaType(
            f"this route takes application/json, not {media_type}", path="Content-Type"
        )
    body = event.body
    if not body:
        return
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("the body is marked base64 but is not valid base64", path="body") from exc
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(
                f"the body is not UTF-8 text: byte 0x{raw[exc.start]:02x} at position {exc.start}",
                path="body",
            ) from exc


def _refuse_constant(name: str) -> Any:
    raise BadRequest(f"the body is not valid JSON: {name} is not a JSON number", path="body")


def read_json(text: str) -> Any:
    """Parse a request body as JSON; BadRequest (400) naming the problem for anything JSON does not allow or
    that would take the parser down (nesting deeper than MAX_JSON_DEPTH, numbers over Python's digit limit)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path="body"
        ) from exc
    except RecursionError as exc:
        raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", path="body") from exc
    except ValueError as exc:  # int() refuses numbers over sys.get_int_max_str_digits() digits
        raise BadRequest(f"a number in the body is too long: {exc}", path="body") from exc
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    # Iterative, so that checking a deep body cannot itself exhaust the stack.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(f"the body nests deeper than {MAX_JSON_DEPTH} levels", path="body")
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
