"""Reviewers' API for the back office: queue, counts, case view, assignment, notes and decisions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.admin_rule_sets import admin_rule_sets_router
from arbiter.api.auth import bearer_token
from arbiter.api.rest import RestApi
from arbiter.api.review_schemas import AssignRequest, NoteRequest, review_case_view, review_detail_view
from arbiter.domain.case import CaseState
from arbiter.domain.principal import Principal
from arbiter.services import documents, retention, review, screening
from arbiter.services.ports import CaseQuery

if TYPE_CHECKING:
    pass

logger = Logger()


class DocumentDecisionBody(BaseModel):
    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = Field(default=None, max_length=2000)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class RetentionBody(BaseModel):
    days: int | None = Field(ge=1, le=3650, description="Days after a decision; null keeps documents")


deps = bootstrap.composition_root()  # each adapter is built when a route first needs it


def recent_webhook_deliveries(principal: Principal, case_id: str) -> list[dict[str, Any]]:
    """The case's latest webhook deliveries for the case view; the webhook code loads on first use."""
    from arbiter.api.webhook_schemas import case_delivery_view
    from arbiter.services import webhooks

    return [
        case_delivery_view(d) for d in webhooks.recent_case_deliveries(deps().webhooks, principal, case_id)
    ]


def authenticate(event: BaseProxyEvent) -> Principal:
    """The reviewer the request's Cognito ID token names (401 when missing, forged or expired)."""
    return deps().verifier.verify(bearer_token(event.headers))


app: RestApi[Principal] = RestApi(
    authenticate=authenticate, allowed_origin=lambda: deps().settings.cors_allowed_origin
)
reviewer = app.caller
app.include_router(admin_rule_sets_router(deps, reviewer))


@app.get("/v1/review/me")
def me() -> dict[str, Any]:
    return reviewer().model_dump()


