"""Tenant settings changed by an operator: validated, named when wrong, nothing half-written."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.tenant import MIN_API_KEY_LENGTH
from arbiter.services import tenants
from tests.unit.fakes import InMemoryTenants


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
