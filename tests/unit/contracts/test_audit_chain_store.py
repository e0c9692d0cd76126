"""The audit chain's contract (`CaseRepository.audit_chain`, and the clearance store's audit lines): the fake and
DynamoDB chain the same entries to the same hashes, move the head in the same transaction as the change, and refuse
a save that would fork the chain."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.audit_chain import ChainHead, extend, verify
from arbiter.domain.case import SYSTEM, Actor, AuditEntry, Case
from arbiter.domain.errors import ConcurrentUpdate, NotFound
from arbiter.domain.screening import Clearance
from arbiter.services.ports import CaseRepository, ClearanceStore
from tests.builders import individual
from tests.unit.contracts.backends import Backend

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
REVIEWER = Actor(type="reviewer", id="r-1")


def opened(cases: CaseRepository, tenant_id: str) -> Case:
    case, change = Case.open(
        tenant_id=tenant_id,
        workflow_id="kyc",
        workflow_version=1,
        entity=individual("e-1"),
        actor=SYSTEM,
        at=T0,
    )
    cases.add(case, change)
    return case


def noted(cases: CaseRepository, case: Case, *texts: str, minute: int = 1) -> Case:
    """The case read again and saved with one note per text (one change), a minute apart from `minute`."""
    current = cases.get(case.tenant_id, case.id)
    change = current.record_note(texts[0], REVIEWER, at=T0 + dt.timedelta(minutes=minute))
    for n, text in enumerate(texts[1:], start=minute + 1):
        change += current.record_note(text, REVIEWER, at=T0 + dt.timedelta(minutes=n))
    cases.save(current, change, expected_version=current.version)
    return current


def test_every_change_extends_one_chain_from_genesis_to_the_head(
    cases: CaseRepository, backend: Backend
) -> None:
    case = opened(cases, backend.tenant_id)
    noted(cases, case, "first look", "second look")
    noted(cases, case, "third look", minute=10)
    chain = cases.audit_chain(backend.tenant_id, case.id)
    assert [r.seq for r in chain.records] == [0, 1, 2, 3]
    recomputed = extend(None, backend.tenant_id, case.id, [r.content for r in chain.records])
    assert [r.hash for r in chain.records] == [lk.hash for lk in recomputed]
    assert chain.head == ChainHead(hash=recomputed[-1].hash, entries=4)
    result = verify(chain)
    assert result.valid
    assert (result.entries, result.unchained, result.head) == (4, 0, recomputed[-1].hash)
    assert [r.content["action"] for r in chain.records] == [
        e.action for e in cases.detail(backend.tenant_id, case.id).audit
    ]


def test_the_chain_covers_the_entry_as_the_trail_shows_it(cases: CaseRepository, backend: Backend) -> None:
    case = opened(cases, backend.tenant_id)
    noted(cases, case, "Zoë's passport matches")
    stored = cases.audit_chain(backend.tenant_id, case.id).records[-1]
    shown = cases.detail(backend.tenant_id, case.id).audit[-1]
    assert stored.content == shown.model_dump(mode="json")


def test_a_save_from_a_read_older_than_the_head_loses_the_race(
    cases: CaseRepository, backend: Backend
) -> None:
    case = opened(cases, backend.tenant_id)
    stale = cases.get(backend.tenant_id, case.id)
    noted(cases, case, "someone else's note")
    with pytest.raises(ConcurrentUpdate):
        cases.save(stale, stale.record_note("mine", REVIEWER, at=T0), expected_version=stale.version)
    assert verify(cases.audit_chain(backend.tenant_id, case.id)).entries == 2


def test_the_chain_of_a_case_that_does_not_exist_is_not_found(
    cases: CaseRepository, backend: Backend
) -> None:
    with pytest.raises(NotFound):
        cases.audit_chain(backend.tenant_id, "case_missing")
    case = opened(cases, backend.tenant_id)
    with pytest.raises(NotFound):
        cases.audit_chain(backend.other_tenant(), case.id)


def clearance(tenant_id: str, case_id: str, entry_id: str) -> Clearance:
    return Clearance(
        tenant_id=tenant_id,
        party_key="e-1",
        entry_id=entry_id,
        case_id=case_id,
        subject="individual",
        party_name="Leila Haddad",
        listed_name="Leila Nasser Haddad",
        score=0.91,
        reason="another person: passport seen",
        cleared_by=REVIEWER,
        cleared_at=T0,
    )


def test_a_clearance_extends_the_case_chain_and_a_save_read_before_it_loses_the_race(
    clearances: ClearanceStore, backend: Backend
) -> None:
    cases = backend.ports.cases
    case = opened(cases, backend.tenant_id)
    stale = cases.get(backend.tenant_id, case.id)
    entry = AuditEntry(at=T0 + dt.timedelta(minutes=5), actor=REVIEWER, action="screening.match_cleared")
    assert clearances.add(clearance(backend.tenant_id, case.id, "demo-haddad"), entry)
    chain = cases.audit_chain(backend.tenant_id, case.id)
    assert [(r.seq, r.content["action"]) for r in chain.records] == [
        (0, "case.created"),
        (1, "screening.match_cleared"),
    ]
    assert verify(chain).valid
    # The clearance moved the head but not the version: a change read before it would fork the chain.
    with pytest.raises(ConcurrentUpdate):
        cases.save(stale, stale.record_note("mine", REVIEWER, at=T0), expected_version=stale.version)
    noted(cases, case, "read after the clearance", minute=10)
    result = verify(cases.audit_chain(backend.tenant_id, case.id))
    assert (result.valid, result.entries) == (True, 3)


def test_a_clearance_that_is_not_stored_leaves_the_chain_as_it_was(
    clearances: ClearanceStore, backend: Backend
) -> None:
    cases = backend.ports.cases
    case = opened(cases, backend.tenant_id)
    entry = AuditEntry(at=T0 + dt.timedelta(minutes=5), actor=REVIEWER, action="screening.match_cleared")
    assert clearances.add(clearance(backend.tenant_id, case.id, "demo-kim"), entry)
    again = AuditEntry(at=T0 + dt.timedelta(minutes=6), actor=REVIEWER, action="screening.match_cleared")
    assert not clearances.add(clearance(backend.tenant_id, case.id, "demo-kim"), again)
    result = verify(cases.audit_chain(backend.tenant_id, case.id))
    assert (result.valid, result.entries) == (True, 2)
