"""Use cases of rule sets: save a draft, publish it, try it (dry run, backtest), assess cases with it.

Every use case of the admin API needs the admin role. Versions are immutable, so a compiled version is
cached for the life of the process (`CompiledRuleSets`), keyed by tenant, id and version.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

from arbiter.domain.case import Case, CaseState, RiskAssessment
from arbiter.domain.errors import InvalidInput, RuleLimitExceeded
from arbiter.domain.events import EventActor, RuleSetPublished
from arbiter.domain.principal import Principal
from arbiter.domain.replay import AssessmentInputs, check_read
from arbiter.rules.evaluation import CompiledRuleSet, Evaluation, compile_rule_set
from arbiter.rules.ruleset import RuleSetVersion, parse_draft
from arbiter.services.assessment import rule_context
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery, RuleSetRepository

__all__ = [
    "CompiledRuleSets",
    "RuleSetAssessor",
    "backtest",
    "backtest_draft",
    "create_draft",
    "dry_run",
    "dry_run_draft",
    "get_rule_set",
    "get_version",
    "list_rule_sets",
    "publish",
]

MAX_BACKTEST_CASES = 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CompiledRuleSets:
    """Compiled versions by (tenant, id, version), least recently used dropped first."""

    def __init__(self, store: RuleSetRepository, size: int = 64) -> None:
        self._store = store
        self._size = size
        self._cache: OrderedDict[tuple[str, str, int], CompiledRuleSet] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant_id: str, rule_set_id: str, version: int) -> CompiledRuleSet:
        key = (tenant_id, rule_set_id, version)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        # A stored version is never refused: a rule over today's save-time limits fails when evaluated.
        content = self._store.get_version(tenant_id, rule_set_id, version).content()
        compiled = compile_rule_set(content, over_limits="fail")
        with self._lock:
            self._cache[key] = compiled
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return compiled


class RuleSetAssessor:
    """Assesses a case with the rule set version pinned on it (implements services.assessment.Assessor)."""

    def __init__(self, compiled: CompiledRuleSets) -> None:
        self._compiled = compiled

    def __call__(self, case: Case, context: dict[str, Any]) -> RiskAssessment:
        at = _now()
        if case.rule_set is None:
            # Nothing was published when the case started: never approve what no rule has checked.
            return RiskAssessment(
                recommendation="review",
                evaluated_at=at,
                errors=[{"error": "no published rule set was pinned when the case started"}],
            )
        ref = case.rule_set
        rules = self._compiled.get(case.tenant_id, ref.id, ref.version)
        evaluation = rules.evaluate(context)
        return RiskAssessment(
            score=evaluation.score,
            level=evaluation.level,
            recommendation=evaluation.recommendation,
            rule_set=ref,
            hits=evaluation.hits,
            errors=evaluation.errors,
            evaluated_at=at,
            inputs=inputs_read(rules, context, evaluation.recommendation),
            terms=evaluation.terms,
        )


def inputs_read(rules: CompiledRuleSet, context: dict[str, Any], recommendation: str) -> AssessmentInputs:
    """What `rules` read of `context`, as kept on the assessment for a replay: values outside `checks` (those are
    stored beside the case), and each check's digest and watchlist version."""
    values, absent = rules.read(context)
    return AssessmentInputs(
        variables={p: v for p, v in values.items() if p != "checks" and not p.startswith("checks.")},
        absent=absent,
        checks={name: check_read(result) for name, result in (context.get("checks") or {}).items()},
        recommendation=recommendation,
    )


# ---------------------------------------------------------------------------------------------- admin API
def create_draft(store: RuleSetRepository, principal: Principal, body: Any) -> RuleSetVersion:
    """Save a rule set as its next draft version, after checking every rule (InvalidRule with the path)."""
    principal.require("admin", "saving rule sets")
    draft = parse_draft(body)
    compile_rule_set(draft)
    version: RuleSetVersion = store.add_version(principal.tenant_id, draft, actor=principal.id, at=_now())
    return version


def list_rule_sets(
    store: RuleSetRepository, principal: Principal, *, cursor: str | None = None, limit: int = 50
) -> dict[str, Any]:
    principal.require("admin", "reading rule sets")
    page = store.list(principal.tenant_id, cursor=cursor, limit=limit)
    return {"items": [summary.model_dump() for summary in page.items], "cursor": page.cursor}


