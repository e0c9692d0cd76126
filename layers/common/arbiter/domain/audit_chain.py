"""The audit trail as a hash chain: each entry's SHA-256 covers its content and the hash of the entry before it.

- **Canonical content** of an entry: its JSON (the `AuditEntry` as JSON) with keys sorted, no whitespace, UTF-8
  (`canonical`). The store keeps exactly these bytes, so verifying needs no knowledge of the model's fields: an
  entry written by an older model still hashes to what it hashed to then.
- **Link**: `hash(n) = SHA-256(bytes of hash(n-1) || canonical(entry n))`, in hex.
- **Genesis** (the `hash(-1)` of a case): `SHA-256("arbiter.audit.v1\\n{tenant}\\n{case}")`, so a chain cannot be
  moved to another case or tenant.
- **Head**: the last hash and the number of chained entries, kept on the case record, which every change writes
  conditionally (its version and this head): two changes cannot both extend the same head, so the chain cannot
  fork.

Entries stored before the chain existed carry no hash: they are read, counted as `unchained`, and must all come
before the first chained entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Anchor",
    "AuditChain",
    "BrokenLink",
    "ChainHead",
    "ChainLink",
    "ChainVerification",
    "StoredAuditEntry",
    "canonical",
    "extend",
    "genesis",
    "link",
    "verify",
]

GENESIS_LABEL = "arbiter.audit.v1"


def canonical(content: Mapping[str, Any]) -> bytes:
    """An entry's JSON with sorted keys and no whitespace, in UTF-8: the bytes its hash covers."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def genesis(tenant_id: str, case_id: str) -> str:
    """What the first entry of a case's chain chains from."""
    return hashlib.sha256(f"{GENESIS_LABEL}\n{tenant_id}\n{case_id}".encode()).hexdigest()


def link(previous: str, content: Mapping[str, Any]) -> str:
    """The hash of an entry whose predecessor's hash is `previous`."""
    return hashlib.sha256(bytes.fromhex(previous) + canonical(content)).hexdigest()


class ChainHead(BaseModel):
    """The last hash of a case's chain and how many entries are chained (legacy entries are not counted)."""

    model_config = ConfigDict(frozen=True)

    hash: str
    entries: int


class ChainLink(BaseModel):
    """Where a new entry goes in its chain: its sequence number (from 0) and its hash."""

    model_config = ConfigDict(frozen=True)

    seq: int
    hash: str


def extend(
    head: ChainHead | None, tenant_id: str, case_id: str, contents: Sequence[Mapping[str, Any]]
) -> list[ChainLink]:
    """The links of `contents` appended, in order, after `head` (None: the chain starts at genesis)."""
    previous = head.hash if head else genesis(tenant_id, case_id)
    seq = head.entries if head else 0
    links = []
    for content in contents:
        previous = link(previous, content)
        links.append(ChainLink(seq=seq, hash=previous))
        seq += 1
    return links


class StoredAuditEntry(BaseModel):
    """One audit entry as stored: its content (the JSON the hash covers) and its link, None for a legacy entry."""

    content: dict[str, Any]
    seq: int | None = None
    hash: str | None = None

    @property
    def entry_id(self) -> str | None:
        value = self.content.get("id")
        return value if isinstance(value, str) else None


class Anchor(BaseModel):
    """A case's head as a daily digest (in the Object Lock bucket) recorded it."""

    date: str
    digest_key: str
    digest_sha256: str
    hash: str
    entries: int


class AuditChain(BaseModel):
    """What the verifier reads: the stored entries in key order (time, then id), the head on the case record and
    the latest anchor, if any."""

    tenant_id: str
    case_id: str
    records: list[StoredAuditEntry]
    head: ChainHead | None = None
    anchor: Anchor | None = None


BreakReason = Literal["edited", "missing", "inserted", "reordered", "head_mismatch", "anchor_mismatch"]


class BrokenLink(BaseModel):
    """Where the recomputed chain first departs from the stored one."""

    index: int
    entry_id: str | None
    reason: BreakReason
    detail: str


class AnchorRef(BaseModel):
    date: str
    digest_key: str
    entries: int


