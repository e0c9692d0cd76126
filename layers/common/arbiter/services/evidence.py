"""A case's evidence bundle for an examiner or an auditor: what Arbiter knows of the case, gathered once, written
as a zip of a PDF report (`report.pdf`), the same data as JSON (`case.json`, shape in docs/api.md) and the
documents' files byte for byte (`documents/…`); stored in the documents bucket under `evidence/{tenant}/{case}/`
and handed back as a short-lived link. The export is recorded on the case's audit chain (`evidence.exported`,
with the bundle's SHA-256).

Bundles expire with the bucket's lifecycle rule on `evidence/` (template.yaml) and are deleted with the case's
documents by retention and erasure (services/retention.py): they copy the documents and the personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import BaseModel, Field

from arbiter.domain.audit_chain import verify
from arbiter.domain.case import AuditEntry, Case, Change
from arbiter.domain.document import Document, Page
from arbiter.domain.errors import Conflict
from arbiter.domain.principal import Principal
from arbiter.services import document_keys
from arbiter.services.cases import rerun_lost_races
from arbiter.services.documents import DocumentDeps
from arbiter.services.review import workflow_path

__all__ = [
    "BUNDLE_FORMAT",
    "LINK_EXPIRES_SECONDS",
    "MAX_DOCUMENT_BYTES",
    "BundleFile",
    "BundleTooLarge",
    "Evidence",
    "EvidenceLink",
    "build_bundle",
    "export_evidence",
    "gather_evidence",
]

#: The `format` of case.json: raised when a field changes meaning or goes (fields may be added).
BUNDLE_FORMAT = "arbiter.evidence/1"
LINK_EXPIRES_SECONDS = 15 * 60
#: The documents' bytes one bundle may copy: built within a request, on the function's /tmp (512 MB by default).
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024
#: A page's preview in the report: its thumbnail, or an image page without one drawn from its file up to this size
#: (a large page decodes to hundreds of MB; ingestion makes a thumbnail of every page it accepts).
MAX_PREVIEW_BYTES = 2 * 1024 * 1024

#: The audit actions that are people's (or the rules') decisions on the case.
DECISION_ACTIONS = (
    "case.decided",
    "decision.proposed",
    "decision.confirmed",
    "decision.returned",
    "revision.requested",
    "document.decided",
)
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


class BundleTooLarge(Conflict):
    """The case's documents are more than one bundle carries (MAX_DOCUMENT_BYTES)."""


class EvidenceLink(BaseModel):
    """Where to download the bundle, until when, and what it hashes to."""

    url: str = Field(description="A presigned GET of the zip")
    expires_at: dt.datetime
    sha256: str = Field(description="SHA-256 of the zip, hex (also in the case's audit trail)")
    size: int = Field(description="The zip's size in bytes")


@dataclass
class BundleFile:
    """A document page's file: where it is stored (`key`) and goes in the zip (`path`), and what the report shows
    of it (`preview`: its thumbnail, or a small image itself). The file is read only while the zip is written."""

    path: str
    key: str
    content_type: str | None
    size: int | None = None
    preview: bytes | None = None


@dataclass
class Evidence:
    """What goes into a bundle: case.json's data and the documents' files."""

    data: dict[str, Any]
    files: list[BundleFile] = field(default_factory=list)


def gather_evidence(
    deps: DocumentDeps,
    principal: Principal,
    case_id: str,
    *,
    webhook_deliveries: Callable[[], list[dict[str, Any]]] | None = None,
) -> Evidence:
    """Everything the bundle holds, read from the stores (NotFound for an unknown or another tenant's case)."""
    detail = deps.cases.detail(principal.tenant_id, case_id)
    case = detail.case
    verification = verify(deps.cases.audit_chain(principal.tenant_id, case_id))
    files, documents = _documents(deps, case)
    timeline = [_entry(e) for e in detail.audit]
    data: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "generated_at": deps.now().isoformat(),
        "generated_by": principal.actor.model_dump(mode="json"),
        "case": _case_summary(case),
        "entity": case.entity.model_dump(mode="json", exclude_none=True),
        "owners": [_owner(child) for child in detail.children],
        "documents": documents,
        "checks": {name: detail.checks[name] for name in sorted(detail.checks)},
        "flags": [f.model_dump(mode="json") for f in case.flags],
        "risk": _risk(case),
        "decision": case.decision.model_dump(mode="json") if case.decision else None,
        "proposal": case.proposal.model_dump(mode="json") if case.proposal else None,
        "decisions": [e for e in timeline if e["action"] in DECISION_ACTIONS],
        "timeline": timeline,
        "workflow_path": workflow_path(deps, case),
        "audit_verification": verification.model_dump(mode="json"),
        "webhook_deliveries": webhook_deliveries() if webhook_deliveries else [],
    }
    return Evidence(data=json.loads(json.dumps(data, default=str)), files=files)


