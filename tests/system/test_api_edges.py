"""The edges of every API, over HTTP: bodies that are not what a route takes are a 4xx naming the problem, an
unknown caller learns nothing about the schema, and nothing is stored by a refused request."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import httpx
import pytest

PERSON = {"type": "individual", "id": "edge-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}

#: (who calls, path) for every route that takes a JSON body; {case} is a real case of the tenant.
JSON_ROUTES = [
    ("key", "/v1/cases"),
    ("key", "/v1/cases/{case}/events"),
    ("key", "/v1/cases/{case}/documents"),
    ("key", "/api/v1/external/workflows/run"),
    ("key", "/api/v1/external/workflows/{case}/event"),
    ("key", "/api/v1/external/workflows/{case}/send-event"),
    ("key", "/v1/webhooks"),
    ("reviewer", "/v1/review/cases/{case}/decision"),
    ("reviewer", "/v1/review/cases/{case}/notes"),
    ("reviewer", "/v1/review/cases/{case}/assign"),
    ("admin", "/v1/admin/rule-sets"),
    ("admin", "/v1/admin/rule-sets/dry-run"),
]


@pytest.fixture(scope="module")
def edge(stack: Any) -> dict[str, Any]:
    """One tenant for the module: its clients and a case in review to address."""
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants
    from tests.support.reviewers import sign_in
    from tests.support.tenants import TenantFixture  # the suite's fixtures, built once for this module
    from tests.waiting import wait_for

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenant_id = f"t-edge-{os.urandom(3).hex()}"
    tenants.create_tenant(repository, tenant_id, "Edges")
    key = tenants.issue_api_key(repository, tenant_id, label="edges")
    fixture = TenantFixture(id=tenant_id, api_key=key, stack=stack)
    api = fixture.api()
    case_id = api.post("/v1/cases", json={"workflow": "kyc", "entity": PERSON}).json()["id"]
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="a case in review"
    )
    tokens = {role: sign_in(stack, tenant_id, role) for role in ("reviewer", "admin")}
    return {"tenant": fixture, "case": case_id, "tokens": tokens}


def send(
    edge: dict[str, Any], who: str, path: str, content: bytes, content_type: str | None
) -> httpx.Response:
    """POST raw bytes as `who` (the tenant's key, a reviewer's or an admin's token, or nobody)."""
    headers = {"Content-Type": content_type} if content_type else {}
    if who == "key":
        headers["Authorization"] = f"Bearer {edge['tenant'].api_key}"
    elif who in edge["tokens"]:
        headers["Authorization"] = f"Bearer {edge['tokens'][who]}"
    url = edge["tenant"].stack.api_url + path.format(case=edge["case"])
    return httpx.post(url, content=content, headers=headers, timeout=30)


def case_count(edge: dict[str, Any]) -> int:
    api = edge["tenant"].api()
    return len(api.get("/v1/cases", params={"limit": 100}).json()["items"])


def no_internals(response: httpx.Response) -> None:
    text = response.text
    for leak in ("errorType", "Traceback", "stackTrace", ".py\\", "UnicodeDecodeError", "ValueError"):
        assert leak not in text, f"{leak} in {text}"


@pytest.mark.parametrize(("who", "path"), JSON_ROUTES)
def test_a_body_that_is_not_utf8_is_a_400_naming_it(edge, who, path):
    before = case_count(edge)
    response = send(edge, who, path, b"\xff\x43", "application/json")
    assert response.status_code == 400, response.text
    assert "UTF-8" in response.json()["message"]
    no_internals(response)
    assert case_count(edge) == before


@pytest.mark.parametrize(("who", "path"), JSON_ROUTES)
@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "text/plain", "application/x-www-form-urlencoded"]
)
def test_a_json_route_answers_another_content_type_with_415(edge, who, path, content_type):
    response = send(edge, who, path, b"name=x", content_type)
    assert response.status_code == 415, response.text
    assert content_type in response.json()["message"]
    no_internals(response)


@pytest.mark.parametrize(("who", "path"), JSON_ROUTES)
def test_an_unknown_caller_with_an_empty_object_is_401_and_learns_no_schema(edge, who, path):
    response = send(edge, "nobody", path, b"{}", "application/json")
    assert response.status_code == 401, response.text
    assert "errors" not in response.json()
    assert "detail" not in response.json()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (
            b'{"workflow": "kyc", "entity": {"type": "individual"}, "metadata": {"n": ' + b"7" * 5000 + b"}}",
            "too long",
        ),
        (
            b'{"workflow": "kyc", "entity": {"type": "individual"}, "metadata": '
            + b"[" * 400
            + b"]" * 400
            + b"}",
            "deeper",
        ),
        (b'{"workflow": "kyc", "metadata": {"x": NaN}}', "NaN"),
        (b'{"workflow": "kyc",', "not valid JSON"),
    ],
)
def test_bodies_that_would_take_the_parser_down_are_400s_and_store_nothing(edge, content, words):
    before = case_count(edge)
    response = send(edge, "key", "/v1/cases", content, "application/json")
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
    no_internals(response)
    assert case_count(edge) == before


def test_metadata_too_large_to_keep_is_a_422_naming_it_and_stores_nothing(edge):
    before = case_count(edge)
    noise = base64.b64encode(os.urandom(400_000)).decode()  # incompressible
    body = {"workflow": "kyc", "entity": {**PERSON, "id": "edge-big"}, "metadata": {"blob": noise}}
    response = send(edge, "key", "/v1/cases", json.dumps(body).encode(), "application/json")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["path"] == "metadata"
    assert "KB" in response.json()["message"]
    assert case_count(edge) == before


def test_a_ballerine_context_too_large_to_store_is_a_413_and_stores_nothing(edge):
    before = case_count(edge)
    noise = base64.b64encode(os.urandom(600_000)).decode()
    body = {
        "workflowId": "kyc",
        "context": {
            "entity": {"type": "individual", "id": "edge-ballerine", "data": {"firstName": "A"}},
            "blob": noise,
        },
    }
    response = send(
        edge, "key", "/api/v1/external/workflows/run", json.dumps(body).encode(), "application/json"
    )
    assert response.status_code == 413, response.text
    assert response.json()["statusCode"] == 413  # Ballerine's error body on Ballerine's routes
    assert "too large" in response.json()["message"]
    no_internals(response)
    assert case_count(edge) == before


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("multipart/form-data", 400),
        ("application/json", 415),
        ("multipart/form-data; boundary=nothing-here", 400),
    ],
)
def test_the_storage_upload_refuses_what_is_not_a_multipart_form_with_a_4xx(edge, content_type, status):
    response = send(edge, "key", "/api/v1/external/storage", b"--x\r\n\r\nnot a form", content_type)
    assert response.status_code == status, response.text
    assert response.json()["statusCode"] == status
    no_internals(response)
