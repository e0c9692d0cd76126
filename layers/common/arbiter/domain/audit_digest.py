"""A tenant's daily audit digest: the audit chain heads of its cases that moved that day, in one document whose
SHA-256 is recorded beside it and on each case it anchors.

The document is canonical JSON (sorted keys, no whitespace, UTF-8), written once to a bucket under Object Lock in
compliance mode, so nobody, the account's root included, can rewrite it before its retention ends. Each digest
names the previous digest of the tenant (its date and SHA-256): the digests form a chain of their own, and a gap
or a rewritten day shows.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from arbiter.domain.audit_chain import ChainHead, canonical

__all__ = ["CaseHead", "DigestRecord", "digest_document", "digest_key"]

DIGEST_FORMAT = "arbiter.audit-digest.v1"


class CaseHead(BaseModel):
    """One case's chain head, as the digest reads it."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    case_id: str
    head: ChainHead


class DigestRecord(BaseModel):
    """Where a tenant's digest of one day is and what it hashes to."""

    tenant_id: str
    date: str
    key: str
    sha256: str
    cases: int
    previous_sha256: str | None = None
    #: The object's version in the bucket (versioned, as Object Lock requires).
    version_id: str | None = None


def digest_key(tenant_id: str, date: str) -> str:
    """The digest's object key: `audit-digests/{tenant}/{date}.json`."""
    return f"audit-digests/{tenant_id}/{date}.json"


def digest_document(
    tenant_id: str, date: str, heads: list[CaseHead], previous: DigestRecord | None
) -> tuple[bytes, DigestRecord]:
    """The digest's bytes (canonical JSON, heads by case id) and its record."""
    content: dict[str, Any] = {
        "format": DIGEST_FORMAT,
        "tenant_id": tenant_id,
        "date": date,
        "previous": {"date": previous.date, "sha256": previous.sha256} if previous else None,
        "heads": [
            {"case_id": h.case_id, "entries": h.head.entries, "head": h.head.hash}
            for h in sorted(heads, key=lambda h: h.case_id)
        ],
    }
    body = canonical(content)
    record = DigestRecord(
        tenant_id=tenant_id,
        date=date,
        key=digest_key(tenant_id, date),
        sha256=hashlib.sha256(body).hexdigest(),
        cases=len(heads),
        previous_sha256=previous.sha256 if previous else None,
    )
    return body, record
