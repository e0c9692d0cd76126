"""Tiers as API Gateway usage plans, against the local stack's moto: the plans of one API stage by name, a key per
tenant in one of them, moved between them."""

from __future__ import annotations

import secrets

import boto3
import pytest

from arbiter.adapters.apigateway import ApiGatewayUsagePlans
from arbiter.domain.errors import Conflict, InvalidInput


@pytest.fixture
def apigateway(stack):
    return boto3.client("apigateway", region_name="us-east-1")


@pytest.fixture
def api(apigateway) -> tuple[str, dict[str, str]]:
    """An API of its own with a stage `live`, plans `basic` and `pro` on it, and a plan of another API."""
    api_id = apigateway.create_rest_api(name=f"plans-{secrets.token_hex(3)}", apiKeySource="AUTHORIZER")["id"]
    other = apigateway.create_rest_api(name=f"other-{secrets.token_hex(3)}")["id"]
    plans = {}
    for name, api_stage in (
        ("basic", (api_id, "live")),
        ("pro", (api_id, "live")),
        ("elsewhere", (other, "live")),
    ):
        plans[name] = apigateway.create_usage_plan(
            name=name,
            apiStages=[{"apiId": api_stage[0], "stage": api_stage[1]}],
            throttle={"rateLimit": 5, "burstLimit": 10},
        )["id"]
    return api_id, plans


def members(apigateway, plan_id: str) -> set[str]:
    return {k["id"] for k in apigateway.get_usage_plan_keys(usagePlanId=plan_id)["items"]}


def test_the_tiers_are_the_plans_of_the_stage(apigateway, api):
    api_id, _plans = api
    assert ApiGatewayUsagePlans(apigateway, api_id, "live").tiers() == ["basic", "pro"]
    assert ApiGatewayUsagePlans(apigateway, api_id, "test").tiers() == []


def test_a_key_is_issued_in_its_tier_with_a_value_for_the_authorizer(apigateway, api):
    api_id, plans = api
    usage = ApiGatewayUsagePlans(apigateway, api_id, "live").issue_key("acme", "basic")
    assert usage.tier == "basic"
    assert members(apigateway, plans["basic"]) == {usage.key_id}
    stored = apigateway.get_api_key(apiKey=usage.key_id, includeValue=True)
    assert stored["value"] == usage.value
    assert len(usage.value) >= 20
    assert stored["enabled"] is True
    assert stored["name"] == f"{api_id}-live-acme"


def test_a_key_moves_between_tiers(apigateway, api):
    api_id, plans = api
    adapter = ApiGatewayUsagePlans(apigateway, api_id, "live")
    usage = adapter.issue_key("acme", "basic")
    moved = adapter.move_key(usage, "pro")
    assert (moved.key_id, moved.value, moved.tier) == (usage.key_id, usage.value, "pro")
    assert members(apigateway, plans["basic"]) == set()
    assert members(apigateway, plans["pro"]) == {usage.key_id}


def test_an_unknown_tier_is_refused_naming_the_tiers(apigateway, api):
    api_id, _plans = api
    with pytest.raises(InvalidInput, match="no tier 'elsewhere'; the tiers are: basic, pro"):
        ApiGatewayUsagePlans(apigateway, api_id, "live").issue_key("acme", "elsewhere")


def test_two_plans_of_one_name_on_the_stage_are_a_conflict(apigateway, api):
    api_id, _plans = api
    apigateway.create_usage_plan(name="pro", apiStages=[{"apiId": api_id, "stage": "live"}])
    with pytest.raises(Conflict, match="named 'pro'"):
        ApiGatewayUsagePlans(apigateway, api_id, "live").tiers()
