"""The API's limits through the local stack: the authorizer in front of the integrator routes, failed
authentications limited per source address, and each tenant throttled by its own usage plan key.

Each test that fails authentications sends from a loopback address of its own (127.0.0.x): the stack sees it as
the request's source IP, as API Gateway sees the client's, so a blocked source here never blocks another test.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

import httpx
import pytest

from tests.waiting import wait_for

_addresses = itertools.count(2)


@pytest.fixture
def source() -> str:
    """A loopback address no other test of this session sends from."""
    return f"127.0.0.{next(_addresses)}"


def client_from(stack: Any, address: str, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.api_url,
        transport=httpx.HTTPTransport(local_address=address),
        headers=headers,
        timeout=30,
    )


def authorizer_runs(stack: Any) -> int:
    return sum(stack.gateway.authorizers.invocations.values())


def test_wrong_keys_from_one_source_are_401s_then_429s_for_the_rest_of_the_minute(stack, tenant, source):
    limit = int(stack.runtime.by_logical_id("AuthorizeFunction").environment["AUTH_FAILURES_PER_MINUTE"])
    remaining = 60 - time.time() % 60
    if remaining < 15:
        time.sleep(remaining)  # start in a fresh minute, so that the first window holds more than the limit
    answers: list[tuple[int | None, httpx.Response]] = []  # (the minute it was sent and answered in, answer)
    valid_key_while_blocked = None
    with client_from(stack, source) as attacker:
        for attempt in range(300):
            before = time.time()
            response = attacker.get("/v1/cases", headers={"Authorization": f"Bearer arb_guess-{attempt}"})
            after = time.time()
            answers.append((int(before // 60) if int(before // 60) == int(after // 60) else None, response))
            if response.status_code == 429 and valid_key_while_blocked is None:
                # Even a valid key is refused from a blocked source (it was not verified lately).
                valid_key_while_blocked = attacker.get("/v1/workflows", headers={"X-API-Key": tenant.api_key})
    windows = sorted({w for w, _ in answers if w is not None})
    first = [r.status_code for w, r in answers if w == windows[0]]
    assert len(first) > limit, "the first minute should hold more requests than the limit"
    assert first == [401] * limit + [429] * (len(first) - limit)
    for window in windows[1:]:  # a new minute: counted afresh, the same pattern
        statuses = [r.status_code for w, r in answers if w == window]
        allowed = statuses.count(401)
        assert allowed <= limit
        assert statuses == [401] * allowed + [429] * (len(statuses) - allowed)

    refused = next(r for _, r in answers if r.status_code == 429)
    assert refused.headers["Retry-After"] == "60"
    body = refused.json()
    assert (body["error"], body["statusCode"]) == ("TooManyRequests", 429)
    assert valid_key_while_blocked is not None
    assert valid_key_while_blocked.status_code == 429
    # Another source, with a valid key, is not affected.
    assert tenant.api().get("/v1/workflows").status_code == 200


def test_a_401_names_the_key_headers_with_both_arbiters_and_ballerines_fields(stack, source):
    with client_from(stack, source) as anonymous:
        for path, route in (
            ("/v1/cases", "/v1/cases"),
            ("/api/v1/external/workflows/run-1", "/api/v1/external/workflows/{proxy+}"),
        ):
            response = anonymous.get(path)
            assert response.status_code == 401
            body = response.json()
            assert body["error"] == "Unauthenticated"
            assert "API key is required" in body["message"]
            # The route's template, not the path asked for (a response template does not escape what it inserts).
            assert (body["statusCode"], body["path"]) == (401, route)


def test_the_authorizer_runs_before_every_integrator_request(stack, tenant):
    api = tenant.api()
    before = authorizer_runs(stack)
    assert api.get("/v1/workflows").status_code == 200
    person = {"type": "individual", "id": "v-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}
    case = api.post("/v1/cases", json={"workflow": "kyc", "entity": person})
    assert case.status_code == 202, case.text
    assert api.get(f"/v1/cases/{case.json()['id']}").status_code == 200
    # No API Gateway cache (template.yaml: ReauthorizeEvery 0): it runs for each request, its own memory
    # sparing it the reads of a key it verified lately.
    assert authorizer_runs(stack) == before + 3


def test_public_and_reviewer_routes_do_not_go_through_the_api_key_authorizer(stack):
    before = authorizer_runs(stack)
    assert httpx.get(f"{stack.api_url}/v1/openapi.json").status_code == 200
    reviewer = httpx.get(f"{stack.api_url}/v1/review/me")
    assert reviewer.status_code == 401
    assert "statusCode" not in reviewer.json()  # the function's own 401 (Cognito), not the gateway's
    assert authorizer_runs(stack) == before


def small_tier(stack: Any, *, rate: float, burst: int, quota: int | None = None) -> str:
    """A usage plan of the stack's API stage, as an operator adds a tier; its name."""
    api = stack.provisioned.api
    name = f"tiny-{secrets.token_hex(3)}"
    request: dict[str, Any] = {
        "name": name,
        "apiStages": [{"apiId": api.api_id, "stage": api.stage}],
        "throttle": {"rateLimit": rate, "burstLimit": burst},
    }
    if quota is not None:
        request["quota"] = {"limit": quota, "period": "DAY"}
    stack.client("apigateway").create_usage_plan(**request)
    return name


