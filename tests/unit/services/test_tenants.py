"""Tenants set up by an operator: settings and tiers validated, named when wrong, nothing half-written."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.tenant import MIN_API_KEY_LENGTH
from arbiter.services import tenants
from tests.unit.fakes import FakeUsagePlans, InMemoryTenants


def store() -> InMemoryTenants:
    repository = InMemoryTenants()
    tenants.create_tenant(repository, "acme", "Acme")
    return repository


def test_a_setting_is_changed_and_the_others_kept():
    repository = store()
    tenants.change_setting(repository, "acme", "workflow_aliases", {"kyb-onboarding": "kyb"})
    changed = tenants.change_setting(repository, "acme", "allow_integrator_decisions", True)
    assert changed.settings.allow_integrator_decisions is True
    stored = repository.get("acme").settings
    assert (stored.allow_integrator_decisions, stored.workflow_aliases) == (True, {"kyb-onboarding": "kyb"})


def test_integrator_decisions_are_off_until_turned_on():
    assert store().get("acme").settings.allow_integrator_decisions is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("allow_integrator_decision", True, "no tenant setting 'allow_integrator_decision'"),
        (
            "allow_integrator_decisions",
            "perhaps",
            "allow_integrator_decisions: Input should be a valid boolean",
        ),
        ("document_retention_days", 0, "document_retention_days: Input should be greater than or equal to 1"),
    ],
)
def test_a_wrong_name_or_value_is_refused_naming_it_and_nothing_changes(name, value, message):
    repository = store()
    with pytest.raises(InvalidInput, match=message) as caught:
        tenants.change_setting(repository, "acme", name, value)
    assert caught.value.path == name
    assert repository.get("acme").settings == tenants.TenantSettings()


def test_an_unknown_tenant_is_not_found():
    with pytest.raises(NotFound):
        tenants.change_setting(store(), "globex", "allow_integrator_decisions", True)


def test_a_tenant_created_with_usage_plans_gets_its_own_key_in_the_default_tier():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    created = tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans)
    stored = repository.get("acme")
    assert stored.usage == created.usage
    assert stored.usage.tier == "standard"
    assert plans.tier_of(stored.usage.key_id) == "standard"


def test_a_tenant_can_be_created_in_another_tier():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans, tier="high-volume")
    assert plans.tier_of(repository.get("acme").usage.key_id) == "high-volume"


def test_an_unknown_tier_is_refused_naming_the_tiers_and_nothing_is_created():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    with pytest.raises(InvalidInput, match="no tier 'gold'; the tiers are: high-volume, standard") as caught:
        tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans, tier="gold")
    assert caught.value.path == "tier"
    assert repository.get("acme") is None
    assert plans.plans == {"standard": set(), "high-volume": set()}


def test_a_taken_tenant_id_creates_no_usage_key():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans)
    with pytest.raises(Conflict):
        tenants.create_tenant(repository, "acme", "Acme again", usage_plans=plans)
    assert sum(len(keys) for keys in plans.plans.values()) == 1


def test_changing_the_tier_moves_the_tenants_key_and_keeps_it():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    before = tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans).usage
    after = tenants.change_tier(repository, plans, "acme", "high-volume").usage
    assert (after.key_id, after.value, after.tier) == (before.key_id, before.value, "high-volume")
    assert repository.get("acme").usage == after
    assert plans.plans == {"standard": set(), "high-volume": {after.key_id}}


def test_a_tenant_without_a_usage_key_gets_one_when_given_a_tier():
    repository, plans = store(), FakeUsagePlans()
    assert repository.get("acme").usage is None
    changed = tenants.change_tier(repository, plans, "acme", "standard")
    assert plans.tier_of(changed.usage.key_id) == "standard"
    assert repository.get("acme").usage == changed.usage


def test_changing_to_an_unknown_tier_or_for_an_unknown_tenant_changes_nothing():
    repository, plans = InMemoryTenants(), FakeUsagePlans()
    usage = tenants.create_tenant(repository, "acme", "Acme", usage_plans=plans).usage
    with pytest.raises(InvalidInput, match="no tier 'gold'"):
        tenants.change_tier(repository, plans, "acme", "gold")
    with pytest.raises(NotFound):
        tenants.change_tier(repository, plans, "globex", "standard")
    assert repository.get("acme").usage == usage
    assert plans.tier_of(usage.key_id) == "standard"


def test_a_generated_key_is_long_and_its_record_keeps_only_the_marker():
    repository = store()
    key = tenants.issue_api_key(repository, "acme", label="production")
    assert len(key) >= MIN_API_KEY_LENGTH
    stored = next(iter(repository.keys.values()))
    assert stored.prefix == "arb_"
    assert key not in stored.model_dump_json()
    assert tenants.authenticate_api_key(repository, key)[1].key_id == stored.key_id


@pytest.mark.parametrize("key", ["x" * 32, "a-much-longer-key-imported-from-elsewhere-0123456789"])
def test_an_imported_key_keeps_at_most_four_characters_in_clear(key):
    repository = store()
    tenants.issue_api_key(repository, "acme", key=key)
    stored = next(iter(repository.keys.values()))
    assert stored.prefix == key[:4]


@pytest.mark.parametrize("key", ["secret", "x" * 31])
def test_a_short_imported_key_is_refused_and_nothing_is_stored(key):
    repository = store()
    with pytest.raises(InvalidInput, match="an API key has at least 32 characters") as caught:
        tenants.issue_api_key(repository, "acme", key=key)
    assert caught.value.path == "key"
    assert repository.keys == {}


@pytest.mark.parametrize(
    ("key", "prefix"), [("secret", "se"), ("abc", "a"), ("ab", ""), ("abcdefghijkl", "abcd")]
)
def test_the_demo_key_is_allowed_knowingly_and_its_record_reveals_a_third_of_it_at_most(key, prefix):
    repository = store()
    tenants.issue_api_key(repository, "acme", key=key, allow_short_key=True)
    stored = next(iter(repository.keys.values()))
    assert stored.prefix == prefix
    assert len(stored.prefix) <= len(key) // 3
    assert tenants.authenticate_api_key(repository, key)[0].id == "acme"
