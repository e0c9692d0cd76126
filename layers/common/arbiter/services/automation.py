"""The automated part of a KYC or KYB workflow, step by step, as the Express automation machine runs it.

`statemachines/automation.asl.json` enters one state per step: `Plan` (what this case needs), `IngestDocuments`,
`Checks` (a Map: one `PluginsFunction` task per check), `Owners` (a Map: one task per owner's KYC case),
`EvaluateRules` (`EvaluateRulesFunction`: the assessment, not stored) and `Decide` (`conclude` here: the assessment
and what follows from it, stored in one write). Express runs are billed per run and duration, not per state, and
end within five minutes; nothing in them waits for a person. `conclude` decides as the rules recommend, or hands
the case over to its workflow's Standard execution (started through the outbox in the same write) when a
reviewer, or the owners' reviews, must be awaited:

| the case | `conclude` answers | then |
|---|---|---|
| the rules approve or reject | `approved`, `rejected` | the run ends; no Standard execution ever starts |
| the rules want a reviewer | `review` | the Standard execution waits in `ManualReview` |
| some owners' cases wait for a reviewer | `owners` | the Standard execution waits in `AwaitOwners`, then `DecideAfterOwners` |
| a check needs more time than a run has | `checks` | the deferred checks' Standard machine runs it, then starts the next run |

Owners' KYC cases are automated inside the parent's run, one Map iteration each (checks, rules, decision in one
task, and the case written once, decided); one that needs a reviewer gets a Standard execution of its own. Every step checks what is already done, so
a retried step, or a run started twice, finishes the work without repeating a decision.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from arbiter.domain.case import (
    CHECKS_MACHINE,
    SYSTEM,
    AutomationRun,
    Case,
    CaseState,
    Change,
    RiskAssessment,
)
from arbiter.domain.errors import Conflict
from arbiter.domain.screening import screens_watchlists
from arbiter.services import workflow_steps
from arbiter.services.assessment import Assessor, assessed, evaluate
from arbiter.services.checks import (
    CheckRunner,
    apply_check_results,
    check_context,
    check_name,
    run_case_checks,
)
from arbiter.services.documents import DocumentDeps

__all__ = [
    "AutomationDeps",
    "automate_owner",
    "conclude",
    "decide_after_owners",
    "plan",
    "resume_after_checks",
    "take_over",
]


class AutomationDeps(DocumentDeps, Protocol):
    """The case ports, the documents (for a case with pages to copy), the checks and the rules."""

    @property
    def checks(self) -> CheckRunner: ...
    @property
    def assessor(self) -> Assessor: ...


def plan(deps: AutomationDeps, tenant_id: str, case_id: str, execution: str | None = None) -> dict[str, Any]:
    """What the run has to do: `settled` (the case is past its automated part, or `execution` is a second start of
    a run another execution claimed: nothing), `documents` (pages to copy into the bucket), `checks` (their names;
    `screening`: those that screen against a watchlist, which the machine runs in ScreeningFunction),
    `deferred` (the checks declared `long_running`, which the Standard execution runs), `owners` (the owners to
    open KYC cases for, by index; `has_owners` for the machine's Choice) and `rules` (whether the workflow has a
    rule set to evaluate)."""
    case = deps.cases.get(tenant_id, case_id)
    if not case.automating or (
        execution is not None and not deps.cases.claim_run(tenant_id, case_id, case.runs_started, execution)
    ):
        return {
            "settled": True,
            "documents": False,
            "checks": [],
            "screening": [],
            "deferred": [],
            "owners": [],
            "has_owners": False,
            "rules": False,
        }
    definition = deps.workflows.get(tenant_id, case.workflow_id, case.workflow_version)
    owners = list(range(len(workflow_steps.owner_case_ids(deps, case))))
    # After the Standard execution ran the checks a run had no time for, the run it started runs none again.
    plugins = [] if case.checks_run_for == case.runs_started else definition.plugins
    return {
        "settled": False,
        "documents": any(p.status == "pending" for d in case.documents for p in d.pages),
        "checks": [check_name(p) for p in plugins if not p.get("long_running")],
        "screening": [check_name(p) for p in plugins if screens_watchlists(p)],
        "deferred": [check_name(p) for p in plugins if p.get("long_running")],
        "owners": owners,
        "has_owners": bool(owners),
        "rules": definition.rule_set_id is not None,
    }


def automate_owner(
    deps: AutomationDeps, tenant_id: str, case_id: str, index: int, *, check_budget: float | None = None
) -> dict[str, Any]:
    """Owner `index` of the case: its KYC case is opened once, then its documents, checks and rules run and it is
    decided, or parked in review with a Standard execution of its own. Its id and state."""
    parent = deps.cases.get(tenant_id, case_id)
    if not parent.automating:
        return {"case_id": None, "state": "settled"}
    child = workflow_steps.find_owner_case(deps, parent, index) or _decide_new_owner(
        deps, parent, index, check_budget
    )
    if child.automating and child.runs_started == 0:  # not yet decided, parked, or given a run of its own
        definition = deps.workflows.get(child.tenant_id, child.workflow_id, child.workflow_version)
        if definition.owner_checks is not None:  # owners of owners: a run of its own opens them
            deps.cases.save(child, child.start_automation(), expected_version=child.version)
        else:
            _prepare(deps, child, check_budget)
            detail = deps.cases.detail(tenant_id, child.id)
            expected = detail.case.version
            change = evaluate(detail.case, detail.checks, detail.children, deps.assessor)
            _settle(deps, detail.case, change, expected, token=None, run=None)
        child = deps.cases.get(tenant_id, child.id)
    return {"case_id": child.id, "state": child.state.value}


def _decide_new_owner(deps: AutomationDeps, parent: Case, index: int, check_budget: float | None) -> Case:
    """An owner's KYC case run from its opening to its decision (or its wait for a reviewer) before it is first
    written, then stored in one write: a case opened and then decided would be written twice, and its index
    entries and state counters moved twice (bench/cost). Its check results are stored beside it first; a retried
    step that finds no case runs them again and replaces them. An owner with owners of its own, or with pages to
    copy, is opened first and goes the stored way."""
    case, change = workflow_steps.new_owner_case(deps, parent, index)
    definition = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version)
    if definition.owner_checks is not None or any(
        p.status == "pending" for d in case.documents for p in d.pages
    ):
        return workflow_steps.open_owner_case(deps, parent, index)
    results = (
        deps.checks(check_context(case), definition.plugins, time_budget_seconds=check_budget)
        if definition.plugins
        else {}
    )
    if results:
        deps.cases.save_checks(case.tenant_id, case.id, results)
        change += apply_check_results(case, results, deps.now())
    change += evaluate(case, results, [], deps.assessor)
    try:
        _settle(deps, case, change, 0, token=None, run=None, first_write=True)
    except Conflict:  # the step, retried, raced with itself and stored the case first: on from what it stored
        return deps.cases.get(case.tenant_id, case.id)
    return case


def conclude(
    deps: AutomationDeps,
    tenant_id: str,
    case_id: str,
    run: AutomationRun,
    assessment: RiskAssessment | None = None,
    deferred: list[str] | None = None,
) -> str:
    """The run's last step: store the assessment `EvaluateRules` made (with the check results it read), and decide
    as it recommends or hand the case over to its Standard execution (a reviewer, or the owners' reviews,
    awaited): one write, which records the run too. Returns `approved`, `rejected`, `review`, `owners`, `checks`
    (some checks, `deferred`, need more time than a run has: the Standard execution runs them, then a new run
    goes on), or `settled` (the case was already past this step). Without an assessment (a workflow with no rule
    set) the case goes to a reviewer."""
    if deferred:
        case = deps.cases.get(tenant_id, case_id)
        if not case.automating:
            return "settled"
        expected = case.version
        definition = deps.workflows.get(tenant_id, case.workflow_id, case.workflow_version)
        change = case.defer_checks(
            deferred,
            lambda name: deps.engine.execution_arn(CHECKS_MACHINE, name),
            deps.now(),
            screening={check_name(p) for p in definition.plugins if screens_watchlists(p)},
        )
        case.record_run(run.model_copy(update={"outcome": "checks"}))
        deps.cases.save(case, change, expected_version=expected)
        return "checks"
    if assessment is None:
        case, change = deps.cases.get(tenant_id, case_id), Change()
        if not case.automating:
            return "settled"
    else:
        detail = deps.cases.detail(tenant_id, case_id)
        case = detail.case
        if not case.automating:
            return "settled"
        change = assessed(deps, detail, lambda _: assessment.model_copy(deep=True))
    expected = case.version
    children = deps.cases.find_by_ids(tenant_id, case.child_case_ids) if case.child_case_ids else []
    if children and not all(c.state.terminal for c in children):
        change += case.hand_over("owners", lambda name: deps.engine.execution_arn(case.waiting_machine, name))
        case.record_run(run.model_copy(update={"outcome": "owners"}))
        deps.cases.save(case, change, expected_version=expected)
        return "owners"
    return _settle(deps, case, change, expected, token=None, run=run)


def resume_after_checks(deps: AutomationDeps, tenant_id: str, case_id: str) -> str:
    """The Standard execution ran the deferred checks (`ResumeAutomation`): start the next run of the automated
    part, which goes on from their results. `resumed`, or `settled` when there was nothing to resume."""
    case = deps.cases.get(tenant_id, case_id)
    expected = case.version
    change = case.resume_automation(deps.now())
    if not change.continuations:
        return "settled"
    deps.cases.save(case, change, expected_version=expected)
    return "resumed"


def decide_after_owners(deps: AutomationDeps, tenant_id: str, case_id: str, task_token: str) -> str:
    """The owners' cases are decided (the Standard execution's `DecideAfterOwners`): the parent's rules again,
    with their outcomes; then decide (completing the token) or keep the token for a reviewer."""
    detail = deps.cases.detail(tenant_id, case_id)
    case = detail.case
    if case.state != CaseState.PROCESSING:  # decided or parked meanwhile: answer from what the case holds
        workflow_steps.await_review(deps, tenant_id, case_id, task_token)
        return "settled"
    expected = case.version
    change = evaluate(case, detail.checks, detail.children, deps.assessor)
    return _settle(deps, case, change, expected, token=task_token, run=None)


def take_over(deps: AutomationDeps, tenant_id: str, case_id: str, task_token: str) -> str:
    """The one-step `Decide` of a Standard execution started before the automated part moved to the Express
    machine (a case resubmitted after an upgrade): a new run of the automated part takes the case over, and the
    old execution ends (`Decided`); a case past that point answers from what it holds."""
    case = deps.cases.get(tenant_id, case_id)
    if case.state != CaseState.PROCESSING:
        workflow_steps.await_review(deps, tenant_id, case_id, task_token)
        return "settled"
    change = case.start_automation()
    change += case.resume_step(task_token, {"decision": "taken_over"})
    deps.cases.save(case, change, expected_version=case.version)
    return "taken_over"


def _prepare(deps: AutomationDeps, case: Case, check_budget: float | None) -> None:
    """Copy the pages the integrator sent by reference into the bucket, then run the workflow's checks."""
    if any(p.status == "pending" for d in case.documents for p in d.pages):
        from arbiter.services import document_ingestion  # S3 and the egress client: only cases with pages

        document_ingestion.ingest_case_documents(deps, case.tenant_id, case.id)
    run_case_checks(deps, case.tenant_id, case.id, deps.checks, time_budget_seconds=check_budget)


