"""Admin API for the tenant's workflows (`/v1/admin/workflows…`): a router the reviewers' function includes.

Every route needs the admin role (the service layer checks it). See `arbiter.services.workflows`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.domain.workflow import WorkflowDefinition, WorkflowVersion
from arbiter.services import workflows
from arbiter.services.workflows import WorkflowAdmin

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_workflows_router"]

WORKFLOW_EXAMPLE: dict[str, Any] = {
    "id": "kyc-de",
    "name": "Person onboarding, Germany",
    "description": "KYC for German residents: identifiers and sanctions, then the KYC rule set.",
    "entity_types": ["individual"],
    "plugins": [
        {"plugin": "identifiers"},
        {
            "plugin": "sanctions",
            "config": {"watchlist_key": "watchlists/default/targets.simple.csv", "threshold": 0.8},
        },
    ],
    "rule_set_id": "kyc-default",
    "custom_events": ["address_confirmed"],
}


WorkflowId = Annotated[str, Path(max_length=63)]


class WorkflowListItem(BaseModel):
    id: str
    name: str
    builtin: bool = Field(
        description="Shipped with Arbiter (a tenant's versions of it replace it once published)"
    )
    opened_by: Literal["integrator", "system"]
    current_version: int | None = Field(description="The version new cases start on (None: none published)")
    latest_version: int
    updated_at: str | None = None


class WorkflowAdminList(BaseModel):
    items: list[WorkflowListItem]


class WorkflowVersionSummary(BaseModel):
    id: str
    version: int
    name: str
    status: Literal["draft", "published", "builtin"]
    created_at: str | None = None
    created_by: str | None = None
    published_at: str | None = None


class WorkflowAdminDetail(BaseModel):
    id: str
    name: str
    builtin: bool
    current_version: int | None
    latest_version: int
    versions: list[WorkflowVersionSummary] = Field(description="Newest first; the built-in version last")


class RollbackRequest(BaseModel):
    version: int = Field(ge=1, description="The earlier version to make current again")


def _admin(deps: Dependencies) -> WorkflowAdmin:
    return WorkflowAdmin(versions=deps.workflow_versions, catalog=deps.workflows, rule_sets=deps.rule_sets)


def admin_workflows_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The workflow routes, bound to the including function's dependencies and authenticated caller."""
    router = Router()
    tags = ["admin"]
    workflow_path = "/v1/admin/workflows/<workflow_id>"

    @router.post(
        "/v1/admin/workflows",
        summary="Save a workflow definition as its next draft version",
        operation_id="createWorkflowVersion",
        tags=tags,
        responses=responses(403, 409, status=201, description="Saved as the next draft version"),
    )
    def create_workflow(
        body: Annotated[
            dict[str, Any],
            Body(
                description="A workflow definition (docs/workflows.md): id, name, entity_types, plugins, "
                "rule_set_id, owner_checks, custom_events, review_policy, collection, waits_on",
                openapi_examples={"workflow": {"value": WORKFLOW_EXAMPLE}},
            ),
        ],
    ) -> Response[WorkflowVersion]:
        version = workflows.save_draft(_admin(deps()), caller(), body)
        return Response(201, content_types.APPLICATION_JSON, version)

    @router.get(
        "/v1/admin/workflows",
        summary="The tenant's workflows, built-in and its own",
        operation_id="listAdminWorkflows",
        tags=tags,
        responses=responses(403),
    )
    def list_workflows() -> WorkflowAdminList:
        return WorkflowAdminList.model_validate(workflows.list_workflows(_admin(deps()), caller()))

    @router.get(
        workflow_path,
        summary="A workflow's versions and which one new cases start on",
        operation_id="getAdminWorkflow",
        tags=tags,
        responses=responses(403, 404),
    )
    def get_workflow(workflow_id: WorkflowId) -> WorkflowAdminDetail:
        found = workflows.get_workflow(_admin(deps()), caller(), workflow_id)
        return WorkflowAdminDetail.model_validate(found)

    @router.get(
        f"{workflow_path}/versions/<version>",
        summary="A version of a workflow",
        operation_id="getWorkflowVersion",
        tags=tags,
        responses=responses(403, 404),
    )
    def get_version(workflow_id: WorkflowId, version: Annotated[int, Path(ge=1)]) -> WorkflowDefinition:
        return workflows.get_version(_admin(deps()), caller(), workflow_id, version)

    @router.post(
        f"{workflow_path}/versions/<version>/publish",
        summary="Publish a version: cases that start from now on run it, running cases keep theirs",
        operation_id="publishWorkflowVersion",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def publish(workflow_id: WorkflowId, version: Annotated[int, Path(ge=1)]) -> WorkflowVersion:
        return workflows.publish(_admin(deps()), caller(), workflow_id, version)

    @router.post(
        f"{workflow_path}/rollback",
        summary="Make an earlier version current again (saved and published as the next version)",
        operation_id="rollBackWorkflow",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def rollback(workflow_id: WorkflowId, body: RollbackRequest) -> WorkflowVersion:
        return workflows.rollback(_admin(deps()), caller(), workflow_id, body.version)

    return router
