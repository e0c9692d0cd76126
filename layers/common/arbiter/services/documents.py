"""Use cases of documents: declare one and get its uploads, list them, view pages, decide on them; and the
ports they need. How pages arrive and are checked is in `document_ingestion`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from typing import Any, BinaryIO, Literal, Protocol

from pydantic import BaseModel, Field

from arbiter.domain.case import Case, Change
from arbiter.domain.document import (
    Document,
    DocumentDecision,
    Page,
    PageSource,
)
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.services import document_keys
from arbiter.services.cases import CaseDeps

__all__ = [
    "DocumentDeclaration",
    "DocumentDeps",
    "DocumentHashes",
    "DocumentStore",
    "FileRejected",
    "PageFetcher",
    "PageUnavailable",
    "decide_document",
    "declare_document",
    "list_documents",
    "page_links",
    "update_case",
]

log = logging.getLogger(__name__)

UPLOAD_EXPIRES_SECONDS = 15 * 60
VIEW_EXPIRES_SECONDS = 5 * 60
SAVE_ATTEMPTS = 8


class DocumentStore(Protocol):
    def upload_form(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]: ...
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def put_file(self, key: str, body: BinaryIO, content_type: str) -> None: ...
    def size(self, key: str) -> int | None: ...
    def read(self, key: str, max_bytes: int) -> bytes | None: ...
    def keys_under(self, prefix: str) -> list[str]: ...
    def delete(self, keys: list[str]) -> None: ...
    def download_url(
        self, key: str, *, expires_in: int, content_type: str | None = None, filename: str | None = None
    ) -> str: ...


class DocumentHashes(Protocol):
    def record(
        self, tenant_id: str, sha256: str, case_id: str, document_id: str, version: int, page: int
    ) -> list[str]: ...
    def forget(self, tenant_id: str, sha256: str, case_id: str) -> None: ...


class PageUnavailable(Exception):
    """A remote page could not be fetched; the message is the reason recorded on the page."""


class PageFetcher(Protocol):
    def fetch(self, url: str, max_bytes: int) -> bytes:
        """The page's bytes, or PageUnavailable with the reason."""


class DocumentDeps(CaseDeps, Protocol):
    """The case ports plus the bucket, the hash index and the outbound fetcher."""

    @property
    def store(self) -> DocumentStore: ...
    @property
    def hashes(self) -> DocumentHashes: ...
    @property
    def fetcher(self) -> PageFetcher | None: ...
    @property
    def max_page_bytes(self) -> int:
        """The largest page accepted (MAX_PAGE_BYTES unless a test says otherwise)."""


class FileRejected(InvalidInput):
    """The file is not a page Arbiter accepts (type, size, unreadable): 400 with the reason."""

    kind = "bad_request"


# ---------------------------------------------------------------------------------------------- declaring


class DocumentDeclaration(BaseModel):
    """A document the integrator will upload: what it is and how many pages (one presigned POST each)."""

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Your id for the document; sending an existing id adds a new version of it",
    )
    type: str = Field(min_length=1, max_length=100, description="e.g. passport, certificate_of_incorporation")
    category: str | None = Field(default=None, max_length=100)
    issuer: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    page_count: int = Field(default=1, ge=1, le=50)
    content_type: Literal["image/jpeg", "image/png", "image/webp", "application/pdf"] = Field(
        description="The type of the files you will upload (each upload's policy requires it)"
    )