class ChainVerification(BaseModel):
    """The answer of `verify`: valid with the head, or the first break."""

    valid: bool
    entries: int
    unchained: int = 0
    head: str | None = None
    anchored: AnchorRef | None = None
    broken_at: BrokenLink | None = None


def verify(chain: AuditChain) -> ChainVerification:
    """Recompute the chain of `chain.records` from genesis and compare it with the stored hashes, the head and the
    anchor. `index` counts entries in the order verified: the unchained ones (by time), then the chained ones (by
    sequence number)."""
    total = len(chain.records)
    unchained: list[StoredAuditEntry] = []
    chained: list[StoredAuditEntry] = []
    for position, record in enumerate(chain.records):
        if record.seq is None and record.hash is None:
            if chained:
                return _broken(
                    total,
                    len(unchained),
                    position,
                    record.entry_id,
                    "inserted",
                    "an entry without a hash is stored after the chain started",
                )
            unchained.append(record)
        elif record.seq is None or record.hash is None:
            return _broken(
                total,
                len(unchained),
                position,
                record.entry_id,
                "edited",
                "the entry's link (sequence number or hash) was removed",
            )
        else:
            chained.append(record)
    chained.sort(key=lambda r: r.seq or 0)
    skipped = len(unchained)
    previous = genesis(chain.tenant_id, chain.case_id)
    running: list[str] = []  # the recomputed hash after each chained entry
    for position, record in enumerate(chained):
        index = skipped + position
        if record.seq != position:
            if (record.seq or 0) > position:
                return _broken(
                    total,
                    skipped,
                    index,
                    record.entry_id,
                    "missing",
                    f"entry {position} of the chain is missing (deleted) before this one",
                )
            return _broken(
                total,
                skipped,
                index,
                record.entry_id,
                "inserted",
                f"a second entry claims sequence number {record.seq}",
            )
        computed = link(previous, record.content)
        if computed != record.hash:
            moved = any(
                other is not record and link(previous, other.content) == other.hash for other in chained
            )
            if moved:
                return _broken(
                    total,
                    skipped,
                    index,
                    record.entry_id,
                    "reordered",
                    "another entry chains from this position: entries were moved",
                )
            return _broken(
                total,
                skipped,
                index,
                record.entry_id,
                "edited",
                "the entry's content does not hash to its stored hash from the previous entry",
            )
        previous = computed
        running.append(computed)
    count = len(chained)
    last = skipped + count - 1
    head = chain.head
    if head is None:
        if chained:
            return _broken(
                total,
                skipped,
                last,
                chained[-1].entry_id,
                "head_mismatch",
                "the case carries no chain head although entries are chained",
            )
    elif head.entries > count:
        return _broken(
            total,
            skipped,
            skipped + count,
            None,
            "missing",
            f"the head counts {head.entries} chained entries, {count} are stored: the last ones were deleted",
        )
    elif head.entries < count:
        extra = chained[head.entries]
        return _broken(
            total,
            skipped,
            skipped + head.entries,
            extra.entry_id,
            "inserted",
            f"the head counts {head.entries} chained entries, {count} are stored",
        )
    elif head.hash != previous:
        return _broken(
            total,
            skipped,
            last,
            chained[-1].entry_id if chained else None,
            "head_mismatch",
            "the case's chain head does not match the last entry",
        )
    anchored = None
    anchor = chain.anchor
    if anchor is not None:
        if anchor.entries > count or anchor.entries < 1 or running[anchor.entries - 1] != anchor.hash:
            return _broken(
                total,
                skipped,
                skipped + min(anchor.entries, count) - 1 if count else skipped,
                None,
                "anchor_mismatch",
                f"the chain does not reproduce the head the digest of {anchor.date} recorded",
            )
        anchored = AnchorRef(date=anchor.date, digest_key=anchor.digest_key, entries=anchor.entries)
    return ChainVerification(
        valid=True,
        entries=total,
        unchained=skipped,
        head=previous if chained else None,
        anchored=anchored,
    )


def _broken(
    total: int, unchained: int, index: int, entry_id: str | None, reason: BreakReason, detail: str
) -> ChainVerification:
    return ChainVerification(
        valid=False,
        entries=total,
        unchained=unchained,
        broken_at=BrokenLink(index=index, entry_id=entry_id, reason=reason, detail=detail),
    )
