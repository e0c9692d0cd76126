"""Keeping documents no longer than needed: per-tenant retention, erasure of one entity, legal holds.

Retention deletes the files of decided cases `document_retention_days` after their decision (a scheduled job);
erasure removes one entity's documents and personal data on an admin's request. Both keep the decision and
the audit trail, and neither touches a case under legal hold: erasure is then refused as a whole, before
anything is deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from arbiter.domain.case import SYSTEM, Case, CaseState, Change
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import document_keys
from arbiter.services.documents import DocumentDeps, update_case
from arbiter.services.ports import CaseQuery, CollectionLinkRepository, TenantRepository

__all__ = [
    "apply_retention",
    "erase_entity",
    "release_legal_hold",
    "set_document_retention",
    "set_legal_hold",
]

log = logging.getLogger(__name__)

DECIDED = (CaseState.APPROVED, CaseState.REJECTED)


def _hashes_of(case: Case) -> set[str]:
    return {
        page.sha256
        for document in case.documents
        for _version, pages in document.page_versions()
        for page in pages
        if page.sha256
    }


def _source_files(case: Case) -> list[str]:
    """The files pages were copied from (inline data, Ballerine storage uploads): personal data too."""
    return [
        document_keys.file_key(case.tenant_id, page.source.file_id)
        for document in case.documents
        for _version, pages in document.page_versions()
        for page in pages
        if page.source.file_id and document_keys.valid_file_id(page.source.file_id)
    ]


def _delete_files(deps: DocumentDeps, case: Case) -> None:
    # Evidence bundles copy the documents and the personal data: they go with them.
    bundles = deps.store.keys_under(document_keys.evidence_prefix(case.tenant_id, case.id))
    deps.store.delete(case.stored_keys() + _source_files(case) + bundles)
    for sha256 in _hashes_of(case):
        deps.hashes.forget(case.tenant_id, sha256, case.id)


def apply_retention(
    deps: DocumentDeps, tenants: Iterable[Tenant], now: dt.datetime | None = None
) -> dict[str, Any]:
    """Delete the documents of every decided case past its tenant's retention period; returns what was done."""
    now = now or deps.now()
    report: dict[str, Any] = {"cases": 0, "objects": 0, "tenants": 0, "held": 0}
    for tenant in tenants:
        days = tenant.settings.document_retention_days
        if not days:
            continue
        report["tenants"] += 1
        cutoff = now - dt.timedelta(days=days)
        for state in DECIDED:
            cursor = None
            while True:
                page = deps.cases.query(
                    CaseQuery(
                        tenant_id=tenant.id, states=(state,), created_to=cutoff, cursor=cursor, limit=100
                    )
                )
                for case in page.items:
                    if case.decision is None or case.decision.at > cutoff or case.documents_deleted_at:
                        continue
                    if case.legal_hold is not None:
                        report["held"] += 1
                        continue
                    keys = case.stored_keys()
                    _delete_files(deps, case)
                    update_case(
                        deps, tenant.id, case.id, _deleting(f"retention: {days} days after the decision", now)
                    )
                    report["cases"] += 1
                    report["objects"] += len(keys)
                cursor = page.cursor
                if cursor is None:
                    break
    return report


def _entity_cases(deps: DocumentDeps, tenant_id: str, entity_id: str) -> list[Case]:
    found: list[Case] = []
    cursor = None
    while True:
        page = deps.cases.query(CaseQuery(tenant_id=tenant_id, entity_id=entity_id, limit=100, cursor=cursor))
        found += page.items
        cursor = page.cursor
        if cursor is None:
            return found


class ErasureDeps(DocumentDeps, Protocol):
    """What erasing needs besides the documents' ports: the answers applicants saved through collection links."""

    @property
    def collection_links(self) -> CollectionLinkRepository: ...


def erase_entity(deps: ErasureDeps, principal: Principal, entity_id: str, reason: str) -> list[Case]:
    """Remove one entity's documents and personal data from all its cases (admin only), and what its applicant
    filled in through collection links.

    Refused as a whole (409) if any of its cases is under legal hold or still running.
    """
    principal.require("admin", "erasing an entity's data")
    if not reason.strip():
        raise InvalidInput("a reason is required (it stays in the audit trail)", path="reason")
    cases = _entity_cases(deps, principal.tenant_id, entity_id)
    if not cases:
        raise NotFound(f"no case of entity {entity_id}", entity_id=entity_id)
    held = [c.id for c in cases if c.legal_hold is not None]
    if held:
        raise Conflict(
            "the entity's data is under legal hold and cannot be erased", entity_id=entity_id, case_ids=held
        )
    running = [c.id for c in cases if not c.state.terminal]
    if running:
        raise Conflict(
            "the entity has cases still running: decide them first", entity_id=entity_id, case_ids=running
        )
    erased = []
    for case in cases:
        if case.erasure is not None:
            erased.append(case)
            continue
        _delete_files(deps, case)
        _redact_checks(deps, case)
        deps.collection_links.erase_answers(case.tenant_id, case.id)
        erased.append(
            update_case(
                deps,
                principal.tenant_id,
                case.id,
                lambda c: c.erase_personal_data(principal.actor, reason.strip(), deps.now()),
            )
        )
    return erased


def _redact_checks(deps: DocumentDeps, case: Case) -> None:
    """Check results hold what vendors and lists said about the person: keep only each check's outcome."""
    checks = deps.cases.detail(case.tenant_id, case.id).checks
    if checks:
        deps.cases.save_checks(
            case.tenant_id,
            case.id,
            {
                name: {
                    "status": result.get("status"),
                    "flags": [
                        {"code": f.get("code"), "severity": f.get("severity")}
                        for f in result.get("flags") or []
                        if isinstance(f, dict)
                    ],
                    "erased": True,
                }
                for name, result in checks.items()
            },
            replace=True,  # no earlier item (a packed one among them) keeps what is redacted
        )


def set_legal_hold(deps: DocumentDeps, principal: Principal, case_id: str, reason: str) -> Case:
    """Nothing of the case may be deleted until the hold is released (admin only)."""
    principal.require("admin", "setting a legal hold")
    if not reason.strip():
        raise InvalidInput("a reason is required", path="reason")
    return update_case(
        deps, principal.tenant_id, case_id, lambda c: c.set_legal_hold(principal.actor, reason.strip())
    )


def release_legal_hold(deps: DocumentDeps, principal: Principal, case_id: str, reason: str) -> Case:
    """Retention and erasure apply again (admin only)."""
    principal.require("admin", "releasing a legal hold")

    def apply(case: Case) -> Change:
        return case.release_legal_hold(principal.actor, reason.strip() or "released")

    return update_case(deps, principal.tenant_id, case_id, apply)


def set_document_retention(tenants: TenantRepository, principal: Principal, days: int | None) -> Tenant:
    """How many days after a decision the tenant's documents are kept (None: kept until erased); admin only."""
    principal.require("admin", "changing the document retention period")
    tenant = tenants.get(principal.tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {principal.tenant_id} not found")
    tenant.settings.document_retention_days = days
    tenants.update(tenant)
    return tenant


def _deleting(reason: str, at: dt.datetime) -> Callable[[Case], Change]:
    """The transition that deletes a case's documents for `reason`."""
    return lambda case: case.delete_documents(SYSTEM, reason, at)
