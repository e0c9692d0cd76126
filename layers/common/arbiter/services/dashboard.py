"""The review dashboard: cases per state, decisions per day, median time to decision, open cases per reviewer,
cases past their workflow's review SLA (`overdue`) and escalated cases.

Every figure comes from Queries on the state index (never a scan): the decided cases created in the period and
the open cases waiting on reviewers, each bounded by `MAX_CASES_PER_STATE` so a large tenant cannot make the
request slow; `truncated` says when a bound was reached (the figures then cover the most recent cases).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from arbiter.domain.case import Case, CaseState
from arbiter.domain.errors import NotFound
from arbiter.domain.principal import Principal
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery

__all__ = ["MAX_CASES_PER_STATE", "review_dashboard", "sla_hours_of"]

MAX_CASES_PER_STATE = 2000
_PAGE = 100
OPEN_FOR_REVIEWERS = (CaseState.MANUAL_REVIEW, CaseState.REVISION_REQUESTED)


@dataclass
class _Sample:
    cases: list[Case]
    truncated: bool


def _cases_in(deps: CaseDeps, tenant_id: str, state: CaseState, since: dt.datetime | None) -> _Sample:
    cases: list[Case] = []
    cursor: str | None = None
    while True:
        page = deps.cases.query(
            CaseQuery(
                tenant_id=tenant_id,
                states=(state,),
                created_from=since,
                newest_first=True,
                limit=_PAGE,
                cursor=cursor,
            )
        )
        cases += page.items
        cursor = page.cursor
        if not cursor:
            return _Sample(cases, truncated=False)
        if len(cases) >= MAX_CASES_PER_STATE:
            return _Sample(cases[:MAX_CASES_PER_STATE], truncated=True)


def review_dashboard(deps: CaseDeps, principal: Principal, days: int) -> dict[str, Any]:
    """The dashboard's figures over the last `days` days (by case creation), for the reviewer's tenant."""
    principal.require("viewer", "reading the dashboard")
    tenant_id = principal.tenant_id
    now = deps.now()
    today = now.astimezone(dt.UTC).date()
    first_day = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)

    decided: list[Case] = []
    truncated = False
    for state in (CaseState.APPROVED, CaseState.REJECTED):
        sample = _cases_in(deps, tenant_id, state, since)
        decided += [c for c in sample.cases if c.decision is not None]
        truncated = truncated or sample.truncated

    per_day = {first_day + dt.timedelta(days=i): Counter[str]() for i in range(days)}
    for case in decided:
        assert case.decision is not None
        day = case.decision.at.astimezone(dt.UTC).date()
        if day in per_day:
            per_day[day][case.decision.outcome] += 1
    waits = [
        (case.decision.at - case.created_at).total_seconds() for case in decided if case.decision is not None
    ]

    workload: dict[str, dict[str, Any]] = {}
    unassigned = 0
    overdue = 0
    escalated = 0
    sla_hours: dict[str, float | None] = {}
    for state in OPEN_FOR_REVIEWERS:
        sample = _cases_in(deps, tenant_id, state, None)
        truncated = truncated or sample.truncated
        for case in sample.cases:
            if case.workflow_id not in sla_hours:
                sla_hours[case.workflow_id] = sla_hours_of(deps, tenant_id, case.workflow_id)
            due = case.review_deadline(sla_hours[case.workflow_id])
            overdue += due is not None and due < now
            escalated += case.escalation is not None
            if case.assignee is None:
                unassigned += 1
                continue
            row = workload.setdefault(
                case.assignee.id, {"reviewer": case.assignee.id, "email": case.assignee.email, "open": 0}
            )
            row["open"] += 1
            row[state.value] = row.get(state.value, 0) + 1

    return {
        "days": days,
        "from": since.isoformat(),
        "states": deps.cases.counts(tenant_id),
        "decisions_per_day": [
            {"day": day.isoformat(), "approved": c["approved"], "rejected": c["rejected"]}
            for day, c in per_day.items()
        ],
        "decided": len(waits),
        "median_seconds_to_decision": statistics.median(waits) if waits else None,
        "workload": sorted(workload.values(), key=lambda row: (-row["open"], row["reviewer"])),
        "unassigned": unassigned,
        "overdue": overdue,
        "escalated": escalated,
        "truncated": truncated,
    }


def sla_hours_of(deps: CaseDeps, tenant_id: str, workflow_id: str) -> float | None:
    """The workflow's review SLA (None: it has none, or the workflow is gone)."""
    try:
        return deps.workflows.get(tenant_id, workflow_id).review_sla_hours
    except NotFound:
        return None