def set_tier(stack: Any, tenant_id: str, tier: str) -> None:
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenants.change_tier(repository, stack.usage_plans(), tenant_id, tier)


def other_tenant(stack: Any) -> Any:
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants
    from tests.support.tenants import TenantFixture

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenant_id = f"t-{secrets.token_hex(5)}"
    tenants.create_tenant(repository, tenant_id, "Neighbour", usage_plans=stack.usage_plans())
    return TenantFixture(id=tenant_id, api_key=tenants.issue_api_key(repository, tenant_id), stack=stack)


def test_a_tenant_over_its_rate_gets_429s_while_another_tenant_is_unaffected(stack, tenant):
    set_tier(stack, tenant.id, small_tier(stack, rate=1, burst=2))
    busy, neighbour = tenant.api(), other_tenant(stack).api()

    def throttled() -> httpx.Response | None:
        response = busy.get("/v1/workflows")
        return response if response.status_code == 429 else None

    # The stand-in reads the plans again within seconds, as API Gateway applies a change within seconds.
    refused = wait_for(
        throttled, timeout=30, interval=0, what="a 429 once the tenant's plan allows 1 a second"
    )
    assert refused.json() == {
        "error": "TooManyRequests",
        "message": "Too Many Requests",
        "statusCode": 429,
        "path": "/v1/workflows",  # the route, never the characters a caller put in the path
        "timestamp": refused.json()["timestamp"],
    }
    assert refused.headers["Retry-After"] == "1"
    for _ in range(5):
        assert neighbour.get("/v1/workflows").status_code == 200
    # The bucket refills at the plan's rate: the tenant is served again a second later.
    wait_for(lambda: busy.get("/v1/workflows").status_code == 200, timeout=10, what="the tenant served again")


def test_a_tenant_over_its_quota_gets_429s_until_the_period_ends(stack, tenant):
    set_tier(stack, tenant.id, small_tier(stack, rate=100, burst=100, quota=3))
    api = tenant.api()
    over = wait_for(
        lambda: (r := api.get("/v1/workflows")).status_code == 429 and r,
        timeout=30,
        interval=0,
        what="a 429 once the tenant's plan allows 3 a day",
    )
    assert (over.json()["error"], over.json()["message"], over.json()["statusCode"]) == (
        "TooManyRequests",
        "Limit Exceeded",
        429,
    )
    assert over.headers["Retry-After"] == "3600"


def test_tenants_are_created_in_the_standard_tier_with_a_key_of_their_own(stack, tenant):
    from arbiter.adapters.dynamodb import DynamoTenantRepository

    stored = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable")).get(
        tenant.id
    )
    assert stored is not None
    assert stored.usage is not None
    assert stored.usage.tier == "standard"
    apigateway = stack.client("apigateway")
    plans = apigateway.get_usage_plans(keyId=stored.usage.key_id)["items"]
    assert [p["name"] for p in plans] == ["standard"]
    assert plans[0]["throttle"] == {"rateLimit": 25.0, "burstLimit": 50}
