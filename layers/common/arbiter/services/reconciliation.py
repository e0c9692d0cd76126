"""Finding cases in processing that nothing moves, and setting them right.

A case is started in the same write as the continuation that starts its workflow (arbiter.services.continuations),
so a stored case always gets it unless the continuation is lost beyond the stream's retries, or an execution ends
without deciding (a step that could not even record a failure, an Express run past its five minutes). Every few
minutes, for the cases in processing that nothing has changed for `after`:

- in the automated part (no Standard execution yet): an Express run lasts five minutes at most and cannot be
  looked up, so the case's run is over: it runs again (its steps skip what is done), up to `MAX_RUNS` runs, then
  the case fails; an owner's case automated in its parent's run follows its parent;
- waiting in a Standard execution: one that never started is started (the same name: it cannot run twice); one
  that ended is recorded as the case's failure, so a reviewer sees it instead of a case that waits forever.

`after` must exceed an Express run's five minutes (the template's ReconcileAfterMinutes, 15 by default).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from arbiter.domain.case import SYSTEM, AuditEntry, Case, CaseState, Change, Wait
from arbiter.services.cases import CaseDeps, workflow_start
from arbiter.services.ports import CaseQuery

__all__ = ["Reconciliation", "reconcile_processing"]

log = logging.getLogger(__name__)

#: Runs of a case's automated part the reconciler starts before it fails the case instead.
MAX_RUNS = 3


@dataclass
class Reconciliation:
    """What one pass found: cases checked, still running, started again, failed."""

    checked: int = 0
    running: int = 0
    restarted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def without_workflow(self) -> int:
        """Cases that were found with no live execution (the alarm's metric)."""
        return len(self.restarted) + len(self.failed)


def reconcile_processing(deps: CaseDeps, tenant_ids: Iterable[str], *, after: dt.timedelta) -> Reconciliation:
    """Check each tenant's cases in processing unchanged for `after`; start or fail those nothing moves."""
    report = Reconciliation()
    cutoff = deps.now() - after
    for tenant_id in tenant_ids:
        for case in _processing(deps, tenant_id):
            if case.updated_at > cutoff:
                continue
            report.checked += 1
            _reconcile(deps, case, report)
    return report


def _processing(deps: CaseDeps, tenant_id: str) -> Iterator[Case]:
    cursor: str | None = None
    while True:
        page = deps.cases.query(
            CaseQuery(tenant_id=tenant_id, states=(CaseState.PROCESSING,), limit=100, cursor=cursor)
        )
        yield from page.items
        cursor = page.cursor
        if cursor is None:
            return


def _reconcile(deps: CaseDeps, case: Case, report: Reconciliation) -> None:
    if case.execution_arn is None:
        _reconcile_run(deps, case, report)
        return
    status = deps.engine.status(_arn(deps, case))
    if status == "running":
        report.running += 1
        return
    if status == "missing":
        log.warning("case %s: its workflow execution never started; starting it", case.id)
        change = _restart(deps, case)
        deps.cases.save(case, change, expected_version=case.version)
        report.restarted.append(case.id)
        return
    _fail(deps, case, f"the workflow execution is {status} without having decided the case", report)


def _reconcile_run(deps: CaseDeps, case: Case, report: Reconciliation) -> None:
    """A case in its automated part: an Express run lasts five minutes at most and cannot be looked up, so one that
    nothing changed for longer is over without having finished. It runs again (every step skips what is done), up
    to `MAX_RUNS` runs; an owner's case automated inside its parent's run follows its parent."""
    if case.parent_case_id and case.runs_started == 0:
        parent = deps.cases.get(case.tenant_id, case.parent_case_id)
        if parent.state == CaseState.PROCESSING:  # the parent's run (or its restart) finishes this case
            report.running += 1
        else:
            _fail(deps, case, f"its parent case is {parent.state.value}", report)
        return
    if case.runs_started >= MAX_RUNS:
        _fail(deps, case, f"the automated part did not finish in {case.runs_started} runs", report)
        return
    log.warning("case %s: its automated run ended without finishing; running it again", case.id)
    deps.cases.save(case, _restart(deps, case), expected_version=case.version)
    report.restarted.append(case.id)


def _restart(deps: CaseDeps, case: Case) -> Change:
    change = workflow_start(deps, case) if case.execution_arn is None else _standard_again(case)
    change.audit.append(
        AuditEntry(
            at=deps.now(),
            actor=SYSTEM,
            action="workflow.restarted",
            reason="the case was in processing with no workflow execution",
        )
    )
    return change


def _standard_again(case: Case) -> Change:
    """The Standard execution the case names never started: start it (under that name) again."""
    if case.execution_arn and case.catches_revision:
        wait: Wait = "checks" if case.deferred_checks else "owners" if case.child_case_ids else "review"
        return case.start_waiting(wait, case.execution_arn)
    return case.start_workflow()  # an execution started before the automated part ran on Express


def _fail(deps: CaseDeps, case: Case, why: str, report: Reconciliation) -> None:
    log.warning("case %s: %s, but the case is still processing; failing it", case.id, why)
    deps.cases.save(case, case.fail("WorkflowEnded", why, at=deps.now()), expected_version=case.version)
    report.failed.append(case.id)


def _arn(deps: CaseDeps, case: Case) -> str:
    return case.execution_arn or deps.engine.execution_arn(case.waiting_machine, case.id)
