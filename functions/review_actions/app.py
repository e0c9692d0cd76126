"""Reviewers' API for the back office: queue, counts, case view, assignment, escalation, notes and decisions."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api import content_types
from arbiter.api.admin_api_keys import admin_api_keys_router
from arbiter.api.admin_rescreens import admin_rescreens_router
from arbiter.api.admin_rule_sets import admin_rule_sets_router
from arbiter.api.admin_transaction_backtests import admin_transaction_backtests_router
from arbiter.api.admin_webhooks import admin_webhooks_router
from arbiter.api.admin_workflows import admin_workflows_router
from arbiter.api.auth import bearer_token
from arbiter.api.collection_links import collection_links_router
from arbiter.api.csv_files import csv_reply
from arbiter.api.openapi import BEARER_ID_TOKEN_SECURITY, openapi_document, responses
from arbiter.api.rest import RestApi
from arbiter.api.review_alerts import review_alerts_router
from arbiter.api.review_evidence import review_evidence_router
from arbiter.api.review_schemas import (
    AuditVerification,
    CaseDetailView,
    ClearanceList,
    ClearedMatch,
    DocumentRetention,
    EntityErasure,
    EntityMonitoring,
    IsoDateTime,
    MonitoringSwitch,
    NoteRequest,
    PageLinks,
    ReviewCaseView,
    ReviewDashboard,
    ReviewerView,
    ReviewQueue,
    RevokedClearance,
    StateCounts,
    WorkflowDefinitionView,
    review_case_view,
    review_detail_view,
)
from arbiter.api.review_team import review_team_router
from arbiter.api.schemas import WorkflowList
from arbiter.domain.case import CaseState
from arbiter.domain.principal import Principal
from arbiter.services import (
    audit_trail,
    collection_revisions,
    documents,
    exports,
    ongoing_screening,
    replay,
    retention,
    review,
    review_team,
    rule_reports,
    screening,
)
from arbiter.services.ports import CaseQuery

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


#: One document for the reviewers' and the admins' routes, served under both prefixes.
OPENAPI_PATHS = ("/v1/review/openapi.json", "/v1/admin/openapi.json")
app: RestApi[Principal] = RestApi(
    authenticate=authenticate,
    public_paths=OPENAPI_PATHS,
    allowed_origin=lambda: deps().settings.cors_allowed_origin,
)
reviewer = app.caller
app.include_router(admin_rule_sets_router(deps, reviewer))
app.include_router(admin_transaction_backtests_router(deps, reviewer))
app.include_router(admin_api_keys_router(deps, reviewer))
app.include_router(admin_workflows_router(deps, reviewer))
app.include_router(admin_rescreens_router(deps, reviewer))
app.include_router(review_alerts_router(deps, reviewer))
app.include_router(review_evidence_router(deps, reviewer))
app.include_router(review_team_router(deps, reviewer))
app.include_router(collection_links_router(deps, reviewer, prefix="/v1/review/cases", audience="Review"))
app.include_router(admin_webhooks_router(deps, reviewer))

REVIEW = ["review"]
ADMIN = ["admin"]


@app.get("/v1/review/me", summary="The signed-in reviewer", operation_id="getMe", tags=REVIEW)
def me() -> ReviewerView:
    return ReviewerView.model_validate(reviewer().model_dump())


@app.get(
    "/v1/review/cases",
    summary="The review queue: cases filtered and sorted",
    operation_id="listReviewCases",
    tags=REVIEW,
    responses=responses(403),
)
def queue(
    state: Annotated[list[CaseState] | None, Query()] = None,
    workflow: Annotated[str | None, Query(max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    risk: Annotated[list[str] | None, Query()] = None,
    created_from: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    created_to: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    pending_second_review: Annotated[bool | None, Query()] = None,
    escalated_to: Annotated[str | None, Query(pattern="^(senior|admin|any|none)$")] = None,
    sort: Annotated[str, Query(pattern="^-?created$")] = "created",
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ReviewQueue:
    principal = reviewer()
    query = _queue_query(
        principal, state, workflow, assignee, risk, created_from, created_to, q, sort, pending_second_review
    )
    query = dataclasses.replace(query, cursor=cursor, limit=limit, escalated_to=escalated_to)
    page = review.queue(deps(), principal, query)
    due = review_team.review_deadlines(deps(), page.items)
    now = deps().now()
    return ReviewQueue.model_validate(
        {"items": [review_case_view(c, due.get(c.id), now) for c in page.items], "cursor": page.cursor}
    )


def _queue_query(
    principal: Principal,
    state: list[CaseState] | None,
    workflow: str | None,
    assignee: str | None,
    risk: list[str] | None,
    created_from: Any,
    created_to: Any,
    q: str | None,
    sort: str,
    pending_second_review: bool | None = None,
) -> CaseQuery:
    """The queue's filters as a query of the reviewer's tenant (`assignee=me`: the reviewer)."""
    who = principal.id if assignee == "me" else (None if assignee in (None, "", "any") else assignee)
    return CaseQuery(
        tenant_id=principal.tenant_id,
        states=tuple(state or ()),
        workflow_id=workflow or None,
        assignee=who,
        risk_levels=tuple(risk or ()),
        created_from=created_from,
        created_to=created_to,
        search=q,
        pending_second_review=pending_second_review,
        newest_first=sort.startswith("-"),
    )


#: A CSV reply in the OpenAPI document.
CSV_RESPONSE: OpenAPIResponse = {
    "description": "OK",
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "headers": {
        "Content-Disposition": {"schema": {"type": "string"}, "description": "attachment; filename=..."},
    },
}


# A literal path: it wins over /v1/review/cases/{case_id} (powertools tries static routes first, as API Gateway).
@app.get(
    "/v1/review/cases/export.csv",
    summary="The cases the queue's filters match, as CSV (at most 10,000 rows)",
    operation_id="exportReviewCases",
    tags=REVIEW,
    responses={**responses(403), 200: CSV_RESPONSE},
)
def export_queue(
    state: Annotated[list[CaseState] | None, Query()] = None,
    workflow: Annotated[str | None, Query(max_length=100)] = None,
    assignee: Annotated[str | None, Query(max_length=200)] = None,
    risk: Annotated[list[str] | None, Query()] = None,
    created_from: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    created_to: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    pending_second_review: Annotated[bool | None, Query()] = None,
    sort: Annotated[str, Query(pattern="^-?created$")] = "created",
) -> Response[str]:
    principal = reviewer()
    query = _queue_query(
        principal, state, workflow, assignee, risk, created_from, created_to, q, sort, pending_second_review
    )
    export = exports.export_cases(deps(), principal, query)
    counted = {"X-Export-Rows": str(len(export.rows)), "X-Export-Truncated": str(export.truncated).lower()}
    return csv_reply(export.columns, export.rows, "cases.csv", counted)


@app.get(
    "/v1/review/cases/<case_id>/audit.csv",
    summary="The case's audit trail as CSV, with each entry's hash",
    operation_id="exportAuditTrail",
    tags=REVIEW,
    responses={**responses(403, 404), 200: CSV_RESPONSE},
)
def export_audit_trail(case_id: str) -> Response[str]:
    export = exports.export_audit_trail(deps(), reviewer(), case_id)
    return csv_reply(export.columns, export.rows, f"audit-{_filename_part(case_id)}.csv")


def _filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:100]


@app.get(
    "/v1/review/reports/rules",
    summary="How a rule set version performs: hit and overturn rate per rule, screening false positives",
    operation_id="getRuleReport",
    tags=REVIEW,
    responses=responses(403, 404),
)
def rule_report(
    rule_set: Annotated[str, Query(min_length=1, max_length=100)],
    version: Annotated[int, Query(ge=1)],
) -> rule_reports.RuleReport:
    return rule_reports.rule_performance(deps(), deps().compiled_rule_sets, reviewer(), rule_set, version)


@app.get(
    "/v1/review/counts",
    summary="How many cases are in each state",
    operation_id="countReviewCases",
    tags=REVIEW,
    responses=responses(403),
)
def counts() -> StateCounts:
    principal = reviewer()
    return StateCounts(
        states=review.counts(deps(), principal),
        pending_second_review=review.count_pending_second_review(deps(), principal),
    )


@app.get(
    "/v1/review/cases/<case_id>",
    summary="The case view: case, history, checks, children, path and actions",
    operation_id="getReviewCase",
    tags=REVIEW,
    responses=responses(403, 404),
)
def case_detail(case_id: str) -> CaseDetailView:
    principal = reviewer()
    detail, path = review.case_detail(deps(), principal, case_id)
    view = review_detail_view(detail, path, review.available_actions(deps(), detail, principal))
    due = review_team.review_deadlines(deps(), [detail.case]).get(case_id)
    view["case"] = review_case_view(detail.case, due, deps().now())
    return CaseDetailView.model_validate(
        {
            **view,
            "webhook_deliveries": recent_webhook_deliveries(principal, case_id),
            "revision_fields": review.revision_fields(deps(), detail.case),
        }
    )


@app.get(
    "/v1/review/cases/<case_id>/audit/verify",
    summary="Recompute the case's audit hash chain and check it against its head and its daily digest",
    operation_id="verifyAuditTrail",
    tags=REVIEW,
    responses=responses(403, 404),
)
def verify_audit_trail(case_id: str) -> AuditVerification:
    verification = audit_trail.verify_audit_trail(deps(), reviewer(), case_id)
    return AuditVerification.model_validate(verification.model_dump())


@app.post(
    "/v1/review/cases/<case_id>/replay",
    summary="Evaluate the case's automatic assessment again on what it read, with its pinned or the current rules",
    operation_id="replayDecision",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def replay_decision(case_id: str, body: replay.ReplayRequest) -> replay.ReplayResult:
    return replay.replay_decision(
        deps(), deps().rule_sets, deps().compiled_rule_sets, reviewer(), case_id, body
    )


def _case(case: Any) -> ReviewCaseView:
    return ReviewCaseView.model_validate(review_case_view(case))


@app.post(
    "/v1/review/cases/<case_id>/notes",
    summary="Add a note to the case's history",
    operation_id="addReviewNote",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def add_note(case_id: str, body: NoteRequest) -> ReviewCaseView:
    return _case(review.add_note(deps(), reviewer(), case_id, body.text))


@app.post(
    "/v1/review/cases/<case_id>/decision",
    summary="Approve, reject or ask for a revision",
    operation_id="decideReviewCase",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def decide(case_id: str, body: review.DecisionRequest) -> ReviewCaseView:
    case = review.decide(deps(), reviewer(), case_id, body)
    # A collecting case sent back: its applicant is e-mailed a link, when the tenant sends e-mail.
    collection_revisions.notify_revision(deps(), reviewer(), case)
    return _case(case)


@app.post(
    "/v1/review/cases/<case_id>/decision/confirm",
    summary="Confirm the decision another reviewer proposed (four eyes)",
    operation_id="confirmReviewDecision",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def confirm_decision(case_id: str) -> ReviewCaseView:
    return _case(review.confirm_decision(deps(), reviewer(), case_id))


@app.post(
    "/v1/review/cases/<case_id>/decision/return",
    summary="Send the decision another reviewer proposed back, with a reason",
    operation_id="returnReviewDecision",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def return_decision(case_id: str, body: review.ReturnRequest) -> ReviewCaseView:
    return _case(review.return_decision(deps(), reviewer(), case_id, body))


@app.post(
    "/v1/review/cases/<case_id>/screening/clearances",
    summary="Clear a screening match as a false positive",
    operation_id="clearScreeningMatch",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def clear_screening_match(case_id: str, body: screening.ClearMatchRequest) -> ClearedMatch:
    clearance, created = screening.clear_match(deps(), deps().clearances, reviewer(), case_id, body)
    return ClearedMatch.model_validate({"clearance": clearance.model_dump(mode="json"), "created": created})


@app.get(
    "/v1/review/cases/<case_id>/screening/clearances",
    summary="The clearances held for the parties screened on the case",
    operation_id="listCaseClearances",
    tags=REVIEW,
    responses=responses(403, 404),
)
def case_screening_clearances(case_id: str) -> ClearanceList:
    items = screening.case_clearances(deps(), deps().clearances, reviewer(), case_id)
    return ClearanceList.model_validate({"items": items})


@app.post(
    "/v1/review/cases/<case_id>/screening/clearances/revoke",
    summary="Revoke a clearance: the next run raises the match again",
    operation_id="revokeScreeningClearance",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def revoke_screening_clearance(case_id: str, body: screening.RevokeClearanceRequest) -> RevokedClearance:
    revoked = screening.revoke_clearance(deps(), deps().clearances, reviewer(), case_id, body)
    return RevokedClearance.model_validate({"revoked": revoked.model_dump(mode="json")})


@app.get(
    "/v1/review/cases/<case_id>/monitoring",
    summary="Whether watchlist updates are matched against the case's entity",
    operation_id="getEntityMonitoring",
    tags=REVIEW,
    responses=responses(403, 404),
)
def entity_monitoring(case_id: str) -> EntityMonitoring:
    return _monitoring(ongoing_screening.monitoring(deps(), reviewer(), case_id))


@app.put(
    "/v1/admin/cases/<case_id>/monitoring",
    summary="Switch ongoing screening of the case's entity off or on (admins)",
    operation_id="setEntityMonitoring",
    tags=ADMIN,
    responses=responses(403, 404),
)
def set_entity_monitoring(case_id: str, body: MonitoringSwitch) -> EntityMonitoring:
    record = ongoing_screening.set_monitoring(
        deps(), reviewer(), case_id, enabled=body.enabled, reason=body.reason
    )
    return _monitoring(record)


def _monitoring(record: Any) -> EntityMonitoring:
    return EntityMonitoring(
        entity_key=record.key,
        entity_type=record.entity_type,
        enabled=record.enabled,
        onboarding_case_id=record.case_id,
        workflow_id=record.workflow_id,
        since=record.since,
    )


@app.get(
    "/v1/review/entities/<entity_id>/screening/clearances",
    summary="The clearances held for an entity's parties",
    operation_id="listEntityClearances",
    tags=REVIEW,
    responses=responses(403, 404),
)
def entity_screening_clearances(entity_id: str) -> ClearanceList:
    items = screening.entity_clearances(deps(), deps().clearances, reviewer(), entity_id)
    return ClearanceList.model_validate({"items": items})


@app.get(
    "/v1/review/cases/<case_id>/documents/<document_id>/pages/<index>",
    summary="Short-lived links to a document page and its thumbnail",
    operation_id="getDocumentPageLinks",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def page_links(
    case_id: str,
    document_id: str,
    index: int,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> PageLinks:
    return PageLinks.model_validate(
        documents.page_links(deps(), reviewer(), case_id, document_id, index, version)
    )


@app.post(
    "/v1/review/cases/<case_id>/documents/<document_id>/decision",
    summary="Accept or reject a document, or ask for a new version",
    operation_id="decideDocument",
    tags=REVIEW,
    responses=responses(403, 404, 409),
)
def decide_document(case_id: str, document_id: str, body: DocumentDecisionBody) -> ReviewCaseView:
    case = documents.decide_document(deps(), reviewer(), case_id, document_id, body.decision, body.reason)
    return _case(case)


@app.get(
    "/v1/review/workflows/<workflow_id>/definition",
    summary="A workflow and its state machine",
    operation_id="getWorkflowDefinition",
    tags=REVIEW,
    responses=responses(403, 404),
)
def workflow_definition(workflow_id: str) -> WorkflowDefinitionView:
    return WorkflowDefinitionView.model_validate(review.workflow_definition(deps(), reviewer(), workflow_id))


@app.get(
    "/v1/review/dashboard",
    summary="Decisions, waiting times and workload over the last days",
    operation_id="getReviewDashboard",
    tags=REVIEW,
    responses=responses(403),
)
def review_dashboard(days: Annotated[int, Query(ge=1, le=365)] = 30) -> ReviewDashboard:
    return ReviewDashboard.model_validate(review.review_dashboard(deps(), reviewer(), days))


@app.get(
    "/v1/review/workflows",
    summary="The tenant's workflows",
    operation_id="listReviewWorkflows",
    tags=REVIEW,
    responses=responses(403),
)
def workflows() -> WorkflowList:
    principal = reviewer()
    principal.require("viewer", "reading workflows")
    items = [d.summary() for d in deps().workflows.list(principal.tenant_id)]
    return WorkflowList.model_validate({"items": items})


@app.post(
    "/v1/admin/cases/<case_id>/legal-hold",
    summary="Put the case's documents on legal hold",
    operation_id="setLegalHold",
    tags=ADMIN,
    responses=responses(403, 404, 409),
)
def set_legal_hold(case_id: str, body: ReasonBody) -> ReviewCaseView:
    return _case(retention.set_legal_hold(deps(), reviewer(), case_id, body.reason))


@app.delete(
    "/v1/admin/cases/<case_id>/legal-hold",
    summary="Release the case's legal hold",
    operation_id="releaseLegalHold",
    tags=ADMIN,
    responses=responses(403, 404, 409),
)
def release_legal_hold(case_id: str) -> ReviewCaseView:
    return _case(retention.release_legal_hold(deps(), reviewer(), case_id, ""))


@app.get(
    "/v1/admin/settings/document-retention",
    summary="How long documents are kept after a decision",
    operation_id="getDocumentRetention",
    tags=ADMIN,
    responses=responses(403, 404),
)
def document_retention() -> DocumentRetention:
    principal = reviewer()
    principal.require("admin", "reading the document retention period")
    tenant = deps().tenants.get(principal.tenant_id)
    return DocumentRetention(days=tenant.settings.document_retention_days if tenant else None)


@app.put(
    "/v1/admin/settings/document-retention",
    summary="Set how long documents are kept after a decision",
    operation_id="setDocumentRetention",
    tags=ADMIN,
    responses=responses(403, 404),
)
def set_document_retention(body: RetentionBody) -> DocumentRetention:
    tenant = retention.set_document_retention(deps().tenants, reviewer(), body.days)
    return DocumentRetention(days=tenant.settings.document_retention_days)


@app.post(
    "/v1/admin/entities/<entity_id>/erasure",
    summary="Erase an entity's personal data and documents from every case",
    operation_id="eraseEntity",
    tags=ADMIN,
    responses=responses(403, 404, 409),
)
def erase_entity(entity_id: str, body: ReasonBody) -> EntityErasure:
    erased = retention.erase_entity(deps(), reviewer(), entity_id, body.reason)
    return EntityErasure.model_validate(
        {"entity_id": entity_id, "cases": [review_case_view(c) for c in erased]}
    )


@app.get(OPENAPI_PATHS[0], summary="This API's OpenAPI document", include_in_schema=False)
def openapi_review() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_json())


@app.get(OPENAPI_PATHS[1], summary="This API's OpenAPI document", include_in_schema=False)
def openapi_admin() -> Response[str]:
    return openapi_review()


def openapi_json() -> str:
    """The OpenAPI 3.1 document of the reviewers' and admins' routes (docs/openapi-backoffice.json)."""
    return openapi_document(
        app,
        title="Arbiter back-office API",
        description="The reviewers' API (`/v1/review`: queue, case view, assignment, notes, decisions, "
        "screening clearances, document pages) and the admins' (`/v1/admin`: rule sets, legal holds, document "
        "retention, erasure). Authenticate with a reviewer's Cognito ID token (Authorization: Bearer <token>); "
        "roles come from its groups: viewer reads, reviewer decides, admin configures.",
        security_schemes=BEARER_ID_TOKEN_SECURITY,
        public_paths=OPENAPI_PATHS,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "case.awaiting_review":  # the bus: round-robin assignment (template.yaml)
        return assign_entering_review(event["detail"])
    return app.resolve(event, context)


def assign_entering_review(detail: dict[str, Any]) -> dict[str, Any]:
    """Give a case that entered manual review to its queue's next reviewer, if its tenant asked for it."""
    assigned = review_team.assign_round_robin(
        deps(),
        deps().reviewer_directory,
        deps().round_robin,
        detail["tenant_id"],
        detail["case_id"],
        detail["id"],
    )
    return {"assigned_to": assigned.assignee.id if assigned and assigned.assignee else None}
