"""The stand-in runs Lambda authorizers as API Gateway does: identity sources, cache, policies, errors, context."""

from __future__ import annotations

from typing import Any

import pytest

from arbiter_local.authorizers import AuthorizerRefusal, Authorizers, LambdaAuthorizer, method_arn
from arbiter_local.cfn import TemplateError
from arbiter_local.runtime import InvocationError

ARN = method_arn("us-east-1", "123456789012", "api1", "local", "GET", "/v1/cases/c1")
OTHER_ARN = method_arn("us-east-1", "123456789012", "api1", "local", "POST", "/v1/webhooks")


def allow(
    resource: str = "arn:aws:execute-api:us-east-1:123456789012:api1/local/*/*", **extra: Any
) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [resource]}
    return {
        "principalId": "acme",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        **extra,
    }


class FakeAuthorizerFunction:
    """Answers with `answer` (a dict, or an exception to raise) and records the events it was given."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(**headers: str) -> dict[str, Any]:
    return {
        "path": "/v1/cases/c1",
        "httpMethod": "GET",
        "headers": headers,
        "queryStringParameters": None,
        "requestContext": {"identity": {"sourceIp": "192.0.2.1"}},
    }


def authorizers(function: FakeAuthorizerFunction, clock: Clock | None = None, **identity: Any) -> Authorizers:
    spec = {
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:auth:live",
        "FunctionPayloadType": "REQUEST",
    }
    spec["Identity"] = identity or {"ReauthorizeEvery": 0}
    return Authorizers({"Keys": LambdaAuthorizer.from_sam("Keys", spec)}, function, clock=clock or Clock())


def test_an_allow_gives_the_principal_the_context_as_strings_and_the_usage_key():
    function = FakeAuthorizerFunction(
        allow(context={"tenant_id": "acme", "n": 3, "ok": True}, usageIdentifierKey="usage-acme")
    )
    verdict = authorizers(function).authorize("Keys", request(Authorization="Bearer k"), ARN)
    assert verdict.request_context() == {
        "principalId": "acme",
        "tenant_id": "acme",
        "n": "3",
        "ok": "true",
        "integrationLatency": 0,
    }
    assert verdict.usage_identifier_key == "usage-acme"
    (event,) = function.events
    assert (event["type"], event["methodArn"], event["headers"]) == (
        "REQUEST",
        ARN,
        {"Authorization": "Bearer k"},
    )
    assert event["requestContext"]["identity"]["sourceIp"] == "192.0.2.1"


def test_unauthorized_is_a_401_and_any_other_error_a_500():
    unauthorized = FakeAuthorizerFunction(
        InvocationError({"errorType": "Refused", "errorMessage": "Unauthorized"})
    )
    with pytest.raises(AuthorizerRefusal) as refused:
        authorizers(unauthorized).authorize("Keys", request(), ARN)
    assert (refused.value.response_type, refused.value.message) == ("UNAUTHORIZED", "Unauthorized")
    crashed = FakeAuthorizerFunction(InvocationError({"errorType": "KeyError", "errorMessage": "table"}))
    with pytest.raises(AuthorizerRefusal) as failed:
        authorizers(crashed).authorize("Keys", request(), ARN)
    assert failed.value.response_type == "AUTHORIZER_FAILURE"


@pytest.mark.parametrize(
    "answer",
    [
        {"principalId": "x"},  # no policy
        "Allow",
        allow(context={"nested": {"no": "objects"}}),
        allow(context=["not", "a", "map"]),
    ],
)
def test_a_malformed_output_is_a_configuration_error(answer):
    with pytest.raises(AuthorizerRefusal) as refused:
        authorizers(FakeAuthorizerFunction(answer)).authorize("Keys", request(), ARN)
    assert refused.value.response_type == "AUTHORIZER_CONFIGURATION_ERROR"


def test_an_explicit_deny_wins_and_carries_the_context():
    deny = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "arn:aws:execute-api:*"}
    answer = allow(context={"retry_after": 42})
    answer["policyDocument"]["Statement"].append(deny)
    with pytest.raises(AuthorizerRefusal) as refused:
        authorizers(FakeAuthorizerFunction(answer)).authorize("Keys", request(), ARN)
    assert refused.value.response_type == "ACCESS_DENIED"
    assert refused.value.message == "User is not authorized to access this resource with an explicit deny"
    assert refused.value.context == {"retry_after": "42"}


def test_a_policy_for_another_method_is_an_implicit_deny():
    answer = allow("arn:aws:execute-api:us-east-1:123456789012:api1/local/POST/v1/webhooks")
    with pytest.raises(AuthorizerRefusal) as refused:
        authorizers(FakeAuthorizerFunction(answer)).authorize("Keys", request(), ARN)
    assert (refused.value.response_type, refused.value.message) == (
        "ACCESS_DENIED",
        "User is not authorized to access this resource",
    )


def test_without_identity_sources_nothing_is_cached():
    function = FakeAuthorizerFunction(allow())
    gate = authorizers(function)
    for _ in range(3):
        gate.authorize("Keys", request(Authorization="Bearer k"), ARN)
    assert len(function.events) == 3
    assert gate.invocations == {"Keys": 3}


def test_with_identity_sources_a_missing_one_is_a_401_without_invoking():
    function = FakeAuthorizerFunction(allow())
    gate = authorizers(function, Headers=["Authorization"], ReauthorizeEvery=300)
    for headers in ({}, {"Authorization": ""}, {"X-API-Key": "k"}):
        with pytest.raises(AuthorizerRefusal) as refused:
            gate.authorize("Keys", request(**headers), ARN)
        assert refused.value.response_type == "UNAUTHORIZED"
    assert function.events == []


def test_the_output_is_cached_by_identity_source_for_the_ttl_and_evaluated_again_per_method():
    clock = Clock()
    only_get = allow("arn:aws:execute-api:us-east-1:123456789012:api1/local/GET/*")
    function = FakeAuthorizerFunction(only_get)
    gate = authorizers(function, clock, Headers=["Authorization"], ReauthorizeEvery=300)
    gate.authorize("Keys", request(authorization="Bearer k"), ARN)  # header names are case-insensitive
    clock.now += 299
    gate.authorize("Keys", request(Authorization="Bearer k"), ARN)
    assert len(function.events) == 1
    # The cached policy is applied to the next method too: it allows GETs only.
    with pytest.raises(AuthorizerRefusal):
        gate.authorize("Keys", request(Authorization="Bearer k"), OTHER_ARN)
    gate.authorize("Keys", request(Authorization="Bearer other"), ARN)  # another identity: another entry
    assert len(function.events) == 2
    clock.now += 1  # 300 s after the first
    gate.authorize("Keys", request(Authorization="Bearer k"), ARN)
    assert len(function.events) == 3


def test_refusals_are_not_cached():
    function = FakeAuthorizerFunction(InvocationError({"errorMessage": "Unauthorized"}))
    gate = authorizers(function, Headers=["Authorization"], ReauthorizeEvery=300)
    for _ in range(2):
        with pytest.raises(AuthorizerRefusal):
            gate.authorize("Keys", request(Authorization="Bearer k"), ARN)
    assert len(function.events) == 2


def test_token_authorizers_read_their_header_and_get_a_token_event():
    spec = {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:auth", "Identity": {"Header": "X-Token"}}
    function = FakeAuthorizerFunction(allow())
    gate = Authorizers({"Token": LambdaAuthorizer.from_sam("Token", spec)}, function)
    gate.authorize("Token", request(**{"X-Token": "t1"}), ARN)
    assert function.events == [{"type": "TOKEN", "methodArn": ARN, "authorizationToken": "t1"}]


@pytest.mark.parametrize(
    "spec",
    [
        {"UserPoolArn": "arn:aws:cognito-idp:us-east-1:1:userpool/p"},
        {
            "FunctionArn": "f",
            "FunctionPayloadType": "REQUEST",
            "Identity": {"Context": ["identity.sourceIp"]},
        },
    ],
)
def test_what_the_stand_in_cannot_run_is_named(spec):
    with pytest.raises(TemplateError):
        LambdaAuthorizer.from_sam("Other", spec)
