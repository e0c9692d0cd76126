"""The tenant store's contract (`arbiter.services.ports.TenantRepository`) and the usage plans' (`UsagePlans`): the
fakes and the adapters (DynamoDB, API Gateway on moto) agree."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from arbiter.adapters.apigateway import ApiGatewayUsagePlans
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.sealed import ballerine_secret_context, is_sealed
from arbiter.domain.tenant import ApiKey, Tenant, TenantSettings, UsageKey, hash_api_key, key_prefix
from arbiter.services.ports import TenantRepository, UsagePlans
from tests.unit.contracts.backends import BACKENDS, Backend
from tests.unit.fakes import FakeUsagePlans, InMemorySecretBox

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def a_tenant(tenant_id: str, **settings: Any) -> Tenant:
    return Tenant(id=tenant_id, name="Acme Payments", created_at=AT, settings=TenantSettings(**settings))


def an_api_key(tenant_id: str, key: str) -> ApiKey:
    return ApiKey(
        key_hash=hash_api_key(key),
        tenant_id=tenant_id,
        key_id="key-1",
        label="backend",
        prefix=key_prefix(key),
        created_at=AT,
    )


def test_a_tenant_is_read_back_as_stored_with_its_usage_key(
    tenants: TenantRepository, backend: Backend
) -> None:
    usage = UsageKey(tier="standard", key_id="k-1", value="u" * 40)
    tenant = a_tenant(
        backend.tenant_id, workflow_aliases={"kyb-onboarding": "kyb"}, document_retention_days=30
    )
    tenant.usage = usage
    tenants.add(tenant)
    assert tenants.get(backend.tenant_id) == tenant
    assert tenants.get(backend.other_tenant()) is None


def test_adding_a_tenant_whose_id_is_taken_is_a_conflict_and_keeps_the_first(
    tenants: TenantRepository, backend: Backend
) -> None:
    tenants.add(a_tenant(backend.tenant_id))
    second = a_tenant(backend.tenant_id).model_copy(update={"name": "Impostor"})
    with pytest.raises(Conflict):
        tenants.add(second)
    stored = tenants.get(backend.tenant_id)
    assert stored is not None
    assert stored.name == "Acme Payments"


def test_an_update_replaces_the_tenant_and_a_missing_tenant_is_not_found(
    tenants: TenantRepository, backend: Backend
) -> None:
    tenants.add(a_tenant(backend.tenant_id))
    changed = a_tenant(backend.tenant_id, allow_integrator_decisions=True)
    changed.usage = UsageKey(tier="high-volume", key_id="k-2", value="v" * 40)
    tenants.update(changed)
    assert tenants.get(backend.tenant_id) == changed
    with pytest.raises(NotFound):
        tenants.update(a_tenant(backend.other_tenant()))
    assert tenants.get(backend.other_tenant()) is None


def test_a_shared_secret_is_stored_sealed_for_its_tenant_and_never_sealed_twice(
    tenants: TenantRepository, backend: Backend
) -> None:
    tenants.add(a_tenant(backend.tenant_id, webhook_shared_secret="s3cret-shared"))
    stored = tenants.get(backend.tenant_id)
    assert stored is not None
    sealed = stored.settings.webhook_shared_secret
    assert sealed is not None
    assert is_sealed(sealed)
    assert "s3cret-shared" not in sealed
    assert InMemorySecretBox().open(sealed, ballerine_secret_context(backend.tenant_id)) == "s3cret-shared"
    tenants.update(stored)
    again = tenants.get(backend.tenant_id)
    assert again is not None
    assert again.settings.webhook_shared_secret == sealed


def test_an_api_key_is_found_by_its_hash_only_once_issued(
    tenants: TenantRepository, backend: Backend
) -> None:
    key = an_api_key(backend.tenant_id, f"arb_{secrets.token_urlsafe(32)}")
    assert tenants.get_api_key(key.key_hash) is None
    tenants.add_api_key(key)
    assert tenants.get_api_key(key.key_hash) == key
    with pytest.raises(Conflict):
        tenants.add_api_key(key.model_copy(update={"tenant_id": backend.other_tenant()}))
    assert tenants.get_api_key(key.key_hash) == key
    assert tenants.get_api_key(hash_api_key("another key")) is None


# ---------------------------------------------------------------------------------------------- usage plans


@pytest.fixture(params=BACKENDS)
def usage_plans(request: pytest.FixtureRequest) -> tuple[UsagePlans, Any]:
    """Tiers `high-volume` and `standard`: the fake, or usage plans of an API stage of their own in moto; and how to
    read which tier a key is in."""
    if request.param == "memory":
        fake = FakeUsagePlans()
        return fake, fake.tier_of
    stack = request.getfixturevalue("stack")
    apigateway = stack.client("apigateway")
    api_id = apigateway.create_rest_api(name=f"tiers-{secrets.token_hex(3)}", apiKeySource="AUTHORIZER")["id"]
    plans = {
        name: apigateway.create_usage_plan(
            name=name,
            apiStages=[{"apiId": api_id, "stage": "live"}],
            throttle={"rateLimit": 5, "burstLimit": 10},
        )["id"]
        for name in ("standard", "high-volume")
    }

    def tier_of(key_id: str) -> str | None:
        return next(
            (
                name
                for name, plan_id in plans.items()
                if key_id in {k["id"] for k in apigateway.get_usage_plan_keys(usagePlanId=plan_id)["items"]}
            ),
            None,
        )

    return ApiGatewayUsagePlans(apigateway, api_id, "live"), tier_of


def test_the_tiers_are_the_plans_by_name(usage_plans: tuple[UsagePlans, Any]) -> None:
    plans, _ = usage_plans
    assert plans.tiers() == ["high-volume", "standard"]


def test_a_key_is_issued_in_its_tier_and_moved_to_another(usage_plans: tuple[UsagePlans, Any]) -> None:
    plans, tier_of = usage_plans
    key = plans.issue_key("acme", "standard")
    assert (key.tier, tier_of(key.key_id)) == ("standard", "standard")
    assert len(key.value) >= 20
    moved = plans.move_key(key, "high-volume")
    assert (moved.tier, moved.key_id, moved.value) == ("high-volume", key.key_id, key.value)
    assert tier_of(key.key_id) == "high-volume"
    other = plans.issue_key("globex", "standard")
    assert other.key_id != key.key_id


def test_an_unknown_tier_is_invalid_naming_the_field_and_changes_nothing(
    usage_plans: tuple[UsagePlans, Any],
) -> None:
    plans, tier_of = usage_plans
    with pytest.raises(InvalidInput) as refused:
        plans.issue_key("acme", "platinum")
    assert refused.value.path == "tier"
    key = plans.issue_key("acme", "standard")
    with pytest.raises(InvalidInput):
        plans.move_key(key, "platinum")
    assert tier_of(key.key_id) == "standard"


def test_a_tenants_keys_are_listed_used_once_a_day_and_revoked_within_the_tenant(
    tenants: TenantRepository, backend: Backend
) -> None:
    t = backend.tenant_id
    tenants.add(a_tenant(t))
    first = an_api_key(t, f"arb_{secrets.token_hex(16)}")
    second = an_api_key(t, f"arb_{secrets.token_hex(16)}").model_copy(update={"key_id": "key-2"})
    tenants.add_api_key(first)
    tenants.add_api_key(second)
    day = dt.date(2026, 12, 6)
    tenants.record_key_use(first, day)
    tenants.record_key_use(first, day - dt.timedelta(days=1))  # an older day never moves it back
    listed = {k.key_id: k for k in tenants.api_keys(t)}
    assert set(listed) == {first.key_id, second.key_id}
    assert (listed[first.key_id].last_used_on, listed[second.key_id].last_used_on) == (day, None)
    assert tenants.api_keys(backend.other_tenant()) == []

    with pytest.raises(NotFound):
        tenants.revoke_api_key(backend.other_tenant(), first.key_id, dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    revoked = tenants.revoke_api_key(t, first.key_id, dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC))
    assert revoked.revoked
    stored = tenants.get_api_key(first.key_hash)
    assert stored is not None
    assert (stored.revoked, stored.last_used_on) == (True, day)
