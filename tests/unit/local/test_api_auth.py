"""The Api's `Auth` as SAM reads it, provisioned into (in-process) moto, and the gateway stand-in applying it: the
authorizer before the function, its verdict in the event, the usage plan of the key it names."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.test import Client

from arbiter_local.authorizers import LambdaAuthorizer
from arbiter_local.cfn import TemplateError, load_template
from arbiter_local.gateway import Gateway
from arbiter_local.gateway_responses import GatewayResponses
from arbiter_local.provision import Provisioned, Provisioner
from arbiter_local.runtime import InvocationError
from arbiter_local.usage_plans import UsagePlans

TEMPLATE = """
Globals:
  Function: { Runtime: python3.13, Handler: app.handler, AutoPublishAlias: live }
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: live
      ApiKeySourceType: AUTHORIZER
      Auth:
        DefaultAuthorizer: Keys
        ApiKeyRequired: true
        Authorizers:
          Keys:
            FunctionPayloadType: REQUEST
            FunctionArn: !Ref AuthFn.Alias
            Identity: { ReauthorizeEvery: 0 }
      GatewayResponses:
        ACCESS_DENIED:
          StatusCode: 429
          ResponseParameters: { Headers: { Retry-After: "'60'" } }
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: { CodeUri: functions/auth }
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/fn
      Events:
        Protected: { Type: Api, Properties: { RestApiId: !Ref Api, Path: "/v1/things/{proxy+}", Method: ANY } }
        Public:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /v1/docs
            Method: GET
            Auth: { Authorizer: NONE, ApiKeyRequired: false }
        KeyOnly:
          Type: Api
          Properties: { RestApiId: !Ref Api, Path: /v1/metered, Method: GET, Auth: { Authorizer: NONE } }
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      UsagePlanName: standard
      ApiStages: [{ ApiId: !Ref Api, Stage: !Ref Api.Stage }]
      Throttle: { RateLimit: 1, BurstLimit: 2 }
      Quota: { Limit: 1000, Period: DAY }
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: { Name: shared, Enabled: true, Value: shared-usage-key-0000000001 }
  KeyInPlan:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: { KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan }
"""


@pytest.fixture
def aws(stack: Any) -> Any:
    # The suite's moto (the local stack's server): moto's in-process mock would reset the state the stack shares.
    return stack.client


def provision(tmp_path: Path, aws: Any, text: str = TEMPLATE) -> tuple[Provisioned, str]:
    """The template provisioned under a stack name of its own, so that nothing it creates meets the suite's
    stack or another test's (its usage key's value too, `usage_key(name)`); the result and that name."""
    path = tmp_path / "template.yaml"
    name = f"auth-{secrets.token_hex(4)}"
    path.write_text(text.replace("shared-usage-key-0000000001", usage_key(name)), encoding="utf-8")
    return Provisioner(load_template(path), aws, pseudo={"AWS::StackName": name}).provision(), name


def usage_key(stack_name: str) -> str:
    return f"{stack_name}-usage-key-000001"


def test_routes_get_the_default_authorizer_unless_their_event_says_none(tmp_path, aws):
    provisioned, name = provision(tmp_path, aws)
    routes = {r.path: (r.authorizer, r.api_key_required) for r in provisioned.routes}
    assert routes == {
        "/v1/things/{proxy+}": ("Keys", True),
        "/v1/docs": (None, False),
        "/v1/metered": (None, True),
    }
    api = provisioned.api
    assert api is not None
    assert (api.stage, api.api_key_source) == ("live", "AUTHORIZER")
    assert api.auth["Authorizers"]["Keys"]["FunctionArn"].endswith(f":function:{name}-AuthFn:live")


def test_usage_plans_and_keys_are_provisioned_on_the_apis_stage(tmp_path, aws):
    provisioned, name = provision(tmp_path, aws)
    apigateway = aws("apigateway")
    stage = {"apiId": provisioned.api.api_id, "stage": "live"}
    (plan,) = [p for p in apigateway.get_usage_plans(limit=500)["items"] if stage in p.get("apiStages", [])]
    assert plan["apiStages"] == [{"apiId": provisioned.api.api_id, "stage": "live"}]
    assert (plan["throttle"], plan["quota"]) == (
        {"rateLimit": 1.0, "burstLimit": 2},
        {"limit": 1000, "period": "DAY"},
    )
    (key,) = apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert key["value"] == usage_key(name)
    assert apigateway.get_stage(restApiId=provisioned.api.api_id, stageName="live")["stageName"] == "live"


def test_an_event_naming_an_authorizer_the_api_lacks_is_refused(tmp_path, aws):
    broken = TEMPLATE.replace("Auth: { Authorizer: NONE }", "Auth: { Authorizer: Cognito }")
    with pytest.raises(TemplateError, match="names authorizer Cognito, which the Api lacks"):
        provision(tmp_path, aws, broken)


class Runtime:
    """The functions: an authorizer answering by the Authorization header, and a function echoing its event."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.stack_name = ""
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def resolve(self, function: str) -> Any:
        return SimpleNamespace(name=function.split(":function:")[-1].split(":")[0])

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        self.calls.append((self.resolve(function).name, event))
        if event.get("type") == "REQUEST":
            token = (event["headers"] or {}).get("Authorization", "")
            if token == "Bearer blocked":
                statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}
                return {"principalId": "x", "policyDocument": {"Statement": [statement]}}
            if token != "Bearer good":
                raise InvocationError({"errorType": "Refused", "errorMessage": "Unauthorized"})
            statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}
            return {
                "principalId": "acme",
                "policyDocument": {"Statement": [statement]},
                "context": {"tenant_id": "acme"},
                "usageIdentifierKey": self.key,
            }
        return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}


