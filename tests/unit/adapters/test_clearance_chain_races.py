"""A clearance appends to a case's chain outside the case's own changes: when a case change lands between the
clearance's read of the head and its transaction, the clearance reads the head again and chains after the change;
when changes keep landing, it gives up with ConcurrentUpdate and stores nothing. Races are staged with a client
that saves a case change just before the clearance's transaction reaches the table's moto."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from arbiter.adapters.dynamodb.audit_writes import HEAD_ATTEMPTS
from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore
from arbiter.domain.audit_chain import verify
from arbiter.domain.case import SYSTEM, Actor, AuditEntry, Case
from arbiter.domain.errors import ConcurrentUpdate
from arbiter.domain.screening import Clearance
from tests.builders import individual

T0 = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.UTC)
REVIEWER = Actor(type="reviewer", id="r-1")


class ChangeBeforeTransactions:
    """The table's client, except that the first `times` transactions are each preceded by a note saved on the
    case (as another reviewer's change would be)."""

    def __init__(self, client: Any, cases: DynamoCaseRepository, case: Case, times: int) -> None:
        self._client = client
        self._cases = cases
        self._case = case
        self.remaining = times

    def transact_write_items(self, **request: Any) -> Any:
        if self.remaining:
            self.remaining -= 1
            current = self._cases.get(self._case.tenant_id, self._case.id)
            at = T0 + dt.timedelta(minutes=10 - self.remaining)
            self._cases.save(
                current, current.record_note("meanwhile", REVIEWER, at=at), expected_version=current.version
            )
        return self._client.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def setting(stack: Any) -> tuple[Any, str, DynamoCaseRepository, Case]:
    client = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    cases = DynamoCaseRepository(client, table)
    case, change = Case.open(
        tenant_id=f"t-{secrets.token_hex(4)}",
        workflow_id="kyc",
        workflow_version=1,
        entity=individual("e-1"),
        actor=SYSTEM,
        at=T0,
    )
    cases.add(case, change)
    return client, table, cases, case


def clearance(case: Case) -> Clearance:
    return Clearance(
        tenant_id=case.tenant_id,
        party_key="e-1",
        entry_id="demo-haddad",
        case_id=case.id,
        subject="individual",
        party_name="Leila Haddad",
        listed_name="Leila Nasser Haddad",
        score=0.91,
        reason="another person: passport seen",
        cleared_by=REVIEWER,
        cleared_at=T0,
    )


def cleared_entry() -> AuditEntry:
    return AuditEntry(at=T0 + dt.timedelta(hours=1), actor=REVIEWER, action="screening.match_cleared")


def test_a_clearance_whose_head_moved_reads_it_again_and_chains_after_the_change(stack: Any) -> None:
    client, table, cases, case = setting(stack)
    racing = ChangeBeforeTransactions(client, cases, case, times=1)
    store = DynamoClearanceStore(racing, table)
    assert store.add(clearance(case), cleared_entry()) is True
    assert racing.remaining == 0
    chain = cases.audit_chain(case.tenant_id, case.id)
    assert [(r.seq, r.content["action"]) for r in sorted(chain.records, key=lambda r: r.seq or 0)] == [
        (0, "case.created"),
        (1, "note.added"),
        (2, "screening.match_cleared"),
    ]
    result = verify(chain)
    assert (result.valid, result.entries) == (True, 3)


def test_a_clearance_that_keeps_losing_the_race_gives_up_and_stores_nothing(stack: Any) -> None:
    client, table, cases, case = setting(stack)
    racing = ChangeBeforeTransactions(client, cases, case, times=HEAD_ATTEMPTS)
    store = DynamoClearanceStore(racing, table)
    with pytest.raises(ConcurrentUpdate):
        store.add(clearance(case), cleared_entry())
    assert store.get(case.tenant_id, "e-1", "demo-haddad") is None
    chain = cases.audit_chain(case.tenant_id, case.id)
    assert "screening.match_cleared" not in [r.content["action"] for r in chain.records]
    result = verify(chain)
    assert (result.valid, result.entries) == (True, 1 + HEAD_ATTEMPTS)
