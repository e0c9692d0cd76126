"""Replay in the domain: comparing two evaluations, and the rule context rebuilt from what an assessment read."""

from __future__ import annotations

from arbiter.domain.replay import (
    AssessmentInputs,
    CheckRead,
    check_digest,
    check_read,
    compare,
    rule_context_from,
)

HIT = {"rule_id": "iran", "values": {"entity.individual.nationality": "IR"}}
RECORDED = {"recommendation": "reject", "score": 100, "level": "critical", "hits": [HIT]}


def test_the_same_evaluation_is_reproduced_with_no_rule_named():
    result = compare(RECORDED, dict(RECORDED, hits=[dict(HIT)]))
    assert result.reproduced is True
    assert result.rules == []
    assert result.hits_before == result.hits_now == ["iran"]


def test_a_rule_that_no_longer_hits_is_named_with_its_values_and_the_outcome_and_score_before_and_now():
    now = {
        "recommendation": "approve",
        "score": 0,
        "level": "low",
        "hits": [{"rule_id": "known", "values": {}}],
    }
    result = compare(RECORDED, now)
    assert result.reproduced is False
    assert (result.recommendation_before, result.recommendation_now) == ("reject", "approve")
    assert (result.score_before, result.score_now) == (100, 0)
    assert (result.level_before, result.level_now) == ("critical", "low")
    assert [(r.rule_id, r.hit_before, r.hit_now) for r in result.rules] == [
        ("iran", True, False),
        ("known", False, True),
    ]
    assert result.rules[0].values_before == {"entity.individual.nationality": "IR"}
    assert result.rules[0].values_now is None


def test_a_hit_on_other_values_or_another_score_alone_is_not_a_reproduction():
    other = {"rule_id": "iran", "values": {"entity.individual.nationality": "ir"}}
    values = compare(RECORDED, dict(RECORDED, hits=[other]))
    assert values.reproduced is False
    assert values.rules[0].hit_before is values.rules[0].hit_now is True
    assert values.rules[0].values_now == {"entity.individual.nationality": "ir"}
    score = compare(RECORDED, dict(RECORDED, score=90))
    assert score.reproduced is False
    assert score.rules == []


def test_the_context_is_rebuilt_from_paths_and_a_value_kept_whole_covers_deeper_paths():
    inputs = AssessmentInputs(
        variables={
            "entity.business.ubos": [{"nationality": "GB"}],
            "entity.business.ubos.0.nationality": "GB",
            "entity.business.country_of_incorporation": "GB",
            "flags": [],
            "metadata.score": None,
        },
        checks={"ownership": CheckRead(status="ok", sha256="x")},
        recommendation="approve",
    )
    stored = {
        "ownership": {"status": "ok", "data": {"ubo_count": 1}, "flags": [], "error": None, "duration_ms": 3},
        "contact": {"status": "ok"},  # not read by the assessment: left out
    }
    context = rule_context_from(inputs, stored)
    assert context["entity"] == {
        "business": {"ubos": [{"nationality": "GB"}], "country_of_incorporation": "GB"}
    }
    assert context["flags"] == []
    assert context["metadata"] == {"score": None}
    assert context["checks"] == {
        "ownership": {"status": "ok", "data": {"ubo_count": 1}, "flags": [], "error": None}
    }


def test_a_check_is_recorded_by_digest_with_the_watchlist_version_it_screened_with():
    listed = {
        "sha256": "ab" * 32,
        "date": "2026-01-02",
        "key": "watchlists/un.json",
        "etag": '"e"',
        "entries": 9,
    }
    result = {"status": "ok", "data": {"list": listed, "matches": []}, "flags": [], "duration_ms": 12}
    read = check_read(result)
    assert read.status == "ok"
    assert read.list == {
        "sha256": "ab" * 32,
        "date": "2026-01-02",
        "key": "watchlists/un.json",
    }  # the S3 ETag is left out: the list's own SHA-256 names the version
    assert len(read.sha256) == 16
    assert read.sha256 == check_digest({**result, "duration_ms": 99})  # only what the rules see counts
    assert read.sha256 != check_digest({**result, "flags": [{"code": "pep_match"}]})
    assert check_read({"status": "error", "error": "timeout"}).list is None
