"""The automated part of a workflow: run the checks, then assess the case with its rule set.

`rule_context` is the document rules read (see docs/rules.md): the entity, check results, child cases'
outcomes, documents and metadata — plain JSON, nothing else reachable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from arbiter.domain.case import SYSTEM, AuditEntry, Case, Change, Flag, RiskAssessment
from arbiter.services.cases import CaseDeps
from arbiter.services.checks import apply_check_results
from arbiter.services.ports import CaseDetail
from arbiter.services.workflow_steps import owner_case_ids

__all__ = ["Assessor", "adopt", "assess", "assessed", "evaluate", "rule_context"]


class Assessor(Protocol):
    def __call__(self, case: Case, context: dict[str, Any]) -> RiskAssessment:
        """Evaluate the case's pinned rule set on `context`."""


def rule_context(case: Case, checks: dict[str, dict[str, Any]], children: list[Case]) -> dict[str, Any]:
    """What rules see: JSON only, snake_case fields of the entity model."""
    return {
        "case": {"id": case.id, "workflow_id": case.workflow_id, "source": case.source},
        "entity": case.entity.model_dump(mode="json", exclude_none=True),
        "checks": {
            name: {k: result.get(k) for k in ("status", "data", "flags", "error")}
            for name, result in checks.items()
        },
        "children": [
            {
                "case_id": child.id,
                "state": child.state.value,
                "decision": child.decision.outcome if child.decision else None,
                "score": child.risk.score if child.risk else None,
                "entity_id": child.entity.id,
            }
            for child in children
        ],
        "documents": [
            {
                "id": d.id,
                "type": d.type,
                "category": d.category,
                "issuer": d.issuer,
                "properties": d.properties,
                "pages": len(d.pages),
                "available_pages": sum(1 for p in d.pages if p.status == "available"),
            }
            for d in case.documents
        ],
        "flags": [f.code for f in case.flags],
        "metadata": case.metadata,
        "context": case.context,
    }


def assess(
    deps: CaseDeps, tenant_id: str, case_id: str, assessor: Assessor, *, now: Callable[[], Any] | None = None
) -> RiskAssessment | None:
    """The case assessed with the stored check results and its pinned rule set, nothing stored: the automation
    run's `Decide` stores the assessment with the decision it leads to, in one write (`automation.conclude`).
    None: the case is past its automated part."""
    detail = deps.cases.detail(tenant_id, case_id)
    if not detail.case.automating:
        return None
    assessed(
        deps, detail, lambda case: assessor(case, rule_context(case, detail.checks, detail.children)), now
    )
    return detail.case.risk


def assessed(
    deps: CaseDeps,
    detail: CaseDetail,
    assessment: Callable[[Case], RiskAssessment],
    now: Callable[[], Any] | None = None,
) -> Change:
    """Take the stored check results onto the case (critical flags, failures), with its owners' cases as they are
    now, and set the assessment `assessment(case)` gives (not stored: the caller saves the case with the change).
    """
    case = detail.case
    owners = owner_case_ids(deps, case)
    if owners and case.child_case_ids != owners:
        case.child_case_ids = owners
        detail.children = deps.cases.find_by_ids(case.tenant_id, owners)
    change = apply_check_results(case, detail.checks, (now or deps.now)())
    change += adopt(case, detail.checks, assessment(case))
    return change


def evaluate(
    case: Case, checks: dict[str, dict[str, Any]], children: list[Case], assessor: Assessor
) -> Change:
    """Set the case's assessment (not stored): a failed check, a failed rule or a critical flag means a reviewer
    looks; failed checks and rules are flagged on the case."""
    return adopt(case, checks, assessor(case, rule_context(case, checks, children)))


def adopt(case: Case, checks: dict[str, dict[str, Any]], assessment: RiskAssessment) -> Change:
    """Set `assessment` on the case (not stored), held back to `review` where a person must look."""
    failed = [name for name, result in checks.items() if result.get("status") == "error"]
    if failed and assessment.recommendation == "approve":
        assessment.recommendation = "review"
    # A critical flag (a watchlist match) is for a person to weigh: rules may reject, never approve alone.
    if assessment.recommendation == "approve" and any(f.severity == "critical" for f in case.flags):
        assessment.recommendation = "review"
    for name in failed:
        if not any(f.code == "check_failed" and f.source == name for f in case.flags):
            case.flags.append(
                Flag(code="check_failed", message=f"the {name} check could not run", source=name)
            )
    # A rule that failed (an error, or past a limit) never approves; the reviewer sees which one and why.
    for error in assessment.errors:
        rule_id = error.get("rule_id")
        if rule_id and not any(f.code == "rule_failed" and f.source == rule_id for f in case.flags):
            message = f"the rule {rule_id} could not be evaluated: {error.get('error', '')}"
            case.flags.append(
                Flag(code="rule_failed", message=message[:500], severity="high", source=rule_id)
            )
    case.risk = assessment
    return _assessed(case, assessment)


def _assessed(case: Case, assessment: RiskAssessment) -> Change:
    summary = {
        "score": assessment.score,
        "level": assessment.level,
        "recommendation": assessment.recommendation,
        "rule_set": assessment.rule_set.model_dump() if assessment.rule_set else None,
        "hits": [h.get("rule_id") for h in assessment.hits],
    }
    return Change(
        audit=[AuditEntry(at=assessment.evaluated_at, actor=SYSTEM, action="risk.assessed", details=summary)]
    )
