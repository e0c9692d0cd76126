"""Where the local stack makes moto behave as AWS does, because the product relies on it."""

from __future__ import annotations

import secrets
from typing import Any

import pytest


def test_a_retried_transaction_with_its_client_token_is_not_applied_twice(stack: Any) -> None:
    dynamodb = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    key = f"FIDELITY#{secrets.token_hex(4)}"

    def put(token: str, value: str) -> dict[str, Any]:
        return dynamodb.transact_write_items(
            ClientRequestToken=token,
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": key}, "sk": {"S": "X"}, "value": {"S": value}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ],
        )

    token = secrets.token_hex(16)
    put(token, "first")
    put(token, "first")  # the SDK's retry of a write that went through: DynamoDB answers success again
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": key}, "sk": {"S": "X"}})["Item"]
    assert item["value"] == {"S": "first"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        put(secrets.token_hex(16), "second")  # another request: the condition still holds the line


def test_a_binary_attribute_goes_through_the_tables_stream(stack: Any) -> None:
    """Case items hold their JSON compressed (binary): the stream hands such records to the outbox publisher,
    base64-encoded as DynamoDB Streams does, instead of failing the write."""
    import base64
    import zlib

    from arbiter_local.moto_bridge import _StreamRecordJson

    dynamodb = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    key = {"pk": {"S": f"FIDELITY#{secrets.token_hex(4)}"}, "sk": {"S": "CASE"}}
    body = zlib.compress(b'{"id": "fidelity"}')
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": {**key, "body": {"B": body}}}}]
    )
    dynamodb.put_item(TableName=table, Item={**key, "body": {"B": body}, "again": {"BOOL": True}})
    assert dynamodb.get_item(TableName=table, Key=key)["Item"]["body"] == {"B": body}
    record = _StreamRecordJson().loads(_StreamRecordJson.dumps({"NewImage": {"body": {"B": body}}}))
    assert base64.b64decode(record["NewImage"]["body"]["B"]) == body


def test_every_caller_invokes_the_alias_that_snapstart_snapshots(stack: Any) -> None:
    """As SAM wires AutoPublishAlias: state machines, bucket notifications, rules and stream mappings name the
    alias (`live`), and invoking it runs the function."""
    lam = stack.client("lambda")
    alias_of = {}
    for logical_id in (
        "WorkflowTasksFunction",
        "IngestCaseDocumentsFunction",
        "IngestDocumentsFunction",
        "OngoingScreeningFunction",
        "WebhooksFunction",
    ):
        name = stack.physical_id(logical_id)
        alias = lam.get_alias(FunctionName=name, Name="live")
        assert alias["FunctionVersion"] != "$LATEST"  # a published version
        alias_of[logical_id] = alias["AliasArn"]

    states = stack.client("stepfunctions")
    definition = states.describe_state_machine(
        stateMachineArn=stack.provisioned.state_machines["KybStateMachine"]
    )
    assert alias_of["WorkflowTasksFunction"] in definition["definition"]
    automation = states.describe_state_machine(
        stateMachineArn=stack.provisioned.state_machines["AutomationStateMachine"]
    )["definition"]
    assert alias_of["IngestCaseDocumentsFunction"] in automation  # its IngestDocuments step

    s3 = stack.client("s3")
    notification = s3.get_bucket_notification_configuration(Bucket=stack.physical_id("DocumentsBucket"))
    assert sorted(c["LambdaFunctionArn"] for c in notification["LambdaFunctionConfigurations"]) == sorted(
        [alias_of["IngestDocumentsFunction"], alias_of["OngoingScreeningFunction"]]
    )

    events = stack.client("events")
    bus = stack.physical_id("EventBus")
    rules = events.list_rules(EventBusName=bus, NamePrefix=stack.physical_id("WebhooksFunction"))["Rules"]
    targets = events.list_targets_by_rule(Rule=rules[0]["Name"], EventBusName=bus)["Targets"]
    assert [t["Arn"] for t in targets] == [alias_of["WebhooksFunction"]]

    stream = stack.provisioned.resources["ArbiterTable"].attributes["StreamArn"]
    mappings = lam.list_event_source_mappings(EventSourceArn=stream)["EventSourceMappings"]
    expected = []
    for consumer in ("PublishEventsFunction", "ContinueWorkflowsFunction"):  # the outbox's two readers
        alias = lam.get_alias(FunctionName=stack.physical_id(consumer), Name="live")
        published = f"{alias['AliasArn'].rsplit(':', 1)[0]}:{alias['FunctionVersion']}"
        # moto records the version the alias points to when the mapping is made (AWS keeps the alias's ARN).
        expected.append({alias["AliasArn"], published})
    assert len(mappings) == 2
    for mapping, allowed in zip(mappings, expected, strict=True):
        assert mapping["FunctionArn"] in allowed


def test_the_api_invokes_the_authorizers_alias_and_requires_keys_where_the_template_says(stack: Any) -> None:
    """As SAM deploys the Api: the authorizer's URI names the alias (its SnapStart snapshot), integrator routes
    require the authorizer and an API key, public and reviewer routes neither; the usage plans are on the stage."""
    apigateway = stack.client("apigateway")
    api = stack.provisioned.api
    alias = stack.client("lambda").get_alias(FunctionName=stack.physical_id("AuthorizeFunction"), Name="live")
    (authorizer,) = apigateway.get_authorizers(restApiId=api.api_id)["items"]
    assert alias["AliasArn"] in authorizer["authorizerUri"]
    assert apigateway.get_rest_api(restApiId=api.api_id)["apiKeySource"] == "AUTHORIZER"

    methods = {}
    for resource in apigateway.get_resources(restApiId=api.api_id, embed=["methods"])["items"]:
        for verb, method in (resource.get("resourceMethods") or {}).items():
            methods[f"{verb} {resource['path']}"] = (
                method.get("authorizationType"),
                method.get("apiKeyRequired"),
            )
    assert methods["ANY /v1/cases/{proxy+}"] == ("CUSTOM", True)
    assert methods["POST /api/v1/external/storage"] == ("CUSTOM", True)
    assert methods["ANY /v1/webhooks"] == ("CUSTOM", True)
    assert methods["GET /v1/openapi.json"] == ("NONE", False)
    assert methods["ANY /v1/review/{proxy+}"] == ("NONE", False)

    plans = {
        p["name"]: p
        for p in apigateway.get_usage_plans()["items"]
        if {"apiId": api.api_id, "stage": api.stage} in p.get("apiStages", [])
    }
    # The template's tiers (tests may add plans of their own).
    assert {"standard", "high-volume"} <= set(plans)
    # Every tenant the session created has its own key in its tier's plan: read them all.
    pages = apigateway.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plans["standard"]["id"])
    shared = [key for page in pages for key in page["items"]]
    variables = stack.runtime.by_logical_id("AuthorizeFunction").environment
    assert variables["SHARED_USAGE_KEY"] in [k["value"] for k in shared]