def _case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "tenant_id": case.tenant_id,
        "workflow_id": case.workflow_id,
        "workflow_version": case.workflow_version,
        "state": case.state.value,
        "entity_name": case.entity.display_name(),
        "source": case.source,
        "correlation_id": case.correlation_id,
        "parent_case_id": case.parent_case_id,
        "child_case_ids": list(case.child_case_ids),
        "assignee": case.assignee.model_dump(mode="json") if case.assignee else None,
        "legal_hold": case.legal_hold.model_dump(mode="json") if case.legal_hold else None,
        "erasure": case.erasure.model_dump(mode="json") if case.erasure else None,
        "documents_deleted_at": case.documents_deleted_at.isoformat() if case.documents_deleted_at else None,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }


def _owner(child: Case) -> dict[str, Any]:
    """An owner's (UBO's, director's) own case, as the parent's evidence shows it."""
    risk = child.risk
    return {
        "case_id": child.id,
        "workflow_id": child.workflow_id,
        "state": child.state.value,
        "name": child.entity.display_name(),
        "entity": child.entity.model_dump(mode="json", exclude_none=True),
        "risk": {"score": risk.score, "level": risk.level, "recommendation": risk.recommendation}
        if risk
        else None,
        "flags": [f.model_dump(mode="json") for f in child.flags],
        "decision": child.decision.model_dump(mode="json") if child.decision else None,
    }


def _risk(case: Case) -> dict[str, Any] | None:
    risk = case.risk
    if risk is None:
        return None
    return {
        "score": risk.score,
        "level": risk.level,
        "recommendation": risk.recommendation,
        "rule_set": risk.rule_set.model_dump(mode="json") if risk.rule_set else None,
        "evaluated_at": risk.evaluated_at.isoformat(),
        "hits": risk.hits,
        "errors": risk.errors,
        "inputs": risk.inputs.model_dump(mode="json") if risk.inputs else None,
    }


def _entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "action": entry.action,
        "actor": entry.actor.model_dump(mode="json"),
        "from_state": entry.from_state.value if entry.from_state else None,
        "to_state": entry.to_state.value if entry.to_state else None,
        "reason": entry.reason,
        "details": entry.details,
    }


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:100] or "_"


def _documents(deps: DocumentDeps, case: Case) -> tuple[list[BundleFile], list[dict[str, Any]]]:
    """The documents' metadata for case.json and the stored pages' files (their previews read from the bucket)."""
    files: list[BundleFile] = []
    described: list[dict[str, Any]] = []
    total = 0
    for document in case.documents:
        versions = []
        for version, pages in sorted(document.page_versions()):
            listed = []
            for page in pages:
                path = None
                if page.object_key:
                    total += page.size_bytes or deps.max_page_bytes
                    if total > MAX_DOCUMENT_BYTES:
                        raise BundleTooLarge(
                            f"the case's documents exceed {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB, more than one "
                            "bundle carries",
                            case_id=case.id,
                        )
                    path = _page_path(document, version, page)
                    files.append(
                        BundleFile(
                            path, page.object_key, page.content_type, page.size_bytes, _preview(deps, page)
                        )
                    )
                listed.append(_page(page, path))
            versions.append({"version": version, "pages": listed})
        described.append(
            {
                "id": document.id,
                "type": document.type,
                "category": document.category,
                "issuer": document.issuer,
                "properties": document.properties,
                "version": document.version,
                "decision": document.decision.model_dump(mode="json") if document.decision else None,
                "created_at": document.created_at.isoformat() if document.created_at else None,
                "versions": versions,
            }
        )
    return files, described


def _preview(deps: DocumentDeps, page: Page) -> bytes | None:
    """The page's thumbnail; for an image page without one, the image itself when it is small."""
    if page.thumbnail_key:
        return deps.store.read(page.thumbnail_key, MAX_PREVIEW_BYTES)
    small = page.size_bytes is not None and page.size_bytes <= MAX_PREVIEW_BYTES
    if page.object_key and small and (page.content_type or "").startswith("image/"):
        return deps.store.read(page.object_key, MAX_PREVIEW_BYTES)
    return None


