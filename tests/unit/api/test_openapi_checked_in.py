"""The API functions' OpenAPI documents: checked in as built, and complete enough to generate clients and fuzz."""

from __future__ import annotations

import json
from typing import Any

import pytest

from arbiter_local.openapi_documents import DOCUMENTS, PROJECT_ROOT, ApiDocument, render

METHODS = ("get", "put", "post", "patch", "delete")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


@pytest.fixture(scope="module", params=DOCUMENTS, ids=lambda d: d.function)
def api(request: pytest.FixtureRequest) -> tuple[ApiDocument, dict[str, Any]]:
    return request.param, json.loads(render(request.param))


def test_the_checked_in_document_is_what_the_function_builds(api):
    document, built = api
    checked_in = json.loads((PROJECT_ROOT / document.checked_in).read_text(encoding="utf-8"))
    assert checked_in == built, f"{document.checked_in} is stale: run `make openapi`"


def test_every_operation_has_an_id_a_summary_and_a_tag(api):
    _, built = api
    ids = [operation["operationId"] for _, _, operation in operations(built)]
    assert len(ids) == len(set(ids))
    for method, path, operation in operations(built):
        assert operation["operationId"][0].islower(), (method, path)  # camelCase, not powertools' default
        assert "_" not in operation["operationId"], (method, path)
        assert not operation["summary"].startswith(method.upper()), (method, path)  # not powertools' default
        assert operation.get("tags"), (method, path)


def test_every_success_has_a_real_schema(api):
    """No bare `{}` or free-form object where a route returns something: the response models are documented (a CSV
    export is a string of text/csv)."""
    _, built = api
    for method, path, operation in operations(built):
        for status, response in operation["responses"].items():
            if status == "204":
                assert "content" not in response
                continue
            if "text/csv" in response["content"]:  # an export: a file, documented as such
                assert response["content"] == {"text/csv": {"schema": {"type": "string"}}}, (method, path)
                continue
            schema = response["content"]["application/json"]["schema"]
            assert "$ref" in schema, (method, path, status, schema)


def test_every_error_has_arbiters_body_and_ballerine_routes_ballerines(api):
    _, built = api
    for method, path, operation in operations(built):
        expected = "BallerineError" if path.startswith("/api/v1/external/") else "Error"
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert {"401", "422", "500"} <= set(errors), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(errors), (method, path)
        for response in errors.values():
            assert response["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{expected}"
            }
    # powertools' own validation error shape, which the API never sends
    assert "HTTPValidationError" not in built["components"]["schemas"]


def test_security_schemes_are_declared_and_required(api):
    document, built = api
    schemes = built["components"]["securitySchemes"]
    # A scheme some operations declare as their own (the collection token) is not required of the others.
    own = {
        name
        for operations in built["paths"].values()
        for operation in operations.values()
        for requirement in operation.get("security", [])
        for name in requirement
    }
    assert built["security"] == [{name: []} for name in schemes if name not in own]
    if document.function == "run_workflow":
        collection = [
            operation["security"]
            for path, operations in built["paths"].items()
            if path.startswith("/v1/collection/")
            for operation in operations.values()
        ]
        assert collection
        assert all(s == [{"collectionToken": []}] for s in collection)
    if document.function == "review_actions":
        assert schemes["cognitoIdToken"]["bearerFormat"] == "JWT"
    else:
        assert schemes["apiKeyHeader"] == {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "The API key",
        }


def test_the_serving_paths_are_not_documented_operations(api):
    document, built = api
    for path in document.served_at:
        assert path not in built["paths"]