def _settle(
    deps: AutomationDeps,
    case: Case,
    change: Change,
    expected: int,
    *,
    token: str | None,
    run: AutomationRun | None,
    first_write: bool = False,
) -> str:
    """Store the assessed case with what follows from it, in one write: the automatic decision (completing
    `token` if a Standard step waits on it), or the wait for a reviewer (`token` kept for them; without one, the
    Standard execution that waits is started)."""
    recommendation = case.risk.recommendation if case.risk else "review"
    result: str
    if recommendation in ("approve", "reject"):
        outcome: Literal["approved", "rejected"] = "approved" if recommendation == "approve" else "rejected"
        change += case.decide(
            outcome,
            actor=SYSTEM,
            reason=workflow_steps.automatic_reason(case, recommendation),
            automatic=True,
        )
        if token:
            change += case.resume_step(token, {"decision": outcome})
        result = outcome
    else:
        change += case.await_review(token)
        if token is None:
            change += case.hand_over(
                "review", lambda name: deps.engine.execution_arn(case.waiting_machine, name)
            )
        result = "review"
    if run is not None:
        case.record_run(run.model_copy(update={"outcome": result}))
    if first_write:  # a case decided before it was ever stored (an owner's): `expected` is unused
        deps.cases.add(case, change)
    else:
        deps.cases.save(case, change, expected_version=expected)
    if case.state.terminal:
        workflow_steps.notify_parent(deps, case)
    return result