def _page_path(document: Document, version: int, page: Page) -> str:
    extension = _EXTENSIONS.get(page.content_type or "", "")
    return f"documents/{_safe(document.id)}/v{version}-page{page.index + 1}{extension}"


def _page(page: Page, path: str | None) -> dict[str, Any]:
    return {
        "index": page.index,
        "status": page.status,
        "content_type": page.content_type,
        "size_bytes": page.size_bytes,
        "sha256": page.sha256,
        "width": page.width,
        "height": page.height,
        "page_count": page.page_count,
        "reason": page.reason,
        "provider": page.source.provider,
        "file": path,
    }


def build_bundle(evidence: Evidence, read: Callable[[str], bytes | None], out: BinaryIO) -> None:
    """Write the zip to `out`: the documents' files (`read` by key one at a time, stored as they are: they are
    compressed already), then report.pdf and case.json. A file gone since it was listed (retention, erasure) is
    left out, and its page says so (`file: null`)."""
    from arbiter.services.evidence_report import render_report  # ReportLab loads when a bundle is built

    stamp = _zip_time(evidence.data["generated_at"])
    with zipfile.ZipFile(out, "w") as bundle:
        written: list[BundleFile] = []
        for file in evidence.files:
            data = read(file.key)
            if data is not None:
                _add(bundle, file.path, data, stamp, zipfile.ZIP_STORED)
                written.append(file)
        if len(written) < len(evidence.files):
            _forget_missing(evidence, {f.path for f in written})
            evidence.files = written
        _add(bundle, "report.pdf", render_report(evidence), stamp, zipfile.ZIP_DEFLATED)
        body = json.dumps(evidence.data, indent=2, sort_keys=True, ensure_ascii=False).encode()
        _add(bundle, "case.json", body, stamp, zipfile.ZIP_DEFLATED)


def _forget_missing(evidence: Evidence, written: set[str]) -> None:
    for document in evidence.data["documents"]:
        for version in document["versions"]:
            for page in version["pages"]:
                if page["file"] and page["file"] not in written:
                    page["file"] = None


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    at = dt.datetime.fromisoformat(iso)
    return (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)


def _add(
    bundle: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, int, int, int, int, int], method: int
) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = method
    bundle.writestr(info, data)


def export_evidence(
    deps: DocumentDeps,
    principal: Principal,
    case_id: str,
    *,
    webhook_deliveries: Callable[[], list[dict[str, Any]]] | None = None,
) -> EvidenceLink:
    """Build the case's bundle, store it and link to it for LINK_EXPIRES_SECONDS; recorded as
    `evidence.exported` (who, when, SHA-256). Any role may export (viewers read everything it holds)."""
    principal.require("viewer", "exporting a case's evidence")
    evidence = gather_evidence(deps, principal, case_id, webhook_deliveries=webhook_deliveries)
    key = document_keys.evidence_key(principal.tenant_id, case_id)
    # Written to a temporary file and uploaded from it: only one page is in memory at a time.
    with tempfile.TemporaryFile() as out:
        build_bundle(evidence, lambda k: deps.store.read(k, deps.max_page_bytes), out)
        size = out.tell()
        out.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: out.read(1024 * 1024), b""):
            digest.update(chunk)
        sha256 = digest.hexdigest()
        out.seek(0)
        deps.store.put_file(key, out, "application/zip")
    at = deps.now()
    expires_at = at + dt.timedelta(seconds=LINK_EXPIRES_SECONDS)
    details = {
        "sha256": sha256,
        "size": size,
        "files": len(evidence.files),
        "format": BUNDLE_FORMAT,
        "audit_entries": evidence.data["audit_verification"]["entries"],
        "audit_valid": evidence.data["audit_verification"]["valid"],
    }
    try:
        _record_export(deps, principal, case_id, details, at)
    except Exception:
        deps.store.delete([key])  # an export nobody can see in the audit trail is not handed out
        raise
    filename = f"evidence-{_safe(case_id)}.zip"
    url = deps.store.download_url(
        key, expires_in=LINK_EXPIRES_SECONDS, content_type="application/zip", filename=filename
    )
    return EvidenceLink(url=url, expires_at=expires_at, sha256=sha256, size=size)


def _record_export(
    deps: DocumentDeps, principal: Principal, case_id: str, details: dict[str, Any], at: dt.datetime
) -> None:
    def record() -> None:
        case = deps.cases.get(principal.tenant_id, case_id)
        entry = AuditEntry(at=at, actor=principal.actor, action="evidence.exported", details=details)
        deps.cases.save(case, Change(audit=[entry]), expected_version=case.version)

    rerun_lost_races(record)
