"""Request and response bodies of Arbiter's own API (`/v1`), as the OpenAPI document shows them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arbiter.domain.case import Case
from arbiter.domain.document import Document
from arbiter.domain.entity import Entity
from arbiter.domain.underwriting import Terms
from arbiter.domain.workflow import WorkflowDefinition
from arbiter.services.cases import DocumentInput

__all__ = [
    "CASE_EXAMPLE",
    "CaseCreateRequest",
    "CaseList",
    "CaseView",
    "DeclaredDocument",
    "DocumentList",
    "DocumentView",
    "EventRequest",
    "WorkflowList",
    "WorkflowSummary",
    "case_view",
    "document_view",
]

#: A case as an integrator starts it (the document's example of `POST /v1/cases`; docs/api.md shows more).
CASE_EXAMPLE: dict[str, Any] = {
    "workflow": "kyc",
    "entity": {
        "type": "individual",
        "id": "customer-4711",
        "individual": {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10"},
    },
    "correlation_id": "onboarding-4711",
    "submit": False,
}


class CaseCreateRequest(BaseModel):
    """Start a case: which workflow, about whom, with which documents."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [CASE_EXAMPLE]})

    workflow: str = Field(
        min_length=1, max_length=100, description="Workflow id (see GET /v1/workflows) or alias"
    )
    entity: Entity
    documents: list[DocumentInput] = Field(default_factory=list, max_length=100)
    metadata: dict[str, Any] = Field(default_factory=dict, description="Your own data, returned as sent")
    correlation_id: str | None = Field(
        default=None, max_length=200, description="Your reference for this case"
    )
    submit: bool = Field(
        default=True,
        description="false: the case waits in `collecting` for uploads; send the `submitted` event to start it",
    )
    collect: bool = Field(
        default=False,
        description="true: the case waits in `collecting` for its applicant, and the answer carries a collection "
        "link to send them (`collection`: id, url, token, expires_at, email)",
    )

    @field_validator("metadata")
    @classmethod
    def _metadata_fits(cls, value: dict[str, Any]) -> dict[str, Any]:
        _within(value, MAX_METADATA_BYTES, "metadata")
        return value

    @model_validator(mode="after")
    def _extra_fits(self) -> CaseCreateRequest:
        _within(self.model_extra or {}, MAX_CONTEXT_BYTES, "the fields beside workflow, entity and documents")
        return self


#: What a case keeps of the integrator's own data: it is stored with the case, whose item DynamoDB caps at 400 KB.
MAX_METADATA_BYTES = 64 * 1024
MAX_CONTEXT_BYTES = 128 * 1024


def _within(value: Any, limit: int, what: str) -> None:
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > limit:
        raise ValueError(
            f"{what} is {size // 1024} KB as JSON; at most {limit // 1024} KB is kept with a case"
        )