def update_case(deps: CaseDeps, tenant_id: str, case_id: str, apply: Callable[[Case], Change | None]) -> Case:
    """Reload and re-apply on a lost race (another page of the case saved first): conditional writes only."""
    for attempt in range(SAVE_ATTEMPTS):
        case = deps.cases.get(tenant_id, case_id)
        expected = case.version
        change = apply(case)
        if change is None:
            return case
        try:
            deps.cases.save(case, change, expected_version=expected)
            return case
        except Conflict:
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def declare_document(
    deps: DocumentDeps, principal: Principal, case_id: str, request: DocumentDeclaration
) -> tuple[Case, Document, list[dict[str, Any]]]:
    """Add a document (or a new version of one) with pending pages; returns a presigned POST per page."""
    tenant_id = principal.tenant_id
    at = deps.now()
    document_id = request.id or f"doc_{secrets.token_hex(8)}"
    keys = [document_keys.upload_key(tenant_id, case_id) for _ in range(request.page_count)]
    document = Document(
        id=document_id,
        type=request.type,
        category=request.category,
        issuer=request.issuer,
        properties=request.properties,
        pages=[
            Page(index=i, source=PageSource(provider="upload"), object_key=key, content_type=None)
            for i, key in enumerate(keys)
        ],
        created_at=at,
    )
    case = update_case(
        deps,
        tenant_id,
        case_id,
        lambda c: c.declare_document(document.model_copy(deep=True), principal.actor, at),
    )
    stored = case.document(document_id)
    assert stored is not None
    expires_at = at + dt.timedelta(seconds=UPLOAD_EXPIRES_SECONDS)
    uploads = []
    for index, key in enumerate(keys):
        form = deps.store.upload_form(
            key,
            content_type=request.content_type,
            max_bytes=deps.max_page_bytes,
            expires_in=UPLOAD_EXPIRES_SECONDS,
        )
        uploads.append(
            {
                "page": index,
                "url": form["url"],
                "fields": form["fields"],
                "expires_at": expires_at.isoformat(),
                "max_bytes": deps.max_page_bytes,
            }
        )
    return case, stored, uploads


# ---------------------------------------------------------------------------------------------- reading


def list_documents(deps: DocumentDeps, principal: Principal, case_id: str) -> list[Document]:
    """The case's documents with their pages' status (NotFound for another tenant's case)."""
    return deps.cases.get(principal.tenant_id, case_id).documents


def page_links(
    deps: DocumentDeps,
    principal: Principal,
    case_id: str,
    document_id: str,
    index: int,
    version: int | None = None,
) -> dict[str, Any]:
    """Short-lived URLs of a page and its thumbnail, for a reviewer of the case's tenant only."""
    principal.require("viewer", "viewing documents")
    case = deps.cases.get(principal.tenant_id, case_id)
    document = case.document(document_id)
    if document is None:
        raise NotFound(f"the case has no document {document_id}", document_id=document_id)
    versions = dict(document.page_versions())
    pages = versions.get(version or document.version)
    if pages is None:
        raise NotFound(f"document {document_id} has no version {version}", document_id=document_id)
    page = next((p for p in pages if p.index == index), None)
    if page is None:
        raise NotFound(f"document {document_id} has no page {index}", document_id=document_id)
    if page.status != "available" or not page.object_key:
        raise Conflict(
            f"the page is {page.status}" + (f": {page.reason}" if page.reason else ""), status=page.status
        )
    # Who looked at which page goes to the logs (a write per view would race with decisions on the case).
    log.info(
        "document page link issued",
        extra={
            "tenant_id": principal.tenant_id,
            "reviewer": principal.id,
            "case_id": case_id,
            "document_id": document_id,
            "version": version or document.version,
            "page": index,
        },
    )
    return {
        "document_id": document_id,
        "version": version or document.version,
        "page": index,
        "content_type": page.content_type,
        "url": deps.store.download_url(
            page.object_key, expires_in=VIEW_EXPIRES_SECONDS, content_type=page.content_type
        ),
        "thumbnail_url": deps.store.download_url(
            page.thumbnail_key, expires_in=VIEW_EXPIRES_SECONDS, content_type="image/jpeg"
        )
        if page.thumbnail_key
        else None,
        "expires_in": VIEW_EXPIRES_SECONDS,
    }


# ---------------------------------------------------------------------------------------------- deciding


def decide_document(
    deps: DocumentDeps,
    principal: Principal,
    case_id: str,
    document_id: str,
    decision: Literal["approved", "rejected", "revision"],
    reason: str | None,
) -> Case:
    """A reviewer's decision on one document; the case's own decision comes separately."""
    principal.require("reviewer", "deciding documents")
    if decision != "approved" and not (reason or "").strip():
        raise InvalidInput(
            "a reason is required to reject a document or ask for a new version", path="reason"
        )
    case = deps.cases.get(principal.tenant_id, case_id)
    if case.state.terminal:
        raise Conflict(
            f"the case is {case.state.value}: its documents can no longer be decided", case_id=case_id
        )
    document = case.document(document_id)
    if document is None:
        raise NotFound(f"the case has no document {document_id}", document_id=document_id)
    at = deps.now()
    document.decision = DocumentDecision(
        decision=decision, reason=reason, decided_by=principal.id, decided_at=at
    )
    change = case.decide_document(document, decision, reason, principal.actor, at)
    deps.cases.save(case, change, expected_version=case.version)
    return case
