"""Finding cases in processing that no workflow execution is moving, and setting them right.

A case is started in the same write as the continuation that starts its execution (arbiter.services.
continuations), so a stored case always gets its execution unless the continuation is lost beyond the stream's
retries, or the execution ends without deciding (a step that could not even record a failure). Every few
minutes, for the cases in processing that nothing has changed for `after`: an execution that never started is
started again (the same name: it cannot run twice); one that ended is recorded as the case's failure, so a
reviewer sees it instead of a case that waits forever. An owners' case decided inside its parent's step has no
execution of its own: it follows its parent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from arbiter.domain.case import SYSTEM, AuditEntry, Case, CaseState
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery

__all__ = ["Reconciliation", "reconcile_processing"]

log = logging.getLogger(__name__)


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
    owner = case.parent_case_id is not None and case.execution_arn is None
    if owner:  # decided inside its parent's step: the parent's execution is the one that must run
        parent = deps.cases.get(case.tenant_id, case.parent_case_id or "")
        status = deps.engine.status(_arn(deps, parent))
    else:
        status = deps.engine.status(_arn(deps, case))
    if status == "running":
        report.running += 1
        return
    at = deps.now()
    if status == "missing" and not owner:
        log.warning("case %s: no execution was ever started; starting it", case.id)
        change = case.start_workflow()
        change.audit.append(
            AuditEntry(
                at=at,
                actor=SYSTEM,
                action="workflow.restarted",
                reason="the case was in processing with no workflow execution",
            )
        )
        deps.cases.save(case, change, expected_version=case.version)
        report.restarted.append(case.id)
        return
    log.warning("case %s: its workflow is %s but the case is still processing; failing it", case.id, status)
    change = case.fail(
        "WorkflowEnded", f"the workflow execution is {status} without having decided the case", at=at
    )
    deps.cases.save(case, change, expected_version=case.version)
    report.failed.append(case.id)


def _arn(deps: CaseDeps, case: Case) -> str:
    return case.execution_arn or deps.engine.execution_arn(case.workflow_id, case.id)
