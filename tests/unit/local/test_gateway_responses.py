"""API Gateway's own refusals: its default bodies, and the template's gateway responses with $context variables."""

from __future__ import annotations

import json

import pytest

from arbiter_local.gateway_responses import GatewayResponses

CONTEXT = {
    "path": "/local/v1/cases/c-1",
    "resourcePath": "/v1/cases/{proxy+}",
    "requestTime": "01/Nov/2026:09:00:00 +0000",
    "requestId": "r-1",
}


@pytest.mark.parametrize(
    ("response_type", "status", "body"),
    [
        ("UNAUTHORIZED", 401, {"message": "Unauthorized"}),
        ("ACCESS_DENIED", 403, {"Message": "User is not authorized to access this resource"}),
        ("AUTHORIZER_FAILURE", 500, {"message": None}),
        ("INVALID_API_KEY", 403, {"message": "Forbidden"}),
        ("THROTTLED", 429, {"message": "Too Many Requests"}),
        ("QUOTA_EXCEEDED", 429, {"message": "Limit Exceeded"}),
        ("MISSING_AUTHENTICATION_TOKEN", 403, {"message": "Missing Authentication Token"}),
    ],
)
def test_api_gateways_defaults(response_type, status, body):
    response = GatewayResponses().respond(response_type, request_context=CONTEXT)
    assert (response.status_code, json.loads(response.get_data())) == (status, body)
    assert response.mimetype == "application/json"


def test_a_customised_response_renders_its_template_and_headers():
    responses = GatewayResponses(
        {
            "ACCESS_DENIED": {
                "StatusCode": 429,
                "ResponseParameters": {
                    "Headers": {
                        "Retry-After": "'60'",
                        "X-Echo": "method.request.header.x-request-id",
                        "X-Wait": "context.authorizer.retry_after",
                    }
                },
                "ResponseTemplates": {
                    "application/json": '{"message": $context.error.messageString, "path": "$context.path", '
                    '"wait": $context.authorizer.retry_after, "type": "$context.error.responseType", '
                    '"unknown": "$context.nothing.here"}'
                },
            }
        }
    )
    response = responses.respond(
        "ACCESS_DENIED",
        message='explicit "deny"',
        request_context=CONTEXT,
        request_headers={"X-Request-Id": "abc"},
        authorizer={"retry_after": "42"},
    )
    assert response.status_code == 429
    assert (response.headers["Retry-After"], response.headers["X-Echo"], response.headers["X-Wait"]) == (
        "60",
        "abc",
        "42",
    )
    assert json.loads(response.get_data()) == {
        "message": 'explicit "deny"',
        "path": "/local/v1/cases/c-1",
        "wait": 42,
        "type": "ACCESS_DENIED",
        "unknown": "",
    }


def test_a_type_left_alone_takes_the_customised_default_of_its_class():
    responses = GatewayResponses(
        {"DEFAULT_4XX": {"ResponseParameters": {"Headers": {"Access-Control-Allow-Origin": "'*'"}}}}
    )
    throttled = responses.respond("THROTTLED", request_context=CONTEXT)
    assert (throttled.status_code, throttled.headers["Access-Control-Allow-Origin"]) == (429, "*")
    assert "Access-Control-Allow-Origin" not in responses.respond("AUTHORIZER_FAILURE").headers


def test_the_projects_template_answers_401s_and_429s_with_arbiters_and_ballerines_fields():
    from arbiter_local.cfn import load_template
    from arbiter_local.stack import PROJECT_ROOT

    api = load_template(PROJECT_ROOT / "template.yaml").resources["ApiGateway"]["Properties"]
    responses = GatewayResponses(api["GatewayResponses"])
    unauthorized = responses.respond("UNAUTHORIZED", message="Unauthorized", request_context=CONTEXT)
    body = json.loads(unauthorized.get_data())
    assert unauthorized.status_code == 401
    # The route's template: a response template inserts values as they are, and a path may hold any character.
    assert (body["error"], body["statusCode"], body["path"]) == ("Unauthenticated", 401, "/v1/cases/{proxy+}")
    assert body["timestamp"] == CONTEXT["requestTime"]
    denied = responses.respond("ACCESS_DENIED", request_context=CONTEXT, authorizer={"retry_after": "12"})
    assert (denied.status_code, denied.headers["Retry-After"]) == (429, "60")
    assert json.loads(denied.get_data())["error"] == "TooManyRequests"
    throttled = responses.respond("THROTTLED", request_context=CONTEXT)
    assert json.loads(throttled.get_data()) == {
        "error": "TooManyRequests",
        "message": "Too Many Requests",
        "statusCode": 429,
        "path": "/v1/cases/{proxy+}",
        "timestamp": CONTEXT["requestTime"],
    }
    assert throttled.headers["Retry-After"] == "1"
    quota = responses.respond("QUOTA_EXCEEDED", request_context=CONTEXT)
    assert (quota.status_code, json.loads(quota.get_data())["message"], quota.headers["Retry-After"]) == (
        429,
        "Limit Exceeded",
        "3600",
    )
