"""Reviewers' API for the back office: queue, counts, case view, assignment, notes and decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.admin_rule_sets import AdminContext
from arbiter.api.admin_rule_sets import router as admin_rule_sets
from arbiter.api.auth import CognitoTokenVerifier, bearer_token
from arbiter.api.rest import Query, deferred_module, rest_api
from arbiter.api.review_schemas import AssignRequest, NoteRequest, review_case_view, review_detail_view
from arbiter.domain.case import CaseState
from arbiter.domain.principal import Principal
from arbiter.services import review, screening
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import CaseQuery
from arbiter.settings import Settings

if TYPE_CHECKING:
    from arbiter.services import documents, retention
    from arbiter.services.documents import DocumentDeps
    from arbiter.services.rule_sets import CompiledRuleSets
else:  # only route bodies call them: they load with their first use, not on the cold start
    documents = deferred_module("arbiter.services.documents")
    retention = deferred_module("arbiter.services.retention")

logger = Logger()
app = rest_api()  # built with the first request
app.include_router(admin_rule_sets)


@dataclass
class ReviewDeps:
    cases: CaseDeps
    verifier: CognitoTokenVerifier
    compiled_rule_sets: CompiledRuleSets


class DocumentDecisionBody(BaseModel):
    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = Field(default=None, max_length=2000)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class RetentionBody(BaseModel):
    days: int | None = Field(ge=1, le=3650, description="Days after a decision; null keeps documents")


@lru_cache(maxsize=1)
def deps() -> ReviewDeps:
    """Composition root, once per cold start."""
    settings = Settings.from_environ()
    return ReviewDeps(
        cases=bootstrap.case_deps(settings),
        verifier=bootstrap.token_verifier(settings),
        compiled_rule_sets=bootstrap.compiled_rule_sets(settings),
    )


@lru_cache(maxsize=1)
def webhook_log() -> Any:
    """The webhook delivery log, read for the case view (built on first use)."""
    return bootstrap.webhook_repository(Settings.from_environ())


def recent_webhook_deliveries(principal: Principal, case_id: str) -> list[dict[str, Any]]:
    """The case's latest webhook deliveries for the case view; the webhook code loads on first use."""
    from arbiter.api.webhook_schemas import case_delivery_view
    from arbiter.services import webhooks

    return [case_delivery_view(d) for d in webhooks.recent_case_deliveries(webhook_log(), principal, case_id)]


@lru_cache(maxsize=1)
def document_deps() -> DocumentDeps:
    """The documents bucket: presigned GETs, erasure."""
    return bootstrap.document_deps(Settings.from_environ(), cases=deps().cases)


def reviewer() -> Principal:
    return deps().verifier.verify(bearer_token(app.current_event.headers))


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
    page = review.queue(deps().cases, principal, query)
    return {"items": [review_case_view(c) for c in page.items], "cursor": page.cursor}


@app.get("/v1/review/counts")
def counts() -> dict[str, Any]:
    return {"states": review.counts(deps().cases, reviewer())}


@app.get("/v1/review/cases/<case_id>")
def case_detail(case_id: str) -> dict[str, Any]:
    principal = reviewer()
    detail, path = review.case_detail(deps().cases, principal, case_id)
    view = review_detail_view(detail, path, review.available_actions(detail.case, principal))
    return {**view, "webhook_deliveries": recent_webhook_deliveries(principal, case_id)}


@app.post("/v1/review/cases/<case_id>/assign")
def assign(case_id: str, body: AssignRequest) -> dict[str, Any]:
    case = review.assign(deps().cases, reviewer(), case_id, body.assignee, body.email)
    return review_case_view(case)


@app.post("/v1/review/cases/<case_id>/unassign")
def unassign(case_id: str) -> dict[str, Any]:
    return review_case_view(review.assign(deps().cases, reviewer(), case_id, None))


@app.post("/v1/review/cases/<case_id>/notes")
def add_note(case_id: str, body: NoteRequest) -> dict[str, Any]:
    return review_case_view(review.add_note(deps().cases, reviewer(), case_id, body.text))


@app.post("/v1/review/cases/<case_id>/decision")
def decide(case_id: str, body: review.DecisionRequest) -> dict[str, Any]:
    return review_case_view(review.decide(deps().cases, reviewer(), case_id, body))


@lru_cache(maxsize=1)
def clearances() -> screening.ClearanceStore:
    """The store of cleared screening matches, once per cold start."""
    return bootstrap.clearance_store(Settings.from_environ())


