"""Rule sets and decision tables: checked when saved, scored as documented, every hit explained."""

from __future__ import annotations

import json

import pytest

from arbiter.domain.errors import InvalidRule
from arbiter.rules.evaluation import compile_rule_set, explain
from arbiter.rules.ruleset import parse_draft


def rule(id, condition, outcome="flag", score=0, severity="medium", **extra):
    return {"id": id, "name": id.replace("-", " "), "condition": condition, "outcome": outcome,
            "score": score, "severity": severity, **extra}  # fmt: skip


COUNTRY = {"var": "entity.business.country"}
RULE_SET = {
    "id": "kyb-test",
    "name": "KYB test",
    "thresholds": {"review": 30, "reject": 80},
    "rules": [
        rule("high-risk-country", {"in_list": [COUNTRY, "high_risk_countries"]}, "reject", 100, "critical"),
        rule(
            "sanctions-hit", {"==": [{"var": "checks.sanctions.data.hit"}, True]}, "reject", 100, "critical"
        ),
        rule(
            "young-company",
            {"<": [{"years_since": [{"var": "entity.business.incorporated_on"}, "2026-01-01"]}, 1]},
            "flag",
            20,
            "low",
            domain="company",
        ),
        rule("no-website", {"missing": ["entity.business.website"]}, "flag", 15, "low"),
        rule(
            "pep-owner",
            {"some": [{"var": "entity.business.ubos"}, {"==": [{"var": "pep"}, True]}]},
            "review",
            30,
            "high",
        ),
        rule("all-clear", {"none": [{"var": "flags"}, {"!!": {"var": ""}}]}, "approve"),
        rule("disabled", True, "reject", 100, enabled=False),
    ],
    "tables": [
        {
            "id": "volume",
            "name": "Expected volume",
            "hit_policy": "first",
            "inputs": [
                {"name": "volume", "expression": {"var": "context.expected_volume"}},
                {"name": "cc", "expression": COUNTRY},
            ],
            "rows": [
                {"id": "huge", "when": [{">=": 1000000}, None], "outcome": "review", "score": 10},
                {"id": "big", "when": [{">=": 100000}, None], "outcome": "flag", "score": 5},
                {"id": "uk-big", "when": [{">=": 100000}, "GB"], "outcome": "flag", "score": 1},
            ],
        }
    ],
}


def context(country="GB", website="https://acme.test", ubos=(), volume=0, flags=(), hit=False, incorporated="2010-05-01"):  # fmt: skip
    business = {"name": "Acme", "country": country, "incorporated_on": incorporated, "ubos": list(ubos)}
    if website:
        business["website"] = website
    return {
        "entity": {"type": "business", "business": business},
        "checks": {"sanctions": {"status": "ok", "data": {"hit": hit}}},
        "flags": list(flags),
        "context": {"expected_volume": volume},
    }


@pytest.fixture(scope="module")
def rules():
    return compile_rule_set(parse_draft(RULE_SET))


def test_a_clean_case_is_approved_by_the_approve_rule(rules):
    result = rules.evaluate(context())
    assert result.recommendation == "approve"
    assert result.score == 0
    assert result.level == "low"
    assert [h["rule_id"] for h in result.hits] == ["all-clear"]


def test_a_high_risk_country_rejects_and_the_hit_says_why(rules):
    result = rules.evaluate(context(country="IR"))
    assert result.recommendation == "reject"
    assert result.level == "critical"
    hit = result.hits[0]
    assert hit["rule_id"] == "high-risk-country"
    assert hit["values"] == {"entity.business.country": "IR"}
    assert hit["explanation"] == "entity.business.country = IR in high_risk_countries"


