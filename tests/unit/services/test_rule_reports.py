"""The rule performance report with fakes: hit rates, reviewers overturning a rule's hits, screening matches
cleared as false positives, on the cases one version assessed."""

from __future__ import annotations

import pytest

from arbiter.domain.case import AutomationRun
from arbiter.domain.errors import NotAllowed, NotFound
from arbiter.services import (
    assessment,
    automation,
    cases,
    checks,
    review,
    rule_reports,
    rule_sets,
    screening,
    workflow_steps,
)
from arbiter.services.review import DecisionRequest
from arbiter.services.screening import ClearMatchRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.fakes import InMemoryRuleSets, automation_deps, case_deps
from tests.unit.services.test_screening import runner_returning, screening_result, started_case

KYC = {
    "id": "kyc-default",
    "name": "KYC",
    "rules": [
        {"id": "iran", "name": "Iranian national", "outcome": "reject", "score": 100,
         "condition": {"==": [{"var": "entity.individual.nationality"}, "IR"]}},
        {"id": "france", "name": "French national", "outcome": "review", "score": 10,
         "condition": {"==": [{"var": "entity.individual.nationality"}, "FR"]}},
        {"id": "known", "name": "Known person", "outcome": "approve",
         "condition": {"!": {"missing": ["entity.individual.last_name"]}}},
    ],
}  # fmt: skip
KYB = {
    "id": "kyb-default",
    "name": "KYB",
    "rules": [
        {"id": "screened", "name": "Screening match", "outcome": "review", "score": 10,
         "condition": {"in": ["sanctions_match", {"var": "flags"}]}},
    ],
}  # fmt: skip


@pytest.fixture
def deps():
    deps = case_deps()
    deps.rule_sets = InMemoryRuleSets()
    for body in (KYC, KYB):
        version = rule_sets.create_draft(deps.rule_sets, reviewer("admin"), body)
        rule_sets.publish(deps.rule_sets, reviewer("admin"), body["id"], version.version)
    return deps


def compiled(deps):
    return rule_sets.CompiledRuleSets(deps.rule_sets)


def concluded(deps, case):
    """Assessed with the published rules and concluded as the automation's Decide does; the outcome."""
    result = assessment.assess(deps, "acme", case.id, rule_sets.RuleSetAssessor(compiled(deps)))
    run = AutomationRun(number=1, outcome="running")
    return automation.conclude(automation_deps(deps), "acme", case.id, run, result)


def person(deps, nationality):
    case, _ = cases.start_case(
        deps,
        integrator(),
        tenant(),
        workflow="kyc",
        entity=individual(f"p-{nationality}", nationality=nationality),
    )
    return case


def approved_by_reviewer(deps, case):
    workflow_steps.await_review(deps, "acme", case.id, f"token-{case.id}")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="checked by hand"))


def test_hit_rates_and_a_reviewer_overturning_a_review_rule(deps):
    assert concluded(deps, person(deps, "IR")) == "rejected"
    french = person(deps, "FR")
    assert concluded(deps, french) == "review"
    approved_by_reviewer(deps, french)
    assert concluded(deps, person(deps, "GB")) == "approved"

    report = rule_reports.rule_performance(deps, compiled(deps), reviewer("viewer"), "kyc-default", 1)
    assert report.cases == 3
    assert report.truncated is False
    rules = {r.rule_id: r for r in report.rules}
    assert (rules["iran"].hits, rules["iran"].hit_rate) == (1, 0.3333)
    assert (rules["iran"].decided_by_reviewer, rules["iran"].overturn_rate) == (
        0,
        None,
    )  # decided automatically
    assert (rules["france"].hits, rules["france"].decided_by_reviewer, rules["france"].overturned) == (
        1,
        1,
        1,
    )
    assert rules["france"].overturn_rate == 1.0
    assert (rules["known"].hits, rules["known"].overturn_rate) == (
        3,
        None,
    )  # an approve rule is not overturned
    assert report.screening.matches == 0
    assert report.screening.false_positive_rate is None


def test_a_version_counts_only_the_cases_it_assessed(deps):
    concluded(deps, person(deps, "IR"))
    version = rule_sets.create_draft(deps.rule_sets, reviewer("admin"), {**KYC, "name": "KYC v2"})
    rule_sets.publish(deps.rule_sets, reviewer("admin"), "kyc-default", version.version)
    concluded(deps, person(deps, "FR"))
    first = rule_reports.rule_performance(deps, compiled(deps), reviewer("viewer"), "kyc-default", 1)
    second = rule_reports.rule_performance(deps, compiled(deps), reviewer("viewer"), "kyc-default", 2)
    assert (first.cases, second.cases) == (1, 1)
    assert {r.rule_id: r.hits for r in second.rules}["france"] == 1
    assert {r.rule_id: r.hits for r in first.rules}["france"] == 0


def test_screening_matches_cleared_by_a_reviewer_are_false_positives(deps):
    case = started_case(deps)
    checks.run_case_checks(deps, "acme", case.id, runner_returning(screening_result()))
    assert concluded(deps, case) == "review"
    workflow_steps.await_review(deps, "acme", case.id, "token-kyb")
    request = ClearMatchRequest(subject="business.ubos[0]", entry_id="L-ORLOV", reason="born 1984, not him")
    screening.clear_match(deps, deps.clearances, reviewer(), case.id, request)

    report = rule_reports.rule_performance(deps, compiled(deps), reviewer("viewer"), "kyb-default", 1)
    assert report.cases == 1
    assert (report.screening.cases_with_matches, report.screening.matches, report.screening.cleared) == (
        1,
        1,
        1,
    )
    assert report.screening.false_positive_rate == 1.0
    assert {r.rule_id: r.hits for r in report.rules} == {"screened": 1}


def test_an_unknown_version_is_not_found_and_an_integrator_cannot_read_it(deps):
    with pytest.raises(NotFound):
        rule_reports.rule_performance(deps, compiled(deps), reviewer("viewer"), "kyc-default", 9)
    with pytest.raises(NotAllowed):
        rule_reports.rule_performance(deps, compiled(deps), integrator(), "kyc-default", 1)
