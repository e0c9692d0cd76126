"""Verifying a case's audit trail (arbiter/services/audit_trail.py) on the fakes: a case run through the workflow
and decided verifies end to end; the verifier is a reviewer's read of the case."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import NotAllowed, NotFound
from arbiter.services import audit_trail, cases, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.support.automation import run_automation
from tests.unit.fakes import RecommendByName, automation_deps, case_deps


def decided_case(deps) -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    run_automation(automation_deps(deps, RecommendByName(Lovelace="review")), "acme", case.id)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.add_note(deps, reviewer(), case.id, "documents look right")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="fine"))
    return case.id


def test_a_decided_case_verifies_with_every_entry_chained_and_the_head_on_the_case():
    deps = case_deps()
    case_id = decided_case(deps)
    result = audit_trail.verify_audit_trail(deps, reviewer("viewer"), case_id)
    trail = deps.cases.detail("acme", case_id).audit
    assert result.valid
    assert (result.entries, result.unchained) == (len(trail), 0)
    assert result.head == deps.cases.heads[("acme", case_id)].hash
    assert "case.decided" in [e.action for e in trail]


def test_an_entry_changed_in_the_store_is_named_by_the_verifier():
    deps = case_deps()
    case_id = decided_case(deps)
    stored = deps.cases.chains[("acme", case_id)]
    stored[-1].content["reason"] = "changed afterwards"
    result = audit_trail.verify_audit_trail(deps, reviewer("viewer"), case_id)
    assert not result.valid
    assert result.broken_at is not None
    assert (result.broken_at.entry_id, result.broken_at.reason) == (stored[-1].entry_id, "edited")


def test_verifying_needs_a_reviewer_role_and_stays_in_the_tenant():
    deps = case_deps()
    case_id = decided_case(deps)
    with pytest.raises(NotAllowed):
        audit_trail.verify_audit_trail(deps, integrator(), case_id)
    with pytest.raises(NotFound):
        audit_trail.verify_audit_trail(deps, reviewer("admin", tenant_id="other"), case_id)
