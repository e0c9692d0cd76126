"""The monitored index's contract (`arbiter.services.ports.MonitoredEntities`), with the case store that writes it:
an approval writes the entity's record in the decision's write, holding only what screening reads; approving again
keeps a reviewer's "off"; a switch is audited on its case; an erasure removes the record; tenants stay apart."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.audit_chain import verify
from arbiter.domain.case import SYSTEM, Actor, AuditEntry, Case, CaseState
from arbiter.domain.entity import Entity
from arbiter.domain.errors import NotFound
from arbiter.domain.monitored import MonitoredEntity
from tests.builders import business, individual, ubo
from tests.unit.contracts.backends import Backend

AT = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
ADMIN = Actor(type="reviewer", id="admin-1")


def approved(backend: Backend, entity: Entity, tenant_id: str | None = None) -> Case:
    """A case of `entity` opened, sent to review and approved, through the case store."""
    cases = backend.ports.cases
    tenant_id = tenant_id or backend.tenant_id
    workflow = "kyb" if entity.type == "business" else "kyc"
    case, change = Case.open(
        tenant_id=tenant_id, workflow_id=workflow, workflow_version=1, entity=entity, actor=SYSTEM, at=AT
    )
    cases.add(case, change)
    change = case.await_review(None, at=AT)
    cases.save(case, change, expected_version=case.version)
    change = case.decide("approved", actor=ADMIN, reason="documents match", at=AT)
    cases.save(case, change, expected_version=case.version)
    return case


def stored(backend: Backend, key: str) -> MonitoredEntity:
    record = backend.ports.monitored.get(backend.tenant_id, key)
    assert record is not None, f"{key} is not monitored"
    return record


def switch(backend: Backend, case: Case, enabled: bool) -> bool:
    entry = AuditEntry(at=AT, actor=ADMIN, action="monitoring.enabled" if enabled else "monitoring.disabled")
    return backend.ports.monitored.set_enabled(case.tenant_id, case.entity.id or "", enabled, entry, case.id)


def test_an_approval_writes_the_entitys_record_with_only_what_screening_reads(backend: Backend) -> None:
    owner = ubo("Ada", "Lovelace", 60, id="p-1", email="ada@example.com")
    case = approved(backend, business("biz-1", ubos=[owner], email="office@acme.example"))
    [record] = list(backend.ports.monitored.of_tenant(backend.tenant_id))
    assert (record.key, record.case_id, record.workflow_id, record.enabled) == ("biz-1", case.id, "kyb", True)
    assert record.entity_type == "business"
    assert record.since == AT
    subject = record.subject.business
    assert subject is not None
    assert (subject.name, subject.registration_number, subject.country_of_incorporation) == (
        "Acme Payments GmbH",
        "HRB 123456",
        "DE",
    )
    assert subject.email is None
    assert subject.website is None
    assert subject.ubos[0].id == "p-1"
    assert subject.ubos[0].email is None
    assert backend.ports.monitored.get(backend.tenant_id, "biz-1") == record


def test_a_rejection_writes_nothing_and_another_tenant_sees_nothing(backend: Backend) -> None:
    cases = backend.ports.cases
    case, change = Case.open(
        tenant_id=backend.tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual("e-2"),
        actor=SYSTEM,
        at=AT,
    )
    cases.add(case, change)
    cases.save(case, case.await_review(None, at=AT), expected_version=case.version)
    cases.save(case, case.decide("rejected", actor=ADMIN, reason="no", at=AT), expected_version=case.version)
    approved(backend, individual("e-1"))
    assert [r.key for r in backend.ports.monitored.of_tenant(backend.tenant_id)] == ["e-1"]
    assert list(backend.ports.monitored.of_tenant(backend.other_tenant())) == []
    assert backend.ports.monitored.get(backend.other_tenant(), "e-1") is None


def test_a_switch_is_audited_on_its_case_and_approving_again_keeps_it_off(backend: Backend) -> None:
    case = approved(backend, individual("e-1"))
    assert switch(backend, case, False) is True
    assert switch(backend, case, False) is False  # already off: nothing written
    actions = [e.action for e in backend.ports.cases.detail(case.tenant_id, case.id).audit]
    assert actions.count("monitoring.disabled") == 1
    # The switch's audit entry extends the case's hash chain like any change's: the chain still verifies.
    chain = verify(backend.ports.cases.audit_chain(case.tenant_id, case.id))
    assert (chain.valid, chain.entries) == (True, len(actions))
    again = approved(backend, individual("e-1"))
    record = stored(backend, "e-1")
    assert record.case_id == again.id
    assert record.enabled is False
    assert switch(backend, again, True) is True
    assert stored(backend, "e-1").enabled is True


def test_switching_an_entity_never_approved_is_not_found(backend: Backend) -> None:
    case = approved(backend, individual("e-1"))
    entry = AuditEntry(at=AT, actor=ADMIN, action="monitoring.disabled")
    with pytest.raises(NotFound):
        backend.ports.monitored.set_enabled(backend.tenant_id, "nobody", False, entry, case.id)


def test_erasing_the_approved_case_removes_the_record(backend: Backend) -> None:
    case = approved(backend, individual("e-1"))
    change = case.erase_personal_data(ADMIN, "the customer asked")
    backend.ports.cases.save(case, change, expected_version=case.version)
    assert case.state == CaseState.APPROVED
    assert backend.ports.monitored.get(backend.tenant_id, "e-1") is None


def test_a_full_rescreen_reads_the_keys_in_order_and_a_shard_reads_its_range(backend: Backend) -> None:
    for key in ("e-3", "e-1", "e-4", "e-2"):
        approved(backend, individual(key))
    approved(backend, individual("e-0"), tenant_id=backend.other_tenant())
    monitored = backend.ports.monitored

    assert list(monitored.keys_of_tenant(backend.tenant_id)) == ["e-1", "e-2", "e-3", "e-4"]
    assert [r.key for r in monitored.in_range(backend.tenant_id, "e-2", "e-3")] == ["e-2", "e-3"]
    assert [r.key for r in monitored.in_range(backend.tenant_id, "e-4", "e-4")] == ["e-4"]
    assert list(monitored.in_range(backend.tenant_id, "e-0", "e-0")) == []  # the other tenant's
