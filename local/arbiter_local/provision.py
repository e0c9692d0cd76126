"""Create in moto every resource template.yaml declares, so local and cloud cannot drift.

Each supported resource type has one small method; SAM's serverless types are expanded the way SAM does it
(a function's `Events` become API routes, bucket notifications and EventBridge rules). A resource type the
local stack does not emulate (CloudFront, alarms' actions…) is listed as such, never silently dropped.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from arbiter_local.cfn import SAM_REF_SUFFIXES, Resolver, Template, TemplateError, provisioning_order
from arbiter_local.runtime import FunctionSpec

__all__ = ["LOCAL_PSEUDO_PARAMETERS", "ApiSpec", "Provisioned", "Provisioner", "QueueMapping", "Route"]

log = logging.getLogger("arbiter_local")

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LOCAL_PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "arbiter",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/arbiter/local",
}
# moto's Cognito refuses the demo password under the template's (AWS) policy; locally the policy is relaxed.
LOCAL_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": False,
    "RequireLowercase": False,
    "RequireNumbers": False,
    "RequireSymbols": False,
}


@dataclass(frozen=True)
class Route:
    """An API Gateway route: method (or ANY), path template, the function it invokes, and what runs first."""

    method: str
    path: str
    function: str  # function name
    #: The Api's authorizer that runs before the function (SAM: the Api's `Auth.DefaultAuthorizer`, or the event's
    #: `Auth.Authorizer`; `NONE` is None).
    authorizer: str | None = None
    #: Whether the request must come with an API key, which its usage plan throttles (SAM: `Auth.ApiKeyRequired`).
    api_key_required: bool = False


@dataclass(frozen=True)
class ApiSpec:
    """The REST API (an `AWS::Serverless::Api`) as created in moto, with what the gateway stand-in applies."""

    logical_id: str
    api_id: str
    stage: str
    root_resource_id: str
    #: The Api's `Auth`, resolved: `DefaultAuthorizer`, `Authorizers`, `ApiKeyRequired`.
    auth: dict[str, Any] = field(default_factory=dict)
    #: The Api's `GatewayResponses`, resolved.
    gateway_responses: dict[str, Any] = field(default_factory=dict)
    #: Where API Gateway takes a request's API key: the `x-api-key` header (HEADER) or the authorizer (AUTHORIZER).
    api_key_source: str = "HEADER"


@dataclass
class ProvisionedResource:
    logical_id: str
    type: str
    physical_id: str | None
    emulated: bool
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueMapping:
    """A function's SQS event source: what Lambda's poller would receive and how it reports failures."""

    queue_url: str
    queue_arn: str
    function: str  # what the mapping invokes (the function's alias, if it has one)
    batch_size: int = 10
    report_item_failures: bool = False


@dataclass
class Provisioned:
    """What the template became locally."""

    resources: dict[str, ProvisionedResource] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    outputs: dict[str, Any] = field(default_factory=dict)
    api_stage: str = "prod"
    api: ApiSpec | None = None
    #: SQS event sources, polled by the stack (`queue_pollers`), not by moto.
    queue_mappings: list[QueueMapping] = field(default_factory=list)

    def physical_id(self, logical_id: str) -> str:
        """The name or id a resource got."""
        resource = self.resources[logical_id]
        if resource.physical_id is None:
            raise TemplateError(f"{logical_id} ({resource.type}) has no local physical id")
        return resource.physical_id

    def summary(self) -> list[dict[str, Any]]:
        """One line per resource for /health."""
        return [
            {"logical_id": r.logical_id, "type": r.type, "physical_id": r.physical_id, "emulated": r.emulated}
            for r in self.resources.values()
        ]


class Provisioner:
    """Provisions a template into moto through boto3 clients built by `client`."""

    def __init__(
        self,
        template: Template,
        client: Callable[[str], Any],
        *,
        parameters: Mapping[str, Any] | None = None,
        pseudo: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.client = client
        self.result = Provisioned()
        self.pseudo = {**LOCAL_PSEUDO_PARAMETERS, **(pseudo or {})}
        self.resolver = Resolver(
            template,
            parameters=parameters,
            pseudo=self.pseudo,
            physical_id=self._physical_id,
            attribute=self._attribute,
        )
        self._pending_notifications: dict[str, list[dict[str, Any]]] = {}
        self._role_arn: str | None = None
        self._route_targets: list[tuple[Route, str]] = []  # each route and the ARN it invokes

    @property
    def stack_name(self) -> str:
        return str(self.pseudo["AWS::StackName"])

    # ------------------------------------------------------------------ lookups used by the resolver
    def _sam_function_role(self, logical_id: str) -> bool:
        """Whether `logical_id` is the role SAM creates for a function (`<Function>Role`, when it names none)."""
        function = self.template.resources.get(logical_id.removesuffix("Role"), {})
        return (
            logical_id.endswith("Role")
            and function.get("Type") == "AWS::Serverless::Function"
            and "Role" not in (function.get("Properties") or {})
        )

    def _physical_id(self, logical_id: str) -> str:
        if logical_id not in self.result.resources and self._sam_function_role(logical_id):
            return self._lambda_role().rsplit("/", 1)[1]
        if logical_id not in self.result.resources:
            raise TemplateError(f"{logical_id} is referenced before it is provisioned")
        if not self.result.resources[logical_id].emulated:
            return (
                f"{logical_id.lower()}-not-emulated"  # CloudFront and the like: names only, nothing to call
            )
        return self.result.physical_id(logical_id)

    def _attribute(self, logical_id: str, attribute: str) -> Any:
        resource = self.result.resources.get(logical_id)
        if resource is None and attribute == "Arn" and self._sam_function_role(logical_id):
            return self._lambda_role()  # every function runs with the one local role
        if resource is None:
            raise TemplateError(f"GetAtt {logical_id}.{attribute}: {logical_id} is not provisioned")
        if attribute not in resource.attributes:
            if not resource.emulated:
                return f"{logical_id.lower()}.local.invalid"
            if attribute in SAM_REF_SUFFIXES:
                raise TemplateError(f"{logical_id}.{attribute}: SAM creates no {attribute} for {logical_id}")
            raise TemplateError(f"GetAtt {logical_id}.{attribute} is not known locally")
        return resource.attributes[attribute]

    # ------------------------------------------------------------------ driver
    def provision(self, progress: Callable[[str], None] = lambda _: None) -> Provisioned:
        """Create every resource in dependency order, then the deferred bucket notifications."""
        for logical_id in provisioning_order(self.template):
            resource = self.template.resources[logical_id]
            if not self.resolver.resource_enabled(logical_id):
                continue
            create = self._CREATORS.get(resource["Type"])
            if create is None:
                self.result.resources[logical_id] = ProvisionedResource(
                    logical_id, resource["Type"], None, False
                )
                continue
            progress(f"{resource['Type']} {logical_id}")
            create(self, logical_id, self.resolver.resolve(resource.get("Properties", {}) or {}))
        self._apply_bucket_notifications()
        self._deploy_api()
        self.result.outputs = self._outputs()
        return self.result

    def _outputs(self) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for name, output in self.template.outputs.items():
            if output.get("Condition") and not self.resolver.condition(output["Condition"]):
                continue
            try:
                outputs[name] = self.resolver.resolve(output["Value"])
            except TemplateError as exc:
                outputs[name] = f"(not available locally: {exc})"
        return outputs

    def _record(self, logical_id: str, physical_id: str | None, **attributes: Any) -> None:
        resource_type = self.template.resources[logical_id]["Type"]
        self.result.resources[logical_id] = ProvisionedResource(
            logical_id, resource_type, physical_id, True, attributes
        )

    def _name(self, logical_id: str, *, lower: bool = False, limit: int = 64) -> str:
        name = f"{self.stack_name}-{logical_id}"
        return (name.lower() if lower else name)[:limit]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.pseudo['AWS::Region']}:{self.pseudo['AWS::AccountId']}:{resource}"

    # ------------------------------------------------------------------ data
    def _dynamodb_table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName") or self._name(logical_id)
        dynamodb = self.client("dynamodb")
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in props:
                request[key] = props[key]
        if "StreamSpecification" in props:  # the API also wants StreamEnabled
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:  # CloudFormation says SSEEnabled where the API says Enabled
            sse = dict(props["SSESpecification"])
            sse["Enabled"] = bool(sse.pop("SSEEnabled", True))
            request["SSESpecification"] = sse
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props.get(
                "ProvisionedThroughput", {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
            )
        description = dynamodb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            dynamodb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=pitr)
        self._record(
            logical_id, name, Arn=description["TableArn"], StreamArn=description.get("LatestStreamArn", "")
        )

    def _s3_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("BucketName") or self._name(logical_id, lower=True, limit=63)
        s3 = self.client("s3")
        # Object Lock can only be turned on when the bucket is created (it also turns versioning on).
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled")))
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration=_cors(props["CorsConfiguration"]))
        if "BucketEncryption" in props:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {
                            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSide…
                            "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                            **(
                                {"BucketKeyEnabled": rule["BucketKeyEnabled"]}
                                if "BucketKeyEnabled" in rule
                                else {}
                            ),
                        }
                        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
                    ]
                },
            )
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
        if "LifecycleConfiguration" in props:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration=_lifecycle(props["LifecycleConfiguration"])
            )
        if "ObjectLockConfiguration" in props:
            s3.put_object_lock_configuration(
                Bucket=name, ObjectLockConfiguration=_object_lock(props["ObjectLockConfiguration"])
            )
        self._record(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.pseudo['AWS::Region']}.amazonaws.com",
        )

    def _s3_bucket_policy(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("s3").put_bucket_policy(
            Bucket=props["Bucket"], Policy=json.dumps(_over_plain_http(props["PolicyDocument"]))
        )
        self._record(logical_id, props["Bucket"])

    def _apply_bucket_notifications(self) -> None:
        s3 = self.client("s3")
        for bucket, configurations in self._pending_notifications.items():
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configurations}
            )

    # ------------------------------------------------------------------ events and messaging
    def _event_bus(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = self.client("events").create_event_bus(Name=props["Name"])["EventBusArn"]
        self._record(logical_id, props["Name"], Arn=arn, Name=props["Name"])

    def _event_rule(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self._name(logical_id)
        self._put_rule(
            name,
            props.get("EventBusName", "default"),
            props.get("EventPattern"),
            props.get("Targets", []),
            schedule=props.get("ScheduleExpression"),
        )
        self._record(logical_id, name, Arn=self._arn("events", f"rule/{name}"))

    def _put_rule(
        self,
        name: str,
        bus: str,
        pattern: dict[str, Any] | None,
        targets: list[dict[str, Any]],
        *,
        schedule: str | None = None,
    ) -> None:
        events = self.client("events")
        request: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": "ENABLED"}
        if pattern is not None:
            request["EventPattern"] = json.dumps(pattern)
        if schedule:
            request["ScheduleExpression"] = schedule
        events.put_rule(**request)
        if targets:
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)

    def _sqs_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        fifo = str(props.get("FifoQueue", "")).lower() == "true"
        # CloudFormation names a FIFO queue ending in .fifo, as SQS requires.
        name = props.get("QueueName") or (
            self._name(logical_id, limit=75) + ".fifo" if fifo else self._name(logical_id, limit=80)
        )
        attributes = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in props.items()
            if k
            in (
                "DelaySeconds",
                "MessageRetentionPeriod",
                "VisibilityTimeout",
                "FifoQueue",
                "ContentBasedDeduplication",
                "DeduplicationScope",
                "FifoThroughputLimit",
            )
        }
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self._record(logical_id, url, Arn=self._arn("sqs", name), QueueName=name, QueueUrl=url)

    def _sns_topic(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = self.client("sns").create_topic(Name=props.get("TopicName") or self._name(logical_id))[
            "TopicArn"
        ]
        self._record(logical_id, arn, TopicArn=arn, TopicName=arn.rsplit(":", 1)[1])

    def _log_group(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("LogGroupName") or f"/arbiter/{self._name(logical_id)}"
        self.client("logs").create_log_group(logGroupName=name)
        self._record(logical_id, name, Arn=self._arn("logs", f"log-group:{name}:*"))

    def _secret(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self._name(logical_id)
        value = props.get("SecretString") or json.dumps({"generated": "local-secret"})
        arn = self.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]
        self._record(logical_id, arn, Id=arn)

    def _ssm_parameter(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or f"/{self._name(logical_id)}"
        self.client("ssm").put_parameter(
            Name=name, Value=str(props["Value"]), Type=props.get("Type", "String")
        )
        self._record(logical_id, name, Type=props.get("Type", "String"), Value=str(props["Value"]))

    # ------------------------------------------------------------------ keys
    def _kms_key(self, logical_id: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        request: dict[str, Any] = {
            "Description": str(props.get("Description", "")),
            "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        }
        if "KeyPolicy" in props:
            request["Policy"] = json.dumps(props["KeyPolicy"])
        key = kms.create_key(**request)["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        self._record(logical_id, key["KeyId"], Arn=key["Arn"], KeyId=key["KeyId"])

    def _kms_alias(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        self._record(logical_id, props["AliasName"])

    # ------------------------------------------------------------------ e-mail
    def _ses_email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        # moto's SES takes an identity as verified once created (AWS waits for its DNS records or its link).
        identity = str(props["EmailIdentity"])
        self.client("sesv2").create_email_identity(EmailIdentity=identity)
        self._record(logical_id, identity)

    # ------------------------------------------------------------------ identity
    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        request = {
            k: v
            for k, v in props.items()
            if k in ("UsernameAttributes", "AutoVerifiedAttributes", "Schema", "AdminCreateUserConfig")
        }
        for attribute in request.get("Schema", []):
            attribute.setdefault("Mutable", True)
        request["Policies"] = {"PasswordPolicy": LOCAL_PASSWORD_POLICY}
        pool = self.client("cognito-idp").create_user_pool(
            PoolName=props.get("UserPoolName") or self._name(logical_id), **request
        )["UserPool"]
        region = self.pseudo["AWS::Region"]
        self._record(
            logical_id,
            pool["Id"],
            Arn=pool["Arn"],
            ProviderName=f"cognito-idp.{region}.amazonaws.com/{pool['Id']}",
            ProviderURL=f"https://cognito-idp.{region}.amazonaws.com/{pool['Id']}",
            UserPoolId=pool["Id"],
        )

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        allowed = (
            "ClientName",
            "GenerateSecret",
            "ExplicitAuthFlows",
            "ReadAttributes",
            "WriteAttributes",
            "IdTokenValidity",
            "AccessTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "PreventUserExistenceErrors",
        )
        request = {k: v for k, v in props.items() if k in allowed}
        request.setdefault("ClientName", self._name(logical_id))
        client = self.client("cognito-idp").create_user_pool_client(UserPoolId=props["UserPoolId"], **request)
        client_id = client["UserPoolClient"]["ClientId"]
        self._record(logical_id, client_id, ClientId=client_id)

    def _user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("cognito-idp").create_group(
            UserPoolId=props["UserPoolId"],
            GroupName=props["GroupName"],
            Description=props.get("Description", ""),
        )
        self._record(logical_id, props["GroupName"])

    # ------------------------------------------------------------------ serverless
    def _layer(self, logical_id: str, props: dict[str, Any]) -> None:
        content = (self.template.root / props["ContentUri"]).resolve()
        if str(content) not in sys.path:
            sys.path.insert(0, str(content))
        name = props.get("LayerName") or self._name(logical_id)
        self._record(logical_id, self._arn("lambda", f"layer:{name}:1"))

    def _api(self, logical_id: str, props: dict[str, Any]) -> None:
        if self.result.api is not None:
            raise TemplateError(
                f"{logical_id}: the local stack serves one Api ({self.result.api.logical_id})"
            )
        stage = str(props.get("StageName", "prod"))
        api_key_source = str(props.get("ApiKeySourceType", "HEADER"))
        created = self.client("apigateway").create_rest_api(
            name=props.get("Name") or self._name(logical_id),
            apiKeySource=api_key_source,
            endpointConfiguration={
                "types": [str((props.get("EndpointConfiguration") or {}).get("Type", "EDGE"))]
            },
        )
        auth = dict(props.get("Auth") or {})
        for name in auth.get("Authorizers") or {}:
            if name == "NONE":
                raise TemplateError(f"{logical_id}: an authorizer cannot be named NONE")
        self.result.api_stage = stage
        self.result.api = ApiSpec(
            logical_id=logical_id,
            api_id=created["id"],
            stage=stage,
            root_resource_id=created["rootResourceId"],
            auth=auth,
            gateway_responses=dict(props.get("GatewayResponses") or {}),
            api_key_source=api_key_source,
        )
        self._record(logical_id, created["id"], RootResourceId=created["rootResourceId"], Stage=stage)

    def _route(self, logical_id: str, function: str, props: dict[str, Any]) -> Route:
        """An Api event as a route, with the authorizer and API key requirement SAM gives it."""
        api = self.result.api
        auth = api.auth if api is not None else {}
        event_auth = props.get("Auth") or {}
        authorizer = event_auth.get("Authorizer", auth.get("DefaultAuthorizer"))
        if authorizer == "NONE":
            authorizer = None
        if authorizer is not None and authorizer not in (auth.get("Authorizers") or {}):
            raise TemplateError(
                f"{logical_id}: {props['Path']} names authorizer {authorizer}, which the Api lacks"
            )
        required = event_auth.get("ApiKeyRequired", auth.get("ApiKeyRequired", False))
        return Route(props["Method"].upper(), props["Path"], function, authorizer, bool(required))

    def _deploy_api(self) -> None:
        """The routes as resources and methods of the API in moto, with their authorizer, and the stage."""
        api = self.result.api
        if api is None or not self._route_targets:
            return
        apigateway = self.client("apigateway")
        authorizer_ids = {
            name: apigateway.create_authorizer(
                restApiId=api.api_id,
                name=name,
                type=str(spec.get("FunctionPayloadType", "TOKEN")).upper(),
                authorizerUri=_invocation_uri(self.pseudo["AWS::Region"], str(spec.get("FunctionArn", ""))),
                authorizerResultTtlInSeconds=int((spec.get("Identity") or {}).get("ReauthorizeEvery", 300)),
            )["id"]
            for name, spec in (api.auth.get("Authorizers") or {}).items()
        }
        resources = {"/": api.root_resource_id}
        for route, target in self._route_targets:
            resource_id = self._api_resource(apigateway, api.api_id, resources, route.path)
            method: dict[str, Any] = {"authorizationType": "NONE"}
            if route.authorizer is not None:
                method = {"authorizationType": "CUSTOM", "authorizerId": authorizer_ids[route.authorizer]}
            apigateway.put_method(
                restApiId=api.api_id,
                resourceId=resource_id,
                httpMethod=route.method,
                apiKeyRequired=route.api_key_required,
                **method,
            )
            apigateway.put_integration(
                restApiId=api.api_id,
                resourceId=resource_id,
                httpMethod=route.method,
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=_invocation_uri(self.pseudo["AWS::Region"], target),
            )
        apigateway.create_deployment(restApiId=api.api_id, stageName=api.stage)

    @staticmethod
    def _api_resource(apigateway: Any, api_id: str, resources: dict[str, str], path: str) -> str:
        """The id of the resource at `path`, creating it and its parents as needed."""
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            current = f"{parent.rstrip('/')}/{part}"
            if current not in resources:
                resources[current] = apigateway.create_resource(
                    restApiId=api_id, parentId=resources[parent], pathPart=part
                )["id"]
            parent = current
        return resources[parent]

    def _usage_plan(self, logical_id: str, props: dict[str, Any]) -> None:
        request: dict[str, Any] = {"name": props.get("UsagePlanName") or self._name(logical_id)}
        if props.get("Description"):
            request["description"] = str(props["Description"])
        if props.get("ApiStages"):
            request["apiStages"] = [{"apiId": s["ApiId"], "stage": s["Stage"]} for s in props["ApiStages"]]
        throttle = props.get("Throttle") or {}
        if throttle:
            request["throttle"] = {
                **({"rateLimit": float(throttle["RateLimit"])} if "RateLimit" in throttle else {}),
                **({"burstLimit": int(throttle["BurstLimit"])} if "BurstLimit" in throttle else {}),
            }
        quota = props.get("Quota") or {}
        if quota:
            request["quota"] = {
                "limit": int(quota["Limit"]),
                "period": str(quota["Period"]),
                **({"offset": int(quota["Offset"])} if "Offset" in quota else {}),
            }
        plan_id = self.client("apigateway").create_usage_plan(**request)["id"]
        self._record(logical_id, plan_id, Id=plan_id)

    def _api_key(self, logical_id: str, props: dict[str, Any]) -> None:
        request: dict[str, Any] = {
            "name": props.get("Name") or self._name(logical_id),
            "enabled": str(props.get("Enabled", False)).lower()
            == "true",  # CloudFormation's default: disabled
        }
        if props.get("Description"):
            request["description"] = str(props["Description"])
        if props.get("Value"):
            request["value"] = str(props["Value"])
        key_id = self.client("apigateway").create_api_key(**request)["id"]
        self._record(logical_id, key_id, APIKeyId=key_id)

    def _usage_plan_key(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("apigateway").create_usage_plan_key(
            usagePlanId=props["UsagePlanId"], keyId=props["KeyId"], keyType=props.get("KeyType", "API_KEY")
        )
        self._record(logical_id, f"{props['UsagePlanId']}:{props['KeyId']}")

    def _function(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("FunctionName") or self._name(logical_id)
        if not props.get("Runtime"):
            raise TemplateError(f"{logical_id}: no Runtime (on the function or in Globals)")
        environment = {
            k: str(v) for k, v in (props.get("Environment", {}).get("Variables", {}) or {}).items()
        }
        lambda_client = self.client("lambda")
        created = lambda_client.create_function(
            FunctionName=name,
            Runtime=props["Runtime"],
            Role=self._lambda_role(),
            Handler=props["Handler"],
            Code={"ZipFile": _placeholder_zip()},
            Environment={"Variables": environment},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Description=str(props.get("Description", ""))[:256],
        )
        arn = created["FunctionArn"]
        attributes: dict[str, str] = {"Arn": arn}
        invoked = arn
        if props.get("AutoPublishAlias"):
            # As SAM: a published version, the alias on it, and every event source invoking the alias.
            version = lambda_client.publish_version(FunctionName=name)["Version"]
            invoked = lambda_client.create_alias(
                FunctionName=name, Name=str(props["AutoPublishAlias"]), FunctionVersion=version
            )["AliasArn"]
            attributes.update(Alias=invoked, Version=f"{arn}:{version}")
        self.result.functions[name] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=arn,
            runtime=props["Runtime"],
            code_dir=(self.template.root / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            environment=environment,
            memory_mb=int(props.get("MemorySize", 128)),
            timeout_s=int(props.get("Timeout", 3)),
            stream_filters=tuple(
                str(f["Pattern"])
                for event in (props.get("Events", {}) or {}).values()
                if event.get("Type") in ("DynamoDB", "Kinesis")
                for f in (event.get("Properties", {}).get("FilterCriteria") or {}).get("Filters", [])
            ),
        )
        self._record(logical_id, name, **attributes)
        for event_id, event in (props.get("Events", {}) or {}).items():
            self._function_event(logical_id, name, invoked, event_id, event)

    def _function_event(
        self, logical_id: str, name: str, arn: str, event_id: str, event: dict[str, Any]
    ) -> None:
        """Wire one of the function's `Events`; `arn` is what the source invokes (its alias, if it has one)."""
        kind, props = event["Type"], event.get("Properties", {})
        if kind == "Api":
            route = self._route(logical_id, name, props)
            self.result.routes.append(route)
            self._route_targets.append((route, arn))
        elif kind == "S3":
            events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
            configuration: dict[str, Any] = {"LambdaFunctionArn": arn, "Events": events}
            if "Filter" in props:
                # SAM's {S3Key: {Rules: [{Name, Value}]}} is the S3 API's {Key: {FilterRules: [...]}}.
                rules = props["Filter"].get("S3Key", {}).get("Rules", [])
                configuration["Filter"] = {"Key": {"FilterRules": rules}}
            self._pending_notifications.setdefault(props["Bucket"], []).append(configuration)
        elif kind in ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"):
            target: dict[str, Any] = {"Id": f"{logical_id}{event_id}"[:64], "Arn": arn}
            if "Input" in props:
                target["Input"] = props["Input"]
            self._put_rule(
                f"{name}-{event_id}"[:64],
                props.get("EventBusName", "default"),
                props.get("Pattern"),
                [target],
                schedule=props.get("Schedule") or props.get("ScheduleExpression"),
            )
        elif kind in ("DynamoDB", "Kinesis"):
            # moto invokes the function on each write, synchronously, and ignores FilterCriteria; the bridge
            # applies them (FunctionSpec.stream_filters), so the function sees only what Lambda would pass.
            self.client("lambda").create_event_source_mapping(
                EventSourceArn=props["Stream"],
                FunctionName=arn,
                StartingPosition=props.get("StartingPosition", "LATEST"),
                BatchSize=int(props.get("BatchSize", 100)),
            )
        elif kind == "SQS":
            # Not moto's mapping: it invokes the function inside SendMessage (the sender waits for the scoring),
            # one message at a time, and ignores batchItemFailures. The stack polls instead, as Lambda does.
            queue_arn = str(props["Queue"])
            queue_name = queue_arn.rsplit(":", 1)[-1]
            self.result.queue_mappings.append(
                QueueMapping(
                    queue_url=self.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"],
                    queue_arn=queue_arn,
                    function=arn,
                    batch_size=int(props.get("BatchSize", 10)),
                    report_item_failures="ReportBatchItemFailures"
                    in (props.get("FunctionResponseTypes") or []),
                )
            )
        else:
            raise TemplateError(f"{logical_id}: event type {kind} is not supported by the local stack")

    def _state_machine(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self._name(logical_id, limit=80)
        if "DefinitionUri" in props:
            text = (self.template.root / props["DefinitionUri"]).read_text(encoding="utf-8")
        else:
            text = json.dumps(props["Definition"])
        definition = _substitute(text, props.get("DefinitionSubstitutions", {}) or {}, logical_id)
        arn = self.client("stepfunctions").create_state_machine(
            name=name,
            definition=definition,
            roleArn=f"arn:aws:iam::{self.pseudo['AWS::AccountId']}:role/{self.stack_name}-local-states",
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
        self.result.state_machines[logical_id] = arn
        self._record(logical_id, arn, Arn=arn, Name=name)
        for event_id, event in (props.get("Events", {}) or {}).items():
            event_props = event.get("Properties", {})
            self._put_rule(
                f"{name}-{event_id}"[:64],
                event_props.get("EventBusName", "default"),
                event_props.get("Pattern"),
                [{"Id": f"{logical_id}{event_id}"[:64], "Arn": arn}],
                schedule=event_props.get("Schedule"),
            )

    def _lambda_role(self) -> str:
        if self._role_arn is None:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            role = self.client("iam").create_role(
                RoleName=f"{self.stack_name}-local-functions", AssumeRolePolicyDocument=json.dumps(trust)
            )
            self._role_arn = role["Role"]["Arn"]
        return self._role_arn

    _CREATORS: dict[str, Callable[[Provisioner, str, dict[str, Any]], None]] = {
        "AWS::DynamoDB::Table": _dynamodb_table,
        "AWS::S3::Bucket": _s3_bucket,
        "AWS::S3::BucketPolicy": _s3_bucket_policy,
        "AWS::Events::EventBus": _event_bus,
        "AWS::Events::Rule": _event_rule,
        "AWS::SQS::Queue": _sqs_queue,
        "AWS::SNS::Topic": _sns_topic,
        "AWS::Logs::LogGroup": _log_group,
        "AWS::SecretsManager::Secret": _secret,
        "AWS::SSM::Parameter": _ssm_parameter,
        "AWS::KMS::Key": _kms_key,
        "AWS::KMS::Alias": _kms_alias,
        "AWS::SES::EmailIdentity": _ses_email_identity,
        "AWS::Cognito::UserPool": _user_pool,
        "AWS::Cognito::UserPoolClient": _user_pool_client,
        "AWS::Cognito::UserPoolGroup": _user_pool_group,
        "AWS::Serverless::LayerVersion": _layer,
        "AWS::Serverless::Api": _api,
        "AWS::ApiGateway::UsagePlan": _usage_plan,
        "AWS::ApiGateway::ApiKey": _api_key,
        "AWS::ApiGateway::UsagePlanKey": _usage_plan_key,
        "AWS::Serverless::Function": _function,
        "AWS::Serverless::StateMachine": _state_machine,
    }


def default_client_factory(endpoint_url: str | None) -> Callable[[str], Any]:
    """boto3 clients for moto: fake credentials, fixed region, the given endpoint."""
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
        region_name=REGION,
    )
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            # boto3-stubs type a client by its literal service name; this one is chosen at run time.
            clients[service] = session.client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]
        return clients[service]

    return client


