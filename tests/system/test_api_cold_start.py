"""Each API function, imported in a fresh interpreter as a Lambda cold start does, answers its first requests.

These tests run the import and the first requests in a new process, with the environment the template gives the
function, against the local stack, and check what the caller gets — and that the import itself created no AWS
client (clients belong to the first request that needs them, not to every cold start).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from arbiter_local.stack import PROJECT_ROOT

pytestmark = pytest.mark.slow  # a new interpreter per function, as Lambda starts one

FIRST_REQUESTS = """
import json, sys
import botocore.session

created = []
create_client = botocore.session.Session.create_client

def recording(self, service_name, *args, **kwargs):
    created.append(service_name)
    return create_client(self, service_name, *args, **kwargs)

botocore.session.Session.create_client = recording
import app

cold = list(created)
from arbiter_local.runtime import LambdaContext

spec = json.loads(sys.argv[1])
answers = []
for event in spec["events"]:
    result = app.handler(event, LambdaContext(spec["name"], spec["arn"], 256, 30))
    answers.append({"status": int(result["statusCode"]), "body": json.loads(result["body"] or "null")})
print(json.dumps({"cold": cold, "answers": answers}))
"""


AUTHORIZER_REQUESTS = """
import json, sys
import botocore.session

created = []
create_client = botocore.session.Session.create_client

def recording(self, service_name, *args, **kwargs):
    created.append(service_name)
    return create_client(self, service_name, *args, **kwargs)

botocore.session.Session.create_client = recording
import app

cold = list(created)
from arbiter_local.runtime import LambdaContext

spec = json.loads(sys.argv[1])
answers = []
for event in spec["events"]:
    try:
        answers.append(app.handler(event, LambdaContext(spec["name"], spec["arn"], 256, 10)))
    except Exception as exc:
        answers.append({"error": str(exc)})
print(json.dumps({"cold": cold, "answers": answers}))
"""


def proxy_event(method: str, path: str, token: str, body: Any = None) -> dict[str, Any]:
    """An API Gateway REST proxy event, as the gateway stand-in makes them."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"stage": "v1", "path": f"/v1{path}", "httpMethod": method, "requestId": "cold-1"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def first_requests(
    stack: Any, logical_id: str, events: list[dict[str, Any]], script: str = FIRST_REQUESTS
) -> dict[str, Any]:
    """Import the function in a new interpreter and send it `events`; what it answered."""
    spec = stack.runtime.by_logical_id(logical_id)
    path = [spec.code_dir, PROJECT_ROOT / "layers" / "common", PROJECT_ROOT / "local"]
    env = {
        **dict(os.environ),
        **stack.runtime.environment_of(spec),
        "PYTHONPATH": os.pathsep.join(str(p) for p in path),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    argument = json.dumps({"name": spec.name, "arn": spec.arn, "events": events})
    out = subprocess.run(
        [sys.executable, "-c", script, argument],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["cold"] == [], "the import created AWS clients: they belong to the first request"
    return result


def test_the_integrator_api_answers_its_first_requests(stack, tenant):
    events = [
        proxy_event("GET", "/v1/workflows", tenant.api_key),
        proxy_event("POST", "/v1/cases", tenant.api_key, {"workflow": "kyc", "entity": {"type": "robot"}}),
        proxy_event("GET", "/v1/cases/missing-case", tenant.api_key),
        proxy_event("GET", "/v1/workflows", "not-a-key"),
    ]
    workflows, invalid, missing, unauthenticated = first_requests(stack, "RunWorkflowFunction", events)[
        "answers"
    ]
    assert workflows["status"] == 200
    assert {w["id"] for w in workflows["body"]["items"]} >= {"kyc", "kyb"}
    assert invalid["status"] == 422
    assert invalid["body"]["error"] == "ValidationError"
    assert {e["path"].split(".")[0] for e in invalid["body"]["errors"]} == {"entity"}
    assert missing["status"] == 404
    assert missing["body"]["error"] == "NotFound"
    assert unauthenticated["status"] == 401


def test_the_ballerine_routes_answer_a_first_request_with_ballerines_error_body(stack, tenant):
    events = [proxy_event("POST", "/api/v1/external/workflows/run", tenant.api_key, {"context": {}})]
    (invalid,) = first_requests(stack, "RunWorkflowFunction", events)["answers"]
    assert invalid["status"] == 422
    assert invalid["body"]["statusCode"] == 422
    assert invalid["body"]["path"] == "/api/v1/external/workflows/run"
    assert [e["path"] for e in invalid["body"]["errors"]] == ["workflowId"]


def test_the_reviewers_api_answers_its_first_requests(stack, tenant):
    tenant.reviewer("admin")  # signs in a reviewer of this tenant
    token = tenant.reviewer_tokens["admin"]
    events = [
        proxy_event("GET", "/v1/review/me", token),
        proxy_event("POST", "/v1/review/cases/some-case/notes", token, {"text": ""}),
        proxy_event("GET", "/v1/admin/rule-sets", token),
        proxy_event("GET", "/v1/review/me", "forged-token"),
    ]
    me, invalid, rule_sets, forged = first_requests(stack, "ReviewActionsFunction", events)["answers"]
    assert me["status"] == 200
    assert (me["body"]["tenant_id"], me["body"]["roles"]) == (tenant.id, ["admin"])
    assert invalid["status"] == 422
    assert [e["path"] for e in invalid["body"]["errors"]] == ["text"]
    assert rule_sets["status"] == 200  # a route of the admin router, included at build
    assert "items" in rule_sets["body"]
    assert forged["status"] == 401


def test_the_webhooks_api_answers_its_first_requests(stack, tenant):
    events = [
        proxy_event("GET", "/v1/webhooks", tenant.api_key),
        proxy_event("POST", "/v1/webhooks", tenant.api_key, {"url": "https://example.com/hook"}),
    ]
    listed, invalid = first_requests(stack, "WebhooksFunction", events)["answers"]
    assert listed["status"] == 200
    assert listed["body"] == {"items": [], "cursor": None}
    assert invalid["status"] == 422
    assert [e["path"] for e in invalid["body"]["errors"]] == ["event_types"]


def authorizer_event(headers: dict[str, str], source: str) -> dict[str, Any]:
    """An API Gateway REQUEST authorizer event, as API Gateway (and the gateway stand-in) sends them."""
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/local/GET/v1/workflows",
        "resource": "/v1/workflows",
        "path": "/v1/workflows",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": {"identity": {"sourceIp": source}, "stage": "local", "requestId": "cold-auth-1"},
    }


def test_the_authorizer_answers_its_first_requests(stack, tenant):
    events = [
        authorizer_event({"Authorization": f"Bearer {tenant.api_key}"}, "192.0.2.10"),
        authorizer_event({"X-API-Key": "not-a-key"}, "192.0.2.11"),
    ]
    allowed, refused = first_requests(stack, "AuthorizeFunction", events, AUTHORIZER_REQUESTS)["answers"]
    assert [s["Effect"] for s in allowed["policyDocument"]["Statement"]] == ["Allow"]
    assert allowed["context"]["tenant_id"] == tenant.id
    assert allowed["usageIdentifierKey"]
    assert refused == {"error": "Unauthorized"}
