"""The audit trail's evidence: verifying a case's hash chain, and the daily digest that anchors the chain heads in
a bucket nobody can rewrite (Object Lock, compliance mode)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel

from arbiter.domain.audit_chain import ChainVerification, verify
from arbiter.domain.audit_digest import CaseHead, DigestRecord, digest_document
from arbiter.domain.principal import Principal
from arbiter.services.cases import CaseDeps

__all__ = [
    "AuditHeadLog",
    "DigestArchive",
    "DigestReport",
    "verify_audit_trail",
    "write_daily_digests",
]


class AuditHeadLog(Protocol):
    """Where the digest finds the heads that moved on a day, and where digests are recorded."""

    def heads_moved_on(self, date: str) -> list[CaseHead]:
        """The chain heads of every case whose chain moved on `date` (YYYY-MM-DD, UTC), as they stand now."""

    def digest(self, tenant_id: str, date: str) -> DigestRecord | None:
        """The tenant's digest of `date`, if written."""

    def latest_digest(self, tenant_id: str, before: str) -> DigestRecord | None:
        """The tenant's newest digest of a day before `before`, which the next one chains from."""

    def record_digest(self, record: DigestRecord, heads: list[CaseHead]) -> None:
        """Record the digest, and on each of its cases the anchor (the head it recorded)."""


class DigestArchive(Protocol):
    def put_locked(self, key: str, body: bytes) -> str | None:
        """Store `body` under `key` in the Object Lock bucket (its default retention applies); its version id."""


class DigestReport(BaseModel):
    date: str
    tenants: int
    cases: int
    already_written: int
    digests: list[DigestRecord]


def verify_audit_trail(deps: CaseDeps, principal: Principal, case_id: str) -> ChainVerification:
    """Recompute the case's audit chain and compare it with the stored hashes, its head and its anchor."""
    principal.require("viewer", "reading a case")
    return verify(deps.cases.audit_chain(principal.tenant_id, case_id))


def write_daily_digests(log: AuditHeadLog, archive: DigestArchive, date: dt.date) -> DigestReport:
    """One digest per tenant of the heads that moved on `date`: stored locked, then recorded with its anchors.
    A tenant whose digest of that day is already recorded is left alone (the run can be repeated)."""
    day = date.isoformat()
    by_tenant: dict[str, list[CaseHead]] = {}
    for head in log.heads_moved_on(day):
        by_tenant.setdefault(head.tenant_id, []).append(head)
    written: list[DigestRecord] = []
    already = 0
    for tenant_id in sorted(by_tenant):
        if log.digest(tenant_id, day) is not None:
            already += 1
            continue
        heads = by_tenant[tenant_id]
        body, record = digest_document(tenant_id, day, heads, log.latest_digest(tenant_id, before=day))
        # Locked first, recorded second: a record always names an object that exists, and a run stopped in
        # between writes the object again (a new locked version) and then records it.
        record.version_id = archive.put_locked(record.key, body)
        log.record_digest(record, heads)
        written.append(record)
    return DigestReport(
        date=day,
        tenants=len(by_tenant),
        cases=sum(r.cases for r in written),
        already_written=already,
        digests=written,
    )
