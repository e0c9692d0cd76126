"""The API functions' deferred REST app: routes recorded at import, powertools' resolver built on first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path as FilePath
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.rest import (
    Body,
    DeferredResolver,
    DeferredRouter,
    Header,
    Path,
    Query,
    Response,
    deferred_module,
    rest_api,
)
from arbiter.domain.errors import InvalidInput, NotFound

ROOT = FilePath(__file__).resolve().parents[3]


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(default=1, ge=1, le=3)


class GreetingView(BaseModel):
    text: str


def declare_routes(app: Any, router: Any) -> None:
    """The same routes on any app and router, deferred or not, so that their answers can be compared."""

    @app.get("/v1/greetings", summary="List greetings")
    def list_greetings(
        limit: Annotated[int, Query(ge=1, le=10)] = 5,
        language: Annotated[str | None, Header(alias="Accept-Language")] = None,
    ) -> dict[str, Any]:
        return {"limit": limit, "language": language}

    @app.post("/v1/greetings", summary="Make a greeting", responses={201: {"description": "Made"}})
    def make_greeting(body: Greeting) -> Response[GreetingView]:
        view = GreetingView(text=" ".join([f"hello {body.name}"] * body.times))
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)

    @app.get("/v1/greetings/<greeting_id>", summary="A greeting")
    def get_greeting(greeting_id: Annotated[str, Path(max_length=5)]) -> GreetingView:
        if greeting_id == "gone":
            raise NotFound("no such greeting", greeting_id=greeting_id)
        return GreetingView(text=greeting_id)

    @router.post("/compat/echo", summary="Echo (compatibility)")
    def echo(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        if "bad" in payload:
            raise InvalidInput("bad is not allowed", path="bad")
        return {"echo": payload, "path": router.current_event.path, "tag": router.context.get("tag")}

    app.include_router(router)


def is_compat(path: str) -> bool:
    return path.startswith("/compat/")


def event(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST proxy event."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "requestContext": {"stage": "v1", "path": path, "httpMethod": method, "requestId": "r-1"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def call(app: Any, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    result = app.resolve(event(*args, **kwargs), None)
    return int(result["statusCode"]), json.loads(result["body"]) if result["body"] else None


@pytest.fixture
def deferred() -> DeferredResolver:
    app = rest_api(ballerine_paths=is_compat)
    declare_routes(app, DeferredRouter())
    return app


def test_declaring_routes_builds_nothing_and_the_first_request_is_answered(deferred):
    assert not deferred.built
    assert call(deferred, "GET", "/v1/greetings", query={"limit": "3"}) == (
        200,
        {"limit": 3, "language": None},
    )
    assert deferred.built
    assert call(deferred, "POST", "/v1/greetings", {"name": "Ada", "times": 2}) == (
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
def test_a_first_request_that_fails_validation_gets_422_naming_the_field(
    deferred, method, path, body, query, field
):
    status, answer = call(deferred, method, path, body, query)
    assert status == 422
    assert answer["error"] == "ValidationError"
    assert [e["path"] for e in answer["errors"]] == [field]
    assert answer["message"].startswith(f"{field}: ")


def test_domain_errors_keep_their_status_and_body(deferred):
    status, answer = call(deferred, "GET", "/v1/greetings/gone")
    assert status == 404
    assert answer["error"] == "NotFound"
    assert answer["message"] == "no such greeting"
    assert answer["greeting_id"] == "gone"


def test_routes_of_an_included_router_see_the_request_and_the_context(deferred):
    deferred.append_context(tag="first")  # builds the resolver, as the reviewers' function does per request
    assert call(deferred, "POST", "/compat/echo", {"a": 1}) == (
        200,
        {"echo": {"a": 1}, "path": "/compat/echo", "tag": "first"},
    )


def test_errors_on_ballerine_paths_use_ballerines_body(deferred):
    status, answer = call(deferred, "POST", "/compat/echo", {"bad": True})
    assert status == 422
    assert answer["statusCode"] == 422
    assert answer["path"] == "/compat/echo"
    assert answer["errors"] == [{"path": "bad", "message": "bad is not allowed"}]


def test_the_openapi_document_is_the_one_an_eager_resolver_gives():
    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Router

    from arbiter.api.errors import register_error_handlers

    eager = APIGatewayRestResolver(enable_validation=True)
    register_error_handlers(eager, ballerine_paths=is_compat)
    declare_routes(eager, Router())
    deferred = rest_api(ballerine_paths=is_compat)
    declare_routes(deferred, DeferredRouter())
    assert not deferred.built

    document = deferred.get_openapi_json_schema(title="Greetings", version="1.0.0")
    assert document == eager.get_openapi_json_schema(title="Greetings", version="1.0.0")
    paths = json.loads(document)["paths"]
    assert set(paths) == {"/v1/greetings", "/v1/greetings/{greeting_id}", "/compat/echo"}
    assert "201" in paths["/v1/greetings"]["post"]["responses"]


def test_routes_declared_after_the_build_are_served(deferred):
    call(deferred, "GET", "/v1/greetings")

    @deferred.get("/v1/late")
    def late() -> dict[str, Any]:
        return {"late": True}

    assert call(deferred, "GET", "/v1/late") == (200, {"late": True})


def test_concurrent_first_uses_build_one_resolver(deferred):
    start = threading.Barrier(8)
    seen: list[int] = []

    def first_use() -> None:
        start.wait(timeout=10)
        seen.append(id(deferred.context))  # any attribute but a declaration builds the resolver

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8
    assert len(set(seen)) == 1
    assert call(deferred, "GET", "/v1/greetings") == (200, {"limit": 5, "language": None})


def test_special_names_are_not_delegated_so_introspection_builds_nothing(deferred):
    # copy, pickle, inspect and friends probe for dunder names; they must not build the resolver.
    with pytest.raises(AttributeError):
        _ = deferred.__wrapped__
    assert not deferred.built


def test_a_deferred_module_is_imported_by_its_first_use(tmp_path, monkeypatch):
    (tmp_path / "cold_start_probe.py").write_text("VALUE = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cold_start_probe", raising=False)
    probe = deferred_module("cold_start_probe")
    assert "cold_start_probe" not in sys.modules
    assert repr(probe) == "<deferred module 'cold_start_probe'>"
    assert probe.VALUE == 42
    assert "cold_start_probe" in sys.modules
    with pytest.raises(AttributeError, match="MISSING"):
        _ = probe.MISSING
    monkeypatch.delitem(sys.modules, "cold_start_probe")


@pytest.mark.parametrize("function", ["run_workflow", "review_actions", "webhooks"])
def test_importing_an_api_function_leaves_powertools_event_handler_unloaded(function):
    """Its package import costs about a third of a cold start; it loads with the first request instead."""
    probe = (
        "import sys, app\n"
        "assert callable(app.handler)\n"
        "print([m for m in sys.modules if m.startswith('aws_lambda_powertools.event_handler')])\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "common")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
