"""The review dashboard's figures, computed from the cases the queue indexes serve."""

import datetime as dt

import pytest

from arbiter.domain.case import Assignee
from arbiter.domain.errors import NotAllowed
from arbiter.services import cases, dashboard, review, workflow_steps
from arbiter.services.review import DecisionRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.fakes import case_deps


class SettableClock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


START = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC)


def deps_at(at: dt.datetime = START):
    deps = case_deps()
    deps.clock = SettableClock(at)
    return deps


def in_review(deps, entity_id: str) -> str:
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyc", entity=individual(entity_id=entity_id)
    )
    workflow_steps.await_review(deps, "acme", case.id, f"token-{entity_id}")
    return case.id


def test_decisions_per_day_and_median_time_to_decision():
    deps = deps_at()
    first, second, third = (in_review(deps, f"p{i}") for i in range(3))
    deps.clock.at = START + dt.timedelta(hours=1)
    review.decide(deps, reviewer(), first, DecisionRequest(decision="approve", reason="fine"))
    deps.clock.at = START + dt.timedelta(days=1, hours=3)
    review.decide(deps, reviewer(), second, DecisionRequest(decision="reject", reason="forged"))
    deps.clock.at = START + dt.timedelta(days=1, hours=5)
    review.decide(deps, reviewer(), third, DecisionRequest(decision="approve", reason="fine"))

    figures = dashboard.review_dashboard(deps, reviewer("viewer"), days=7)

    by_day = {d["day"]: d for d in figures["decisions_per_day"]}
    assert len(by_day) == 7
    assert by_day["2026-11-10"] == {"day": "2026-11-10", "approved": 1, "rejected": 0}
    assert by_day["2026-11-11"] == {"day": "2026-11-11", "approved": 1, "rejected": 1}
    assert figures["decided"] == 3
    assert figures["median_seconds_to_decision"] == pytest.approx(27 * 3600, abs=1)
    assert figures["states"]["approved"] == 2
    assert figures["states"]["rejected"] == 1
    assert figures["truncated"] is False


def test_workload_counts_open_cases_per_reviewer_and_unassigned():
    deps = deps_at()
    mine = [in_review(deps, f"m{i}") for i in range(2)]
    in_review(deps, "nobody")
    for case_id in mine:
        review.assign_to(
            deps, reviewer(user="alice"), case_id, Assignee(id="alice", email="alice@example.com")
        )
    review.decide(
        deps, reviewer(user="alice"), mine[0], DecisionRequest(decision="revision", reason="blurry")
    )

    figures = dashboard.review_dashboard(deps, reviewer(), days=30)

    assert figures["workload"] == [
        {
            "reviewer": "alice",
            "email": "alice@example.com",
            "open": 2,
            "manual_review": 1,
            "revision_requested": 1,
        }
    ]
    assert figures["unassigned"] == 1
    assert figures["decided"] == 0
    assert figures["median_seconds_to_decision"] is None


def test_cases_created_before_the_period_are_left_out():
    deps = deps_at()
    old = in_review(deps, "old")
    deps.clock.at = START + dt.timedelta(days=40)
    review.decide(deps, reviewer(), old, DecisionRequest(decision="approve", reason="late"))
    figures = dashboard.review_dashboard(deps, reviewer(), days=7)
    assert figures["decided"] == 0
    assert sum(d["approved"] for d in figures["decisions_per_day"]) == 0


def test_the_sample_is_bounded_and_says_so(monkeypatch):
    monkeypatch.setattr(dashboard, "MAX_CASES_PER_STATE", 2)
    monkeypatch.setattr(dashboard, "_PAGE", 1)
    deps = deps_at()
    for i in range(3):
        in_review(deps, f"b{i}")
    figures = dashboard.review_dashboard(deps, reviewer(), days=7)
    assert figures["unassigned"] == 2
    assert figures["truncated"] is True


def test_reading_the_dashboard_needs_a_reviewer_role():
    deps = deps_at()
    integrator_principal = integrator()
    with pytest.raises(NotAllowed):
        dashboard.review_dashboard(deps, integrator_principal, days=7)
