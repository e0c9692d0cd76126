"""The stand-in applies usage plans as API Gateway does: a token bucket per key at its plan's rate and burst, a
quota per period, keys unknown, disabled or off the stage refused; the plans read from (in-process) moto."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from arbiter_local.usage_plans import TokenBucket, UsagePlans


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def apigateway(stack: Any) -> Iterator[Any]:
    """The suite's moto (the local stack's server: moto's in-process mock would reset the state the stack shares);
    the API keys a test creates are removed after it, since key values are unique across a moto server."""
    client = stack.client("apigateway")
    before = {k["id"] for k in client.get_api_keys(limit=500)["items"]}
    yield client
    for created in client.get_api_keys(limit=500)["items"]:
        if created["id"] not in before:
            client.delete_api_key(apiKey=created["id"])


def plan(apigateway: Any, api_id: str, stage: str = "live", **limits: Any) -> str:
    return apigateway.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": stage}], **limits)[
        "id"
    ]


def key(apigateway: Any, plan_id: str | None, value: str, *, enabled: bool = True) -> str:
    key_id = apigateway.create_api_key(name=value, value=value, enabled=enabled)["id"]
    if plan_id:
        apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    return key_id


def test_a_token_bucket_lets_a_burst_through_then_the_rate():
    bucket = TokenBucket(rate=2, capacity=3, tokens=3, updated=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.49) is False  # 0.98 of a token
    assert bucket.take(0.5) is True
    assert [bucket.take(10.0) for _ in range(4)] == [True, True, True, False]  # never more than the burst


def test_each_key_is_throttled_at_its_plans_rate_separately(apigateway):
    api = apigateway.create_rest_api(name=f"a-{secrets.token_hex(4)}")["id"]
    shared = plan(apigateway, api, throttle={"rateLimit": 1, "burstLimit": 2})
    key(apigateway, shared, "acme-usage-key-0000000001")
    key(apigateway, shared, "globex-usage-key-00000001")
    clock = Clock()
    plans = UsagePlans(apigateway, api, "live", clock=clock)
    assert [plans.admit("acme-usage-key-0000000001") for _ in range(3)] == [None, None, "THROTTLED"]
    assert plans.admit("globex-usage-key-00000001") is None  # its own bucket
    clock.now += 1
    assert plans.admit("acme-usage-key-0000000001") is None


@pytest.mark.parametrize(
    "usage_key",
    [None, "", "nobodys-usage-key-000001", "disabled-usage-key-00001", "other-stage-key-00000001"],
)
def test_a_missing_unknown_disabled_or_off_stage_key_is_refused(apigateway, usage_key):
    api = apigateway.create_rest_api(name=f"a-{secrets.token_hex(4)}")["id"]
    key(
        apigateway,
        plan(apigateway, api, throttle={"rateLimit": 5, "burstLimit": 5}),
        "disabled-usage-key-00001",
        enabled=False,
    )
    key(apigateway, plan(apigateway, api, stage="test"), "other-stage-key-00000001")
    assert UsagePlans(apigateway, api, "live").admit(usage_key) == "INVALID_API_KEY"


def test_a_plan_without_throttle_lets_everything_through(apigateway):
    api = apigateway.create_rest_api(name=f"a-{secrets.token_hex(4)}")["id"]
    key(apigateway, plan(apigateway, api), "free-usage-key-000000001")
    plans = UsagePlans(apigateway, api, "live")
    assert {plans.admit("free-usage-key-000000001") for _ in range(100)} == {None}


@pytest.mark.parametrize(
    ("period", "next_period"),
    [("DAY", dt.date(2026, 11, 4)), ("WEEK", dt.date(2026, 11, 9)), ("MONTH", dt.date(2026, 12, 1))],
)
def test_a_quota_refuses_requests_until_its_period_ends(apigateway, period, next_period):
    api = apigateway.create_rest_api(name=f"a-{secrets.token_hex(4)}")["id"]
    key(apigateway, plan(apigateway, api, quota={"limit": 2, "period": period}), "quota-usage-key-0000001")
    today = {"date": dt.date(2026, 11, 3)}  # a Tuesday
    plans = UsagePlans(apigateway, api, "live", today=lambda: today["date"])
    assert [plans.admit("quota-usage-key-0000001") for _ in range(3)] == [None, None, "QUOTA_EXCEEDED"]
    today["date"] = next_period - dt.timedelta(days=1)
    assert plans.admit("quota-usage-key-0000001") == "QUOTA_EXCEEDED"
    today["date"] = next_period
    assert plans.admit("quota-usage-key-0000001") is None


def test_a_new_key_is_known_at_once_and_a_moved_key_within_the_refresh(apigateway):
    api = apigateway.create_rest_api(name=f"a-{secrets.token_hex(4)}")["id"]
    roomy = plan(apigateway, api, throttle={"rateLimit": 100, "burstLimit": 100})
    tight = plan(apigateway, api, throttle={"rateLimit": 1, "burstLimit": 1})
    clock = Clock()
    plans = UsagePlans(apigateway, api, "live", clock=clock, refresh_seconds=2)
    assert plans.admit("x" * 24) == "INVALID_API_KEY"
    key_id = key(apigateway, roomy, "new-usage-key-0000000001")
    assert plans.admit("new-usage-key-0000000001") is None  # read again for a key not seen yet
    apigateway.delete_usage_plan_key(usagePlanId=roomy, keyId=key_id)
    apigateway.create_usage_plan_key(usagePlanId=tight, keyId=key_id, keyType="API_KEY")
    assert [plans.admit("new-usage-key-0000000001") for _ in range(3)] == [None, None, None]  # not read yet
    clock.now += 2
    assert [plans.admit("new-usage-key-0000000001") for _ in range(2)] == [None, "THROTTLED"]
