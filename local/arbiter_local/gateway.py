"""The API Gateway stand-in: HTTP in, REST API proxy events to the routed handler, HTTP out.

Routing follows API Gateway's REST rules for the routes the template declares: at each path segment a literal
beats a `{param}`, which beats a greedy `{proxy+}`; an exact method beats ANY. An unknown route answers as API
Gateway does (403, "Missing Authentication Token"). Everything that is not an API route is the back office
(`backoffice/dist`, with the single-page app's fallback to index.html), plus `/health` and `/config.json`.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import mimetypes
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from arbiter_local.provision import Route
from arbiter_local.runtime import InvocationError, LambdaRuntime

__all__ = ["Gateway", "RouteMatch", "match_route"]

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload limit


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s] if path.strip("/") else []


def _match(template: str, path: str) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """A precedence key (higher wins) and the path parameters, or None when `path` does not fit."""
    expected, actual = _segments(template), _segments(path)
    rank: list[int] = []
    params: dict[str, str] = {}
    for index, segment in enumerate(expected):
        if segment.startswith("{") and segment.endswith("+}"):
            if index >= len(actual):
                return None
            params[segment[1:-2]] = "/".join(actual[index:])
            rank.append(0)
            return tuple(rank), params
        if index >= len(actual):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            params[segment[1:-1]] = unquote(actual[index])
            rank.append(1)
        elif segment == actual[index]:
            rank.append(2)
        else:
            return None
    if len(actual) != len(expected):
        return None
    return tuple(rank), params


def match_route(routes: list[Route], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway would pick for `method path`."""
    best: tuple[tuple[tuple[int, ...], int], RouteMatch] | None = None
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        matched = _match(route.path, path)
        if matched is None:
            continue
        rank, params = matched
        key = (rank, 1 if route.method == method else 0)
        if best is None or key > best[0]:
            best = (key, RouteMatch(route, params))
    return best[1] if best else None


class Gateway:
    """A WSGI application: the API routes of the template, the back office, /health and /config.json."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        routes: list[Route],
        *,
        stage: str,
        site_dir: Path,
        health: Callable[[], dict[str, Any]],
        site_config: Callable[[], dict[str, Any]],
        binary_media_types: list[str] | None = None,
        cors_headers: dict[str, str] | None = None,
    ) -> None:
        self.runtime = runtime
        self.routes = routes
        self.stage = stage
        self.site_dir = site_dir
        self.health = health
        self.site_config = site_config
        self.binary_media_types = binary_media_types or []
        self.cors_headers = cors_headers or {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Answer one HTTP request."""
        path = request.path
        if path.startswith(f"/{self.stage}/"):
            path = path[len(self.stage) + 1 :]
        if path == "/health":
            return _json(200, self.health())
        if path == "/config.json":
            return _json(200, self.site_config(), cache="no-store")
        if request.method == "OPTIONS" and any(_match(r.path, path) for r in self.routes):
            return Response(status=204, headers=self.cors_headers)
        matched = match_route(self.routes, request.method, path)
        if matched is not None:
            return self._invoke(request, path, matched)
        if path.startswith(("/v1/", "/api/")):
            return _json(403, {"message": "Missing Authentication Token"})
        return self._site(path)

    def _invoke(self, request: Request, path: str, matched: RouteMatch) -> Response:
        body = request.get_data(cache=False)
        if len(body) > MAX_PAYLOAD_BYTES:
            return _json(413, {"message": "Request Too Long"})
        event = self._event(request, path, matched, body)
        try:
            # Concurrent requests run side by side, each on an instance of its own (runtime.InstancePool).
            result = self.runtime.invoke(matched.route.function, event)
        except InvocationError as exc:
            # What API Gateway answers when the integration fails.
            return _json(502, {"message": "Internal server error", "errorType": exc.payload.get("errorType")})
        return _response(result)

    def _event(self, request: Request, path: str, matched: RouteMatch, body: bytes) -> dict[str, Any]:
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        query = {k: request.args.getlist(k)[-1] for k in request.args}
        multi_query = {k: request.args.getlist(k) for k in request.args}
        is_binary = self._is_binary(request.headers.get("Content-Type", ""))
        text: str | None = None
        if body:
            if is_binary:
                text = base64.b64encode(body).decode("ascii")
            else:
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    text, is_binary = base64.b64encode(body).decode("ascii"), True
        now = time.time()
        return {
            "resource": matched.route.path,
            "path": path,
            "httpMethod": request.method,
            "headers": headers or None,
            "multiValueHeaders": multi_headers or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": matched.path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": matched.route.path,
                "httpMethod": request.method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": str(uuid.uuid4()),
                "extendedRequestId": str(uuid.uuid4()),
                "accountId": "123456789012",
                "apiId": "local",
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "domainName": request.host,
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "requestTimeEpoch": int(now * 1000),
                "identity": {
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.user_agent.string,
                },
            },
            "body": text,
            "isBase64Encoded": bool(text) and is_binary,
        }

    def _is_binary(self, content_type: str) -> bool:
        media_type = content_type.split(";")[0].strip().lower()
        return any(
            fnmatch.fnmatch(media_type, pattern.replace("~1", "/")) for pattern in self.binary_media_types
        )

    def _site(self, path: str) -> Response:
        if not (self.site_dir / "index.html").is_file():
            return Response(_PLACEHOLDER_PAGE, status=200, mimetype="text/html")
        candidate = (self.site_dir / path.lstrip("/")).resolve()
        if self.site_dir.resolve() not in candidate.parents or not candidate.is_file():
            candidate = self.site_dir / "index.html"  # client-side routes
        mime = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
        cache = "no-cache" if candidate.name == "index.html" else "public, max-age=31536000, immutable"
        return Response(candidate.read_bytes(), mimetype=mime, headers={"Cache-Control": cache})


def _response(result: Any) -> Response:
    """A Lambda proxy result as an HTTP response; a malformed one is a 502, as API Gateway answers."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return _json(502, {"message": "Internal server error", "detail": "malformed Lambda proxy response"})
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.remove(name)
        for value in values:
            headers.add(name, str(value))
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return Response(payload, status=int(result["statusCode"]), headers=headers)


def _json(status: int, body: Any, cache: str | None = None) -> Response:
    headers = {"Cache-Control": cache} if cache else {}
    return Response(json.dumps(body, indent=2), status=status, mimetype="application/json", headers=headers)


_PLACEHOLDER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Arbiter (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;line-height:1.5;color:#1f2933}</style>
</head><body>
<h1>Arbiter is running locally</h1>
<p>The back office has not been built yet. Meanwhile:</p>
<ul>
<li><a href="/v1/openapi.json">API documentation (OpenAPI)</a></li>
<li><a href="/health">Health: the resources provisioned from template.yaml</a></li>
</ul>
</body></html>
"""
