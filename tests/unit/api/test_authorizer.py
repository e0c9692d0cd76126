"""The authorizer's answers to API Gateway, and how the functions read its verdict (never trusting the client)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEvent

from arbiter.api.authorizer import Refused, authorize_request
from arbiter.api.integrator import authenticate_integrator, authorizer_context, integrator_principal
from arbiter.domain.errors import Unauthenticated
from arbiter.domain.tenant import hash_api_key
from arbiter.services import tenants
from tests.unit.fakes import FakeDependencies, FakeUsagePlans

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/cases"
SOURCE = "203.0.113.7"


@pytest.fixture
def deps() -> FakeDependencies:
    deps = FakeDependencies(clock=lambda: dt.datetime(2026, 11, 1, 9, 0, 15, tzinfo=dt.UTC))
    tenants.create_tenant(deps.tenants, "acme", "Acme", usage_plans=FakeUsagePlans())
    return deps


def authorizer_event(headers: dict[str, str]) -> APIGatewayAuthorizerRequestEvent:
    return APIGatewayAuthorizerRequestEvent(
        {
            "type": "REQUEST",
            "methodArn": METHOD_ARN,
            "resource": "/v1/cases",
            "path": "/v1/cases",
            "httpMethod": "POST",
            "headers": headers,
            "requestContext": {"identity": {"sourceIp": SOURCE}, "stage": "prod", "apiId": "abc123"},
        }
    )


def test_a_valid_key_gets_an_allow_for_the_whole_stage_with_the_verdict_and_the_usage_key(deps):
    key = tenants.issue_api_key(deps.tenants, "acme")
    stored = deps.tenants.keys[hash_api_key(key)]
    answer = authorize_request(deps, authorizer_event({"X-API-Key": key}))
    assert answer["policyDocument"]["Statement"] == [
        {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": ["arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"],
        }
    ]
    assert answer["principalId"] == f"acme/key_{stored.key_id}"
    assert answer["context"] == {"tenant_id": "acme", "key_id": stored.key_id, "key_sha256": stored.key_hash}
    assert answer["usageIdentifierKey"] == deps.tenants.tenants["acme"].usage.value
    assert all(isinstance(v, str) for v in answer["context"].values())  # API Gateway takes flat primitives


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_a_missing_or_invalid_key_is_the_unauthorized_error_api_gateway_turns_into_a_401(deps, headers):
    with pytest.raises(Refused) as refused:
        authorize_request(deps, authorizer_event(headers))
    assert str(refused.value) == "Unauthorized"  # the one message API Gateway maps to 401
    assert isinstance(refused.value.__cause__, Unauthenticated)


def test_a_source_over_the_limit_gets_a_deny_with_the_time_to_wait(deps):
    window = deps.failure_limit.window_of(deps.now())
    deps.auth_failures.counts[(SOURCE, window)] = deps.failure_limit.failures
    answer = authorize_request(deps, authorizer_event({"Authorization": "Bearer wrong"}))
    assert [s["Effect"] for s in answer["policyDocument"]["Statement"]] == ["Deny"]
    assert answer["context"]["retry_after"] == 45
    assert "usageIdentifierKey" not in answer


# ------------------------------------------------------------------ the functions' side


def proxy_event(headers: dict[str, str], authorizer: dict[str, Any] | None = None) -> APIGatewayProxyEvent:
    context: dict[str, Any] = {"requestId": "r1", "identity": {"sourceIp": SOURCE}}
    if authorizer is not None:
        context["authorizer"] = authorizer
    return APIGatewayProxyEvent({"headers": headers, "requestContext": context, "path": "/v1/cases"})


def test_with_the_authorizers_verdict_the_function_reads_no_key(deps):
    key = tenants.issue_api_key(deps.tenants, "acme")
    stored = deps.tenants.keys[hash_api_key(key)]
    verdict = {**authorizer_context("acme", stored.key_id, stored.key_hash), "principalId": "acme/key_x"}
    event = proxy_event({"Authorization": f"Bearer {key}"}, verdict)
    deps.tenants.reads.clear()
    assert integrator_principal(deps.tenants, event).id == f"key_{stored.key_id}"
    assert deps.tenants.reads == []
    principal, tenant = authenticate_integrator(deps.tenants, event)
    assert (principal.tenant_id, tenant.id) == ("acme", "acme")
    assert deps.tenants.reads == [("tenant", "acme")]  # the tenant's settings, nothing else


def test_a_verdict_never_vouches_for_another_key(deps):
    key = tenants.issue_api_key(deps.tenants, "acme")
    stored = deps.tenants.keys[hash_api_key(key)]
    verdict = authorizer_context("acme", stored.key_id, stored.key_hash)
    with pytest.raises(Unauthenticated):
        integrator_principal(deps.tenants, proxy_event({"X-API-Key": "someone-elses-guess"}, verdict))
    with pytest.raises(Unauthenticated):
        integrator_principal(deps.tenants, proxy_event({}, verdict))


def test_without_a_verdict_the_function_verifies_the_key_itself(deps):
    key = tenants.issue_api_key(deps.tenants, "acme")
    deps.tenants.reads.clear()
    principal, _tenant = authenticate_integrator(deps.tenants, proxy_event({"X-API-Key": key}))
    assert principal.tenant_id == "acme"
    assert [kind for kind, _ in deps.tenants.reads] == ["key", "tenant"]
    with pytest.raises(Unauthenticated):
        integrator_principal(deps.tenants, proxy_event({"X-API-Key": "wrong"}))


def test_headers_a_client_sends_are_not_a_verdict(deps):
    # Whatever a client puts in its headers, only requestContext (built by API Gateway) carries a verdict.
    key = "arb_guess"
    forged = {
        "X-API-Key": key,
        "requestContext": json.dumps({"authorizer": authorizer_context("acme", "k", hash_api_key(key))}),
        "tenant_id": "acme",
        "key_sha256": hash_api_key(key),
    }
    with pytest.raises(Unauthenticated):
        integrator_principal(deps.tenants, proxy_event(forged))


def test_a_verdict_for_a_tenant_that_no_longer_exists_is_unauthenticated(deps):
    key = "arb_for-a-deleted-tenant"
    verdict = authorizer_context("gone", "k1", hash_api_key(key))
    with pytest.raises(Unauthenticated):
        authenticate_integrator(deps.tenants, proxy_event({"X-API-Key": key}, verdict))
