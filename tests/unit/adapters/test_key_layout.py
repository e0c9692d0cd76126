"""Every key of a tenant's data starts with its tenant id, closed by a separator no tenant id contains."""

from __future__ import annotations

import inspect

import pytest
from pydantic import TypeAdapter, ValidationError

from arbiter.adapters.dynamodb import keys
from arbiter.domain.tenant import TenantId

TENANT_KEYS = [
    function
    for name, function in inspect.getmembers(keys, inspect.isfunction)
    if function.__module__ == keys.__name__
    and next(iter(inspect.signature(function).parameters), "") == "tenant_id"
]


def test_the_layout_has_tenant_scoped_keys_to_check() -> None:
    assert {f.__name__ for f in TENANT_KEYS} >= {
        "case_pk",
        "webhook_pk",
        "delivery_pk",
        "status_pk",
        "rule_set_pk",
    }


@pytest.mark.parametrize("build", TENANT_KEYS, ids=lambda f: f.__name__)
def test_a_tenant_scoped_key_starts_with_the_tenant_and_a_separator(build) -> None:
    others = ["x"] * (len(inspect.signature(build).parameters) - 1)
    key = build("acme", *others)
    assert key.startswith(("TENANT#acme#", "T#acme#")) or key == "TENANT#acme", (
        key
    )  # or the tenant's own record
    assert not build("acme-2", *others).startswith(
        ("TENANT#acme#", "T#acme#")
    )  # never another tenant's prefix


@pytest.mark.parametrize("tenant_id", ["acme#x", "acme x", "", "a", "-acme", "ACME"])
def test_no_tenant_id_can_carry_the_separator_or_be_ambiguous(tenant_id: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(TenantId).validate_python(tenant_id)