def get_rule_set(store: RuleSetRepository, principal: Principal, rule_set_id: str) -> dict[str, Any]:
    """The rule set's versions (newest first) and which one is published."""
    principal.require("admin", "reading rule sets")
    versions = store.versions(principal.tenant_id, rule_set_id)
    published = next((v.version for v in versions if v.status == "published"), None)
    return {
        "id": rule_set_id,
        "name": versions[0].name,
        "latest_version": versions[0].version,
        "published_version": store.published_version(principal.tenant_id, rule_set_id) or published,
        "versions": [v.summary() for v in versions],
    }


def get_version(
    store: RuleSetRepository, principal: Principal, rule_set_id: str, version: int
) -> RuleSetVersion:
    principal.require("admin", "reading rule sets")
    found: RuleSetVersion = store.get_version(principal.tenant_id, rule_set_id, version)
    return found


def publish(
    store: RuleSetRepository,
    principal: Principal,
    rule_set_id: str,
    version: int,
    reason: str | None = None,
) -> RuleSetVersion:
    """Publish a draft: cases that start from now on pin it; who, when and why are kept on the version."""
    principal.require("admin", "publishing rule sets")
    if reason is not None and not reason.strip():
        raise InvalidInput("reason must say why the version is published", path="reason")
    reason = reason.strip() if reason is not None else None
    draft = store.get_version(principal.tenant_id, rule_set_id, version)  # NotFound first
    at = _now()
    event = RuleSetPublished(
        time=at,
        tenant_id=principal.tenant_id,
        rule_set_id=rule_set_id,
        version=version,
        name=draft.name,
        previous_version=store.published_version(principal.tenant_id, rule_set_id),
        reason=reason,
        actor=EventActor(type="reviewer", id=principal.id, email=principal.email),
    )
    store.publish(
        principal.tenant_id, rule_set_id, version, actor=principal.id, at=at, reason=reason, events=[event]
    )
    published: RuleSetVersion = store.get_version(principal.tenant_id, rule_set_id, version)
    return published


def _case_context(deps: CaseDeps, tenant_id: str, case_id: str) -> tuple[Case, dict[str, Any]]:
    detail = deps.cases.detail(tenant_id, case_id)
    return detail.case, rule_context(detail.case, detail.checks, detail.children)


