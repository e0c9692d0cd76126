"""Domain errors mapped to HTTP, in one place, with one error body.

Arbiter's body: `{"error": <class name>, "message": <sentence>, "path"?: <field>, ...context}`.
Ballerine-compatible routes answer with Ballerine's body instead (see `ballerine_body`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from arbiter.domain.errors import ArbiterError, TooManyRequests

__all__ = ["STATUS_BY_KIND", "ballerine_body", "field_path", "register_error_handlers", "status_of"]

STATUS_BY_KIND = {
    "invalid": HTTPStatus.UNPROCESSABLE_ENTITY,
    "not_found": HTTPStatus.NOT_FOUND,
    "conflict": HTTPStatus.CONFLICT,
    "forbidden": HTTPStatus.FORBIDDEN,
    "unauthenticated": HTTPStatus.UNAUTHORIZED,
    "bad_request": HTTPStatus.BAD_REQUEST,
    "unsupported_media_type": HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    "too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "too_many_requests": HTTPStatus.TOO_MANY_REQUESTS,
}

logger = Logger()


def status_of(error: ArbiterError) -> int:
    """The HTTP status for a domain error (500 for a kind nobody mapped)."""
    return int(STATUS_BY_KIND.get(error.kind, HTTPStatus.INTERNAL_SERVER_ERROR))


def field_path(location: Sequence[Any]) -> str:
    """('body', 'documents', 0, 'type') -> 'documents[0].type'; ('query', 'limit') -> 'limit'."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        message = str(error.get("msg", error.get("type", "invalid")))
        # pydantic prefixes custom validator messages; the field path already says where.
        message = message.removeprefix("Value error, ")
        errors.append(
            {"path": field_path(error.get("loc", ())), "message": message, "type": error.get("type")}
        )
    return errors


def ballerine_body(
    status: int, message: str, path: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Ballerine's error shape: {statusCode, message, timestamp, path, errors?}."""
    body: dict[str, Any] = {
        "statusCode": status,
        "message": message,
        "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "path": path,
    }
    if errors:
        body["errors"] = errors
    return body


def register_error_handlers(
    app: APIGatewayRestResolver, *, ballerine_paths: Callable[[str], bool] = lambda _path: False
) -> None:
    """Install the handlers that turn domain and validation errors into 4xx responses."""

    def reply(
        status: int,
        body: dict[str, Any],
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        path = app.current_event.path
        if ballerine_paths(path):
            body = ballerine_body(status, message, path, errors)
        return Response(
            status_code=status,
            content_type=content_types.APPLICATION_JSON,
            body=json.dumps(body),
            headers=headers,
        )

    @app.exception_handler(ArbiterError)
    def _domain(exc: ArbiterError) -> Response:
        status = status_of(exc)
        extra = [{"path": exc.context["path"], "message": exc.message}] if "path" in exc.context else None
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return reply(status, exc.to_dict(), exc.message, extra, headers)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: RequestUnsupportedContentType) -> Response:
        content_type = app.current_event.headers.get("content-type") or ""
        message = f"this route does not take {content_type.split(';')[0].strip() or 'that content type'}"
        body = {"error": "UnsupportedMediaType", "message": message, "path": "Content-Type"}
        return reply(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE, body, message, [{"path": "Content-Type", "message": message}]
        )

    @app.exception_handler(NotFoundError)
    def _no_route(exc: NotFoundError) -> Response:
        # powertools looks up a handler for NotFoundError when no route matches (an id with a slash or a control
        # character in it, a method a path does not take): without this one, the catch-all below would make it a 500.
        event = app.current_event
        message = f"no such resource: {event.http_method} {event.path}"
        return reply(HTTPStatus.NOT_FOUND, {"error": "NotFound", "message": message}, message)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Anything not mapped above is a defect: logged with its stack, answered without internals.
        logger.exception("unhandled error in %s %s", app.current_event.http_method, app.current_event.path)
        request_id = app.current_event.request_context.request_id
        message = f"the request could not be completed (request id {request_id})"
        body = {"error": "InternalError", "message": message, "request_id": request_id}
        return reply(HTTPStatus.INTERNAL_SERVER_ERROR, body, message)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
        body = {"error": "ValidationError", "message": summary, "errors": errors}
        return reply(HTTPStatus.UNPROCESSABLE_ENTITY, body, summary, errors)
