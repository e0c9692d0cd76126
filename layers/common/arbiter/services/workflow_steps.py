"""The steps the workflow state machines run on a case (functions/workflow_tasks).

Every step may run twice (Lambda retries, Step Functions Retry): each one checks what is already done and does
only the rest, so a retry never opens a second child case or records a second decision.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from arbiter.domain.case import SYSTEM, AutomationRun, Case, CaseState, Change
from arbiter.domain.entity import Entity, Person
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.services.cases import CaseDeps, pin_rule_set

__all__ = [
    "automatic_reason",
    "await_owners",
    "await_resubmission",
    "await_review",
    "find_owner_case",
    "new_owner_case",
    "notify_parent",
    "open_owner_case",
    "open_owner_cases",
    "owner_case_ids",
    "record_failure",
    "resume_now",
    "wait_for_children",
]

log = logging.getLogger(__name__)


def await_review(
    deps: CaseDeps, tenant_id: str, case_id: str, task_token: str, execution: str | None = None
) -> None:
    """Park the case in manual review with the token a reviewer's decision will complete. A case the reviewer
    already decided (or sent back for a revision) before the step began answers it at once, and so does a
    `execution` the case no longer waits on (an event sent it back through its checks before the step began):
    that execution ends, and the case stays with its new run."""
    case = deps.cases.get(tenant_id, case_id)
    expected = case.version
    if execution is not None and case.runs_started and case.execution_arn != execution:
        deps.cases.save(
            case, case.resume_step(task_token, {"decision": "superseded"}), expected_version=expected
        )
    elif case.state.terminal or case.state == CaseState.REVISION_REQUESTED:
        deps.cases.save(case, case.review_answer(task_token), expected_version=expected)
    elif case.state == CaseState.MANUAL_REVIEW:  # handed over by the automated part, or a retry of this step
        case.task_tokens["review"] = task_token
        deps.cases.save(case, Change(), expected_version=expected)
    else:
        deps.cases.save(case, case.await_review(task_token, at=deps.now()), expected_version=expected)


def await_owners(deps: CaseDeps, tenant_id: str, case_id: str, task_token: str) -> None:
    """The parent waits for its owners' cases a reviewer has: the last one decided completes `task_token`."""
    case = deps.cases.get(tenant_id, case_id)
    if case.state != CaseState.PROCESSING:
        resume_now(deps, case, task_token, {"decision": "pending"})  # its next step settles it
        return
    wait_for_children(deps, tenant_id, case_id, case.child_case_ids or owner_case_ids(deps, case), task_token)


def automatic_reason(case: Case, recommendation: str) -> str:
    """Why the rules decided alone: the rule set version and the rules that fired, or the score."""
    risk = case.risk
    if risk is None:
        return f"automatic {recommendation}: no rule set applied"
    fired = [str(h.get("name") or h.get("rule_id")) for h in risk.hits if h.get("outcome") == recommendation]
    rule_set = f"{risk.rule_set.id} v{risk.rule_set.version}" if risk.rule_set else "rules"
    if fired:
        return f"automatic {recommendation} by {rule_set}: {', '.join(fired)} (score {risk.score:g})"
    return f"automatic {recommendation} by {rule_set}: score {risk.score:g}, no rule asked for review"


def await_resubmission(deps: CaseDeps, tenant_id: str, case_id: str, task_token: str) -> None:
    """Keep the token the integrator's resubmission completes (or complete it now if it already came)."""
    case = deps.cases.get(tenant_id, case_id)
    expected = case.version
    if case.await_resubmission(task_token):
        resume_now(deps, case, task_token, {"resubmitted": True, "return_to_review": False})
        return
    deps.cases.save(case, Change(), expected_version=expected)


def record_failure(
    deps: CaseDeps,
    tenant_id: str,
    case_id: str,
    error: dict[str, Any] | None,
    run: AutomationRun | None = None,
) -> None:
    """A step failed beyond its retries: the case is marked failed with the error, never left processing (with
    what the automated run did up to the failure, when it was one)."""
    case = deps.cases.get(tenant_id, case_id)
    error = error or {}
    change = case.fail(str(error.get("Error", "WorkflowFailed")), _short(error.get("Cause")))
    if change.audit:
        if run is not None:
            case.record_run(run.model_copy(update={"outcome": "failed"}))
        deps.cases.save(case, change, expected_version=case.version)
        notify_parent(deps, case)
    # Owners' cases the failed step was automating have no execution of their own: they fail with it.
    for child in deps.cases.find_by_ids(tenant_id, owner_case_ids(deps, case)):
        if child.state == CaseState.PROCESSING and child.parent_case_id == case.id:
            deps.cases.save(
                child, child.fail("ParentFailed", f"case {case.id} failed"), expected_version=child.version
            )


def _short(cause: Any, limit: int = 1000) -> str | None:
    return None if cause is None else str(cause)[:limit]


def _owners(deps: CaseDeps, parent: Case) -> tuple[list[Any], str]:
    """The parent's owners that get a KYC case (above the workflow's threshold), and that case's workflow."""
    rule = deps.workflows.get(parent.tenant_id, parent.workflow_id, parent.workflow_version).owner_checks
    business = parent.entity.business
    if rule is None or business is None:
        return [], "kyc"
    owners = [u for u in business.ubos if (u.ownership_percent or 0) >= rule.min_ownership_percent]
    if rule.include_directors:
        owners += [d for d in business.directors if d not in owners]
    return owners, rule.workflow


def owner_case_ids(deps: CaseDeps, parent: Case) -> list[str]:
    """The ids the parent's owners' KYC cases have (or will have once opened), in the owners' order."""
    owners, _ = _owners(deps, parent)
    return [_owner_case_id(parent, index) for index in range(len(owners))]