def dry_run(
    store: RuleSetRepository,
    compiled: CompiledRuleSets,
    deps: CaseDeps,
    principal: Principal,
    rule_set_id: str,
    version: int,
    *,
    context: dict[str, Any] | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """Evaluate a version (draft or published) on a given context or on an existing case; nothing is saved.

    A rule that goes past a run-time limit on that context is RuleLimitExceeded (422) naming it."""
    principal.require("admin", "trying rule sets")
    context = _dry_run_context(deps, principal, context, case_id)
    rules = compiled.get(principal.tenant_id, rule_set_id, version)
    evaluation = _within_limits(rules, rules.evaluate(context))
    return {"rule_set": {"id": rule_set_id, "version": version}, "case_id": case_id, **evaluation.as_dict()}


def dry_run_draft(
    deps: CaseDeps,
    principal: Principal,
    rule_set: Any,
    *,
    context: dict[str, Any] | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """Evaluate a rule set that is not saved (checked as saving checks it) on a context or a case."""
    principal.require("admin", "trying rule sets")
    draft = parse_draft(rule_set)
    rules = compile_rule_set(draft)
    context = _dry_run_context(deps, principal, context, case_id)
    evaluation = _within_limits(rules, rules.evaluate(context))
    return {"rule_set": {"id": draft.id, "version": None}, "case_id": case_id, **evaluation.as_dict()}


def _dry_run_context(
    deps: CaseDeps, principal: Principal, context: dict[str, Any] | None, case_id: str | None
) -> dict[str, Any]:
    if (context is None) == (case_id is None):
        raise InvalidInput("give either context or case_id", path="context")
    if case_id is not None:
        _, context = _case_context(deps, principal.tenant_id, case_id)
    assert context is not None
    return context


def _within_limits(rules: CompiledRuleSet, evaluation: Evaluation) -> Evaluation:
    """The evaluation, or RuleLimitExceeded for the first rule that went past a run-time limit."""
    for error in evaluation.errors:
        if error.get("limit"):
            rule_id = error["rule_id"]
            raise RuleLimitExceeded(
                f"rule {rule_id!r}: {error['error']}",
                path=rules.path_of(rule_id),
                rule_id=rule_id,
                limit=error["limit"],
            )
    return evaluation


def _recorded(case: Case) -> str | None:
    if case.risk is not None:
        return case.risk.recommendation
    return None


def backtest(
    store: RuleSetRepository,
    compiled: CompiledRuleSets,
    deps: CaseDeps,
    principal: Principal,
    rule_set_id: str,
    version: int,
    *,
    workflow_id: str,
    limit: int = 50,
) -> dict[str, Any]:
    """Re-assess the last `limit` decided cases of a workflow with this version: which recommendations change."""
    principal.require("admin", "backtesting rule sets")
    _check_backtest(deps, principal, workflow_id, limit)
    rules = compiled.get(principal.tenant_id, rule_set_id, version)
    return _backtest(deps, principal, rules, {"id": rule_set_id, "version": version}, workflow_id, limit)


def backtest_draft(
    deps: CaseDeps, principal: Principal, rule_set: Any, *, workflow_id: str, limit: int = 50
) -> dict[str, Any]:
    """Re-assess the last decided cases of a workflow with a rule set that is not saved (checked as saving checks
    it): what the editor shows while an admin changes a rule."""
    principal.require("admin", "backtesting rule sets")
    draft = parse_draft(rule_set)
    rules = compile_rule_set(draft)
    _check_backtest(deps, principal, workflow_id, limit)
    return _backtest(deps, principal, rules, {"id": draft.id, "version": None}, workflow_id, limit)


def _check_backtest(deps: CaseDeps, principal: Principal, workflow_id: str, limit: int) -> None:
    if not 1 <= limit <= MAX_BACKTEST_CASES:
        raise InvalidInput(f"limit must be between 1 and {MAX_BACKTEST_CASES}", path="limit")
    deps.workflows.get(principal.tenant_id, workflow_id)  # NotFound for an unknown workflow


def _backtest(
    deps: CaseDeps,
    principal: Principal,
    rules: CompiledRuleSet,
    ref: dict[str, Any],
    workflow_id: str,
    limit: int,
) -> dict[str, Any]:
    decided = _last_decided(deps, principal.tenant_id, workflow_id, limit)
    changed, results = [], []
    for case in decided:
        _, context = _case_context(deps, principal.tenant_id, case.id)
        evaluation: Evaluation = rules.evaluate(context)
        before = _recorded(case)
        decision = case.decision.outcome if case.decision else case.state.value
        row = {
            "case_id": case.id,
            "decision": decision,
            "automatic": bool(case.decision and case.decision.automatic),
            "previous_recommendation": before,
            "previous_rule_set": case.risk.rule_set.model_dump()
            if case.risk and case.risk.rule_set
            else None,
            "recommendation": evaluation.recommendation,
            "score": evaluation.score,
            "hits": [h["rule_id"] for h in evaluation.hits],
        }
        results.append(row)
        if before != evaluation.recommendation:
            changed.append(row)
    agrees = sum(1 for r in results if _agrees(str(r["recommendation"]), str(r["decision"])))
    return {
        "rule_set": ref,
        "workflow": workflow_id,
        "cases": len(results),
        "changed": len(changed),
        "changes": changed,
        "agrees_with_decision": agrees,
        "results": results,
    }


def _agrees(recommendation: str, decision: str) -> bool:
    return (recommendation, decision) in (("approve", "approved"), ("reject", "rejected"))


def _last_decided(deps: CaseDeps, tenant_id: str, workflow_id: str, limit: int) -> list[Case]:
    """The newest decided cases (approved or rejected) of the workflow, newest first."""
    found: list[Case] = []
    for state in (CaseState.APPROVED, CaseState.REJECTED):
        cursor = None
        while len([c for c in found if c.state == state]) < limit:
            page = deps.cases.query(
                CaseQuery(
                    tenant_id=tenant_id,
                    workflow_id=workflow_id,
                    states=(state,),
                    newest_first=True,
                    limit=min(100, limit),
                    cursor=cursor,
                )
            )
            found += page.items
            cursor = page.cursor
            if not cursor:
                break
    found.sort(key=lambda c: c.created_at, reverse=True)
    return found[:limit]
