"""The automated part of a KYB or KYC workflow, as one Step Functions step: `Decide`.

Every state a Standard execution enters is a billed transition, so the documents, the checks, the owners' cases,
the rules and the automatic decision run in one `.waitForTaskToken` task rather than one state each. The step
completes its own token when the rules decide; otherwise it leaves the token on the case, where a reviewer's
decision (manual review) or the last owner's decision completes it. Its output, the machines' `$.outcome`:

| `decision` | when | the machine goes to |
|---|---|---|
| `approved`, `rejected` | the rules or a reviewer decided | `Decided` |
| `revision` | a reviewer asked for a revision | `AwaitResubmission` |
| `pending` | the owners' cases that needed a reviewer are decided | `DecideAfterOwners` (rules, then the same) |

Owners' KYC cases are opened by the parent's step and automated in it, each one with its own checks, rules and
decision; only an owner's case that needs a reviewer gets an execution of its own (started parked in review).
Every part checks what is already done, so a retried step finishes the work without repeating a decision.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Literal, Protocol

from arbiter.domain.case import SYSTEM, Case, CaseState
from arbiter.domain.errors import InvalidInput
from arbiter.services import workflow_steps
from arbiter.services.assessment import Assessor, evaluate
from arbiter.services.cases import workflow_start
from arbiter.services.checks import CheckRunner, run_case_checks
from arbiter.services.documents import DocumentDeps

__all__ = ["AutomationDeps", "decide", "decide_after_owners"]

OWNER_WORKERS = 4  # owners' cases automated at once


class AutomationDeps(DocumentDeps, Protocol):
    """The case ports, the documents (for a case with pages to copy), the checks and the rules."""

    @property
    def checks(self) -> CheckRunner: ...
    @property
    def assessor(self) -> Assessor: ...


def decide(
    deps: AutomationDeps, tenant_id: str, case_id: str, task_token: str, *, check_budget: float | None = None
) -> str:
    """Documents, checks, owners' cases, rules; then decide, wait for a reviewer, or wait for the owners.

    Returns what happened: `decided`, `review`, `owners` (waiting for owners' cases) or `settled` (the case
    was already past this step: a retry, or an owner's case a reviewer already has). `check_budget`: seconds the
    checks may take in all (None: no limit)."""
    case = deps.cases.get(tenant_id, case_id)
    if _settled(deps, case, task_token):
        return "settled"
    _prepare(deps, case, check_budget)
    children = _owner_cases(deps, case, check_budget)
    if children and not all(c.state.terminal for c in children):
        workflow_steps.wait_for_children(deps, tenant_id, case_id, [c.id for c in children], task_token)
        return "owners"
    return _conclude(deps, tenant_id, case_id, task_token, children)[0]


def decide_after_owners(deps: AutomationDeps, tenant_id: str, case_id: str, task_token: str) -> str:
    """The owners' cases are decided: the parent's rules, then the same ending as `decide`."""
    case = deps.cases.get(tenant_id, case_id)
    if _settled(deps, case, task_token):
        return "settled"
    return _conclude(deps, tenant_id, case_id, task_token)[0]


def _settled(deps: AutomationDeps, case: Case, token: str) -> bool:
    """A case past its automated part: answer the step from what the case holds."""
    if case.state.terminal:
        workflow_steps.resume_now(deps, case, token, {"decision": case.state.value})
    elif case.state == CaseState.REVISION_REQUESTED:
        workflow_steps.resume_now(deps, case, token, {"decision": "revision"})
    elif case.state == CaseState.MANUAL_REVIEW:  # the reviewer's decision completes the token
        workflow_steps.await_review(deps, case.tenant_id, case.id, token)
    elif case.state != CaseState.PROCESSING:
        raise InvalidInput(f"the case is {case.state.value}: nothing to decide yet", path="case.case_id")
    else:
        return False
    return True


def _prepare(deps: AutomationDeps, case: Case, check_budget: float | None) -> None:
    """Copy the pages the integrator sent by reference into the bucket, then run the workflow's checks."""
    if any(p.status == "pending" for d in case.documents for p in d.pages):
        from arbiter.services import document_ingestion

        document_ingestion.ingest_case_documents(deps, case.tenant_id, case.id)
    run_case_checks(deps, case.tenant_id, case.id, deps.checks, time_budget_seconds=check_budget)


def _owner_cases(deps: AutomationDeps, parent: Case, check_budget: float | None) -> list[Case]:
    """Open the owners' cases (once) and automate the ones not yet decided; the cases, freshly read."""
    ids = workflow_steps.open_owner_cases(deps, parent)
    if not ids:
        return []
    tenant_id = parent.tenant_id
    pending = [c for c in deps.cases.find_by_ids(tenant_id, ids) if c.state == CaseState.PROCESSING]
    with ThreadPoolExecutor(max_workers=min(OWNER_WORKERS, max(1, len(pending)))) as pool:
        list(pool.map(lambda child: _automate_owner(deps, child, check_budget), pending))
    return deps.cases.find_by_ids(tenant_id, ids)


def _automate_owner(deps: AutomationDeps, child: Case, check_budget: float | None) -> None:
    """An owner's case, run inside its parent's step. If its rules want a reviewer, it is parked in review and
    its own execution started: that execution's `Decide` finds it in review and leaves its token there."""
    definition = deps.workflows.get(child.tenant_id, child.workflow_id)
    if definition.owner_checks is not None:  # owners of owners: its own execution runs them
        deps.cases.save(child, workflow_start(deps, child), expected_version=child.version)
        return
    _prepare(deps, child, check_budget)
    _conclude(deps, child.tenant_id, child.id, None)


def _conclude(
    deps: AutomationDeps, tenant_id: str, case_id: str, token: str | None, children: list[Case] | None = None
) -> tuple[str, Case]:
    """Assess with the rules and store the assessment with what follows from it, in one write: the automatic
    decision (then the step's token is completed), or the wait for a reviewer (the token kept for them).
    `children`: the owners' cases just read by the step, recorded on the case (None: those it holds)."""
    detail = deps.cases.detail(tenant_id, case_id)
    case = detail.case
    expected = case.version
    if children:
        case.child_case_ids = [c.id for c in children]
        detail.children = children
    change = evaluate(case, detail.checks, detail.children, deps.assessor)
    recommendation = case.risk.recommendation if case.risk else "review"
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
        deps.cases.save(case, change, expected_version=expected)
        if token:  # an owner's case automated inside its parent's step tells nobody: the parent is running
            workflow_steps.notify_parent(deps, case)
        return "decided", case
    change += case.await_review(token)
    if token is None:  # an owner's case: its own execution starts once it is stored in review
        change += workflow_start(deps, case)
    deps.cases.save(case, change, expected_version=expected)
    return "review", case
