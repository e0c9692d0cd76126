"""Pages arriving: the integrator's presigned uploads, the workflow's copies of remote, inline and file-id pages,
and Ballerine's storage endpoint. All of them end in `_complete_page`, which records the outcome on the page
(a conditional write, re-applied on a lost race) and flags duplicates; a page that cannot be stored or read is
recorded with its reason and the case goes on.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from arbiter.domain.case import Case, Change, Flag
from arbiter.domain.document import Document, Page, PageSource
from arbiter.domain.errors import InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.services import document_keys
from arbiter.services.cases import DocumentInput
from arbiter.services.documents import (
    UPLOAD_EXPIRES_SECONDS,
    DocumentDeps,
    FileRejected,
    PageUnavailable,
    update_case,
)

if TYPE_CHECKING:
    from arbiter.services.page_inspection import Inspection

__all__ = [
    "ingest_case_documents",
    "ingest_uploaded_object",
    "stash_inline_pages",
    "store_file",
]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- ingesting


def ingest_uploaded_object(deps: DocumentDeps, key: str) -> Case | None:
    """An object arrived under `uploads/`: check it and attach it to its page (a second delivery is a no-op)."""
    parsed = document_keys.parse_upload_key(key)
    if parsed is None:
        log.warning("ignoring an object Arbiter did not issue a key for: %s", key)
        return None
    try:
        case = deps.cases.get(parsed.tenant_id, parsed.case_id)
    except NotFound:
        log.warning("deleting an upload whose case does not exist: %s", key)
        deps.store.delete([key])
        return None
    page = _page_by_key(case, key)
    if page is None or (page.status != "pending" and page.object_key is None):
        deps.store.delete([key])  # attached to no page (given up on, or never issued): not kept
        return case
    if page.status != "pending":
        return case  # a second delivery of the same notification
    size = deps.store.size(key)
    if size is None:
        return case  # deleted since (a retried notification)
    from arbiter.services.page_inspection import Inspection, inspect_page  # Pillow: only when pages arrive

    limit = deps.max_page_bytes
    if size > limit:
        inspection = Inspection(
            False, size, "", reason=f"the file is larger than {limit // (1024 * 1024)} MB"
        )
    else:
        data = deps.store.read(key, limit) or b""
        inspection = inspect_page(data, limit)
    return _complete_page(deps, parsed.tenant_id, parsed.case_id, key, inspection, stored=True)


def _page_by_key(case: Case, key: str) -> Page | None:
    for document in case.documents:
        page = document.find_page(key)
        if page is not None:
            return page
    return None


def _complete_page(
    deps: DocumentDeps,
    tenant_id: str,
    case_id: str,
    key: str,
    inspection: Inspection | None,
    *,
    stored: bool,
    unavailable: str | None = None,
) -> Case:
    """Record the outcome on the page (conditional write, retried on a lost race) and flag duplicates."""
    thumbnail = None
    if inspection is not None and inspection.accepted:
        if inspection.thumbnail:
            thumbnail = document_keys.thumbnail_key(tenant_id, case_id)
            deps.store.put(thumbnail, inspection.thumbnail, "image/jpeg")
    elif stored:
        deps.store.delete([key])  # a rejected file is not kept: it may be anything
    duplicates: list[str] = []
    located = _locate(deps.cases.get(tenant_id, case_id), key)
    if located and inspection is not None and inspection.accepted:
        document, page = located
        duplicates = deps.hashes.record(
            tenant_id, inspection.sha256, case_id, document.id, document.version, page.index
        )

    def apply(case: Case) -> Change | None:
        found = _locate(case, key)
        if found is None or found[1].status != "pending":
            return None
        document, page = found
        if unavailable is not None or inspection is None:
            page.status, page.reason, page.object_key = "unavailable", unavailable, None
        elif not inspection.accepted:
            page.status, page.reason, page.object_key = "rejected", inspection.reason, None
            page.sha256, page.size_bytes, page.content_type = (
                inspection.sha256 or None,
                inspection.size_bytes,
                inspection.content_type,
            )
        else:
            page.status = "available"
            page.reason = None
            page.content_type = inspection.content_type
            page.size_bytes = inspection.size_bytes
            page.sha256 = inspection.sha256
            page.width, page.height, page.page_count = (
                inspection.width,
                inspection.height,
                inspection.page_count,
            )
            page.thumbnail_key = thumbnail
            page.duplicate_of_case_ids = duplicates
        change = case.record_page(document, page, deps.now())
        if page.duplicate_of_case_ids:
            change += case.add_flag(_duplicate_flag(document, page, duplicates))
        return change

    case = update_case(deps, tenant_id, case_id, apply)
    for other in duplicates:
        _flag_other_case(deps, tenant_id, other, case_id, inspection.sha256 if inspection else "")
    return case


def _locate(case: Case, key: str) -> tuple[Document, Page] | None:
    for document in case.documents:
        for page in document.pages:
            if page.object_key == key:
                return document, page
    return None


def _duplicate_flag(document: Document, page: Page, others: list[str]) -> Flag:
    return Flag(
        code="duplicate_document",
        message=f"document {document.id} page {page.index} is the same file as in case(s) {', '.join(others)}",
        severity="high",
        source="documents",
    )


def _flag_other_case(deps: DocumentDeps, tenant_id: str, other_id: str, case_id: str, sha256: str) -> None:
    def apply(case: Case) -> Change | None:
        change = Change()
        for document in case.documents:
            for _version, pages in document.page_versions():
                for page in pages:
                    if page.sha256 == sha256 and case_id not in page.duplicate_of_case_ids:
                        page.duplicate_of_case_ids.append(case_id)
                        change += case.add_flag(_duplicate_flag(document, page, [case_id]))
        return change if change.audit else None

    try:
        update_case(deps, tenant_id, other_id, apply)
    except NotFound:
        log.info("duplicate in a case that no longer exists: %s", other_id)


def ingest_case_documents(deps: DocumentDeps, tenant_id: str, case_id: str) -> dict[str, int]:
    """The workflow's ingest step: copy remote, inline and file-id pages into the bucket, checked.

    Pages waiting for the integrator's upload stay pending while their upload link is valid (the upload
    attaches them whenever it comes), and become unavailable after; a page that cannot be fetched becomes
    unavailable with the reason. The case goes on either way.
    """
    work: list[tuple[str, PageSource]] = []
    expired: list[str] = []
    now = deps.now()

    def assign(case: Case) -> Change | None:
        work.clear()
        expired.clear()
        changed = False
        for document in case.documents:
            for page in document.pages:
                if page.status != "pending":
                    continue
                if page.source.provider == "upload":
                    declared = document.created_at or now
                    if page.object_key and now - declared > dt.timedelta(seconds=UPLOAD_EXPIRES_SECONDS):
                        expired.append(page.object_key)
                    continue
                if page.object_key is None:
                    page.object_key = document_keys.page_key(tenant_id, case_id)
                    changed = True
                work.append((page.object_key, page.source))
        return Change() if changed else None

    case = update_case(deps, tenant_id, case_id, assign)
    for key in expired:  # an upload that can no longer come (its presigned POST expired)
        reason = "not uploaded before the upload link expired"
        _complete_page(deps, tenant_id, case_id, key, None, stored=False, unavailable=reason)
    if expired:
        case = deps.cases.get(tenant_id, case_id)
    if not work:
        return _counts(case)
    with ThreadPoolExecutor(max_workers=min(4, len(work))) as pool:
        list(pool.map(lambda item: _copy_page(deps, tenant_id, case_id, *item), work))
    return _counts(deps.cases.get(tenant_id, case_id))


def _counts(case: Case) -> dict[str, int]:
    counts: dict[str, int] = {}
    for document in case.documents:
        for page in document.pages:
            counts[page.status] = counts.get(page.status, 0) + 1
    return counts


def _copy_page(deps: DocumentDeps, tenant_id: str, case_id: str, key: str, source: PageSource) -> None:
    from arbiter.services.page_inspection import inspect_page

    limit = deps.max_page_bytes
    try:
        data = _page_bytes(deps, tenant_id, source, limit)
    except PageUnavailable as exc:
        _complete_page(deps, tenant_id, case_id, key, None, stored=False, unavailable=str(exc))
        return
    inspection = inspect_page(data, limit)
    if inspection.accepted:
        deps.store.put(key, data, inspection.content_type or "application/octet-stream")
    _complete_page(deps, tenant_id, case_id, key, inspection, stored=False)


def _page_bytes(deps: DocumentDeps, tenant_id: str, source: PageSource, limit: int) -> bytes:
    # A file id Arbiter did not issue (a Ballerine storage id sent beside the page's URI, as Ballerine's examples
    # do) cannot be read here: the URI can.
    if source.file_id and (document_keys.valid_file_id(source.file_id) or not source.uri):
        if not document_keys.valid_file_id(source.file_id):
            raise PageUnavailable(f"unknown file id {source.file_id!r}")
        data = deps.store.read(document_keys.file_key(tenant_id, source.file_id), limit)
        if data is None:
            raise PageUnavailable(f"no file {source.file_id} was uploaded by this tenant")
        return data
    if source.uri and source.provider in ("http", "https", "url", "uri"):
        if deps.fetcher is None:
            raise PageUnavailable("remote pages are not fetched in this deployment")
        return deps.fetcher.fetch(source.uri, limit)
    if source.uri:
        raise PageUnavailable(f"unsupported page provider {source.provider!r}: use http, base64 or a file id")
    raise PageUnavailable("the page has no uri, data or file id")


# ---------------------------------------------------------------------------------------------- files


def store_file(deps: DocumentDeps, principal: Principal, data: bytes) -> dict[str, str]:
    """Ballerine's storage endpoint: check the file like any page and keep it for a `ballerineFileId`."""
    from arbiter.services.page_inspection import inspect_page

    inspection = inspect_page(data, deps.max_page_bytes)
    if not inspection.accepted:
        raise FileRejected(inspection.reason or "the file is not accepted", path="file")
    file_id = document_keys.new_file_id()
    deps.store.put(
        document_keys.file_key(principal.tenant_id, file_id),
        data,
        inspection.content_type or "application/pdf",
    )
    return {"id": file_id, "mimeType": inspection.content_type or ""}


