"""The API functions' app: powertools' validating resolver behind Arbiter's edge, with one error body."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Mapping
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.rest import MAX_JSON_DEPTH, RestApi
from arbiter.domain.errors import InvalidInput, NotFound, TooManyRequests, Unauthenticated


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(default=1, ge=1, le=3)


class GreetingView(BaseModel):
    text: str


def authenticate(event: Any) -> str:
    """A caller named by its bearer token (tests only: any token but 'forged' is somebody)."""
    value = event.headers.get("authorization") or ""
    token = value.removeprefix("Bearer ").strip()
    if not token or token == "forged":
        raise Unauthenticated("sign in first")
    return token


def make_app(gate: threading.Barrier | None = None, origin: str | None = None) -> RestApi[str]:
    app: RestApi[str] = RestApi(
        authenticate=authenticate,
        public_paths=("/v1/public",),
        ballerine_paths=lambda p: p.startswith("/compat/"),
        allowed_origin=lambda: origin,
    )
    router = Router()

    @app.get("/v1/greetings", summary="List greetings")
    def list_greetings(
        limit: Annotated[int, Query(ge=1, le=10)] = 5,
        language: Annotated[str | None, Header(alias="Accept-Language")] = None,
    ) -> dict[str, Any]:
        return {"limit": limit, "language": language, "caller": app.caller()}

    @app.post("/v1/greetings", summary="Make a greeting", responses={201: {"description": "Made"}})
    def make_greeting(body: Greeting) -> Response[GreetingView]:
        view = GreetingView(text=" ".join([f"hello {body.name}"] * body.times))
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)

    @app.get("/v1/greetings/<greeting_id>", summary="A greeting")
    def get_greeting(greeting_id: Annotated[str, Path(max_length=5)]) -> GreetingView:
        if greeting_id == "gone":
            raise NotFound("no such greeting", greeting_id=greeting_id)
        if greeting_id == "oops":
            raise KeyError("a defect")
        if greeting_id == "busy":
            raise TooManyRequests("slow down", retry_after=7)
        return GreetingView(text=greeting_id)

    @app.get("/v1/public")
    def public() -> dict[str, Any]:
        return {"public": True}

    @app.get("/v1/whoami")
    def whoami() -> dict[str, Any]:
        if gate is not None:
            gate.wait(timeout=10)  # every request is in flight at once before any reads its state
        return {
            "caller": app.caller(),
            "path": app.current_event.path,
            "request": app.current_event.request_context.request_id,
        }

    @router.post("/compat/echo", summary="Echo (compatibility)")
    def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        if "bad" in payload:
            raise InvalidInput("bad is not allowed", path="bad")
        return {"echo": payload, "path": router.current_event.path, "caller": app.caller()}

    app.include_router(router)
    return app


def event(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: Mapping[str, str] | None = None,
    token: str | None = "ada",
    content_type: str | None = "application/json",
    raw: bytes | None = None,
    request_id: str = "r-1",
) -> dict[str, Any]:
    """An API Gateway REST proxy event; `raw` bytes are sent base64-encoded, as API Gateway sends bytes."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    text = json.dumps(body) if body is not None else None
    if raw is not None:
        text = base64.b64encode(raw).decode("ascii")
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "requestContext": {"stage": "v1", "path": path, "httpMethod": method, "requestId": request_id},
        "body": text,
        "isBase64Encoded": raw is not None,
    }


def call(app: RestApi[str], *args: Any, **kwargs: Any) -> tuple[int, Any]:
    result = app.resolve(event(*args, **kwargs), None)
    return int(result["statusCode"]), json.loads(result["body"]) if result["body"] else None


@pytest.fixture
def app() -> RestApi[str]:
    return make_app()


def test_routes_answer_with_their_caller(app):
    assert call(app, "GET", "/v1/greetings", query={"limit": "3"}) == (
        200,
        {"limit": 3, "language": None, "caller": "ada"},
    )
    assert call(app, "POST", "/v1/greetings", {"name": "Ada", "times": 2}) == (
        201,
        {"text": "hello Ada hello Ada"},
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "field"),
    [
        ("POST", "/v1/greetings", {"times": 1}, None, "name"),
        ("POST", "/v1/greetings", {"name": "Ada", "times": 9}, None, "times"),
        ("GET", "/v1/greetings", None, {"limit": "11"}, "limit"),
        ("GET", "/v1/greetings/toolong", None, None, "greeting_id"),
    ],
)
def test_a_request_that_fails_validation_gets_422_naming_the_field(app, method, path, body, query, field):
    status, answer = call(app, method, path, body, query=query)
    assert status == 422
    assert answer["error"] == "ValidationError"
    assert [e["path"] for e in answer["errors"]] == [field]
    assert answer["message"].startswith(f"{field}: ")


