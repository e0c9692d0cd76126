"""Rule set use cases on in-memory fakes: pinning at case start, assessing with the pinned version, admin rules."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from arbiter.domain.case import AutomationRun, CaseState, RuleSetRef
from arbiter.domain.errors import InvalidInput, InvalidRule, NotAllowed, NotFound, RuleLimitExceeded
from arbiter.domain.replay import check_digest
from arbiter.rules.ruleset import parse_draft
from arbiter.services import assessment, automation, cases, replay, rule_sets
from tests.builders import individual, integrator, reviewer, tenant
from tests.support.automation import run_automation
from tests.unit.fakes import InMemoryRuleSets, automation_deps, case_deps

ACME = tenant("acme")


KYC_RULES = {
    "id": "kyc-default",
    "name": "KYC",
    "rules": [
        {"id": "iran", "name": "Iranian national", "outcome": "reject", "score": 100,
         "condition": {"==": [{"var": "entity.individual.nationality"}, "IR"]}},
        {"id": "known", "name": "Known person", "outcome": "approve",
         "condition": {"!": {"missing": ["entity.individual.last_name"]}}},
    ],
}  # fmt: skip


@pytest.fixture
def deps():
    deps = case_deps()
    deps.rule_sets = InMemoryRuleSets()
    return deps


def admin():
    return reviewer("admin")


def publish(deps, body=KYC_RULES):
    version = rule_sets.create_draft(deps.rule_sets, admin(), body)
    return rule_sets.publish(deps.rule_sets, admin(), body["id"], version.version)


def assess(deps, case):
    assessor = rule_sets.RuleSetAssessor(rule_sets.CompiledRuleSets(deps.rule_sets))
    return assessment.assess(deps, case.tenant_id, case.id, assessor)


def test_a_case_pins_the_published_version_when_it_starts(deps):
    publish(deps)
    first, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1"))
    assert first.rule_set == RuleSetRef(id="kyc-default", version=1)
    publish(deps, {**KYC_RULES, "name": "KYC v2"})
    second, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-2"))
    assert second.rule_set == RuleSetRef(id="kyc-default", version=2)
    assert deps.cases.get("acme", first.id).rule_set.version == 1  # replayable with what it started with


def test_the_assessment_uses_the_pinned_version_and_records_hits(deps):
    publish(deps)
    case, _ = cases.start_case(
        deps, integrator(), ACME, workflow="kyc", entity=individual("p-1", nationality="IR")
    )
    result = assess(deps, case)
    assert result.recommendation == "reject"
    assert result.rule_set == RuleSetRef(id="kyc-default", version=1)
    assert result.hits[0]["explanation"] == "entity.individual.nationality = IR"
    assert deps.cases.get("acme", case.id).risk is None  # assessing stores nothing: `Decide` stores it
    run = AutomationRun(number=1, outcome="running")
    assert automation.conclude(automation_deps(deps), "acme", case.id, run, result) == "rejected"
    stored = deps.cases.get("acme", case.id)
    assert stored.risk.hits[0]["rule_id"] == "iran"
    assert [e.action for e in deps.cases.detail("acme", case.id).audit][-2:] == [
        "risk.assessed",
        "case.decided",
    ]


def test_without_a_pinned_version_the_case_goes_to_review(deps):
    case, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1"))
    assert case.rule_set is None
    result = assess(deps, case)
    assert result.recommendation == "review"
    assert "no published rule set" in result.errors[0]["error"]


def test_a_failed_check_never_lets_the_rules_approve(deps):
    publish(deps)
    case, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1"))
    deps.cases.save_checks("acme", case.id, {"contact": {"status": "error", "error": "timeout"}})
    assert assess(deps, case).recommendation == "review"


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
def test_only_admins_save_or_publish(deps, role):
    with pytest.raises(NotAllowed):
        rule_sets.create_draft(deps.rule_sets, reviewer(role), KYC_RULES)
    publish(deps)
    with pytest.raises(NotAllowed):
        rule_sets.publish(deps.rule_sets, reviewer(role), "kyc-default", 1)
    assert deps.rule_sets.versions("acme", "kyc-default")[0].version == 1


def test_a_malformed_draft_is_not_saved(deps):
    broken = {**KYC_RULES, "rules": [{**KYC_RULES["rules"][0], "condition": {"and": [{"nope": 1}]}}]}
    with pytest.raises(InvalidRule) as error:
        rule_sets.create_draft(deps.rule_sets, admin(), broken)
    assert error.value.path == "rules[0].condition.and[0].nope"
    assert deps.rule_sets.versions_by_key == {}


def test_dry_run_needs_exactly_one_of_context_and_case(deps):
    publish(deps)
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    with pytest.raises(InvalidInput):
        rule_sets.dry_run(deps.rule_sets, compiled, deps, admin(), "kyc-default", 1)
    result = rule_sets.dry_run(
        deps.rule_sets, compiled, deps, admin(), "kyc-default", 1, context={"entity": {"individual": {}}}
    )
    assert result["recommendation"] == "review"


def test_compiled_versions_are_cached_and_bounded(deps):
    publish(deps)
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets, size=1)
    assert compiled.get("acme", "kyc-default", 1) is compiled.get("acme", "kyc-default", 1)
    publish(deps, {**KYC_RULES, "name": "v2"})
    compiled.get("acme", "kyc-default", 2)
    assert len(compiled._cache) == 1


def test_backtest_reports_the_recommendations_that_would_change(deps):
    publish(deps)
    decided = []
    for entity_id, nationality in [("p-1", "FR"), ("p-2", "IR")]:
        case, _ = cases.start_case(
            deps, integrator(), ACME, workflow="kyc", entity=individual(entity_id, nationality=nationality)
        )
        assessor = rule_sets.RuleSetAssessor(rule_sets.CompiledRuleSets(deps.rule_sets))
        run_automation(automation_deps(deps, assessor), "acme", case.id)
        decided.append(case.id)
    stricter = {**KYC_RULES, "rules": [{**KYC_RULES["rules"][0], "condition": {"in": [{"var": "entity.individual.nationality"}, ["IR", "FR"]]}}, KYC_RULES["rules"][1]]}  # fmt: skip
    draft = rule_sets.create_draft(deps.rule_sets, admin(), stricter)
    report = rule_sets.backtest(
        deps.rule_sets, rule_sets.CompiledRuleSets(deps.rule_sets), deps, admin(), "kyc-default", draft.version,
        workflow_id="kyc", limit=10,
    )  # fmt: skip
    assert report["cases"] == 2
    assert [c["case_id"] for c in report["changes"]] == [decided[0]]
    assert report["changes"][0]["recommendation"] == "reject"
    with pytest.raises(InvalidInput):
        rule_sets.backtest(deps.rule_sets, rule_sets.CompiledRuleSets(deps.rule_sets), deps, admin(), "kyc-default", 1, workflow_id="kyc", limit=0)  # fmt: skip


# ------------------------------------------------------------------------------------------- limits
A900 = list(range(900))
NESTED_LOOPS = {"all": [A900, {"all": [A900, {"all": [A900, True]}]}]}
#: Under the save-time limits; its string passes 100,000 characters at the 589th element.
GROWING = {"reduce": [list(range(600)), {"cat": [{"var": "accumulator"}, "x" * 170]}, ""]}
STEPPING = {"all": [{"var": "metadata.batches"}, {"all": [A900, True]}]}  # 900 steps per batch


def with_rule(condition, id="heavy"):
    return {**KYC_RULES, "rules": [*KYC_RULES["rules"], {"id": id, "name": id, "condition": condition}]}


def test_a_rule_set_over_the_save_limits_is_not_saved_and_the_rule_is_named(deps):
    with pytest.raises(InvalidRule) as error:
        rule_sets.create_draft(deps.rule_sets, admin(), with_rule(NESTED_LOOPS))
    assert error.value.path.startswith("rules[2].condition.all[1]")
    assert error.value.context["rule_id"] == "heavy"
    assert deps.rule_sets.versions_by_key == {}


def test_dry_running_an_unsaved_rule_set_checks_it_as_saving_does(deps):
    start = time.monotonic()
    with pytest.raises(InvalidRule) as error:
        rule_sets.dry_run_draft(deps, admin(), with_rule(NESTED_LOOPS), context={})
    assert time.monotonic() - start < 1
    assert error.value.context["rule_id"] == "heavy"
    result = rule_sets.dry_run_draft(
        deps, admin(), KYC_RULES, context={"entity": {"individual": {"last_name": "Smith"}}}
    )
    assert (result["recommendation"], result["rule_set"]) == (
        "approve",
        {"id": "kyc-default", "version": None},
    )
    with pytest.raises(NotAllowed):
        rule_sets.dry_run_draft(deps, reviewer("reviewer"), KYC_RULES, context={})
    assert deps.rule_sets.versions_by_key == {}


@pytest.mark.parametrize("saved", [True, False])
def test_a_dry_run_past_a_run_time_limit_is_refused_naming_the_rule(deps, saved):
    body = with_rule(STEPPING)
    context = {"metadata": {"batches": list(range(200))}}  # 180,000 steps
    if saved:
        publish(deps, body)
        compiled = rule_sets.CompiledRuleSets(deps.rule_sets)

        def dry_run():
            return rule_sets.dry_run(
                deps.rule_sets, compiled, deps, admin(), "kyc-default", 1, context=context
            )
    else:

        def dry_run():
            return rule_sets.dry_run_draft(deps, admin(), body, context=context)

    start = time.monotonic()
    with pytest.raises(RuleLimitExceeded) as error:
        dry_run()
    assert time.monotonic() - start < 1
    assert (error.value.path, error.value.context["rule_id"], error.value.context["limit"]) == (
        "rules[2].condition",
        "heavy",
        "steps",
    )
    assert error.value.message == "rule 'heavy': the rule took more than 100,000 steps"


def test_a_rule_past_a_run_time_limit_in_a_workflow_is_recorded_and_the_case_goes_to_review(deps):
    publish(deps, with_rule(GROWING, id="growing"))
    case, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1"))
    assessor = rule_sets.RuleSetAssessor(rule_sets.CompiledRuleSets(deps.rule_sets))
    run_automation(automation_deps(deps, assessor), "acme", case.id)
    stored = deps.cases.get("acme", case.id)
    assert stored.state == CaseState.MANUAL_REVIEW
    assert stored.risk.recommendation == "review"
    assert [h["rule_id"] for h in stored.risk.hits] == ["known"]  # the other rules still count
    [error] = stored.risk.errors
    assert (error["rule_id"], error["limit"]) == ("growing", "string")
    flag = next(f for f in stored.flags if f.code == "rule_failed")
    assert (flag.source, flag.severity) == ("growing", "high")
    assert "cat would return a string" in flag.message


def test_a_stored_version_over_todays_save_limits_still_assesses_its_cases(deps):
    draft = parse_draft(with_rule(NESTED_LOOPS))  # saved before the limits: stored as it was
    at = deps.clock()
    deps.rule_sets.add_version("acme", draft, actor="admin", at=at)
    deps.rule_sets.publish("acme", "kyc-default", 1, actor="admin", at=at)
    case, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1"))
    result = assess(deps, case)
    assert result.recommendation == "review"
    assert [(e["rule_id"], e["limit"]) for e in result.errors] == [("heavy", "size")]
    assert [h["rule_id"] for h in result.hits] == ["known"]


# ---------------------------------------------------------------------------------------------------- replay
def decided(deps, **entity):
    """A case assessed and concluded by the automation with the published rules."""
    case, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-1", **entity))
    deps.cases.save_checks(
        "acme", case.id, {"contact": {"status": "ok", "data": {"email": "ok"}, "flags": []}}
    )
    result = assess(deps, case)
    automation.conclude(
        automation_deps(deps), "acme", case.id, AutomationRun(number=1, outcome="running"), result
    )
    return deps.cases.get("acme", case.id)


def test_the_assessment_records_what_the_rules_read_but_not_the_check_data(deps):
    publish(deps)
    case = decided(deps, nationality="IR")
    inputs = case.risk.inputs
    assert inputs.variables["entity.individual.nationality"] == "IR"
    assert inputs.variables["entity.individual.last_name"] == case.entity.individual.last_name
    assert inputs.recommendation == "reject"
    assert set(inputs.checks) == {"contact"}
    assert inputs.checks["contact"].sha256 == check_digest(
        {"status": "ok", "data": {"email": "ok"}, "flags": []}
    )
    assert not any(path.startswith("checks") for path in inputs.variables)


def test_a_replay_reproduces_with_the_pinned_version_and_differs_with_a_changed_published_one(deps):
    publish(deps)
    case = decided(deps, nationality="FR")
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    pinned = replay.replay_decision(
        deps, deps.rule_sets, compiled, reviewer("reviewer"), case.id, replay.ReplayRequest()
    )
    assert pinned.reproduced is True
    assert pinned.recommendation_now == "approve"
    stricter = {**KYC_RULES, "rules": [{**KYC_RULES["rules"][0], "condition": {"in": [{"var": "entity.individual.nationality"}, ["IR", "FR"]]}}, KYC_RULES["rules"][1]]}  # fmt: skip
    publish(deps, stricter)
    current = replay.replay_decision(
        deps, deps.rule_sets, compiled, reviewer("reviewer"), case.id, replay.ReplayRequest(against="current")
    )
    assert current.reproduced is False
    assert current.rule_set == {"id": "kyc-default", "version": 2}
    assert [(r.rule_id, r.hit_before, r.hit_now) for r in current.rules] == [("iran", False, True)]
    stored = deps.cases.get("acme", case.id)
    assert stored.state == case.state
    assert stored.risk == case.risk
    audit = [e for e in deps.cases.detail("acme", case.id).audit if e.action == "decision.replayed"]
    assert [(e.details["against"], e.details["reproduced"]) for e in audit] == [
        ("pinned", True),
        ("current", False),
    ]


def test_a_rerun_check_is_named_when_replaying(deps):
    publish(deps)
    case = decided(deps)
    deps.cases.save_checks("acme", case.id, {"contact": {"status": "error", "error": "timeout"}})
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    result = replay.replay_decision(
        deps, deps.rule_sets, compiled, reviewer("reviewer"), case.id, replay.ReplayRequest()
    )
    assert result.checks_changed == ["contact"]


def test_nothing_to_replay_without_a_rule_assessment_or_after_erasure_and_nothing_recorded(deps):
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    never, _ = cases.start_case(deps, integrator(), ACME, workflow="kyc", entity=individual("p-9"))
    with pytest.raises(replay.NothingToReplay):
        replay.replay_decision(
            deps, deps.rule_sets, compiled, reviewer("reviewer"), never.id, replay.ReplayRequest()
        )
    assert not [e for e in deps.cases.detail("acme", never.id).audit if e.action == "decision.replayed"]
    publish(deps)
    case = decided(deps)
    erased = deps.cases.get("acme", case.id)
    deps.cases.save(
        erased, erased.erase_personal_data(reviewer("admin").actor, "asked"), expected_version=erased.version
    )
    assert deps.cases.get("acme", case.id).risk.inputs is None
    with pytest.raises(replay.NothingToReplay):
        replay.replay_decision(
            deps, deps.rule_sets, compiled, reviewer("reviewer"), case.id, replay.ReplayRequest()
        )


def test_against_current_without_a_published_version_is_nothing_to_replay_and_a_bad_against_is_refused(deps):
    publish(deps)
    case = decided(deps)
    deps.rule_sets.published.clear()
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    with pytest.raises(replay.NothingToReplay, match="no published version"):
        replay.replay_decision(
            deps,
            deps.rule_sets,
            compiled,
            reviewer("reviewer"),
            case.id,
            replay.ReplayRequest(against="current"),
        )
    with pytest.raises(ValidationError, match="against"):
        replay.ReplayRequest(against="yesterday")
    assert replay.ReplayRequest(against="").against == "pinned"
    with pytest.raises(NotFound):
        replay.replay_decision(
            deps, deps.rule_sets, compiled, reviewer("reviewer"), "nope", replay.ReplayRequest()
        )


def test_a_viewer_cannot_replay_a_decision(deps):
    publish(deps)
    case = decided(deps)
    compiled = rule_sets.CompiledRuleSets(deps.rule_sets)
    with pytest.raises(NotAllowed):
        replay.replay_decision(
            deps, deps.rule_sets, compiled, reviewer("viewer"), case.id, replay.ReplayRequest()
        )
    assert not [e for e in deps.cases.detail("acme", case.id).audit if e.action == "decision.replayed"]


def test_publishing_keeps_who_when_and_why_and_a_blank_reason_is_refused(deps):
    version = rule_sets.create_draft(deps.rule_sets, admin(), KYC_RULES)
    with pytest.raises(InvalidInput) as blank:
        rule_sets.publish(deps.rule_sets, admin(), "kyc-default", version.version, "   ")
    assert blank.value.path == "reason"
    with pytest.raises(NotFound):
        rule_sets.publish(deps.rule_sets, admin(), "kyc-default", 9, "no such version")
    assert deps.rule_sets.events == []
    assert deps.rule_sets.published_version("acme", "kyc-default") is None
    published = rule_sets.publish(
        deps.rule_sets, admin(), "kyc-default", version.version, " Iran rule agreed "
    )
    assert (published.published_by, published.publish_reason) == ("admin-1", "Iran rule agreed")
    summary = rule_sets.get_rule_set(deps.rule_sets, admin(), "kyc-default")["versions"][0]
    assert (summary["published_by"], summary["publish_reason"]) == ("admin-1", "Iran rule agreed")
    [event] = deps.rule_sets.events
    assert {k: event[k] for k in ("type", "rule_set_id", "version", "previous_version", "reason")} == {
        "type": "rule_set.published",
        "rule_set_id": "kyc-default",
        "version": 1,
        "previous_version": None,
        "reason": "Iran rule agreed",
    }
    assert event["actor"] == {"type": "reviewer", "id": "admin-1", "email": "admin-1@example.com"}
    older_client = rule_sets.create_draft(deps.rule_sets, admin(), KYC_RULES)
    assert (
        rule_sets.publish(deps.rule_sets, admin(), "kyc-default", older_client.version).publish_reason is None
    )
    assert (deps.rule_sets.events[1]["previous_version"], deps.rule_sets.events[1]["reason"]) == (1, None)


def test_an_unsaved_rule_set_is_backtested_as_a_saved_one_and_nothing_is_saved(deps):
    publish(deps)
    for entity_id, nationality in [("p-1", "FR"), ("p-2", "IR")]:
        case, _ = cases.start_case(
            deps, integrator(), ACME, workflow="kyc", entity=individual(entity_id, nationality=nationality)
        )
        assessor = rule_sets.RuleSetAssessor(rule_sets.CompiledRuleSets(deps.rule_sets))
        run_automation(automation_deps(deps, assessor), "acme", case.id)
    stricter = {**KYC_RULES, "rules": [{**KYC_RULES["rules"][0], "condition": {"in": [{"var": "entity.individual.nationality"}, ["IR", "FR"]]}}, KYC_RULES["rules"][1]]}  # fmt: skip
    report = rule_sets.backtest_draft(deps, admin(), stricter, workflow_id="kyc", limit=10)
    assert (report["rule_set"], report["cases"], report["changed"]) == (
        {"id": "kyc-default", "version": None},
        2,
        1,
    )
    assert len(deps.rule_sets.versions_by_key[("acme", "kyc-default")]) == 1
    with pytest.raises(InvalidRule):
        rule_sets.backtest_draft(deps, admin(), with_rule({"nope": []}), workflow_id="kyc")
    with pytest.raises(NotAllowed):
        rule_sets.backtest_draft(deps, reviewer("reviewer"), stricter, workflow_id="kyc")
