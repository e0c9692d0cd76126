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
from arbiter.api.ballerine_schemas import (
    RUN_EXAMPLE,
    ContextView,
    EventAnswer,
    RunAnswer,
    RunList,
    RunView,
    StoredFile,
)
from arbiter.api.multipart import raw_body, read_file_field
from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import ballerine, collection_revisions, document_ingestion

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["PREFIX", "ballerine_router", "is_ballerine_path"]

PREFIX = "/api/v1/external/workflows"
STORAGE = "/api/v1/external/storage"


def is_ballerine_path(path: str) -> bool:
    """Routes whose errors use Ballerine's body."""
    return path.startswith("/api/v1/external/")


class RunRequest(BaseModel):
    """Ballerine's run body (its `WorkflowRunDto`): the workflow, the context (entity, documents…) and the run's
    config; `config: null` is no config, and fields Ballerine takes that Arbiter does not use are accepted."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, json_schema_extra={"examples": [RUN_EXAMPLE]}
    )

    workflow_id: str = Field(alias="workflowId", min_length=1, max_length=200)
    context: dict[str, Any]
    config: dict[str, Any] | None = None


class EventBody(BaseModel):
    """Ballerine's event body (its `WorkflowEventInput`): a name and an optional payload (`null` is none)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"name": "UPDATE_CONTEXT", "payload": {"context": {"note": "seen"}}}]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] | None = None


#: The storage route reads its multipart body itself; the document says what it takes.
_STORAGE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "A PDF, JPEG, PNG…"}
                },
            }
        }
    },
}


def ballerine_router(
    deps: Callable[[], Dependencies], caller: Callable[[], tuple[Principal, Tenant]]
) -> Router:
    """The compatibility routes, bound to the function's dependencies and to its authenticated caller."""
    router = Router()
    tags = ["ballerine"]

    @router.post(
        f"{PREFIX}/run",
        summary="Start a workflow run (Ballerine-compatible)",
        operation_id="ballerineRunWorkflow",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def run(body: RunRequest) -> RunAnswer:
        principal, tenant = caller()
        case, _created = ballerine.run_workflow(
            deps(),
            principal,
            tenant,
            workflow_id=body.workflow_id,
            context=body.context,
            config=body.config,
            allow=deps().allow,
            resolve=deps().resolve,
            route_webhooks=deps().webhooks.route_ballerine_runs,
        )
        return RunAnswer.model_validate(
            {
                "workflowDefinitionId": body.workflow_id,
                "workflowRuntimeId": case.id,
                "ballerineEntityId": case.entity.id or case.id,
                "entities": [{"id": case.entity.id or case.id, "type": case.entity.type}],
            }
        )

    @router.post(
        STORAGE,
        summary="Upload a file; pages refer to it by ballerineFileId",
        operation_id="ballerineStoreFile",
        tags=tags,
        responses=responses(400, 413, 415, status=201, description="Stored"),
        openapi_extensions={"requestBody": _STORAGE_BODY},
    )
    def store_file() -> Response[StoredFile]:
        principal, _tenant = caller()
        event = router.current_event
        data, _name = read_file_field(raw_body(event), event.headers.get("content-type"), "file")
        stored = document_ingestion.store_file(deps(), principal, data)
        return Response(
            status_code=201,
            content_type=content_types.APPLICATION_JSON,
            body=StoredFile.model_validate(stored),
        )

    def event(runtime_id: str, body: EventBody) -> EventAnswer:
        principal, tenant = caller()
        case = ballerine.send_ballerine_event(deps(), principal, tenant, runtime_id, body.name, body.payload)
        if ballerine.asked_for_revision(body.name, case):
            # As the reviewers' route: a collecting case sent back e-mails its applicant a link (tenant sending).
            collection_revisions.notify_revision(deps(), principal, case)
        return EventAnswer(
            workflowRuntimeId=case.id,
            status=ballerine.runtime_status(case.state),
            state=ballerine.runtime_view(case)["state"],
        )

    event_responses = responses(400, 403, 404, 409)
    router.post(
        f"{PREFIX}/<runtime_id>/event",
        summary="Send an event to a run",
        operation_id="ballerineSendEvent",
        tags=tags,
        responses=event_responses,
    )(event)
    router.post(
        f"{PREFIX}/<runtime_id>/send-event",
        summary="Send an event to a run (the same as …/event)",
        operation_id="ballerineSendEventAlias",
        tags=tags,
        responses=event_responses,
    )(event)

    @router.get(
        f"{PREFIX}/<runtime_id>",
        summary="A run",
        operation_id="ballerineGetRun",
        tags=tags,
        responses=responses(404),
    )
    def get_run(runtime_id: str) -> RunView:
        principal, _tenant = caller()
        case = deps().cases.get(principal.tenant_id, runtime_id)
        definition = deps().workflows.get(principal.tenant_id, case.workflow_id, case.workflow_version)
        return RunView.model_validate(
            {
                "workflowRuntimeData": ballerine.runtime_view(case),
                "workflowDefinition": {
                    "id": definition.id,
                    "name": definition.name,
                    "version": definition.version,
                },
            }
        )

    @router.get(
        f"{PREFIX}/<runtime_id>/context",
        summary="A run's context",
        operation_id="ballerineGetRunContext",
        tags=tags,
        responses=responses(404),
    )
    def get_context(runtime_id: str) -> ContextView:
        principal, _tenant = caller()
        case = deps().cases.get(principal.tenant_id, runtime_id)
        return ContextView(context=ballerine.runtime_view(case)["context"])

    @router.get(
        PREFIX,
        summary="List runs",
        operation_id="ballerineListRuns",
        tags=tags,
        responses=responses(400),
    )
    def list_runs(
        page: Annotated[int, Query(ge=1, le=1000)] = 1,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        status_list: Annotated[list[str] | None, Query(alias="status[]")] = None,
        status: Annotated[list[str] | None, Query()] = None,
        order_by: Annotated[str, Query(alias="orderBy")] = "createdAt",
        order_direction: Annotated[str, Query(alias="orderDirection")] = "desc",
    ) -> RunList:
        principal, _tenant = caller()
        runs = ballerine.list_runs(
            deps(),
            principal,
            page=page,
            limit=limit,
            statuses=[*(status_list or []), *(status or [])],
            order_by=order_by,
            order_direction=order_direction,
        )
        return RunList.model_validate(
            {
                "results": [ballerine.runtime_view(c) for c in runs.items],
                "meta": {"pages": runs.pages, "total": runs.total},
            }
        )

    return router
