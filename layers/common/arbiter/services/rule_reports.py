"""How a rule set version performs on the cases it assessed: each rule's hit rate, how often reviewers overturned
its hits (the rule said reject or review, a reviewer approved), and the screening matches reviewers cleared as
false positives on those cases.

Read from Queries on the state index, newest cases first, at most `MAX_CASES_PER_STATE` per state (`truncated`
says when the bound was reached: the figures then cover the most recent cases). Cases with a screening match are
read whole (their check results and audit trail), at most `MAX_SCREENED_CASES` of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from arbiter.domain.case import Case, CaseState
from arbiter.domain.principal import Principal
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery
from arbiter.services.rule_sets import CompiledRuleSets

__all__ = ["MAX_CASES_PER_STATE", "MAX_SCREENED_CASES", "RulePerformance", "RuleReport", "rule_performance"]

MAX_CASES_PER_STATE = 2000
MAX_SCREENED_CASES = 200
_PAGE = 100

_ASSESSED_STATES = (
    CaseState.APPROVED,
    CaseState.REJECTED,
    CaseState.MANUAL_REVIEW,
    CaseState.REVISION_REQUESTED,
    CaseState.FAILED,
)
_HOLDING = ("reject", "review")


class RulePerformance(BaseModel):
    rule_id: str
    name: str
    outcome: str
    score: float
    hits: int
    hit_rate: float | None = Field(description="Hits over the cases the version assessed; null without cases")
    decided_by_reviewer: int = Field(description="Cases it hit that a reviewer decided")
    overturned: int = Field(description="Of those, approved although the rule said reject or review")
    overturn_rate: float | None = Field(
        description="overturned / decided_by_reviewer; null for other outcomes"
    )


class ScreeningPerformance(BaseModel):
    cases_with_matches: int
    cases_read: int = Field(description=f"Cases whose results were read (at most {MAX_SCREENED_CASES})")
    matches: int = Field(description="Matches raised (not suppressed by an earlier clearance)")
    cleared: int = Field(description="Matches reviewers cleared as false positives (less those revoked)")
    false_positive_rate: float | None


class RuleReport(BaseModel):
    rule_set: dict[str, Any] = Field(description="{id, version}")
    cases: int = Field(description="Cases this version assessed (within the bound)")
    truncated: bool
    rules: list[RulePerformance]
    screening: ScreeningPerformance


def _assessed_with(deps: CaseDeps, tenant_id: str, rule_set_id: str, version: int) -> tuple[list[Case], bool]:
    found: list[Case] = []
    truncated = False
    for state in _ASSESSED_STATES:
        seen, cursor = 0, None
        while True:
            page = deps.cases.query(
                CaseQuery(tenant_id=tenant_id, states=(state,), newest_first=True, limit=_PAGE, cursor=cursor)
            )
            for case in page.items:
                ref = case.risk.rule_set if case.risk else None
                if ref is not None and (ref.id, ref.version) == (rule_set_id, version):
                    found.append(case)
            seen += len(page.items)
            cursor = page.cursor
            if not cursor:
                break
            if seen >= MAX_CASES_PER_STATE:
                truncated = True
                break
    return found, truncated


def _hit_ids(case: Case) -> set[str]:
    return {str(h.get("rule_id")) for h in case.risk.hits} if case.risk else set()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rule_performance(
    deps: CaseDeps, compiled: CompiledRuleSets, principal: Principal, rule_set_id: str, version: int
) -> RuleReport:
    """The report of one version (NotFound for an unknown one); any role may read it."""
    principal.require("viewer", "reading rule reports")
    outline = compiled.get(principal.tenant_id, rule_set_id, version).outline()
    cases, truncated = _assessed_with(deps, principal.tenant_id, rule_set_id, version)
    hit_ids = {c.id: _hit_ids(c) for c in cases}
    rules = []
    for rule in outline:
        hit = [c for c in cases if rule["rule_id"] in hit_ids[c.id]]
        by_reviewer = [c for c in hit if c.decision is not None and not c.decision.automatic]
        overturned = (
            [c for c in by_reviewer if c.decision is not None and c.decision.outcome == "approved"]
            if rule["outcome"] in _HOLDING
            else []
        )
        rules.append(
            {
                **rule,
                "hits": len(hit),
                "hit_rate": _rate(len(hit), len(cases)),
                "decided_by_reviewer": len(by_reviewer),
                "overturned": len(overturned),
                "overturn_rate": _rate(len(overturned), len(by_reviewer))
                if rule["outcome"] in _HOLDING
                else None,
            }
        )
    return RuleReport(
        rule_set={"id": rule_set_id, "version": version},
        cases=len(cases),
        truncated=truncated,
        rules=[RulePerformance.model_validate(r) for r in rules],
        screening=_screening(deps, principal.tenant_id, cases),
    )


def _screening(deps: CaseDeps, tenant_id: str, cases: list[Case]) -> ScreeningPerformance:
    """Matches raised on the cases (not suppressed by an earlier clearance) and how many reviewers cleared."""
    matched = [c for c in cases if any(f.code.endswith("_match") for f in c.flags)]
    raised = cleared = 0
    for case in matched[:MAX_SCREENED_CASES]:
        detail = deps.cases.detail(tenant_id, case.id)
        for result in detail.checks.values():
            parties = (
                (result.get("data") or {}).get("parties") if isinstance(result.get("data"), dict) else None
            )
            for party in parties if isinstance(parties, list) else []:
                raised += sum(1 for m in party.get("matches") or [] if not m.get("suppressed"))
        actions = [e.action for e in detail.audit]
        cleared += max(
            0, actions.count("screening.match_cleared") - actions.count("screening.clearance_revoked")
        )
    return ScreeningPerformance(
        cases_with_matches=len(matched),
        cases_read=min(len(matched), MAX_SCREENED_CASES),
        matches=raised,
        cleared=cleared,
        false_positive_rate=_rate(cleared, raised),
    )
