"""Integrator API (`/v1`) and the Ballerine-compatible routes: start cases, read them, send them events."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api import ballerine, content_types
from arbiter.api.integrator import IntegratorDeps, authenticate_integrator
from arbiter.api.rest import Header, Query, Response, rest_api
from arbiter.api.schemas import (
    CaseCreateRequest,
    CaseList,
    CaseView,
    EventRequest,
    WorkflowList,
    case_view,
    document_view,
    workflow_list,
)
from arbiter.domain.case import CaseState
from arbiter.services import cases, document_ingestion, documents
from arbiter.services.documents import DocumentDeclaration, DocumentDeps
from arbiter.services.ports import CaseQuery
from arbiter.settings import Settings

logger = Logger()
app = rest_api(ballerine_paths=ballerine.is_ballerine_path)  # built with the first request


@lru_cache(maxsize=1)
def deps() -> IntegratorDeps:
    """Composition root: settings and adapters, built once per cold start."""
    # powertools' idempotency utility loads with the first request, not with the import.
    from arbiter.api.idempotency import idempotent_case_start

    settings = Settings.from_environ()
    case_deps = bootstrap.case_deps(settings)
    return IntegratorDeps(
        settings=settings,
        cases=case_deps,
        tenants=bootstrap.tenant_repository(settings),
        idempotent=idempotent_case_start(settings, case_deps),
    )


@lru_cache(maxsize=1)
def document_deps() -> DocumentDeps:
    """The documents bucket, for uploads, inline pages and Ballerine's storage endpoint."""
    return bootstrap.document_deps(deps().settings, cases=deps().cases)


app.include_router(ballerine.ballerine_router(deps, document_deps))


@app.post("/v1/cases", summary="Start a case", responses={202: {"description": "The case was accepted"}})
def create_case(
    body: CaseCreateRequest,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Response[CaseView]:
    principal, tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    document_ingestion.stash_inline_pages(document_deps(), tenant.id, body.documents)
    view = deps().idempotent(principal, tenant, body, idempotency_key)
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=view)


@app.get("/v1/cases/<case_id>", summary="A case")
def get_case(case_id: str) -> CaseView:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    return case_view(cases.get_case(deps().cases, principal, case_id))


@app.get("/v1/cases", summary="List cases")
def list_cases(
    state: Annotated[CaseState | None, Query()] = None,
    workflow: Annotated[str | None, Query(max_length=100)] = None,
    entity_id: Annotated[str | None, Query(max_length=256)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> CaseList:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    query = CaseQuery(
        tenant_id=principal.tenant_id,
        states=(state,) if state else (),
        workflow_id=workflow,
        entity_id=entity_id,
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )
    page = cases.list_cases(deps().cases, query)
    return CaseList(items=[case_view(c) for c in page.items], cursor=page.cursor)


@app.post("/v1/cases/<case_id>/events", summary="Send an event to a case")
def send_event(case_id: str, body: EventRequest) -> CaseView:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    return case_view(cases.send_event(deps().cases, principal, case_id, body.name, body.payload))


@app.post(
    "/v1/cases/<case_id>/documents",
    summary="Declare a document and get a presigned upload per page",
    responses={201: {"description": "The document was added; upload each page with its form"}},
)
def declare_document(case_id: str, body: DocumentDeclaration) -> Response[dict[str, Any]]:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    _case, document, uploads = documents.declare_document(document_deps(), principal, case_id, body)
    view = {"document": document_view(document), "uploads": uploads}
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)


@app.get("/v1/cases/<case_id>/documents", summary="A case's documents and their pages' status")
def list_documents(case_id: str) -> dict[str, Any]:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    found = documents.list_documents(document_deps(), principal, case_id)
    return {"items": [document_view(d) for d in found]}


@app.get("/v1/workflows", summary="The workflows this tenant can start")
def list_workflows() -> WorkflowList:
    principal, _tenant = authenticate_integrator(deps().tenants, app.current_event.headers)
    return workflow_list(deps().cases.workflows.list(principal.tenant_id))


@app.get("/v1/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=openapi_document())


def openapi_document() -> str:
    """The OpenAPI 3.1 document of these routes (docs/openapi.json is this, checked in)."""
    return app.get_openapi_json_schema(
        title="Arbiter integrator API",
        version="1.0.0",
        description="Start KYC and KYB cases, follow them, send them events. Authenticate with your API key "
        "(Authorization: Bearer <key> or X-API-Key).",
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps().idempotent.register_lambda_context(context)  # also fails fast on missing settings
    return app.resolve(event, context)
