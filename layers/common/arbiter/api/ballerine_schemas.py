"""Response bodies of the Ballerine-compatible routes (`/api/v1/external`), in Ballerine's field names."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "RUN_EXAMPLE",
    "ContextView",
    "EventAnswer",
    "RunAnswer",
    "RunList",
    "RunView",
    "RuntimeView",
    "StoredFile",
]

#: A run request as a Ballerine integration sends it (the document's example of `POST …/workflows/run`).
RUN_EXAMPLE: dict[str, Any] = {
    "workflowId": "kyb-onboarding",
    "context": {
        "entity": {
            "id": "acme-4711",
            "type": "business",
            "data": {
                "companyName": "Acme Payments GmbH",
                "registrationNumber": "HRB 123456",
                "country": "DE",
            },
        },
        "documents": [],
    },
}


class EntityRef(BaseModel):
    id: str
    type: str


class RunAnswer(BaseModel):
    """The run started (or the active run of the same entity and workflow, updated)."""

    workflowDefinitionId: str
    workflowRuntimeId: str
    ballerineEntityId: str
    entities: list[EntityRef]


class EventAnswer(BaseModel):
    workflowRuntimeId: str
    status: str = Field(description="active, completed or failed")
    state: str = Field(description="The run's state, in Ballerine's names")


class RuntimeView(BaseModel):
    """A case as a Ballerine workflow runtime."""

    id: str
    workflowDefinitionId: str
    workflowDefinitionVersion: int
    status: str
    state: str
    context: dict[str, Any]
    tags: list[str]
    assigneeId: str | None
    createdAt: str
    updatedAt: str
    resolvedAt: str | None


class WorkflowDefinitionRef(BaseModel):
    id: str
    name: str
    version: int


class RunView(BaseModel):
    workflowRuntimeData: RuntimeView
    workflowDefinition: WorkflowDefinitionRef


class ContextView(BaseModel):
    context: dict[str, Any]


class RunListMeta(BaseModel):
    pages: int
    total: int


class RunList(BaseModel):
    results: list[RuntimeView]
    meta: RunListMeta


class StoredFile(BaseModel):
    """A stored file; a page refers to it as `ballerineFileId`."""

    model_config = ConfigDict(title="StoredFile")

    id: str
    mimeType: str