def stash_inline_pages(
    deps: DocumentDeps, tenant_id: str, documents: list[DocumentInput], path: str = "documents"
) -> None:
    """Inline base64 pages go to the bucket as files at intake (the case keeps a file id, not the bytes)."""
    for d, document in enumerate(documents):
        for p, page in enumerate(document.pages):
            raw = page.data
            if raw is None and page.provider == "base64" and page.uri:
                raw = page.uri
            if raw is None:
                continue
            where = f"{path}[{d}].pages[{p}].data"
            if raw.startswith("data:"):
                raw = raw.partition(",")[2]
            if len(raw) > deps.max_page_bytes * 4 // 3 + 4:
                raise InvalidInput(
                    f"the page is larger than {deps.max_page_bytes // (1024 * 1024)} MB", path=where
                )
            try:
                data = base64.b64decode("".join(raw.split()), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidInput(f"not valid base64: {exc}", path=where) from exc
            if not data:
                raise InvalidInput("the page is empty", path=where)
            # Named after the content: the same data sent again (a repeated run) is the same file, not a new one.
            file_id = f"file_{hashlib.sha256(data).hexdigest()[:32]}"
            deps.store.put(document_keys.file_key(tenant_id, file_id), data, "application/octet-stream")
            page.file_id, page.data, page.uri, page.provider = file_id, None, None, "base64"