def test_domain_errors_keep_their_status_and_body(app):
    status, answer = call(app, "GET", "/v1/greetings/gone")
    assert status == 404
    assert answer == {"error": "NotFound", "message": "no such greeting", "greeting_id": "gone"}


def test_errors_on_ballerine_paths_use_ballerines_body(app):
    status, answer = call(app, "POST", "/compat/echo", {"bad": True})
    assert status == 422
    assert answer["statusCode"] == 422
    assert answer["path"] == "/compat/echo"
    assert answer["errors"] == [{"path": "bad", "message": "bad is not allowed"}]


@pytest.mark.parametrize(
    "path", ["/v1/greetings/a/b", "/v1/greetings/\x08bell", "/v1/greetings/a?b", "/v1/nothing-here"]
)
def test_a_path_no_route_matches_is_a_404_with_the_error_body(app, path):
    status, body = call(app, "GET", path)
    assert status == 404
    assert body["error"] == "NotFound"
    assert path in body["message"]


def test_a_path_no_route_matches_on_a_ballerine_prefix_gets_ballerines_404(app):
    status, body = call(app, "DELETE", "/compat/echo")
    assert status == 404
    assert (body["statusCode"], body["path"]) == (404, "/compat/echo")


def test_routes_of_an_included_router_see_the_request_and_the_caller(app):
    assert call(app, "POST", "/compat/echo", {"a": 1}) == (
        200,
        {"echo": {"a": 1}, "path": "/compat/echo", "caller": "ada"},
    )


@pytest.mark.parametrize("token", [None, "forged"])
def test_an_unknown_caller_is_refused_before_the_body_is_read(app, token):
    # The body is invalid in every way, but an unknown caller learns nothing of the schema.
    status, answer = call(app, "POST", "/v1/greetings", {"nothing": "valid"}, token=token)
    assert (status, answer["error"]) == (401, "Unauthenticated")
    status, answer = call(app, "POST", "/v1/greetings", token=token, raw=b"\xff\x43")
    assert status == 401


def test_a_public_path_needs_no_caller_and_has_none(app):
    assert call(app, "GET", "/v1/public", token=None) == (200, {"public": True})


def test_a_body_that_is_not_utf8_is_a_400_naming_the_byte(app):
    status, answer = call(app, "POST", "/v1/greetings", raw=b"\xff\x43")
    assert status == 400
    assert answer["error"] == "BadRequest"
    assert answer["path"] == "body"
    assert "not UTF-8" in answer["message"]
    assert "0xff at position 0" in answer["message"]


def test_a_body_marked_base64_that_is_not_is_a_400(app):
    request = event("POST", "/v1/greetings", {"name": "Ada"})
    request["isBase64Encoded"] = True
    request["body"] = "not base64 at all!"
    result = app.resolve(request, None)
    assert result["statusCode"] == 400
    assert "not valid base64" in json.loads(result["body"])["message"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data", "multipart/form-data; boundary=x", "application/xml"],
)
def test_a_json_route_refuses_other_content_types_with_415(app, content_type):
    status, answer = call(app, "POST", "/v1/greetings", {"name": "Ada"}, content_type=content_type)
    assert status == 415
    assert answer["error"] == "UnsupportedMediaType"
    assert answer["path"] == "Content-Type"
    assert content_type.split(";")[0] in answer["message"]


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8", "Application/JSON"])
def test_json_and_no_content_type_are_read_as_json(app, content_type):
    assert call(app, "POST", "/v1/greetings", {"name": "Ada"}, content_type=content_type)[0] == 201


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"name": "Ada",', "not valid JSON"),
        (b'{"name": "Ada", "times": ' + b"9" * 5000 + b"}", "number in the body is too long"),
        (b'{"name": "Ada", "times": NaN}', "NaN is not a JSON number"),
        (b'{"name": "Ada", "x": ' + b"[" * 400 + b"]" * 400 + b"}", f"deeper than {MAX_JSON_DEPTH}"),
        (b'{"name": "Ada", "x": ' + b"[" * 100 + b"]" * 100 + b"}", f"deeper than {MAX_JSON_DEPTH}"),
        (
            b'{"name": "Ada", "x": ' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}",
            f"deeper than {MAX_JSON_DEPTH}",
        ),
    ],
)
def test_bodies_json_does_not_allow_or_the_parser_cannot_take_are_400s(app, raw, words):
    status, answer = call(app, "POST", "/v1/greetings", raw=raw)
    assert status == 400, answer
    assert answer["error"] == "BadRequest"
    assert words in answer["message"]