@app.get("/v1/review/cases")
def queue(
    state: Annotated[list[CaseState] | None, Query()] = None,
    workflow: Annotated[str | None, Query(max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    risk: Annotated[list[str] | None, Query()] = None,
    created_from: Annotated[dt.datetime | None, Query(alias="from")] = None,
    created_to: Annotated[dt.datetime | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str, Query(pattern="^-?created$")] = "created",
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> dict[str, Any]:
    principal = reviewer()
    who = principal.id if assignee == "me" else (None if assignee in (None, "", "any") else assignee)
    query = CaseQuery(
        tenant_id=principal.tenant_id,
        states=tuple(state or ()),
        workflow_id=workflow,
        assignee=who,
        risk_levels=tuple(risk or ()),
        created_from=created_from,
        created_to=created_to,
        search=q,
        newest_first=sort.startswith("-"),
        cursor=cursor,
        limit=limit,
    )
    page = review.queue(deps(), principal, query)
    return {"items": [review_case_view(c) for c in page.items], "cursor": page.cursor}


@app.get("/v1/review/counts")
def counts() -> dict[str, Any]:
    return {"states": review.counts(deps(), reviewer())}


@app.get("/v1/review/cases/<case_id>")
def case_detail(case_id: str) -> dict[str, Any]:
    principal = reviewer()
    detail, path = review.case_detail(deps(), principal, case_id)
    view = review_detail_view(detail, path, review.available_actions(deps(), detail, principal))
    return {**view, "webhook_deliveries": recent_webhook_deliveries(principal, case_id)}


@app.post("/v1/review/cases/<case_id>/assign")
def assign(case_id: str, body: AssignRequest) -> dict[str, Any]:
    case = review.assign(deps(), reviewer(), case_id, body.assignee, body.email)
    return review_case_view(case)


@app.post("/v1/review/cases/<case_id>/unassign")
def unassign(case_id: str) -> dict[str, Any]:
    return review_case_view(review.assign(deps(), reviewer(), case_id, None))


@app.post("/v1/review/cases/<case_id>/notes")
def add_note(case_id: str, body: NoteRequest) -> dict[str, Any]:
    return review_case_view(review.add_note(deps(), reviewer(), case_id, body.text))


@app.post("/v1/review/cases/<case_id>/decision")
def decide(case_id: str, body: review.DecisionRequest) -> dict[str, Any]:
    return review_case_view(review.decide(deps(), reviewer(), case_id, body))


@app.post("/v1/review/cases/<case_id>/screening/clearances")
def clear_screening_match(case_id: str, body: screening.ClearMatchRequest) -> dict[str, Any]:
    clearance, created = screening.clear_match(deps(), deps().clearances, reviewer(), case_id, body)
    return {"clearance": clearance.model_dump(mode="json"), "created": created}


@app.get("/v1/review/cases/<case_id>/screening/clearances")
def case_screening_clearances(case_id: str) -> dict[str, Any]:
    return {"items": screening.case_clearances(deps(), deps().clearances, reviewer(), case_id)}


@app.post("/v1/review/cases/<case_id>/screening/clearances/revoke")
def revoke_screening_clearance(case_id: str, body: screening.RevokeClearanceRequest) -> dict[str, Any]:
    revoked = screening.revoke_clearance(deps(), deps().clearances, reviewer(), case_id, body)
    return {"revoked": revoked.model_dump(mode="json")}


@app.get("/v1/review/entities/<entity_id>/screening/clearances")
def entity_screening_clearances(entity_id: str) -> dict[str, Any]:
    return {"items": screening.entity_clearances(deps(), deps().clearances, reviewer(), entity_id)}


@app.get("/v1/review/cases/<case_id>/documents/<document_id>/pages/<index>")
def page_links(
    case_id: str,
    document_id: str,
    index: int,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    return documents.page_links(deps(), reviewer(), case_id, document_id, index, version)


@app.post("/v1/review/cases/<case_id>/documents/<document_id>/decision")
def decide_document(case_id: str, document_id: str, body: DocumentDecisionBody) -> dict[str, Any]:
    case = documents.decide_document(deps(), reviewer(), case_id, document_id, body.decision, body.reason)
    return review_case_view(case)


@app.post("/v1/admin/cases/<case_id>/legal-hold")
def set_legal_hold(case_id: str, body: ReasonBody) -> dict[str, Any]:
    return review_case_view(retention.set_legal_hold(deps(), reviewer(), case_id, body.reason))


@app.delete("/v1/admin/cases/<case_id>/legal-hold")
def release_legal_hold(case_id: str) -> dict[str, Any]:
    return review_case_view(retention.release_legal_hold(deps(), reviewer(), case_id, ""))


@app.get("/v1/admin/settings/document-retention")
def document_retention() -> dict[str, Any]:
    principal = reviewer()
    principal.require("admin", "reading the document retention period")
    tenant = deps().tenants.get(principal.tenant_id)
    return {"days": tenant.settings.document_retention_days if tenant else None}


@app.put("/v1/admin/settings/document-retention")
def set_document_retention(body: RetentionBody) -> dict[str, Any]:
    tenant = retention.set_document_retention(deps().tenants, reviewer(), body.days)
    return {"days": tenant.settings.document_retention_days}


@app.post("/v1/admin/entities/<entity_id>/erasure")
def erase_entity(entity_id: str, body: ReasonBody) -> dict[str, Any]:
    erased = retention.erase_entity(deps(), reviewer(), entity_id, body.reason)
    return {"entity_id": entity_id, "cases": [review_case_view(c) for c in erased]}


@app.get("/v1/review/workflows/<workflow_id>/definition")
def workflow_definition(workflow_id: str) -> dict[str, Any]:
    return review.workflow_definition(deps(), reviewer(), workflow_id)


@app.get("/v1/review/dashboard")
def review_dashboard(days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, Any]:
    return review.review_dashboard(deps(), reviewer(), days)


@app.get("/v1/review/workflows")
def workflows() -> dict[str, Any]:
    principal = reviewer()
    principal.require("viewer", "reading workflows")
    return {"items": [d.summary() for d in deps().workflows.list(principal.tenant_id)]}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
