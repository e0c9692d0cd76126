"""Exports with fakes: every page of the queue's filters, the cap, and the audit trail in the chain's order."""

from __future__ import annotations

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.errors import NotAllowed, NotFound
from arbiter.services import cases, exports, review
from arbiter.services.ports import CaseQuery
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.fakes import case_deps


def started(deps, count):
    return [
        cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual(f"p-{n}"))[0]
        for n in range(count)
    ]


def test_every_page_is_read_and_the_rows_follow_the_queues_order():
    deps = case_deps()
    made = started(deps, 230)  # more than two pages of the export's reads
    export = exports.export_cases(deps, reviewer("viewer"), CaseQuery(tenant_id="acme", newest_first=True))
    assert export.truncated is False
    assert [row[0] for row in export.rows] == [c.id for c in reversed(made)]
    assert export.columns[:3] == ("case_id", "workflow", "state")
    first = dict(zip(export.columns, export.rows[-1], strict=True))
    assert first["entity_id"] == "p-0"
    assert first["workflow"] == "kyc"


def test_the_cap_cuts_the_export_and_says_so():
    deps = case_deps()
    started(deps, 5)
    export = exports.export_cases(deps, reviewer("viewer"), CaseQuery(tenant_id="acme"), max_rows=3)
    assert len(export.rows) == 3
    assert export.truncated is True
    exactly = exports.export_cases(deps, reviewer("viewer"), CaseQuery(tenant_id="acme"), max_rows=5)
    assert len(exactly.rows) == 5
    assert exactly.truncated is False


def test_filters_apply_and_another_tenants_cases_never_appear():
    deps = case_deps()
    started(deps, 3)
    cases.start_case(deps, integrator("other"), tenant("other"), workflow="kyc", entity=individual("o-1"))
    query = CaseQuery(tenant_id="other", states=(CaseState.APPROVED,))
    assert exports.export_cases(deps, reviewer("viewer"), query).rows == []
    everything = exports.export_cases(deps, reviewer("viewer"), CaseQuery(tenant_id="other"))
    assert {row[4] for row in everything.rows} == {
        "p-0",
        "p-1",
        "p-2",
    }  # the principal's tenant, not the query's


def test_the_audit_trail_exports_each_entry_in_order_with_its_hash():
    deps = case_deps()
    [case] = started(deps, 1)
    review.add_note(deps, reviewer(), case.id, "=1+1")
    export = exports.export_audit_trail(deps, reviewer("viewer"), case.id)
    trail = deps.cases.detail("acme", case.id).audit
    audit = [e for e in trail if e.action != "audit_trail.exported"]
    assert [dict(zip(export.columns, r, strict=True))["entry_id"] for r in export.rows] == [
        e.id for e in audit
    ]
    (viewed,) = [e for e in trail if e.action == "audit_trail.exported"]
    assert (viewed.actor.id, viewed.details["entries"]) == ("viewer-1", len(audit))
    note = dict(zip(export.columns, export.rows[-1], strict=True))
    assert note["action"] == "note.added"
    assert note["reason"] == "=1+1"  # made safe when written as CSV, not here
    assert len(note["hash"]) == 64
    with pytest.raises(NotFound):
        exports.export_audit_trail(deps, reviewer("viewer", tenant_id="other"), case.id)


def test_only_the_tenants_reviewers_export():
    deps = case_deps()
    started(deps, 1)
    with pytest.raises(NotAllowed):
        exports.export_cases(deps, integrator(), CaseQuery(tenant_id="acme"))