def _owner_case_id(parent: Case, index: int) -> str:
    return f"{parent.id}-o{index}"  # deterministic: a retried step finds the case it already opened


def open_owner_cases(deps: CaseDeps, parent: Case) -> list[str]:
    """KYB: one KYC case per beneficial owner above the threshold (opened once, not started); their ids."""
    owners, workflow_id = _owners(deps, parent)
    if not owners:
        return []
    ids = [_owner_case_id(parent, index) for index in range(len(owners))]
    existing = {c.id for c in deps.cases.find_by_ids(parent.tenant_id, ids)}
    for index, owner in enumerate(owners):
        if ids[index] not in existing:
            _open_owner_case(deps, parent, owner, index, workflow_id)
    return ids


def open_owner_case(deps: CaseDeps, parent: Case, index: int) -> Case:
    """The parent's owner number `index` gets its KYC case (opened once, not started): the case."""
    owners, workflow_id = _owners(deps, parent)
    if not 0 <= index < len(owners):
        raise InvalidInput(f"case {parent.id} has no owner {index} to open a case for", path="owner")
    found = find_owner_case(deps, parent, index)
    if found:
        return found
    _open_owner_case(deps, parent, owners[index], index, workflow_id)
    return deps.cases.get(parent.tenant_id, _owner_case_id(parent, index))


def wait_for_children(
    deps: CaseDeps, tenant_id: str, case_id: str, child_ids: list[str], task_token: str
) -> None:
    """The parent waits for its owners' cases: the last one decided completes `task_token`."""
    parent = deps.cases.get(tenant_id, case_id)
    expected = parent.version
    parent.child_case_ids = child_ids
    parent.task_tokens["children"] = task_token
    deps.cases.save(parent, Change(), expected_version=expected)
    if all(c.state.terminal for c in deps.cases.find_by_ids(tenant_id, child_ids)):
        _release_parent(deps, parent)  # the last one was decided while the parent saved its token


def new_owner_case(deps: CaseDeps, parent: Case, index: int) -> tuple[Case, Change]:
    """The parent's owner number `index`'s KYC case and the change that opens it, not stored: the automated run
    decides an owner's case before its first write, so that the case is written once (bench/cost)."""
    owners, workflow_id = _owners(deps, parent)
    if not 0 <= index < len(owners):
        raise InvalidInput(f"case {parent.id} has no owner {index} to open a case for", path="owner")
    return _new_owner_case(deps, parent, owners[index], index, workflow_id)


def find_owner_case(deps: CaseDeps, parent: Case, index: int) -> Case | None:
    """The parent's owner number `index`'s KYC case, if it is stored."""
    found = deps.cases.find_by_ids(parent.tenant_id, [_owner_case_id(parent, index)])
    return found[0] if found else None


def _open_owner_case(deps: CaseDeps, parent: Case, owner: Any, index: int, workflow_id: str) -> Case:
    case, change = _new_owner_case(deps, parent, owner, index, workflow_id)
    with contextlib.suppress(Conflict):  # a retried step raced with itself: the case exists
        deps.cases.add(case, change)
    return case


def _new_owner_case(
    deps: CaseDeps, parent: Case, owner: Any, index: int, workflow_id: str
) -> tuple[Case, Change]:
    definition = deps.workflows.get(parent.tenant_id, workflow_id)
    person = Person.model_validate(owner.model_dump(exclude={"roles", "ownership_percent", "id"}))
    owner_id = owner.id or str(index)
    entity = Entity(
        type="individual", id=f"{parent.entity.id or parent.id}/owner/{owner_id}", individual=person
    )
    case, change = Case.open(
        tenant_id=parent.tenant_id,
        workflow_id=definition.id,
        workflow_version=definition.version,
        entity=entity,
        actor=SYSTEM,
        case_id=_owner_case_id(parent, index),
        parent_case_id=parent.id,
        correlation_id=parent.correlation_id,
        source="workflow",
        metadata={"role": list(owner.roles) or ["ubo"], "ownership_percent": owner.ownership_percent},
    )
    case.rule_set = pin_rule_set(deps, case.tenant_id, definition.rule_set_id)
    return case, change


def resume_now(deps: CaseDeps, case: Case, token: str, output: dict[str, Any]) -> None:
    """Resume a step whose token the case does not keep (a retried step finding its work done), through the
    outbox like every continuation: the save also checks that nobody changed the case meanwhile."""
    deps.cases.save(case, case.resume_step(token, output), expected_version=case.version)


def notify_parent(deps: CaseDeps, child: Case) -> None:
    """When the last child of a parent is decided, the parent's workflow continues."""
    if not child.parent_case_id:
        return
    parent = deps.cases.get(child.tenant_id, child.parent_case_id)
    if "children" not in parent.task_tokens:
        return
    children = deps.cases.find_by_ids(parent.tenant_id, parent.child_case_ids)
    if len(children) == len(parent.child_case_ids) and all(c.state.terminal for c in children):
        _release_parent(deps, parent)


def _release_parent(deps: CaseDeps, parent: Case) -> None:
    children = deps.cases.find_by_ids(parent.tenant_id, parent.child_case_ids)
    change = parent.release_children(children)
    if not change.continuations:
        return
    try:
        # The token leaves the case in the same write as the continuation that sends it: exactly one caller
        # releases the parent, and a release that is stored always reaches the workflow.
        deps.cases.save(parent, change, expected_version=parent.version)
    except Conflict:
        log.info("another child released parent %s first", parent.id)
