"""The API Gateway stand-in: HTTP in, REST API proxy events to the routed handler, HTTP out.

Routing follows API Gateway's REST rules for the routes the template declares: at each path segment a literal
beats a `{param}`, which beats a greedy `{proxy+}`; an exact method beats ANY. An unknown route answers as API
Gateway does (403, "Missing Authentication Token"). Everything that is not an API route is a static site: the
collection site under `/collect/` (`collection/dist`), the back office everywhere else (`backoffice/dist`), each
with the single-page app's fallback to index.html; plus `/health`, `/config.json` (also `/collect/config.json`) and `/mail` (the e-mail sent, mailbox.py).

Before a route's function, as API Gateway does: its Lambda authorizer (authorizers.py), then, when the route
requires an API key, the usage plan of the key (usage_plans.py); a refusal is the gateway response of its type
(gateway_responses.py), as the template shapes it.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import mimetypes
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from arbiter_local.authorizers import AuthorizerRefusal, Authorizers, LambdaAuthorizer, method_arn
from arbiter_local.gateway_responses import GatewayResponses
from arbiter_local.mailbox import mailbox_page, sent_mail
from arbiter_local.provision import ACCOUNT_ID, REGION, Route
from arbiter_local.runtime import InvocationError, LambdaRuntime
from arbiter_local.usage_plans import UsagePlans

log = logging.getLogger("arbiter_local")

__all__ = ["Gateway", "RouteMatch", "match_route"]

#: Where the collection site is served (the links the API builds point here unless COLLECTION_SITE_URL is set).
COLLECTION_PATH = "/collect/"
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
    """A WSGI application: the API routes of the template, the two sites, /health and /config.json."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        routes: list[Route],
        *,
        stage: str,
        site_dir: Path,
        health: Callable[[], dict[str, Any]],
        site_config: Callable[[], dict[str, Any]],
        collection_dir: Path | None = None,
        binary_media_types: list[str] | None = None,
        cors_headers: dict[str, str] | None = None,
        api_id: str = "local",
        authorizers: Mapping[str, LambdaAuthorizer] | None = None,
        usage_plans: UsagePlans | None = None,
        gateway_responses: GatewayResponses | None = None,
        api_key_source: str = "HEADER",
    ) -> None:
        self.runtime = runtime
        self.routes = routes
        self.stage = stage
        self.site_dir = site_dir
        self.health = health
        self.site_config = site_config
        self.collection_dir = collection_dir
        self.binary_media_types = binary_media_types or []
        self.cors_headers = cors_headers or {}
        self.api_id = api_id
        self.authorizers = Authorizers(authorizers or {}, self._call)
        self.usage_plans = usage_plans
        self.responses = gateway_responses or GatewayResponses()
        self.api_key_source = api_key_source

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
        if path == "/mail.json":
            return _json(200, sent_mail(), cache="no-store")
        if path == "/mail":
            return Response(
                mailbox_page(sent_mail()), mimetype="text/html", headers={"Cache-Control": "no-store"}
            )
        if path in ("/config.json", f"{COLLECTION_PATH}config.json"):
            return _json(200, self.site_config(), cache="no-store")
        if request.method == "OPTIONS" and any(_match(r.path, path) for r in self.routes):
            return Response(status=204, headers=self.cors_headers)
        matched = match_route(self.routes, request.method, path)
        if matched is not None:
            return self._invoke(request, path, matched)
        if path.startswith(("/v1/", "/api/")):
            return self._refuse("MISSING_AUTHENTICATION_TOKEN", request, path, resource=path)
        if self.collection_dir is not None and path == COLLECTION_PATH.rstrip("/"):
            return Response(status=308, headers={"Location": COLLECTION_PATH})  # its assets are relative
        if self.collection_dir is not None and path.startswith(COLLECTION_PATH):
            return _static(self.collection_dir, path[len(COLLECTION_PATH) :])
        return _static(self.site_dir, path)

    def _own_answer(self, response: Response) -> Response:
        """An answer of the gateway itself (not of a function): it allows the API's origin, as the template's
        GatewayResponses make API Gateway's DEFAULT_4XX and DEFAULT_5XX do."""
        origin = self.cors_headers.get("Access-Control-Allow-Origin")
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    def _invoke(self, request: Request, path: str, matched: RouteMatch) -> Response:
        body = request.get_data(cache=False)
        if len(body) > MAX_PAYLOAD_BYTES:
            return self._refuse("REQUEST_TOO_LARGE", request, path, resource=matched.route.path)
        event = self._event(request, path, matched, body)
        route = matched.route
        usage_key = request.headers.get("X-API-Key") if self.api_key_source == "HEADER" else None
        if route.authorizer is not None:
            arn = method_arn(REGION, ACCOUNT_ID, self.api_id, self.stage, request.method, path)
            try:
                verdict = self.authorizers.authorize(route.authorizer, event, arn)
            except AuthorizerRefusal as refusal:
                return self._refuse(
                    refusal.response_type,
                    request,
                    path,
                    resource=route.path,
                    message=refusal.message,
                    authorizer=refusal.context,
                )
            event["requestContext"]["authorizer"] = verdict.request_context()
            if self.api_key_source == "AUTHORIZER":
                usage_key = verdict.usage_identifier_key
        if route.api_key_required:
            refused = self.usage_plans.admit(usage_key) if self.usage_plans else "INVALID_API_KEY"
            if refused is not None:
                return self._refuse(refused, request, path, resource=route.path)
        try:
            result = self._call(route.function, event)
        except InvocationError as failed:
            # What API Gateway answers when the integration fails; the function's error goes to the log, as
            # Lambda writes it to the function's log group.
            log.warning(
                "%s %s: %s failed: %s: %s\n%s",
                request.method,
                path,
                route.function,
                failed.payload.get("errorType"),
                failed.payload.get("errorMessage"),
                "".join(failed.payload.get("stackTrace") or []),
            )
            return self._own_answer(_json(502, {"message": "Internal server error"}))
        if not isinstance(result, dict) or "statusCode" not in result:
            return self._own_answer(_json(502, {"message": "Internal server error"}))  # a malformed answer
        return _response(result)

    def _call(self, function: str, event: dict[str, Any]) -> Any:
        """Invoke a function: concurrent requests run side by side, each on an instance of its own
        (runtime.InstancePool), as Lambda runs them in separate execution environments."""
        return self.runtime.invoke(function, event)

    def _refuse(
        self,
        response_type: str,
        request: Request,
        path: str,
        *,
        resource: str,
        message: str | None = None,
        authorizer: Mapping[str, str] | None = None,
    ) -> Response:
        """API Gateway's own answer of `response_type` (as the template's gateway responses shape it); `resource`
        is the route's template (`$context.resourcePath`), or the path when no route matched."""
        return self.responses.respond(
            response_type,
            message=message,
            request_context={
                "path": f"/{self.stage}{path}",
                "resourcePath": resource,
                "httpMethod": request.method,
                "stage": self.stage,
                "requestId": str(uuid.uuid4()),
                "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                "identity": {"sourceIp": request.remote_addr or "127.0.0.1"},
            },
            request_headers=dict(request.headers.items()),
            authorizer=authorizer,
        )

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
                "accountId": ACCOUNT_ID,
                "apiId": self.api_id,
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


def _static(site_dir: Path, path: str) -> Response:
    """A file of a built single-page site, or its index.html for the app's own routes."""
    if not (site_dir / "index.html").is_file():
        return Response(_PLACEHOLDER_PAGE, status=200, mimetype="text/html")
    candidate = (site_dir / path.lstrip("/")).resolve()
    if site_dir.resolve() not in candidate.parents or not candidate.is_file():
        candidate = site_dir / "index.html"  # client-side routes
    mime = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
    cache = "no-cache" if candidate.name == "index.html" else "public, max-age=31536000, immutable"
    return Response(candidate.read_bytes(), mimetype=mime, headers={"Cache-Control": cache})


def _response(result: Any) -> Response:
    """A Lambda proxy result as an HTTP response; a malformed one is a 502, as API Gateway answers."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return _json(502, {"message": "Internal server error"})
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
<li><a href="/mail">Mail sent to applicants (moto's SES)</a></li>
</ul>
</body></html>
"""
