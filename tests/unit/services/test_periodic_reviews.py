"""Periodic reviews on fakes: a customer is due its tenant's interval for its risk level after its approval; the
daily run opens one review case of the approving workflow for it (its automated part started, the entity as its
onboarding case holds it) and announces it; nothing before the day, nothing twice, nothing for a customer switched
out of monitoring, with an active case of the workflow, or of a level the tenant never reviews; the review's
approval moves the next due day."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import RiskAssessment
from arbiter.domain.monitored import add_months
from arbiter.domain.tenant import ReviewIntervals
from arbiter.services import cases, ongoing_screening, periodic_reviews, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.monitoring_fakes import monitoring_deps

APPROVED_ON = dt.date(2026, 11, 1)  # the fakes' clock starts on this day


def approved(deps, entity, level: str | None = None, tenant_id: str = "acme") -> str:
    """A kyc case of `entity`, scored `level` by its rules (None: no rules ran), approved by a reviewer."""
    case, _ = cases.start_case(deps, integrator(tenant_id), tenant(tenant_id), workflow="kyc", entity=entity)
    if level is not None:
        stored = deps.cases.cases[(tenant_id, case.id)]
        stored.risk = RiskAssessment(
            score=50, level=level, recommendation="review", evaluated_at=dt.datetime.now(dt.UTC)
        )
    workflow_steps.await_review(deps, tenant_id, case.id, "review-token")
    review.decide(
        deps, reviewer(tenant_id=tenant_id), case.id, DecisionRequest(decision="approve", reason="ok")
    )
    return case.id


def review_cases(deps, tenant_id: str = "acme"):
    return [c for (t, _), c in deps.cases.cases.items() if t == tenant_id and c.review_due is not None]


@pytest.fixture
def deps():
    deps = monitoring_deps()
    deps.tenants.add(tenant("acme"))
    return deps


@pytest.mark.parametrize(
    ("level", "months"), [("critical", 6), ("high", 12), ("medium", 24), ("low", 36), (None, 36)]
)
def test_a_customer_is_due_its_levels_interval_after_its_approval(deps, level, months):
    approved(deps, individual("e-1"), level)
    record = deps.monitored.get("acme", "e-1")
    assert record.risk_level == level
    due = add_months(APPROVED_ON, months)
    assert record.review_due(ReviewIntervals().model_dump()) == due

    assert periodic_reviews.open_due_reviews(deps, due - dt.timedelta(days=1)).opened == []
    run = periodic_reviews.open_due_reviews(deps, due)
    assert (run.tenants, run.customers, run.due, len(run.opened)) == (1, 1, 1, 1)


def test_the_due_day_opens_one_review_case_of_the_approving_workflow_that_runs_it_again(deps):
    onboarding = approved(deps, individual("e-1", email="ada@example.com"), "high")
    day = dt.date(2027, 11, 1)

    run = periodic_reviews.open_due_reviews(deps, day)

    [case] = review_cases(deps)
    assert run.opened == [case.id] == [periodic_reviews.review_case_id("acme", "e-1", day)]
    assert (case.workflow_id, case.onboarding_case_id, case.review_due) == ("kyc", onboarding, day)
    assert case.entity.individual.email == "ada@example.com"  # the onboarding case's entity, not the index's
    assert case.state == "processing"
    assert [(w, name) for w, name, _ in deps.engine.started][-1] == ("automation", f"{case.id}-a1")
    [due] = [e for e in deps.cases.events if e.type == "entity.review_due"]
    assert (due.case_id, due.onboarding_case_id, due.risk_level, due.due) == (
        case.id,
        onboarding,
        "high",
        day,
    )
    assert due.approved_at.date() == APPROVED_ON


def test_a_day_run_twice_or_a_later_day_opens_no_second_case(deps):
    approved(deps, individual("e-1"), "high")
    assert len(periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 1)).opened) == 1
    again = periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 1))
    later = periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 2))
    assert (again.opened, later.opened) == ([], [])
    assert later.skipped == {"opened already": 1}  # the case is named after the day it was due, not the run
    assert len(review_cases(deps)) == 1


def test_approving_the_review_moves_the_next_due_day_by_its_new_level(deps):
    approved(deps, individual("e-1"), "high")
    [case_id] = periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 1)).opened
    deps.cases.cases[("acme", case_id)].risk = RiskAssessment(
        score=5, level="low", recommendation="approve", evaluated_at=dt.datetime.now(dt.UTC)
    )
    workflow_steps.await_review(deps, "acme", case_id, "review-token-2")
    review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="still fine"))

    record = deps.monitored.get("acme", "e-1")
    assert (record.case_id, record.risk_level) == (case_id, "low")
    next_due = record.review_due(ReviewIntervals().model_dump())
    assert next_due == add_months(record.since.date(), 36)
    assert periodic_reviews.open_due_reviews(deps, next_due - dt.timedelta(days=1)).opened == []


def test_customers_switched_off_active_or_never_reviewed_get_no_case(deps):
    deps.tenants.add(tenant("globex", review_interval_months=ReviewIntervals(high=None)))
    off = approved(deps, individual("e-off"), "high")
    ongoing_screening.set_monitoring(deps, reviewer("admin"), off, enabled=False, reason="offboarded")
    approved(deps, individual("e-busy"), "high")
    cases.start_case(deps, integrator(), tenant("acme"), workflow="kyc", entity=individual("e-busy"))
    approved(deps, individual("e-never"), "high", tenant_id="globex")

    run = periodic_reviews.open_due_reviews(deps, dt.date(2030, 1, 1))

    assert run.opened == []
    assert run.skipped == {"monitoring switched off": 1, "active case of the workflow": 1}
    assert (run.customers, run.due) == (3, 2)  # globex never reviews high risk customers


def test_a_customer_whose_onboarding_case_is_gone_is_not_reviewed(deps):
    onboarding = approved(deps, individual("e-1"), "high")
    del deps.cases.cases[("acme", onboarding)]
    run = periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 1))
    assert (run.opened, run.skipped) == ([], {"onboarding case gone": 1})


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2027, 1, 31), 13, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 6), 12, dt.date(2027, 12, 6)),
        (dt.date(2026, 12, 6), 120, dt.date(2036, 12, 6)),
    ],
)
def test_months_are_added_as_calendars_count_them(day, months, due):
    assert add_months(day, months) == due


def test_intervals_are_validated_when_a_tenant_sets_them():
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        ReviewIntervals(high=0)
    with pytest.raises(ValueError, match="Extra inputs"):
        ReviewIntervals.model_validate({"severe": 12})


def test_a_run_for_one_tenant_leaves_the_others_alone(deps):
    deps.tenants.add(tenant("globex"))
    approved(deps, individual("e-1"), "high")
    approved(deps, individual("e-2"), "high", tenant_id="globex")
    run = periodic_reviews.open_due_reviews(deps, dt.date(2027, 11, 1), tenant_id="globex")
    assert (run.tenants, len(run.opened)) == (1, 1)
    assert review_cases(deps, "acme") == []
    assert len(review_cases(deps, "globex")) == 1
