"""The audit hash chain (arbiter/domain/audit_chain.py): its canonical form, its genesis, and what the verifier
reports for each way a stored chain can be changed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from arbiter.domain.audit_chain import (
    Anchor,
    AuditChain,
    ChainHead,
    StoredAuditEntry,
    canonical,
    extend,
    genesis,
    link,
    verify,
)

TENANT, CASE = "acme", "case_1"


def content(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"e{n}",
        "at": f"2026-12-06T09:00:0{n}Z",
        "action": "note.added",
        "reason": f"n{n}",
        **extra,
    }


def chained(*contents: dict[str, Any], head: ChainHead | None = None) -> list[StoredAuditEntry]:
    links = extend(head, TENANT, CASE, list(contents))
    return [
        StoredAuditEntry(content=c, seq=lk.seq, hash=lk.hash) for c, lk in zip(contents, links, strict=True)
    ]


def head_of(records: list[StoredAuditEntry]) -> ChainHead:
    last = [r for r in records if r.seq is not None][-1]
    return ChainHead(hash=last.hash or "", entries=(last.seq or 0) + 1)


def chain(records: list[StoredAuditEntry], head: ChainHead | None = None, **extra: Any) -> AuditChain:
    return AuditChain(tenant_id=TENANT, case_id=CASE, records=records, head=head, **extra)


def test_the_canonical_form_sorts_keys_drops_whitespace_and_keeps_unicode_as_utf8() -> None:
    assert canonical({"b": 1, "a": {"d": [1, 2], "c": "Zoë"}}) == '{"a":{"c":"Zoë","d":[1,2]},"b":1}'.encode()


def test_genesis_is_the_sha256_of_a_label_the_tenant_and_the_case() -> None:
    expected = hashlib.sha256(b"arbiter.audit.v1\nacme\ncase_1").hexdigest()
    assert genesis(TENANT, CASE) == expected
    assert genesis("other", CASE) != expected
    assert genesis(TENANT, "case_2") != expected


def test_a_link_covers_the_previous_hash_and_the_canonical_content() -> None:
    entry = content(1)
    expected = hashlib.sha256(bytes.fromhex(genesis(TENANT, CASE)) + canonical(entry)).hexdigest()
    assert link(genesis(TENANT, CASE), entry) == expected
    assert link(genesis(TENANT, CASE), dict(reversed(entry.items()))) == expected  # key order does not count


def test_extending_a_head_continues_its_numbering_and_hashes() -> None:
    first = extend(None, TENANT, CASE, [content(1), content(2)])
    head = ChainHead(hash=first[-1].hash, entries=2)
    (third,) = extend(head, TENANT, CASE, [content(3)])
    assert [lk.seq for lk in first] == [0, 1]
    assert third.seq == 2
    assert third.hash == link(first[-1].hash, content(3))


def test_an_intact_chain_is_valid_and_names_its_head() -> None:
    records = chained(content(1), content(2), content(3))
    result = verify(chain(records, head_of(records)))
    assert result.valid
    assert (result.entries, result.unchained, result.head) == (3, 0, records[-1].hash)
    assert result.broken_at is None


def test_a_case_with_no_entries_and_no_head_is_valid() -> None:
    result = verify(chain([]))
    assert result.valid
    assert (result.entries, result.head) == (0, None)


def test_legacy_entries_before_the_first_hashed_one_are_counted_as_unchained() -> None:
    legacy = [StoredAuditEntry(content=content(1)), StoredAuditEntry(content=content(2))]
    records = legacy + chained(content(3), content(4))
    result = verify(chain(records, head_of(records)))
    assert result.valid
    assert (result.entries, result.unchained) == (4, 2)


def test_a_case_with_only_legacy_entries_is_valid_with_no_head() -> None:
    result = verify(chain([StoredAuditEntry(content=content(1))]))
    assert result.valid
    assert (result.entries, result.unchained, result.head) == (1, 1, None)


def test_an_unhashed_entry_after_the_chain_started_is_reported_inserted() -> None:
    records = [*chained(content(1)), StoredAuditEntry(content=content(2))]
    result = verify(chain(records, head_of(records)))
    assert not result.valid
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        1,
        "e2",
        "inserted",
    )


def test_edited_content_is_reported_at_the_entry_edited() -> None:
    records = chained(content(1), content(2), content(3))
    head = head_of(records)
    records[1] = records[1].model_copy(update={"content": content(2, reason="rewritten")})
    result = verify(chain(records, head))
    assert not result.valid
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (1, "e2", "edited")


def test_an_edit_whose_hash_was_recomputed_breaks_the_next_link() -> None:
    records = chained(content(1), content(2), content(3))
    head = head_of(records)
    forged = content(2, reason="rewritten")
    records[1] = StoredAuditEntry(content=forged, seq=1, hash=link(records[0].hash or "", forged))
    result = verify(chain(records, head))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (2, "e3", "edited")


def test_a_deleted_entry_is_reported_missing_before_the_entry_that_follows_it() -> None:
    records = chained(content(1), content(2), content(3))
    head = head_of(records)
    del records[1]
    result = verify(chain(records, head))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        1,
        "e3",
        "missing",
    )


def test_a_deleted_last_entry_is_reported_missing_against_the_head() -> None:
    records = chained(content(1), content(2), content(3))
    head = head_of(records)
    result = verify(chain(records[:2], head))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        2,
        None,
        "missing",
    )


def test_entries_swapped_in_the_chain_are_reported_reordered() -> None:
    records = chained(content(1), content(2), content(3))
    head = head_of(records)
    first, second = records[0], records[1]
    records[0] = second.model_copy(update={"seq": 0})
    records[1] = first.model_copy(update={"seq": 1})
    result = verify(chain(records, head))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        0,
        "e2",
        "reordered",
    )


def test_two_entries_claiming_one_place_are_reported_inserted() -> None:
    records = chained(content(1), content(2))
    head = head_of(records)
    records.append(StoredAuditEntry(content=content(3), seq=1, hash=records[1].hash))
    result = verify(chain(records, head))
    assert result.broken_at is not None
    assert result.broken_at.reason == "inserted"


def test_a_chained_entry_beyond_the_head_is_reported_inserted() -> None:
    records = chained(content(1), content(2), content(3))
    result = verify(chain(records, head_of(records[:2])))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        2,
        "e3",
        "inserted",
    )


def test_a_head_that_does_not_match_the_last_entry_is_reported() -> None:
    records = chained(content(1), content(2))
    result = verify(chain(records, ChainHead(hash="00" * 32, entries=2)))
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.entry_id, result.broken_at.reason) == (
        1,
        "e2",
        "head_mismatch",
    )


def test_chained_entries_without_a_head_are_reported() -> None:
    records = chained(content(1))
    result = verify(chain(records, None))
    assert result.broken_at is not None
    assert result.broken_at.reason == "head_mismatch"


def test_a_link_half_removed_is_reported_edited() -> None:
    records = chained(content(1), content(2))
    head = head_of(records)
    records[1] = records[1].model_copy(update={"hash": None})
    result = verify(chain(records, head))
    assert result.broken_at is not None
    assert (result.broken_at.entry_id, result.broken_at.reason) == ("e2", "edited")


def test_a_chain_moved_to_another_case_does_not_verify() -> None:
    records = chained(content(1))
    moved = AuditChain(tenant_id=TENANT, case_id="case_2", records=records, head=head_of(records))
    result = verify(moved)
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (0, "edited")


def anchor(records: list[StoredAuditEntry], entries: int) -> Anchor:
    return Anchor(
        date="2026-12-06",
        digest_key="audit-digests/acme/2026-12-06.json",
        digest_sha256="ab" * 32,
        hash=records[entries - 1].hash or "",
        entries=entries,
    )


def test_a_chain_that_reproduces_its_anchor_says_so() -> None:
    records = chained(content(1), content(2), content(3))
    result = verify(chain(records, head_of(records), anchor=anchor(records, 2)))
    assert result.valid
    assert result.anchored is not None
    assert result.anchored.model_dump() == {
        "date": "2026-12-06",
        "digest_key": "audit-digests/acme/2026-12-06.json",
        "entries": 2,
    }


def test_a_chain_rewritten_whole_with_its_head_is_caught_by_its_anchor() -> None:
    original = chained(content(1), content(2))
    recorded = anchor(original, 2)
    rewritten = chained(content(1), content(2, reason="rewritten"))
    result = verify(chain(rewritten, head_of(rewritten), anchor=recorded))
    assert not result.valid
    assert result.broken_at is not None
    assert (result.broken_at.index, result.broken_at.reason) == (1, "anchor_mismatch")


def test_an_anchor_beyond_the_stored_chain_is_a_mismatch() -> None:
    records = chained(content(1), content(2))
    recorded = anchor(records, 2)
    shortened = chained(content(1))
    result = verify(chain(shortened, head_of(shortened), anchor=recorded))
    assert result.broken_at is not None
    assert result.broken_at.reason == "anchor_mismatch"


@pytest.mark.parametrize("text", ['{"a":1.5,"b":[true,null]}', '{"z":"\\u00e9","y":{"x":-0.001}}'])
def test_stored_json_hashes_the_same_after_a_round_trip(text: str) -> None:
    parsed = json.loads(text)
    assert canonical(json.loads(canonical(parsed))) == canonical(parsed)
