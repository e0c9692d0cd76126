"""No approval over an uncleared sanctions or PEP hit, whoever decides: the rule, the reviewer's path, the back
office's actions."""

from __future__ import annotations

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.screening import screening_hits
from arbiter.services import cases, review, workflow_steps
from arbiter.services.decisions import ApprovalBlocked, IntegratorDecisionsOff, require_integrator_decisions
from arbiter.services.review import DecisionRequest
from tests.builders import (
    clearance,
    clearance_audit,
    individual,
    integrator,
    reviewer,
    screening_result,
    tenant,
)
from tests.unit.fakes import case_deps


def case_in_review(deps, *results: dict) -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("e-1"))
    for number, result in enumerate(results):
        deps.cases.save_checks("acme", case.id, {f"check_{number}": result})
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    return case.id


def approve(deps, case_id: str, who=None):
    return review.decide(deps, who or reviewer(), case_id, DecisionRequest(decision="approve", reason="ok"))


def test_a_reviewer_cannot_approve_over_an_uncleared_pep_match_and_can_reject():
    deps = case_deps()
    case_id = case_in_review(deps, screening_result())
    with pytest.raises(ApprovalBlocked) as caught:
        approve(deps, case_id)
    message = caught.value.message
    assert message == (
        "cannot approve over an uncleared screening hit: Leila Haddad (individual) may be Leila Nasser Haddad "
        "[demo-haddad] (pep_match, check check_0); clear it or reject the case"
    )
    assert caught.value.context["hits"][0]["entry_id"] == "demo-haddad"
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW
    assert deps.engine.completed == []
    rejected = review.decide(deps, reviewer(), case_id, DecisionRequest(decision="reject", reason="a PEP"))
    assert rejected.state == CaseState.REJECTED


def test_once_the_match_is_cleared_the_case_can_be_approved():
    deps = case_deps()
    case_id = case_in_review(deps, screening_result())
    deps.clearances.add(clearance(case_id), clearance_audit())
    assert approve(deps, case_id).state == CaseState.APPROVED
    assert deps.engine.completed == [("review-token", {"decision": "approved"})]


def test_a_clearance_of_another_party_or_entry_or_tenant_does_not_count():
    deps = case_deps()
    case_id = case_in_review(deps, screening_result())
    deps.clearances.add(clearance(case_id, party_key="someone-else"), clearance_audit())
    deps.clearances.add(clearance(case_id, entry_id="demo-other"), clearance_audit())
    theirs, _ = cases.start_case(
        deps, integrator("globex"), tenant("globex"), workflow="kyc", entity=individual("e-1")
    )
    deps.clearances.add(clearance(theirs.id, tenant_id="globex"), clearance_audit())
    with pytest.raises(ApprovalBlocked):
        approve(deps, case_id)


def test_every_uncleared_hit_is_named_and_a_revision_is_still_possible():
    deps = case_deps()
    case_id = case_in_review(
        deps,
        screening_result(),
        screening_result(
            name="Viktor Orlov", entry_id="demo-orlov", listed_name="Viktor Orlov", topics=("sanction",)
        ),
    )
    deps.clearances.add(clearance(case_id), clearance_audit())  # one of the two
    with pytest.raises(ApprovalBlocked, match=r"hit: Viktor Orlov \(individual\) may be .*sanctions_match"):
        approve(deps, case_id)
    revised = review.decide(
        deps, reviewer(), case_id, DecisionRequest(decision="revision", reason="passport")
    )
    assert revised.state == CaseState.REVISION_REQUESTED


def test_what_does_not_block_an_approval():
    deps = case_deps()
    case_id = case_in_review(
        deps,
        screening_result(suppressed=True),  # cleared before the check ran
        screening_result(entry_id="demo-crime", topics=("crime",)),  # another list: a flag, not a block
        {"status": "error", "data": {}, "flags": [], "error": "timeout"},
        {
            "status": "ok",
            "data": {},
            "flags": [{"code": "pep_match", "severity": "high", "message": "maybe"}],
        },
    )
    assert approve(deps, case_id).state == CaseState.APPROVED


def test_a_critical_pep_flag_of_a_check_that_names_no_entry_blocks_until_rejected():
    deps = case_deps()
    vendor = {
        "status": "ok",
        "data": {"vendor": "ref-1"},
        "flags": [{"code": "pep_match", "severity": "critical", "subject": "individual", "message": "PEP"}],
    }
    case_id = case_in_review(deps, vendor)
    with pytest.raises(
        ApprovalBlocked, match="pep_match raised by check check_0, with no list entry to clear"
    ):
        approve(deps, case_id)


def test_hits_are_read_from_the_stored_results_as_the_checks_store_them():
    results = {
        "sanctions": screening_result(),
        "later": screening_result(topics=("role.rca",), entry_id="demo-rca"),
        "failed": {"status": "error"},
        "odd": {"status": "ok", "data": {"parties": [None, {"matches": [None, {"suppressed": True}]}]}},
    }
    hits = screening_hits(results)
    assert [(h.check, h.code, h.entry_id, h.clearable) for h in hits] == [
        ("later", "pep_match", "demo-rca", True),
        ("sanctions", "pep_match", "demo-haddad", True),
    ]


def test_the_back_office_shows_approve_disabled_with_the_reason():
    deps = case_deps()
    case_id = case_in_review(deps, screening_result())
    actions = review.available_actions(deps, deps.cases.detail("acme", case_id), reviewer())
    assert actions["approve"]["allowed"] is False
    assert "Leila Nasser Haddad [demo-haddad]" in actions["approve"]["reason"]
    assert actions["approve"]["reason"].endswith("clear it or reject the case")
    assert actions["reject"] == {"allowed": True, "reason": None}
    deps.clearances.add(clearance(case_id), clearance_audit())
    cleared = review.available_actions(deps, deps.cases.detail("acme", case_id), reviewer())
    assert cleared["approve"] == {"allowed": True, "reason": None}
    viewer = review.available_actions(deps, deps.cases.detail("acme", case_id), reviewer("viewer"))
    assert viewer["approve"]["reason"] == "approving needs the reviewer role"


def test_integrator_decisions_are_a_tenant_opt_in():
    with pytest.raises(IntegratorDecisionsOff) as caught:
        require_integrator_decisions(tenant())
    assert caught.value.context == {"setting": "allow_integrator_decisions"}
    require_integrator_decisions(tenant(allow_integrator_decisions=True))