def test_nesting_up_to_the_limit_is_read(app):
    nested: Any = 1
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    status, _ = call(app, "POST", "/compat/echo", {"x": nested})
    assert status == 200


def test_an_unexpected_error_is_a_500_with_the_request_id_and_no_internals(app):
    status, answer = call(app, "GET", "/v1/greetings/oops", request_id="req-42")
    assert status == 500
    assert answer == {
        "error": "InternalError",
        "message": "the request could not be completed (request id req-42)",
        "request_id": "req-42",
    }


def test_the_openapi_document_lists_the_routes(app):
    paths = json.loads(app.get_openapi_json_schema(title="Greetings", version="1.0.0"))["paths"]
    assert set(paths) == {
        "/v1/greetings",
        "/v1/greetings/{greeting_id}",
        "/v1/public",
        "/v1/whoami",
        "/compat/echo",
    }
    assert "201" in paths["/v1/greetings"]["post"]["responses"]


def test_requests_in_flight_at_once_never_see_each_others_state():
    # Two apps (two functions in one process) and two requests on one of them, all in flight together.
    gate = threading.Barrier(3)
    first, second = make_app(gate), make_app(gate)
    answers: dict[str, Any] = {}

    def send(name: str, target: RestApi[str], token: str) -> None:
        answers[name] = call(target, "GET", "/v1/whoami", token=token, request_id=f"id-{name}")

    threads = [
        threading.Thread(target=send, args=("a", first, "ada")),
        threading.Thread(target=send, args=("b", second, "grace")),
        threading.Thread(target=send, args=("c", first, "linus")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert answers == {
        "a": (200, {"caller": "ada", "path": "/v1/whoami", "request": "id-a"}),
        "b": (200, {"caller": "grace", "path": "/v1/whoami", "request": "id-b"}),
        "c": (200, {"caller": "linus", "path": "/v1/whoami", "request": "id-c"}),
    }


def test_the_caller_of_a_public_route_is_a_defect_not_a_guess(app):
    @app.get("/v1/public-caller")
    def public_caller() -> dict[str, Any]:
        return {"caller": app.caller()}

    app._public_paths = frozenset({"/v1/public", "/v1/public-caller"})
    status, answer = call(app, "GET", "/v1/public-caller", token=None)
    assert (status, answer["error"]) == (500, "InternalError")


def test_too_many_requests_is_a_429_with_retry_after(app):
    result = app.resolve(event("GET", "/v1/greetings/busy"), None)
    assert int(result["statusCode"]) == 429
    assert result["multiValueHeaders"]["Retry-After"] == ["7"]
    assert json.loads(result["body"]) == {
        "error": "TooManyRequests",
        "message": "slow down",
        "retry_after": 7,
    }


def allowed_origin_of(result: dict[str, Any]) -> list[str] | None:
    return (result.get("multiValueHeaders") or {}).get("Access-Control-Allow-Origin")


@pytest.mark.parametrize(
    ("method", "path", "token"),
    [
        ("GET", "/v1/greetings", "ada"),  # an answer
        ("GET", "/v1/greetings/gone", "ada"),  # a domain error
        ("GET", "/v1/greetings/oops", "ada"),  # a defect
        ("GET", "/v1/greetings", None),  # an unknown caller
        ("GET", "/v1/nowhere", "ada"),  # no such route
    ],
)
def test_every_answer_allows_the_back_offices_origin_and_no_other(method, path, token):
    app = make_app(origin="https://backoffice.example")
    result = app.resolve(event(method, path, token=token), None)
    assert allowed_origin_of(result) == ["https://backoffice.example"]


def test_no_origin_configured_allows_none():
    for origin in (None, ""):
        app = make_app(origin=origin)
        assert allowed_origin_of(app.resolve(event("GET", "/v1/greetings"), None)) is None


def test_an_unexpected_error_logs_where_it_happened_never_the_credentials(app, caplog):
    token = "eyJ-a-bearer-token-never-logged"
    with caplog.at_level(logging.DEBUG):
        result = app.resolve(
            event("GET", "/v1/greetings/oops", token=token, query={"q": "query-never-logged"}), None
        )
    assert result["statusCode"] == 500
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    text = caplog.text + (record.exc_text or "") + "".join(str(a) for a in record.args or ())
    assert record.getMessage() == "unhandled error in GET /v1/greetings/oops"
    assert token not in text
    assert "query-never-logged" not in text