def test_a_hit_explains_each_value_once_in_the_conditions_order_and_cuts_only_what_is_too_long():
    draft = parse_draft(
        {
            "id": "explained",
            "name": "Explained",
            "thresholds": {"review": 30, "reject": 80},
            "rules": [
                rule(
                    "everything",
                    {
                        "and": [
                            {"!=": [{"var": "a.note"}, "x"]},
                            {"in": [{"var": "a.kind"}, ["shop", "bank"]]},
                            {"in_list": [{"var": "a.country"}, "high_risk_countries"]},
                            {"in": [{"var": "a.kind"}, ["bank"]]},  # the first list said is kept
                            {"!=": [{"var": "a.long"}, ""]},
                            {"!=": [{"var": "a.emoji"}, ""]},
                            {"!=": [{"var": "a.plain"}, ""]},
                            {"!=": [{"var": "a.emojis"}, ""]},
                            {"!=": [{"var": "a.big"}, 0]},
                            {"!=": [{"var": "a.ratio"}, 0]},
                            {"!=": [{"var": "a.flag"}, True]},
                            {"!": [{"var": "a.none"}]},
                        ]
                    },
                    "review",
                    40,
                )
            ],
        }
    )
    # As JSON: 402, 2,502, 1,994 (12 a character, the most there is), 2,006 and 2,501 characters.
    plain, long, emoji, emojis, big = "p" * 400, "x" * 2500, "\U0001f600" * 166, "\U0001f600" * 167, 10**2500
    values = {
        "note": "a" * 166,
        "plain": plain,
        "emojis": emojis,
        "kind": "bank",
        "country": "IR",
        "long": long,
        "emoji": emoji,
        "big": big,
        "ratio": 0.1,
        "flag": False,
        "none": None,
    }
    [hit] = compile_rule_set(draft).evaluate({"a": values}).hits
    assert hit["values"] == {
        "a.note": "a" * 166,
        "a.plain": plain,
        "a.emojis": json.dumps(emojis)[:2000] + "…",
        "a.kind": "bank",
        "a.country": "IR",
        "a.long": '"' + "x" * 1999 + "…",
        "a.emoji": emoji,
        "a.big": str(big)[:2000] + "…",
        "a.ratio": 0.1,
        "a.flag": False,
        "a.none": None,
    }
    said = hit["explanation"].split("; ")
    assert said[:3] == [
        'a.kind = bank in ["shop", "bank"]',
        "a.country = IR in high_risk_countries",
        "a.note = " + "a" * 77 + "…",
    ]
    assert [part.split(" = ")[0] for part in said] == [
        "a.kind", "a.country", "a.note", "a.long", "a.emoji", "a.plain", "a.emojis", "a.big", "a.ratio",
        "a.flag", "a.none",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 10**17, 10**30, -(10**30), 0.1, -0.0, 1e300, 2.5e-8, float("nan"), float("inf"),
     -float("inf"), [1, "a"], {"k": [None]}, "text", "x" * 90],
)  # fmt: skip
def test_an_explanation_shows_a_value_as_its_json(value):
    shown = json.dumps(value, default=str) if not isinstance(value, str) else value
    expected = shown if len(shown) <= 80 else shown[:77] + "…"
    assert explain({"==": [{"var": "v"}, 1]}, {"v": value}) == f"v = {expected}"


def test_scores_add_up_to_review_between_the_thresholds(rules):
    result = rules.evaluate(context(website=None, incorporated="2025-06-01"))
    assert {h["rule_id"] for h in result.hits} == {"no-website", "young-company", "all-clear"}
    assert result.score == 35
    assert result.recommendation == "review"
    assert result.level == "medium"
    young = next(h for h in result.hits if h["rule_id"] == "young-company")
    assert young["values"] == {"entity.business.incorporated_on": "2025-06-01"}


def test_a_review_outcome_sends_to_review_whatever_the_score(rules):
    result = rules.evaluate(context(ubos=[{"name": "A", "pep": False}, {"name": "B", "pep": True}]))
    assert result.recommendation == "review"
    assert any(h["rule_id"] == "pep-owner" for h in result.hits)


def test_nothing_hit_means_review_when_approval_needs_evidence(rules):
    result = rules.evaluate(context(flags=["check_failed"]))
    assert result.hits == []
    assert result.recommendation == "review"


