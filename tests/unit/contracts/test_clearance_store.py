"""The clearance store's contract (`arbiter.services.ports.ClearanceStore`): the fake and DynamoDB agree, and both
write a clearance's audit entry on its case, in the case store."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import SYSTEM, Actor, AuditEntry, Case
from arbiter.domain.errors import NotFound
from arbiter.domain.screening import Clearance
from arbiter.services.ports import ClearanceStore
from tests.builders import individual
from tests.unit.contracts.backends import Backend

AT = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
REVIEWER = Actor(type="reviewer", id="r-1")
OPENED = AT - dt.timedelta(days=1)


@pytest.fixture
def case_id(backend: Backend) -> str:
    """A case of the backend's tenant, in its case store."""
    cases = backend.ports.cases
    case, change = Case.open(
        tenant_id=backend.tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual("e-1"),
        actor=SYSTEM,
        at=OPENED,
    )
    cases.add(case, change)
    return case.id


def cleared(tenant_id: str, case_id: str, entry_id: str = "demo-haddad", party_key: str = "e-1") -> Clearance:
    return Clearance(
        tenant_id=tenant_id,
        party_key=party_key,
        entry_id=entry_id,
        case_id=case_id,
        subject="individual",
        party_name="Leila Haddad",
        listed_name="Leila Nasser Haddad",
        score=0.91,
        reason="another person: passport seen",
        cleared_by=REVIEWER,
        cleared_at=AT,
    )


def audit(action: str, minute: int) -> AuditEntry:
    return AuditEntry(at=AT + dt.timedelta(minutes=minute), actor=REVIEWER, action=action)


def audit_actions(backend: Backend, case_id: str) -> list[str]:
    cases = backend.ports.cases
    return [e.action for e in cases.detail(backend.tenant_id, case_id).audit]


def test_a_clearance_is_stored_once_with_its_audit_entry_on_the_case(
    clearances: ClearanceStore, backend: Backend, case_id: str
) -> None:
    clearance = cleared(backend.tenant_id, case_id)
    assert clearances.get(backend.tenant_id, "e-1", "demo-haddad") is None
    assert clearances.add(clearance, audit("screening.match_cleared", 1)) is True
    assert clearances.get(backend.tenant_id, "e-1", "demo-haddad") == clearance
    assert clearances.add(clearance, audit("screening.match_cleared", 2)) is False  # nothing written
    assert audit_actions(backend, case_id) == ["case.created", "screening.match_cleared"]


def test_a_clearance_for_a_case_that_does_not_exist_is_not_found_and_not_stored(
    clearances: ClearanceStore, backend: Backend
) -> None:
    with pytest.raises(NotFound):
        clearances.add(cleared(backend.tenant_id, "case_missing"), audit("screening.match_cleared", 1))
    assert clearances.get(backend.tenant_id, "e-1", "demo-haddad") is None


def test_a_partys_clearances_are_listed_by_entry_and_kept_apart_from_others(
    clearances: ClearanceStore, backend: Backend, case_id: str
) -> None:
    t = backend.tenant_id
    for entry in ("demo-orlov", "demo-haddad", "demo-kim"):
        clearances.add(cleared(t, case_id, entry), audit("screening.match_cleared", 1))
    clearances.add(cleared(t, case_id, "demo-other", party_key="e-2"), audit("screening.match_cleared", 2))
    assert [c.entry_id for c in clearances.for_party(t, "e-1")] == ["demo-haddad", "demo-kim", "demo-orlov"]
    assert [c.entry_id for c in clearances.for_party(t, "e-2")] == ["demo-other"]
    assert clearances.for_party(t, "e-3") == []
    assert clearances.for_party(backend.other_tenant(), "e-1") == []
    assert clearances.get(backend.other_tenant(), "e-1", "demo-haddad") is None


def test_cleared_entries_name_each_party_that_has_any(
    clearances: ClearanceStore, backend: Backend, case_id: str
) -> None:
    t = backend.tenant_id
    clearances.add(cleared(t, case_id, "demo-haddad"), audit("screening.match_cleared", 1))
    clearances.add(cleared(t, case_id, "demo-kim"), audit("screening.match_cleared", 2))
    clearances.add(cleared(t, case_id, "demo-orlov", party_key="e-2"), audit("screening.match_cleared", 3))
    assert clearances.cleared_entries(t, ["e-1", "e-2", "e-3", "e-1"]) == {
        "e-1": {"demo-haddad", "demo-kim"},
        "e-2": {"demo-orlov"},
    }
    assert clearances.cleared_entries(t, []) == {}
    assert clearances.cleared_entries(backend.other_tenant(), ["e-1"]) == {}


def test_a_clearance_is_removed_once_with_an_audit_entry_on_the_case_it_is_revoked_from(
    clearances: ClearanceStore, backend: Backend, case_id: str
) -> None:
    cases = backend.ports.cases
    other, change = Case.open(
        tenant_id=backend.tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual("e-1"),
        actor=SYSTEM,
        at=OPENED,
    )
    cases.add(other, change)
    clearance = cleared(backend.tenant_id, case_id)
    clearances.add(clearance, audit("screening.match_cleared", 1))
    assert clearances.remove(clearance, other.id, audit("screening.clearance_revoked", 2)) is True
    assert clearances.get(backend.tenant_id, "e-1", "demo-haddad") is None
    assert clearances.remove(clearance, other.id, audit("screening.clearance_revoked", 3)) is False
    assert audit_actions(backend, case_id) == ["case.created", "screening.match_cleared"]
    assert audit_actions(backend, other.id) == ["case.created", "screening.clearance_revoked"]
    clearances.add(clearance, audit("screening.match_cleared", 4))
    with pytest.raises(NotFound):
        clearances.remove(clearance, "case_missing", audit("screening.clearance_revoked", 5))
    assert clearances.get(backend.tenant_id, "e-1", "demo-haddad") == clearance