@pytest.fixture
def gateway(tmp_path, aws) -> tuple[Client, Runtime]:
    provisioned, name = provision(tmp_path, aws)
    api = provisioned.api
    runtime = Runtime(usage_key(name))
    runtime.stack_name = name
    gateway = Gateway(
        runtime,  # type: ignore[arg-type]
        provisioned.routes,
        stage=api.stage,
        site_dir=tmp_path,
        health=dict,
        site_config=dict,
        api_id=api.api_id,
        authorizers={n: LambdaAuthorizer.from_sam(n, s) for n, s in api.auth["Authorizers"].items()},
        usage_plans=UsagePlans(aws("apigateway"), api.api_id, api.stage),
        gateway_responses=GatewayResponses(api.gateway_responses),
        api_key_source=api.api_key_source,
    )
    return Client(gateway), runtime


def test_the_authorizer_runs_first_and_its_verdict_reaches_the_function(gateway):
    client, runtime = gateway
    response = client.get("/v1/things/1", headers={"Authorization": "Bearer good"})
    assert response.status_code == 200
    verdict = json.loads(response.get_data())
    assert (verdict["principalId"], verdict["tenant_id"]) == ("acme", "acme")
    assert isinstance(verdict["integrationLatency"], int)
    assert [name for name, _ in runtime.calls] == [f"{runtime.stack_name}-AuthFn", f"{runtime.stack_name}-Fn"]
    authorizer_event = runtime.calls[0][1]
    assert authorizer_event["methodArn"].endswith("/live/GET/v1/things/1")


def test_refusals_never_reach_the_function(gateway):
    client, runtime = gateway
    assert client.get("/v1/things/x").status_code == 401
    denied = client.get("/v1/things/x", headers={"Authorization": "Bearer blocked"})
    assert (denied.status_code, denied.headers["Retry-After"]) == (429, "60")  # the template's ACCESS_DENIED
    assert [name for name, _ in runtime.calls] == [
        f"{runtime.stack_name}-AuthFn",
        f"{runtime.stack_name}-AuthFn",
    ]


def test_the_key_the_authorizer_names_is_throttled_by_its_plan(gateway):
    client, _runtime = gateway
    statuses = [
        client.get("/v1/things/x", headers={"Authorization": "Bearer good"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]  # burst 2, then 1 a second


def test_a_route_without_authorizer_runs_the_function_directly_or_needs_a_key_it_cannot_get(gateway):
    client, runtime = gateway
    assert client.get("/v1/docs").status_code == 200
    # API keys come from the authorizer here: a route requiring one without an authorizer is refused.
    assert client.get("/v1/metered", headers={"X-API-Key": runtime.key}).status_code == 403
    assert [name for name, _ in runtime.calls] == [f"{runtime.stack_name}-Fn"]
