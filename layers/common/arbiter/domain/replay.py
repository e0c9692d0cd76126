"""Replaying an automatic assessment: what it read (`AssessmentInputs`, kept on the case's assessment), the
rule context rebuilt from it, and how a new evaluation compares with the recorded one (`compare`).

What is kept is small: the values of the paths the rules read, except under `checks` (a check's data can be
large and is stored beside the case already): for each check, a SHA-256 of what the rules saw of it, so a replay
can tell whether the stored result is still the one that was read (its first 64 bits); for a screening check, the
watchlist version (its SHA-256, date and key).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AssessmentInputs",
    "CheckRead",
    "ReplayComparison",
    "RuleHitChange",
    "check_digest",
    "check_read",
    "compare",
    "rule_context_from",
]

#: What rules see of a check result (services.assessment.rule_context).
CHECK_FIELDS = ("status", "data", "flags", "error")


class CheckRead(BaseModel):
    """A check result as the rules read it: its status, its digest, and the watchlist version it screened with."""

    status: str | None = None
    sha256: str
    list: dict[str, Any] | None = Field(
        default=None, description="The watchlist version a screening check read (sha256, date, key)"
    )


class AssessmentInputs(BaseModel):
    """What an automatic assessment read: enough to evaluate the same rule set again and compare."""

    variables: dict[str, Any] = Field(default_factory=dict, description="Path → value, outside `checks`")
    absent: list[str] = Field(default_factory=list, description="Paths the rules read that had no value")
    checks: dict[str, CheckRead] = Field(default_factory=dict)
    recommendation: str = Field(description="The rules' own recommendation, before any hold for review")


#: Hex characters of a check's digest kept: 64 bits tell a result run again from the one read (the audit chain, not
#: this, is the evidence against tampering), and five full digests would take a quarter of a decided case's item.
DIGEST_CHARS = 16


def check_digest(result: dict[str, Any]) -> str:
    """SHA-256 of what the rules see of a check result (canonical JSON), its first `DIGEST_CHARS` hex characters."""
    seen = {k: result.get(k) for k in CHECK_FIELDS}
    text = json.dumps(seen, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


def check_read(result: dict[str, Any]) -> CheckRead:
    """The record of one check result the rules read."""
    data = result.get("data")
    listed = data.get("list") if isinstance(data, dict) else None
    version = (
        {k: listed[k] for k in ("sha256", "date", "key") if listed.get(k) is not None}
        if isinstance(listed, dict)
        else None
    )
    status = result.get("status")
    return CheckRead(
        status=status if isinstance(status, str) else None, sha256=check_digest(result), list=version
    )


def rule_context_from(inputs: AssessmentInputs, checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The rule context rebuilt from recorded values, with `checks` the stored check results (their 4 fields)."""
    context: dict[str, Any] = {}
    # Shorter paths first: a value recorded whole covers any deeper path read from it.
    for path in sorted(inputs.variables, key=lambda p: p.count(".")):
        keys = path.split(".")
        node = context
        covered = False
        for key in keys[:-1]:
            if key not in node:
                node[key] = {}
            inner = node[key]
            if not isinstance(inner, dict):
                covered = True
                break
            node = inner
        if not covered and keys[-1] not in node:
            node[keys[-1]] = inputs.variables[path]
    context["checks"] = {
        name: {k: result.get(k) for k in CHECK_FIELDS}
        for name, result in checks.items()
        if name in inputs.checks
    }
    return context


class RuleHitChange(BaseModel):
    """One rule whose hit or values differ between the recorded assessment and the replay."""

    rule_id: str
    hit_before: bool
    hit_now: bool
    values_before: dict[str, Any] | None = None
    values_now: dict[str, Any] | None = None


class ReplayComparison(BaseModel):
    """Whether a replay gives the recorded recommendation, score and hits; what differs if not."""

    reproduced: bool
    recommendation_before: str
    recommendation_now: str
    score_before: float
    score_now: float
    level_before: str
    level_now: str
    hits_before: list[str]
    hits_now: list[str]
    rules: list[RuleHitChange] = Field(default_factory=list, description="Only the rules that differ")


def compare(before: dict[str, Any], now: dict[str, Any]) -> ReplayComparison:
    """Compare two evaluations (`recommendation`, `score`, `level`, `hits` with `rule_id` and `values`)."""
    hits_before = {str(h.get("rule_id")): h for h in before.get("hits") or []}
    hits_now = {str(h.get("rule_id")): h for h in now.get("hits") or []}
    changes = []
    for rule_id in list(hits_before) + [r for r in hits_now if r not in hits_before]:
        was, is_ = hits_before.get(rule_id), hits_now.get(rule_id)
        values_before = was.get("values") if was else None
        values_now = is_.get("values") if is_ else None
        if (was is None) != (is_ is None) or values_before != values_now:
            changes.append(
                RuleHitChange(
                    rule_id=rule_id,
                    hit_before=was is not None,
                    hit_now=is_ is not None,
                    values_before=values_before,
                    values_now=values_now,
                )
            )
    score_before, score_now = float(before.get("score") or 0), float(now.get("score") or 0)
    same = (
        not changes
        and before.get("recommendation") == now.get("recommendation")
        and score_before == score_now
        and before.get("level") == now.get("level")
    )
    return ReplayComparison(
        reproduced=same,
        recommendation_before=str(before.get("recommendation")),
        recommendation_now=str(now.get("recommendation")),
        score_before=score_before,
        score_now=score_now,
        level_before=str(before.get("level")),
        level_now=str(now.get("level")),
        hits_before=list(hits_before),
        hits_now=list(hits_now),
        rules=changes,
    )