def test_first_match_tables_hit_one_row_collect_tables_every_row():
    first = compile_rule_set(parse_draft(RULE_SET)).evaluate(context(volume=2_000_000))
    assert [h["rule_id"] for h in first.hits if h.get("table_id")] == ["volume.huge"]
    collect = dict(RULE_SET, tables=[dict(RULE_SET["tables"][0], hit_policy="collect")])
    every = compile_rule_set(parse_draft(collect)).evaluate(context(volume=2_000_000))
    assert sorted(h["rule_id"] for h in every.hits if h.get("table_id")) == ["volume.big", "volume.huge", "volume.uk-big"]  # fmt: skip
    assert every.score == 16


def test_a_rule_that_fails_at_run_time_is_reported_and_never_approves():
    draft = parse_draft(
        {"id": "x", "name": "x", "rules": [rule("ok", True, "approve"), rule("broken", {"*": []})]}
    )
    result = compile_rule_set(draft).evaluate({})
    assert result.recommendation == "review"
    assert result.errors[0]["rule_id"] == "broken"


@pytest.mark.parametrize("approve_requires_hit", [True, False])
@pytest.mark.parametrize("review", [0, 30])
def test_a_rule_set_of_rules_only_scores_as_one_going_the_general_way(approve_requires_hit, review):
    """Rules only, none over the limits: the hits are taken straight from the tests, and an evaluation where
    nothing hit is worked out once. Both as the general way (tables, refused rules, failures) scores them."""
    only_rules = dict(
        RULE_SET,
        tables=[],
        thresholds={"review": review, "reject": 80, "approve_requires_hit": approve_requires_hit},
    )
    quick, general = (compile_rule_set(parse_draft(only_rules)) for _ in range(2))
    general._rules_only = False
    assert quick._rules_only
    contexts = [
        context(),
        context(country="IR"),
        context(website=None, incorporated="2025-06-01"),
        context(ubos=[{"name": "B", "pep": True}]),
        context(flags=["check_failed"]),  # nothing hits
        context(flags=["check_failed"], hit=True),
        {},  # nothing hits, no data at all
    ]
    for each in contexts:
        assert quick.evaluate(each) == general.evaluate(each) == general._scored(*_fired(general, each))
    nothing = quick.evaluate(context(flags=["check_failed"]))
    nothing.hits.append({"changed": True})  # an evaluation's own lists: the next one starts empty
    assert quick.evaluate(context(flags=["check_failed"])).hits == []


def _fired(rules, data):
    outcomes = rules._batch(data, None)
    return [c for c, hit in zip(rules.checks, outcomes, strict=True) if hit], [], data


def test_the_rule_sets_own_lists_are_usable():
    draft = parse_draft({"id": "x", "name": "x", "lists": {"blocked": ["acme"]},
                         "rules": [rule("blocked", {"in_list": [{"var": "name"}, "blocked"]}, "reject", 100)]})  # fmt: skip
    assert compile_rule_set(draft).evaluate({"name": "ACME"}).recommendation == "reject"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda d: d["rules"][3].update(condition={"and": [True, {"nope": 1}]}),
            "rules[3].condition.and[1].nope",
        ),
        (lambda d: d["rules"][1].update(outcome="maybe"), "rules[1].outcome"),
        (lambda d: d["rules"][2].update(id="high-risk-country"), "rules[2].id"),
        (lambda d: d["tables"][0]["rows"][1].update(when=[1]), "tables[0]"),
        (lambda d: d["tables"][0]["rows"][0].update(when=[{"bogus": 1}, None]), "tables[0].rows[0].when"),
        (lambda d: d.update(thresholds={"review": 90, "reject": 10}), "thresholds"),
        (lambda d: d.update(id="Not An Id"), "id"),
    ],
)
def test_malformed_rule_sets_are_refused_with_the_path(change, path):
    import copy

    draft = copy.deepcopy(RULE_SET)
    change(draft)
    with pytest.raises(InvalidRule) as error:
        compile_rule_set(parse_draft(draft))
    assert error.value.path == path
