"""Ballerine's external workflow API on Arbiter: change the base URL and the key, keep the integration.

Routes under `/api/v1/external/workflows`; errors use Ballerine's body (see `arbiter.api.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from arbiter.api import content_types
from arbiter.api.multipart import raw_body, read_file_field
from arbiter.domain.case import ACTIVE_STATES, CaseState
from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import ballerine, document_ingestion
from arbiter.services.cases import start_case
from arbiter.services.ports import CaseQuery

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["PREFIX", "ballerine_router", "is_ballerine_path"]

PREFIX = "/api/v1/external/workflows"
STORAGE = "/api/v1/external/storage"


def is_ballerine_path(path: str) -> bool:
    """Routes whose errors use Ballerine's body."""
    return path.startswith("/api/v1/external/")


class RunRequest(BaseModel):
    """Ballerine's run body: the workflow, the context (entity, documents…) and the run's config."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=200)
    context: dict[str, Any]
    config: dict[str, Any] = Field(default_factory=dict)


class EventBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)


_STATUS_STATES = {
    "active": ACTIVE_STATES,
    "completed": (CaseState.APPROVED, CaseState.REJECTED),
    "failed": (CaseState.FAILED,),
}


def ballerine_router(
    deps: Callable[[], Dependencies], caller: Callable[[], tuple[Principal, Tenant]]
) -> Router:
    """The compatibility routes, bound to the function's dependencies and to its authenticated caller."""
    router = Router()

    @router.post(f"{PREFIX}/run", summary="Start a workflow run (Ballerine-compatible)")
    def run(body: RunRequest) -> dict[str, Any]:
        # The webhook code checks subscriptions in the run's config; only this route needs it, so it loads
        # with the first run rather than on every cold start.
        from arbiter.services.webhooks import check_run_subscriptions

        principal, tenant = caller()
        context = body.context
        check_run_subscriptions(body.config, tenant, deps().allow, deps().resolve)
        entity = ballerine.entity_from_context(context)
        pages = ballerine.documents_from_context(context)
        document_ingestion.stash_inline_pages(deps(), tenant.id, pages, path="context.documents")
        kept = ballerine.strip_inline_data(context)
        kept["_workflowDefinitionId"] = body.workflow_id
        if body.config:
            kept["_config"] = body.config
        case, created = start_case(
            deps(),
            principal,
            tenant,
            workflow=body.workflow_id,
            entity=entity,
            documents=pages,
            context=kept,
            metadata=context.get("metadata") if isinstance(context.get("metadata"), dict) else {},
            correlation_id=str(context["id"]) if isinstance(context.get("id"), str | int) else None,
            source="ballerine",
            reuse_active=True,
        )
        if not created:
            # A repeated run may carry new versions of documents (Ballerine's re-upload): copy them in now,
            # since the run may go straight back to review.
            document_ingestion.ingest_case_documents(deps(), tenant.id, case.id)
        return {
            "workflowDefinitionId": body.workflow_id,
            "workflowRuntimeId": case.id,
            "ballerineEntityId": case.entity.id or case.id,
            "entities": [{"id": case.entity.id or case.id, "type": case.entity.type}],
        }

    @router.post(STORAGE, summary="Upload a file; pages refer to it by ballerineFileId")
    def store_file() -> Response[dict[str, Any]]:
        principal, _tenant = caller()
        event = router.current_event
        data, _name = read_file_field(raw_body(event), event.headers.get("content-type"), "file")
        stored = document_ingestion.store_file(deps(), principal, data)
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=stored)

    def event(runtime_id: str, body: EventBody) -> dict[str, Any]:
        principal, _tenant = caller()
        case = ballerine.send_ballerine_event(deps(), principal, runtime_id, body.name, body.payload)
        return {
            "workflowRuntimeId": case.id,
            "status": ballerine.runtime_status(case.state),
            "state": ballerine.runtime_view(case)["state"],
        }

    router.post(f"{PREFIX}/<runtime_id>/event", summary="Send an event to a run")(event)
    router.post(f"{PREFIX}/<runtime_id>/send-event", summary="Send an event to a run")(event)

    @router.get(f"{PREFIX}/<runtime_id>", summary="A run")
    def get_run(runtime_id: str) -> dict[str, Any]:
        principal, _tenant = caller()
        case = deps().cases.get(principal.tenant_id, runtime_id)
        definition = deps().workflows.get(principal.tenant_id, case.workflow_id)
        return {
            "workflowRuntimeData": ballerine.runtime_view(case),
            "workflowDefinition": {
                "id": definition.id,
                "name": definition.name,
                "version": definition.version,
            },
        }

    @router.get(f"{PREFIX}/<runtime_id>/context", summary="A run's context")
    def get_context(runtime_id: str) -> dict[str, Any]:
        principal, _tenant = caller()
        case = deps().cases.get(principal.tenant_id, runtime_id)
        return {"context": ballerine.runtime_view(case)["context"]}

    @router.get(PREFIX, summary="List runs")
    def list_runs(
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        status: Annotated[list[str] | None, Query(alias="status[]")] = None,
        order_by: Annotated[str, Query(alias="orderBy")] = "createdAt",
        order_direction: Annotated[str, Query(alias="orderDirection", pattern="^(asc|desc)$")] = "desc",
    ) -> dict[str, Any]:
        principal, _tenant = caller()
        if order_by not in ("createdAt", "updatedAt"):
            raise InvalidInput("orderBy must be createdAt", path="orderBy")
        states: tuple[CaseState, ...] = ()
        for value in status or []:
            if value not in _STATUS_STATES:
                raise InvalidInput(
                    f"unknown status {value!r}: use active, completed or failed", path="status"
                )
            states += _STATUS_STATES[value]
        counts = deps().cases.counts(principal.tenant_id)
        total = sum(counts[s.value] for s in (states or tuple(CaseState)))
        cursor = None
        items: list[Any] = []
        for current in range(1, page + 1):  # page numbers over a cursor: walk to the page asked for
            result = deps().cases.query(
                CaseQuery(
                    tenant_id=principal.tenant_id,
                    states=states,
                    newest_first=order_direction == "desc",
                    limit=limit,
                    cursor=cursor,
                )
            )
            cursor = result.cursor
            if current == page:
                items = result.items
            elif cursor is None:
                break
        return {
            "results": [ballerine.runtime_view(c) for c in items],
            "meta": {"pages": max(1, -(-total // limit)), "total": total},
        }

    return router