@app.post("/v1/review/cases/<case_id>/screening/clearances")
def clear_screening_match(case_id: str, body: screening.ClearMatchRequest) -> dict[str, Any]:
    clearance, created = screening.clear_match(deps().cases, clearances(), reviewer(), case_id, body)
    return {"clearance": clearance.model_dump(mode="json"), "created": created}


@app.get("/v1/review/cases/<case_id>/screening/clearances")
def case_screening_clearances(case_id: str) -> dict[str, Any]:
    return {"items": screening.case_clearances(deps().cases, clearances(), reviewer(), case_id)}


@app.post("/v1/review/cases/<case_id>/screening/clearances/revoke")
def revoke_screening_clearance(case_id: str, body: screening.RevokeClearanceRequest) -> dict[str, Any]:
    revoked = screening.revoke_clearance(deps().cases, clearances(), reviewer(), case_id, body)
    return {"revoked": revoked.model_dump(mode="json")}


@app.get("/v1/review/entities/<entity_id>/screening/clearances")
def entity_screening_clearances(entity_id: str) -> dict[str, Any]:
    return {"items": screening.entity_clearances(deps().cases, clearances(), reviewer(), entity_id)}


@app.get("/v1/review/cases/<case_id>/documents/<document_id>/pages/<index>")
def page_links(
    case_id: str,
    document_id: str,
    index: int,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    return documents.page_links(document_deps(), reviewer(), case_id, document_id, index, version)


@app.post("/v1/review/cases/<case_id>/documents/<document_id>/decision")
def decide_document(case_id: str, document_id: str, body: DocumentDecisionBody) -> dict[str, Any]:
    case = documents.decide_document(
        document_deps(), reviewer(), case_id, document_id, body.decision, body.reason
    )
    return review_case_view(case)


@app.post("/v1/admin/cases/<case_id>/legal-hold")
def set_legal_hold(case_id: str, body: ReasonBody) -> dict[str, Any]:
    return review_case_view(retention.set_legal_hold(document_deps(), reviewer(), case_id, body.reason))


@app.delete("/v1/admin/cases/<case_id>/legal-hold")
def release_legal_hold(case_id: str) -> dict[str, Any]:
    return review_case_view(retention.release_legal_hold(document_deps(), reviewer(), case_id, ""))


@lru_cache(maxsize=1)
def tenant_repository() -> Any:
    """Tenants, for their settings."""
    return bootstrap.tenant_repository(Settings.from_environ())


@app.get("/v1/admin/settings/document-retention")
def document_retention() -> dict[str, Any]:
    principal = reviewer()
    principal.require("admin", "reading the document retention period")
    tenant = tenant_repository().get(principal.tenant_id)
    return {"days": tenant.settings.document_retention_days if tenant else None}


@app.put("/v1/admin/settings/document-retention")
def set_document_retention(body: RetentionBody) -> dict[str, Any]:
    tenant = retention.set_document_retention(tenant_repository(), reviewer(), body.days)
    return {"days": tenant.settings.document_retention_days}


@app.post("/v1/admin/entities/<entity_id>/erasure")
def erase_entity(entity_id: str, body: ReasonBody) -> dict[str, Any]:
    erased = retention.erase_entity(document_deps(), reviewer(), entity_id, body.reason)
    return {"entity_id": entity_id, "cases": [review_case_view(c) for c in erased]}


@app.get("/v1/review/workflows/<workflow_id>/definition")
def workflow_definition(workflow_id: str) -> dict[str, Any]:
    principal = reviewer()
    principal.require("viewer", "reading workflows")
    definition = deps().cases.workflows.get(principal.tenant_id, workflow_id)
    return {"workflow": definition.summary(), "states": deps().cases.engine.definition(workflow_id)}


@app.get("/v1/review/dashboard")
def review_dashboard(days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, Any]:
    return review.review_dashboard(deps().cases, reviewer(), days)


@app.get("/v1/review/workflows")
def workflows() -> dict[str, Any]:
    principal = reviewer()
    principal.require("viewer", "reading workflows")
    return {"items": [d.summary() for d in deps().cases.workflows.list(principal.tenant_id)]}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app.append_context(
        admin=AdminContext(
            principal=reviewer,
            cases=lambda: deps().cases,
            compiled=lambda: deps().compiled_rule_sets,
        )
    )
    return app.resolve(event, context)
