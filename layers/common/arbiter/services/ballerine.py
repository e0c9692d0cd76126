"""Ballerine compatibility: its external workflow API's use cases on Arbiter cases.

A run starts a case (or updates the entity's active one, as Ballerine does); events decide, ask for a revision,
return to review or merge into the context; the list pages through a tenant's runs; cases are shown as Ballerine's
workflow runtimes. How a run's context becomes an entity and documents is in `ballerine_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from arbiter.domain.case import ACTIVE_STATES, Case, CaseState
from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.egress import AllowList, Resolver, system_resolver
from arbiter.services import document_ingestion
from arbiter.services.ballerine_context import documents_from_context, entity_from_context, strip_inline_data
from arbiter.services.cases import (
    CaseDeps,
    allowed_events,
    custom_event_change,
    rerun_lost_races,
    resubmission,
    start_case,
)
from arbiter.services.decisions import Decision, record_decision, require_integrator_decisions
from arbiter.services.documents import DocumentDeps
from arbiter.services.ports import CaseQuery

__all__ = [
    "BALLERINE_EVENTS",
    "ORDER_BY",
    "RUN_STATUSES",
    "BallerineBadRequest",
    "BallerineEventRefused",
    "RunList",
    "accepted_ballerine_events",
    "asked_for_revision",
    "list_runs",
    "run_workflow",
    "runtime_status",
    "runtime_view",
    "send_ballerine_event",
]

#: Events Ballerine's external API sends, by their lower-case name.
BALLERINE_EVENTS = (
    "approve",
    "reject",
    "revision",
    "return_to_review",
    "update_context",
    "deep_merge_context",
    "resubmit",
    "resubmitted",
)

#: The events that decide a case (an API key sends them only where the tenant allows it), as decisions.
DECISION_EVENTS: dict[str, Decision] = {"approve": "approve", "reject": "reject", "revision": "revision"}

#: Ballerine's run statuses and the case states each covers.
RUN_STATUSES: dict[str, tuple[CaseState, ...]] = {
    "active": ACTIVE_STATES,
    "completed": (CaseState.APPROVED, CaseState.REJECTED),
    "failed": (CaseState.FAILED,),
}

#: The `orderBy` values the list honours: the indexes keep runs in creation order, and in no other.
ORDER_BY = ("createdAt",)


class BallerineBadRequest(InvalidInput):
    """Ballerine answers 400 for a request it cannot serve."""

    kind = "bad_request"


class BallerineEventRefused(BallerineBadRequest):
    """Ballerine answers 400 for an event the runtime cannot take."""


# ---------------------------------------------------------------------------------------------- runs


def run_workflow(
    deps: DocumentDeps,
    principal: Principal,
    tenant: Tenant,
    *,
    workflow_id: str,
    context: dict[str, Any],
    config: dict[str, Any] | None = None,
    allow: AllowList,
    resolve: Resolver = system_resolver,
    route_webhooks: Callable[[str], None] | None = None,
) -> tuple[Case, bool]:
    """Ballerine's run: a case for the context's entity and documents; returns (case, created).

    The run's webhook subscriptions are checked against the egress rules (`allow`, `resolve`) and, before the case
    is stored, the tenant's Ballerine-named events are routed to the webhooks function (`route_webhooks`, with the
    tenant's id: the subscriptions themselves are made from the case as its first such event is delivered); inline
    pages go to the bucket before anything is stored, and the whole context is kept on the case. A run for an entity with an
    active case of the workflow updates that case (Ballerine's behaviour), whose new document versions are copied
    in at once, since the run may go straight back to review.
    """
    # The webhook code loads with the first run, not on every cold start of the function.
    from arbiter.services.webhooks import check_run_subscriptions

    config = config or {}
    check_run_subscriptions(config, tenant, allow, resolve)
    if config.get("subscriptions") and route_webhooks is not None:
        route_webhooks(tenant.id)
    entity = entity_from_context(context)
    documents = documents_from_context(context)
    document_ingestion.stash_inline_pages(deps, tenant.id, documents, path="context.documents")
    kept = strip_inline_data(context)
    kept["_workflowDefinitionId"] = workflow_id
    if config:
        kept["_config"] = config
    metadata = context.get("metadata")
    correlation = context.get("id")
    case, created = start_case(
        deps,
        principal,
        tenant,
        workflow=workflow_id,
        entity=entity,
        documents=documents,
        context=kept,
        metadata=metadata if isinstance(metadata, dict) else {},
        correlation_id=str(correlation) if isinstance(correlation, str | int) and str(correlation) else None,
        source="ballerine",
        reuse_active=True,
    )
    if not created:
        document_ingestion.ingest_case_documents(deps, tenant.id, case.id)
    return case, created


@dataclass
class RunList:
    """One numbered page of runs, the number of pages and the number of runs."""

    items: list[Case]
    pages: int
    total: int


def list_runs(
    deps: CaseDeps,
    principal: Principal,
    *,
    page: int = 1,
    limit: int = 10,
    statuses: list[str] | None = None,
    order_by: str = "createdAt",
    order_direction: str = "desc",
) -> RunList:
    """Ballerine's numbered pages of runs, by creation time: a page costs a bounded number of reads, whatever its
    number (see `CaseRepository.query_page`); the total comes from the state counters."""
    if order_by not in ORDER_BY:
        raise BallerineBadRequest(
            f"orderBy {order_by!r} cannot be honoured: runs are listed by createdAt only "
            "(orderDirection asc or desc)",
            path="orderBy",
        )
    if order_direction not in ("asc", "desc"):
        raise BallerineBadRequest("orderDirection must be asc or desc", path="orderDirection")
    states: tuple[CaseState, ...] = ()
    for value in statuses or []:
        if value not in RUN_STATUSES:
            raise BallerineBadRequest(
                f"unknown status {value!r}: use {', '.join(RUN_STATUSES)}", path="status"
            )
        states += tuple(s for s in RUN_STATUSES[value] if s not in states)
    counts = deps.cases.counts(principal.tenant_id)
    total = sum(counts[s.value] for s in (states or tuple(CaseState)))
    query = CaseQuery(
        tenant_id=principal.tenant_id, states=states, newest_first=order_direction == "desc", limit=limit
    )
    items = deps.cases.query_page(query, page) if (page - 1) * limit < total else []
    return RunList(items=items, pages=max(1, -(-total // limit)), total=total)


# ---------------------------------------------------------------------------------------------- events


def send_ballerine_event(
    deps: CaseDeps,
    principal: Principal,
    tenant: Tenant,
    case_id: str,
    name: str,
    payload: dict[str, Any] | None = None,
) -> Case:
    """Ballerine's events: decisions and revision (where the tenant lets its keys decide), return to review, and
    context merges (in any state)."""
    return rerun_lost_races(lambda: _send_ballerine_event(deps, principal, tenant, case_id, name, payload))


def _send_ballerine_event(
    deps: CaseDeps,
    principal: Principal,
    tenant: Tenant,
    case_id: str,
    name: str,
    payload: dict[str, Any] | None,
) -> Case:
    event = name.strip().lower()
    payload = payload or {}
    if event in DECISION_EVENTS:
        require_integrator_decisions(tenant)
    case = deps.cases.get(principal.tenant_id, case_id)
    expected = case.version
    actor = principal.actor
    reason = _reason(payload) or f"{event} sent through the API"
    if event in ("update_context", "deep_merge_context"):
        deps.cases.save(
            case,
            case.merge_context(_context_patch(payload), actor, deep=event == "deep_merge_context"),
            expected_version=expected,
        )
        return case
    if event in DECISION_EVENTS and case.state == CaseState.MANUAL_REVIEW:
        documents = payload.get("documentIds")
        document_ids = (
            [str(d) for d in documents if isinstance(d, str | int)] if isinstance(documents, list) else []
        )
        return record_decision(
            deps, principal, case, DECISION_EVENTS[event], reason, document_ids=document_ids
        )
    if (
        event in ("return_to_review", "resubmit", "resubmitted")
        and case.state == CaseState.REVISION_REQUESTED
    ):
        change = resubmission(deps, case, actor, return_to_review=event == "return_to_review")
        deps.cases.save(case, change, expected_version=expected)
        return case
    declared = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).custom_event(event)
    custom = [e for e in allowed_events(deps, case) if e not in ("submitted", "resubmitted")]
    if declared is not None and declared.name in custom:
        deps.cases.save(case, custom_event_change(case, declared, payload, actor), expected_version=expected)
        return case
    accepted = accepted_ballerine_events(case, tenant) + custom
    raise BallerineEventRefused(
        f"event {name!r} cannot be sent to a workflow in state {runtime_view(case)['state']}; "
        f"it accepts: {', '.join(accepted) or 'no events'}",
        allowed_events=accepted,
    )


def asked_for_revision(name: str, case: Case) -> bool:
    """Whether Ballerine's event `name`, just delivered, sent `case` back for a revision (its applicant is then
    told, as after a reviewer's revision)."""
    return (
        DECISION_EVENTS.get(name.strip().lower()) == "revision" and case.state == CaseState.REVISION_REQUESTED
    )


def _reason(payload: dict[str, Any]) -> str | None:
    reason = payload.get("reason")
    return (reason.strip() or None) if isinstance(reason, str) else None


def _context_patch(payload: dict[str, Any]) -> dict[str, Any]:
    """What a context event merges: Ballerine's `newContext` (DEEP_MERGE_CONTEXT) or `context` (UPDATE_CONTEXT),
    or the payload itself."""
    for key in ("newContext", "context"):
        patch = payload.get(key)
        if isinstance(patch, dict):
            return patch
    return payload


def accepted_ballerine_events(case: Case, tenant: Tenant) -> list[str]:
    """The Ballerine events the case can take now, from this tenant's API keys."""
    events = []
    if case.state == CaseState.MANUAL_REVIEW and tenant.settings.allow_integrator_decisions:
        events += list(DECISION_EVENTS)
    if case.state == CaseState.REVISION_REQUESTED:
        events += ["RETURN_TO_REVIEW", "resubmit"]
    if not case.state.terminal:
        events += ["UPDATE_CONTEXT", "DEEP_MERGE_CONTEXT"]
    return events


# ---------------------------------------------------------------------------------------------- views


def runtime_status(state: CaseState) -> str:
    """Ballerine's runtime status: active, completed or failed."""
    if state == CaseState.FAILED:
        return "failed"
    return "completed" if state.terminal else "active"


_BALLERINE_STATE = {
    CaseState.COLLECTING: "collection_flow",
    CaseState.AWAITING_PEOPLE: "awaiting_people",
    CaseState.PROCESSING: "processing",
    CaseState.MANUAL_REVIEW: "manual_review",
    CaseState.REVISION_REQUESTED: "revision",
    CaseState.APPROVED: "approved",
    CaseState.REJECTED: "rejected",
    CaseState.FAILED: "failed",
}


def runtime_view(case: Case, definition_id: str | None = None) -> dict[str, Any]:
    """A case as a Ballerine workflow runtime."""
    return {
        "id": case.id,
        "workflowDefinitionId": definition_id
        or case.context.get("_workflowDefinitionId")
        or case.workflow_id,
        "workflowDefinitionVersion": case.workflow_version,
        "status": runtime_status(case.state),
        "state": _BALLERINE_STATE[case.state],
        "context": _public_context(case),
        "tags": [case.state.value],
        "assigneeId": case.assignee.id if case.assignee else None,
        "createdAt": case.created_at.isoformat(),
        "updatedAt": case.updated_at.isoformat(),
        "resolvedAt": case.decision.at.isoformat() if case.decision else None,
    }


def _public_context(case: Case) -> dict[str, Any]:
    context = {k: v for k, v in case.context.items() if not k.startswith("_")}
    context.setdefault(
        "entity",
        {
            "id": case.entity.id,
            "type": case.entity.type,
            "data": case.entity.model_dump(mode="json", exclude_none=True),
        },
    )
    if case.decision:
        context["decision"] = {"status": case.decision.outcome, "reason": case.decision.reason}
    return context
