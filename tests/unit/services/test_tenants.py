"""Tenant settings changed by an operator: validated, named when wrong, nothing half-written."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import InvalidInput, NotFound
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