_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def _substitute(text: str, substitutions: Mapping[str, Any], logical_id: str) -> str:
    """Apply DefinitionSubstitutions; a placeholder with no value is an error, as in CloudFormation."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in substitutions:
            raise TemplateError(f"{logical_id}: no DefinitionSubstitutions value for ${{{key}}}")
        return str(substitutions[key])

    return _SUBSTITUTION.sub(replace, text)


def _cors(configuration: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CORS properties in the S3 API's shape (CorsRules, ExposedHeaders, MaxAge, Id)."""
    renamed = {"ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds", "Id": "ID"}
    rules = [{renamed.get(k, k): v for k, v in rule.items()} for rule in configuration.get("CorsRules", [])]
    return {"CORSRules": rules}


def _object_lock(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ObjectLockConfiguration is the API's, except that a parameter's number arrives as text."""
    request: dict[str, Any] = {"ObjectLockEnabled": config.get("ObjectLockEnabled", "Enabled")}
    retention = (config.get("Rule") or {}).get("DefaultRetention")
    if retention:
        request["Rule"] = {
            "DefaultRetention": {
                "Mode": retention["Mode"],
                **{unit: int(retention[unit]) for unit in ("Days", "Years") if unit in retention},
            }
        }
    return request


def _lifecycle(configuration: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle properties in the S3 API's shape."""
    rules = []
    for rule in configuration.get("Rules", []):
        api_rule: dict[str, Any] = {
            "ID": rule.get("Id", "rule"),
            "Status": rule["Status"],
            "Filter": {"Prefix": ""},
        }
        if "Prefix" in rule:
            api_rule["Filter"] = {"Prefix": rule["Prefix"]}
        if "ExpirationInDays" in rule:
            api_rule["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "NoncurrentVersionExpiration" in rule:
            api_rule["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
            }
        if "AbortIncompleteMultipartUpload" in rule:
            api_rule["AbortIncompleteMultipartUpload"] = {
                "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            }
        rules.append(api_rule)
    return {"Rules": rules}


def _invocation_uri(region: str, function_arn: str) -> str:
    """How API Gateway names a Lambda function it invokes (an integration's or an authorizer's URI)."""
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def _placeholder_zip() -> bytes:
    """moto stores a code package; the code that runs is loaded from CodeUri by the runtime."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Code runs from the project's CodeUri folder on the local stack.\n")
    return buffer.getvalue()


def template_path(root: Path) -> Path:
    """template.yaml at the project's root."""
    return root / "template.yaml"


def _over_plain_http(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy without its statements on `aws:SecureTransport`: moto serves plain HTTP and enforces bucket
    policies, so "deny insecure transport" would deny every request of the local stack."""
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [s for s in statements if "aws:SecureTransport" not in json.dumps(s.get("Condition", {}))]
    return {**policy, "Statement": kept}
