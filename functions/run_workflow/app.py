"""Integrator API (`/v1`) and the Ballerine-compatible routes: start cases, read them, send them events."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api import ballerine, content_types
from arbiter.api.ballerine_transactions import ballerine_transactions_router
from arbiter.api.collection import collection_router, is_collection_path
from arbiter.api.collection_links import collection_links_router, new_collection_link
from arbiter.api.integrator import authenticate_integrator, collection_principal
from arbiter.api.openapi import API_KEY_SECURITY, COLLECTION_TOKEN_SECURITY, openapi_document, responses
from arbiter.api.rest import RestApi
from arbiter.api.schemas import (
    CaseCreateRequest,
    CaseList,
    CaseView,
    DeclaredDocument,
    DocumentList,
    EventRequest,
    WorkflowList,
    case_view,
    document_view,
    workflow_list,
)
from arbiter.api.transactions import transactions_router
from arbiter.api.underwriting import underwriting_router
from arbiter.domain.case import CaseState
from arbiter.domain.errors import Unauthenticated
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import cases, document_ingestion, documents
from arbiter.services.documents import DocumentDeclaration
from arbiter.services.ports import CaseQuery

if TYPE_CHECKING:
    from arbiter.api.idempotency import StartCase

logger = Logger()


deps = bootstrap.composition_root()  # each adapter is built when a route first needs it


@lru_cache(maxsize=1)
def idempotent_start() -> StartCase:
    """start_case behind powertools idempotency, keyed by (tenant, Idempotency-Key)."""
    # powertools' idempotency utility loads with the first case started, not on every cold start.
    from arbiter.api.idempotency import idempotent_case_start

    return idempotent_case_start(deps(), deps().settings.idempotency_table_name, deps().client("dynamodb"))


def authenticate(event: BaseProxyEvent) -> tuple[Principal, Tenant]:
    """The calling tenant: the authorizer's verdict on its API key, or the key itself (401 when missing or unknown);
    on the collection routes, and only there, the applicant a collection link's token names."""
    if is_collection_path(event.path):
        principal = collection_principal(deps(), event)
        tenant = deps().tenants.get(principal.tenant_id)
        if tenant is None:
            raise Unauthenticated("the collection link is not valid")
        return principal, tenant
    return authenticate_integrator(deps().tenants, event)


OPENAPI_PATH = "/v1/openapi.json"
app: RestApi[tuple[Principal, Tenant]] = RestApi(
    authenticate=authenticate,
    public_paths=(OPENAPI_PATH,),
    ballerine_paths=ballerine.is_ballerine_path,
    allowed_origin=lambda: deps().settings.cors_allowed_origin,
)
app.include_router(ballerine.ballerine_router(deps, app.caller))
app.include_router(transactions_router(deps, app.caller))
app.include_router(ballerine_transactions_router(deps, app.caller))
app.include_router(underwriting_router(deps, app.caller))
app.include_router(collection_links_router(deps, lambda: app.caller()[0], prefix="/v1/cases"))
app.include_router(collection_router(deps, lambda: app.caller()[0]))


TAGS = ["cases"]


@app.post(
    "/v1/cases",
    summary="Start a case",
    operation_id="createCase",
    tags=TAGS,
    responses=responses(403, 404, 409, status=202, description="The case was accepted"),
)
def create_case(
    body: CaseCreateRequest,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Response[CaseView]:
    principal, tenant = app.caller()
    document_ingestion.stash_inline_pages(deps(), tenant.id, body.documents)
    start = idempotent_start()
    start.register_lambda_context(app.lambda_context)  # an in-progress key expires with this invocation
    if body.collect:
        body = body.model_copy(update={"submit": False})
    view = start(principal, tenant, body, idempotency_key)
    if body.collect:
        # A link of its own for every answer, made after the idempotency record: its token is never stored there.
        view = {**view, "collection": new_collection_link(deps(), principal, str(view["id"]))}
    # The idempotency layer keeps the view as JSON (a retried request gets the first answer): sent as it is.
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=view)  # type: ignore[arg-type]


@app.get("/v1/cases/<case_id>", summary="A case", operation_id="getCase", tags=TAGS, responses=responses(404))
def get_case(case_id: str) -> CaseView:
    principal, _tenant = app.caller()
    return case_view(cases.get_case(deps(), principal, case_id))


@app.get("/v1/cases", summary="List cases, newest first", operation_id="listCases", tags=TAGS)
def list_cases(
    state: Annotated[CaseState | None, Query()] = None,
    workflow: Annotated[str | None, Query(max_length=100)] = None,
    entity_id: Annotated[str | None, Query(max_length=256)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> CaseList:
    principal, _tenant = app.caller()
    query = CaseQuery(
        tenant_id=principal.tenant_id,
        states=(state,) if state else (),
        workflow_id=workflow,
        entity_id=entity_id,
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
    page = cases.list_cases(deps(), query)
    return CaseList(items=[case_view(c) for c in page.items], cursor=page.cursor)


@app.post(
    "/v1/cases/<case_id>/events",
    summary="Send an event to a case",
    operation_id="sendCaseEvent",
    tags=TAGS,
    responses=responses(400, 403, 404, 409),
)
def send_event(case_id: str, body: EventRequest) -> CaseView:
    principal, _tenant = app.caller()
    return case_view(cases.send_event(deps(), principal, case_id, body.name, body.payload))


@app.post(
    "/v1/cases/<case_id>/documents",
    summary="Declare a document and get a presigned upload per page",
    operation_id="declareDocument",
    tags=TAGS,
    responses=responses(
        404, 409, status=201, description="The document was added; upload each page with its form"
    ),
)
def declare_document(case_id: str, body: DocumentDeclaration) -> Response[DeclaredDocument]:
    principal, _tenant = app.caller()
    _case, document, uploads = documents.declare_document(deps(), principal, case_id, body)
    view = DeclaredDocument.model_validate({"document": document_view(document), "uploads": uploads})
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)


@app.get(
    "/v1/cases/<case_id>/documents",
    summary="A case's documents and their pages' status",
    operation_id="listCaseDocuments",
    tags=TAGS,
    responses=responses(404),
)
def list_documents(case_id: str) -> DocumentList:
    principal, _tenant = app.caller()
    found = documents.list_documents(deps(), principal, case_id)
    return DocumentList.model_validate({"items": [document_view(d) for d in found]})


@app.get(
    "/v1/workflows",
    summary="The workflows this tenant can start",
    operation_id="listWorkflows",
    tags=["workflows"],
)
def list_workflows() -> WorkflowList:
    principal, _tenant = app.caller()
    return workflow_list(cases.startable_workflows(deps(), principal.tenant_id))


@app.get(OPENAPI_PATH, summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_json())


def openapi_json() -> str:
    """The OpenAPI 3.1 document of these routes (docs/openapi.json is this, checked in)."""
    return openapi_document(
        app,
        title="Arbiter integrator API",
        description="Start KYC and KYB cases, follow them, send them events, decide transactions (`/v1`), and the "
        "Ballerine-compatible routes (`/api/v1/external`), whose errors carry Ballerine's body. Authenticate with your API key "
        "(Authorization: Bearer <key> or X-API-Key); the collection API (`/v1/collection`) with a collection link's token.",
        security_schemes=API_KEY_SECURITY,
        public_paths=(OPENAPI_PATH,),
        ballerine_paths=ballerine.is_ballerine_path,
        other_security=lambda path: COLLECTION_TOKEN_SECURITY if is_collection_path(path) else None,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps()  # fails fast on missing settings
    return app.resolve(event, context)
