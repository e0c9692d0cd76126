"""Reviewers' exports: the queue's cases and a case's audit trail as rows of text, for a spreadsheet.

The cases are read a page at a time with the queue's own filters, up to `MAX_EXPORT_ROWS`: past it the export
says it was cut (`truncated`) rather than growing without bound (a Lambda reply is at most 6 MB)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from arbiter.domain.case import AuditEntry, Case, Change
from arbiter.domain.principal import Principal
from arbiter.services.cases import CaseDeps, rerun_lost_races
from arbiter.services.ports import CaseQuery

__all__ = ["AUDIT_COLUMNS", "CASE_COLUMNS", "MAX_EXPORT_ROWS", "Export", "export_audit_trail", "export_cases"]

MAX_EXPORT_ROWS = 10_000
_PAGE = 100

CASE_COLUMNS = (
    "case_id",
    "workflow",
    "state",
    "entity_type",
    "entity_id",
    "entity_name",
    "risk_level",
    "risk_score",
    "recommendation",
    "rule_set",
    "assignee",
    "decision",
    "decision_reason",
    "decided_by",
    "decided_at",
    "automatic",
    "created_at",
    "updated_at",
)
AUDIT_COLUMNS = (
    "seq",
    "at",
    "action",
    "actor_type",
    "actor_id",
    "actor_email",
    "from_state",
    "to_state",
    "reason",
    "details",
    "entry_id",
    "hash",
)


@dataclass
class Export:
    """Rows of cells (None: empty) under `columns`; `truncated` when the cap cut it."""

    columns: tuple[str, ...]
    rows: list[list[Any]]
    truncated: bool = False


def export_cases(
    deps: CaseDeps, principal: Principal, query: CaseQuery, *, max_rows: int = MAX_EXPORT_ROWS
) -> Export:
    """Every case the queue's filters match, in the queue's order, at most `max_rows`; any role may read."""
    principal.require("viewer", "exporting the queue")
    rows: list[list[Any]] = []
    page_query = dataclasses.replace(query, tenant_id=principal.tenant_id, limit=_PAGE, cursor=None)
    while True:
        page = deps.cases.query(page_query)
        for case in page.items:
            if len(rows) == max_rows:
                return Export(CASE_COLUMNS, rows, truncated=True)
            rows.append(_case_row(case))
        if not page.cursor:
            return Export(CASE_COLUMNS, rows)
        page_query = dataclasses.replace(page_query, cursor=page.cursor)


def _case_row(case: Case) -> list[Any]:
    risk, decision = case.risk, case.decision
    rule_set = risk.rule_set if risk and risk.rule_set else case.rule_set
    return [
        case.id,
        case.workflow_id,
        case.state.value,
        case.entity.type,
        case.entity.id,
        case.entity.display_name(),
        risk.level if risk else None,
        risk.score if risk else None,
        risk.recommendation if risk else None,
        f"{rule_set.id}@{rule_set.version}" if rule_set else None,
        (case.assignee.email or case.assignee.id) if case.assignee else None,
        decision.outcome if decision else None,
        decision.reason if decision else None,
        decision.actor.email or decision.actor.id if decision else None,
        decision.at.isoformat() if decision else None,
        decision.automatic if decision else None,
        case.created_at.isoformat(),
        case.updated_at.isoformat(),
    ]


def export_audit_trail(deps: CaseDeps, principal: Principal, case_id: str) -> Export:
    """The case's audit entries as stored, in the chain's order, with their hashes; NotFound. The export is
    recorded on the chain as a view (`audit_trail.exported`, after the entries it exported)."""
    principal.require("viewer", "reading a case")
    chain = deps.cases.audit_chain(principal.tenant_id, case_id)
    rows = []
    for record in chain.records:
        entry = record.content
        actor = entry.get("actor") or {}
        details = entry.get("details")
        rows.append(
            [
                record.seq,
                entry.get("at"),
                entry.get("action"),
                actor.get("type"),
                actor.get("id"),
                actor.get("email"),
                entry.get("from_state"),
                entry.get("to_state"),
                entry.get("reason"),
                json.dumps(details, sort_keys=True, ensure_ascii=False, default=str) if details else None,
                record.entry_id,
                record.hash,
            ]
        )
    _record_view(
        deps, principal, case_id, {"entries": len(rows), "head": chain.records[-1].hash if rows else None}
    )
    return Export(AUDIT_COLUMNS, rows)


def _record_view(deps: CaseDeps, principal: Principal, case_id: str, details: dict[str, Any]) -> None:
    def record() -> None:
        case = deps.cases.get(principal.tenant_id, case_id)
        entry = AuditEntry(
            at=deps.now(), actor=principal.actor, action="audit_trail.exported", details=details
        )
        deps.cases.save(case, Change(audit=[entry]), expected_version=case.version)

    rerun_lost_races(record)
