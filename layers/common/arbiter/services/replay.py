"""Replaying a case's automatic assessment: the rule set evaluated again on what the assessment read, compared
with what it recommended. Nothing of the case changes; the replay is recorded in its audit trail as a view.

`against="pinned"` evaluates the version pinned on the case (does the decision reproduce?); `"current"` the
tenant's published version of the same rule set (what would the rules say today on the same facts?).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from arbiter.domain.case import AuditEntry, Case, Change
from arbiter.domain.errors import Conflict
from arbiter.domain.principal import Principal
from arbiter.domain.replay import ReplayComparison, check_digest, compare, rule_context_from
from arbiter.services.cases import CaseDeps, rerun_lost_races
from arbiter.services.ports import RuleSetRepository
from arbiter.services.rule_sets import CompiledRuleSets

__all__ = ["NothingToReplay", "ReplayRequest", "ReplayResult", "replay_decision"]


class NothingToReplay(Conflict):
    """The case has no automatic assessment that recorded what it read."""


class ReplayRequest(BaseModel):
    against: Literal["pinned", "current"] = Field(
        default="pinned",
        description="`pinned`: the rule set version pinned on the case; `current`: the tenant's published version",
    )

    @field_validator("against", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any) -> Any:
        return "pinned" if value in ("", None) else value


class ReplayResult(ReplayComparison):
    case_id: str
    against: Literal["pinned", "current"]
    rule_set: dict[str, Any] = Field(description="The version evaluated now: {id, version}")
    pinned_version: int
    assessed_at: str
    checks_changed: list[str] = Field(
        default_factory=list,
        description="Checks whose stored result is no longer the one the assessment read (re-run since)",
    )


def replay_decision(
    deps: CaseDeps,
    store: RuleSetRepository,
    compiled: CompiledRuleSets,
    principal: Principal,
    case_id: str,
    request: ReplayRequest,
) -> ReplayResult:
    """Evaluate the recorded inputs again and compare (reviewers and admins); NotFound, or NothingToReplay (409) without an automatic
    assessment (or, against `current`, without a published version)."""
    principal.require("reviewer", "replaying a decision")  # it is recorded in the audit trail
    detail = deps.cases.detail(principal.tenant_id, case_id)
    risk = detail.case.risk
    if risk is None or risk.rule_set is None or risk.inputs is None:
        raise NothingToReplay(
            "the case has no automatic assessment that recorded what it read: nothing to replay",
            case_id=case_id,
        )
    pinned = risk.rule_set
    version = pinned.version
    if request.against == "current":
        published = store.published_version(principal.tenant_id, pinned.id)
        if published is None:
            raise NothingToReplay(
                f"the rule set {pinned.id!r} has no published version", case_id=case_id, rule_set=pinned.id
            )
        version = published
    inputs = risk.inputs
    evaluation = compiled.get(principal.tenant_id, pinned.id, version).evaluate(
        rule_context_from(inputs, detail.checks)
    )
    before = {
        "recommendation": inputs.recommendation,
        "score": risk.score,
        "level": risk.level,
        "hits": risk.hits,
    }
    comparison = compare(before, evaluation.as_dict())
    changed = [
        name
        for name, read in inputs.checks.items()
        if name not in detail.checks or check_digest(detail.checks[name]) != read.sha256
    ]
    result = ReplayResult(
        **comparison.model_dump(),
        case_id=case_id,
        against=request.against,
        rule_set={"id": pinned.id, "version": version},
        pinned_version=pinned.version,
        assessed_at=risk.evaluated_at.isoformat(),
        checks_changed=changed,
    )
    _record_view(deps, principal, case_id, result)
    return result


def _record_view(deps: CaseDeps, principal: Principal, case_id: str, result: ReplayResult) -> None:
    """The replay as an audit entry (the case itself is unchanged)."""
    details = {
        "against": result.against,
        "rule_set": result.rule_set,
        "reproduced": result.reproduced,
        "recommendation_now": result.recommendation_now,
        "rules_changed": [r.rule_id for r in result.rules],
    }

    def record() -> Case:
        case = deps.cases.get(principal.tenant_id, case_id)
        entry = AuditEntry(at=deps.now(), actor=principal.actor, action="decision.replayed", details=details)
        deps.cases.save(case, Change(audit=[entry]), expected_version=case.version)
        return case

    rerun_lost_races(record)
