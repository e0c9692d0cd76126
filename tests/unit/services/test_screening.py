"""Screening in the case services: matches become case flags a reviewer must see, and clearing a false positive."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.domain.case import RiskAssessment
from arbiter.domain.errors import InvalidInput, NotAllowed, NotFound
from arbiter.services import assessment, cases, checks, screening
from arbiter.services.screening import ClearMatchRequest, RevokeClearanceRequest
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.unit.fakes import InMemoryClearanceStore, PassingChecks, case_deps


def screening_result(*, flagged: bool = True) -> dict[str, Any]:
    match = {
        "entry": {
            "id": "L-ORLOV",
            "caption": "Viktor Sergeyevich Orlov",
            "names": ["Viktor Sergeyevich Orlov"],
        },
        "score": 0.93,
        "suppressed": False,
        "explanation": {"query_name": "Viktor Orlov", "listed_name": "Viktor Sergeyevich Orlov"},
    }
    flags = [
        {
            "code": "sanctions_match",
            "severity": "critical",
            "message": "Viktor Orlov (business.ubos[0]) may be Viktor Sergeyevich Orlov [L-ORLOV]",
            "subject": "business.ubos[0]",
        },
        {"code": "something_minor", "severity": "low", "message": "minor", "subject": "business"},
    ]
    return {
        "status": "ok",
        "data": {
            "list": {"sha256": "ab" * 32, "date": "2026-11-02"},
            "parties": [
                {"subject": "business", "party_key": "biz-1", "name": "Acme Payments GmbH", "matches": []},
                {
                    "subject": "business.ubos[0]",
                    "party_key": "biz-1/owner/n-1234",
                    "name": "Viktor Orlov",
                    "matches": [match],
                },
            ],
        },
        "flags": flags if flagged else [flags[1]],
        "error": None,
    }


def started_case(deps):
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business(ubos=[ubo("Viktor", "Orlov", 40)])
    )
    return case


def runner_returning(result: dict[str, Any]):
    def run(context, plugins, *, time_budget_seconds=None):
        return {"sanctions": result}

    return run


def test_a_critical_check_flag_becomes_a_case_flag_and_stops_automatic_approval():
    deps = case_deps()
    case = started_case(deps)
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result()))
    stored = deps.cases.get("acme", case.id)
    assert [(f.code, f.severity, f.source) for f in stored.flags] == [
        ("sanctions_match", "critical", "sanctions")
    ]

    def approve(case, context):
        return RiskAssessment(recommendation="approve", evaluated_at=dt.datetime.now(dt.UTC))

    assert assessment.assess(deps, "acme", case.id, approve).recommendation == "review"

    def reject(case, context):
        return RiskAssessment(recommendation="reject", evaluated_at=dt.datetime.now(dt.UTC))

    assert assessment.assess(deps, "acme", case.id, reject).recommendation == "reject"  # rules may reject


def test_a_rerun_replaces_what_the_check_raised_before():
    deps = case_deps()
    case = started_case(deps)
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result()))
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result()))
    assert [f.code for f in deps.cases.get("acme", case.id).flags] == ["sanctions_match"]
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result(flagged=False)))
    assert deps.cases.get("acme", case.id).flags == []


def test_a_case_without_critical_flags_is_left_as_it_was():
    deps = case_deps()
    case = started_case(deps)
    version = deps.cases.get("acme", case.id).version
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result(flagged=False)))
    stored = deps.cases.get("acme", case.id)
    assert (stored.flags, stored.version) == ([], version)


def _checked_case(deps):
    case = started_case(deps)
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result()))
    return case


def test_a_reviewer_clears_a_match_with_a_reason_recorded():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _checked_case(deps)
    request = ClearMatchRequest(
        subject="business.ubos[0]", entry_id="L-ORLOV", reason="  born 1984, not him "
    )
    clearance, created = screening.clear_match(deps, store, reviewer(), case.id, request)
    assert created is True
    assert (clearance.party_key, clearance.entry_id, clearance.case_id) == (
        "biz-1/owner/n-1234",
        "L-ORLOV",
        case.id,
    )
    assert (clearance.reason, clearance.listed_name, clearance.score) == (
        "born 1984, not him",
        "Viktor Sergeyevich Orlov",
        0.93,
    )
    assert clearance.list_sha256 == "ab" * 32
    assert clearance.cleared_by.id == reviewer().id
    [audit] = store.audit
    assert (audit.action, audit.reason, audit.details["entry_id"]) == (
        "screening.match_cleared",
        "born 1984, not him",
        "L-ORLOV",
    )
    again, created_again = screening.clear_match(deps, store, reviewer("admin"), case.id, request)
    assert (again, created_again) == (clearance, False)
    assert len(store.audit) == 1


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"check": "website"}, "check"),
        ({"subject": "business.directors[3]"}, "subject"),
        ({"entry_id": "L-SOMEONE-ELSE"}, "entry_id"),
    ],
)
def test_clearing_what_was_not_raised_is_refused_naming_the_field(fields, path):
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _checked_case(deps)
    request = ClearMatchRequest(
        **{"subject": "business.ubos[0]", "entry_id": "L-ORLOV", "reason": "not him", **fields}
    )
    with pytest.raises(InvalidInput) as excinfo:
        screening.clear_match(deps, store, reviewer(), case.id, request)
    assert excinfo.value.path == path
    assert store.items == {}


def test_a_viewer_cannot_clear_a_match():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _checked_case(deps)
    request = ClearMatchRequest(subject="business.ubos[0]", entry_id="L-ORLOV", reason="not him")
    with pytest.raises(NotAllowed):
        screening.clear_match(deps, store, reviewer("viewer"), case.id, request)
    assert store.items == {}


def test_a_blank_reason_is_refused():
    with pytest.raises(ValueError, match="reason must not be blank"):
        ClearMatchRequest(subject="business", entry_id="X", reason="   ")


def _cleared_case(deps, store):
    case = _checked_case(deps)
    request = ClearMatchRequest(subject="business.ubos[0]", entry_id="L-ORLOV", reason="born 1984, not him")
    screening.clear_match(deps, store, reviewer(), case.id, request)
    return case


def test_a_case_lists_the_clearances_of_its_parties_for_viewers():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _cleared_case(deps, store)
    # A clearance of another party of the same tenant, and one of another tenant, are not the case's.
    other = store.items[("acme", "biz-1/owner/n-1234", "L-ORLOV")]
    store.items[("acme", "biz-9", "L-ORLOV")] = other.model_copy(update={"party_key": "biz-9"})
    store.items[("umbrella", "biz-1", "L-X")] = other.model_copy(
        update={"tenant_id": "umbrella", "party_key": "biz-1", "entry_id": "L-X"}
    )
    [item] = screening.case_clearances(deps, store, reviewer("viewer"), case.id)
    assert (item["party_key"], item["entry_id"], item["applies_to"]) == (
        "biz-1/owner/n-1234",
        "L-ORLOV",
        ["business.ubos[0]"],
    )
    assert (item["reason"], item["case_id"], item["cleared_by"]["id"]) == (
        "born 1984, not him",
        case.id,
        reviewer().id,
    )


def test_a_case_without_screening_lists_no_clearance_and_an_unknown_case_is_not_found():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = started_case(deps)
    assert screening.case_clearances(deps, store, reviewer("viewer"), case.id) == []
    with pytest.raises(NotFound):
        screening.case_clearances(deps, store, reviewer("viewer"), "no-such-case")


def test_an_entity_lists_its_own_clearances_and_those_of_the_owners_its_cases_screened():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _cleared_case(deps, store)
    entity_id = deps.cases.get("acme", case.id).entity.id
    held = store.items[("acme", "biz-1/owner/n-1234", "L-ORLOV")]
    store.items[("acme", entity_id, "L-ACME")] = held.model_copy(
        update={"party_key": entity_id, "entry_id": "L-ACME"}
    )
    items = screening.entity_clearances(deps, store, reviewer("viewer"), entity_id)
    assert sorted((i["party_key"], i["entry_id"]) for i in items) == sorted(
        [("biz-1/owner/n-1234", "L-ORLOV"), (entity_id, "L-ACME")]
    )
    with pytest.raises(NotFound):
        screening.entity_clearances(deps, store, reviewer("viewer"), "no-such-entity")


def test_a_reviewer_revokes_a_clearance_with_the_original_kept_in_the_audit_trail():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _cleared_case(deps, store)
    request = RevokeClearanceRequest(subject="business.ubos[0]", entry_id="L-ORLOV", reason=" new evidence ")
    revoked = screening.revoke_clearance(deps, store, reviewer(), case.id, request)
    assert (revoked.party_key, revoked.entry_id) == ("biz-1/owner/n-1234", "L-ORLOV")
    assert store.items == {}
    audit = store.audit[-1]
    assert (audit.action, audit.reason) == ("screening.clearance_revoked", "new evidence")
    assert (audit.details["entry_id"], audit.details["cleared_reason"], audit.details["cleared_on_case"]) == (
        "L-ORLOV",
        "born 1984, not him",
        case.id,
    )
    assert screening.case_clearances(deps, store, reviewer("viewer"), case.id) == []
    # Revoking again finds nothing to revoke, and writes nothing.
    with pytest.raises(NotFound) as excinfo:
        screening.revoke_clearance(deps, store, reviewer(), case.id, request)
    assert excinfo.value.context["path"] == "entry_id"
    assert len(store.audit) == 2


@pytest.mark.parametrize(
    ("fields", "error", "path"),
    [
        ({"check": "website"}, InvalidInput, "check"),
        ({"subject": "business.directors[3]"}, InvalidInput, "subject"),
        ({"entry_id": "L-SOMEONE-ELSE"}, NotFound, "entry_id"),
    ],
)
def test_revoking_what_is_not_held_is_refused_naming_the_field(fields, error, path):
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _cleared_case(deps, store)
    request = RevokeClearanceRequest(
        **{"subject": "business.ubos[0]", "entry_id": "L-ORLOV", "reason": "new evidence", **fields}
    )
    with pytest.raises(error) as excinfo:
        screening.revoke_clearance(deps, store, reviewer(), case.id, request)
    assert excinfo.value.context.get("path", getattr(excinfo.value, "path", None)) == path
    assert len(store.items) == 1
    assert len(store.audit) == 1


def test_a_viewer_cannot_revoke_a_clearance():
    deps, store = case_deps(), InMemoryClearanceStore()
    case = _cleared_case(deps, store)
    request = RevokeClearanceRequest(subject="business.ubos[0]", entry_id="L-ORLOV", reason="new evidence")
    with pytest.raises(NotAllowed):
        screening.revoke_clearance(deps, store, reviewer("viewer"), case.id, request)
    assert len(store.items) == 1


def test_a_blank_revocation_reason_is_refused():
    with pytest.raises(ValueError, match="reason must not be blank"):
        RevokeClearanceRequest(subject="business", entry_id="X", reason="   ")


def test_a_check_the_workflow_does_not_have_is_refused_naming_the_field():
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    with pytest.raises(InvalidInput, match="the workflow kyc has no check 'nope'") as raised:
        checks.run_check(deps, "acme", case.id, "nope", PassingChecks())
    assert raised.value.context["path"] == "check"
    assert deps.cases.detail("acme", case.id).checks == {}  # nothing stored