class EventRequest(BaseModel):
    """An event for a case (`submitted`, `resubmitted`, or a custom event its workflow accepts)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "submitted"}]})

    name: str = Field(min_length=1, max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict)


class RiskView(BaseModel):
    score: float
    level: str
    recommendation: str
    rule_set: dict[str, Any] | None = None
    #: Underwriting: the terms the rules propose (the strictest of every hit's).
    terms: Terms | None = None


class DecisionView(BaseModel):
    outcome: Literal["approved", "rejected"]
    reason: str
    automatic: bool
    at: dt.datetime
    #: Underwriting: the terms the approval grants.
    terms: Terms | None = None


class IssuedCollectionLink(BaseModel):
    """The collection link made for a case started with `collect: true`. A start retried with the same
    `Idempotency-Key` answers the same link without `url` and `token` (never stored: only the first answer has them)
    and sends nothing again."""

    id: str
    url: str | None = Field(default=None, description="Send this to the applicant: it opens their journey")
    token: str | None = Field(default=None, description="The link's token, for a collection site of your own")
    expires_at: dt.datetime
    email: Literal["sent", "failed"] | None = Field(
        default=None,
        description="`sent` when the link was e-mailed to the applicant, `failed` when it could not be (send a new "
        "link); absent when the tenant sends no e-mail, no address is known, or on a retried start",
    )


class CaseView(BaseModel):
    """A case as integrators see it."""

    id: str
    workflow: str
    workflow_version: int
    state: str
    entity: dict[str, Any]
    documents: list[dict[str, Any]]
    metadata: dict[str, Any]
    correlation_id: str | None
    parent_case_id: str | None
    child_case_ids: list[str]
    risk: RiskView | None
    decision: DecisionView | None
    revision: dict[str, Any] | None
    flags: list[dict[str, Any]]
    created_at: dt.datetime
    updated_at: dt.datetime
    links: dict[str, str]
    collection: IssuedCollectionLink | None = Field(
        default=None,
        description="Only in the answer to a case started with `collect: true`: the link to send",
    )


class CaseList(BaseModel):
    items: list[CaseView]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class WorkflowSummary(BaseModel):
    """A workflow the tenant can start."""

    model_config = ConfigDict(extra="allow")

    id: str
    version: int
    name: str
    description: str
    entity_types: list[str] = Field(description="individual, business")
    checks: list[str] = Field(description="The checks a case of it runs")
    rule_set_id: str | None
    events: list[str] = Field(description="The events a case of it takes (POST /v1/cases/{id}/events)")
    review_policy: dict[str, Any] | None = Field(
        default=None,
        description="Which reviewers' decisions a second reviewer confirms (`second_reviewer_for`: "
        "critical_flags, high_risk, override) and the role they need (`second_reviewer_role`)",
    )
    review_sla_hours: float | None = Field(
        default=None, description="Hours a case may wait in manual review before it is overdue (null: no SLA)"
    )


class WorkflowList(BaseModel):
    items: list[WorkflowSummary]


class PageView(BaseModel):
    """A page: its status and what ingestion found (never where it is stored)."""

    model_config = ConfigDict(extra="allow")

    index: int
    status: str = Field(description="pending, available, unavailable, rejected")


class DocumentView(BaseModel):
    """A document as integrators see it; fields without a value are left out."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: str
    version: int
    pages: list[PageView]


class UploadForm(BaseModel):
    """A presigned POST for one page: send `fields` and then the file, as multipart/form-data, to `url`."""

    page: int
    url: str
    fields: dict[str, str]
    expires_at: dt.datetime
    max_bytes: int


class DeclaredDocument(BaseModel):
    document: DocumentView
    uploads: list[UploadForm]


class DocumentList(BaseModel):
    items: list[DocumentView]


_HIDDEN_PAGE_FIELDS = {"object_key", "thumbnail_key"}


def document_view(document: Document) -> dict[str, Any]:
    """A document as integrators see it: its pages' status and facts, never storage keys."""
    data = document.model_dump(mode="json", exclude_none=True)
    data["pages"] = [
        {k: v for k, v in p.items() if k not in _HIDDEN_PAGE_FIELDS} for p in data.get("pages", [])
    ]
    for version in data.get("history", []):
        version["pages"] = [
            {k: v for k, v in p.items() if k not in _HIDDEN_PAGE_FIELDS} for p in version.get("pages", [])
        ]
    return data


def case_view(case: Case) -> CaseView:
    """The integrator's view: no task tokens, no storage keys."""
    documents = [document_view(d) for d in case.documents]
    return CaseView(
        id=case.id,
        workflow=case.workflow_id,
        workflow_version=case.workflow_version,
        state=case.state.value,
        entity=case.entity.model_dump(mode="json", exclude_none=True),
        documents=documents,
        metadata=case.metadata,
        correlation_id=case.correlation_id,
        parent_case_id=case.parent_case_id,
        child_case_ids=case.child_case_ids,
        risk=RiskView(
            score=case.risk.score,
            level=case.risk.level,
            recommendation=case.risk.recommendation,
            rule_set=case.risk.rule_set.model_dump() if case.risk.rule_set else None,
            terms=case.risk.terms,
        )
        if case.risk
        else None,
        decision=DecisionView(
            outcome=case.decision.outcome,
            reason=case.decision.reason,
            automatic=case.decision.automatic,
            at=case.decision.at,
            terms=case.decision.terms,
        )
        if case.decision
        else None,
        revision={
            "reason": case.revision.reason,
            "document_ids": case.revision.document_ids,
            **({"fields": case.revision.fields} if case.revision.fields else {}),
            "at": case.revision.at,
        }
        if case.revision
        else None,
        flags=[f.model_dump() for f in case.flags],
        created_at=case.created_at,
        updated_at=case.updated_at,
        links={"self": f"/v1/cases/{case.id}", "events": f"/v1/cases/{case.id}/events"},
    )


def workflow_list(definitions: list[WorkflowDefinition]) -> WorkflowList:
    return WorkflowList(items=[d.summary() for d in definitions])
