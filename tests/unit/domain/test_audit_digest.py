"""A tenant's daily audit digest (arbiter/domain/audit_digest.py): canonical bytes, heads in case order, its hash
recorded, and the chain of digests."""

from __future__ import annotations

import hashlib
import json

from arbiter.domain.audit_chain import ChainHead
from arbiter.domain.audit_digest import CaseHead, digest_document, digest_key


def head(case_id: str, entries: int) -> CaseHead:
    return CaseHead(
        tenant_id="acme", case_id=case_id, head=ChainHead(hash=f"{entries:02d}" * 32, entries=entries)
    )


def test_a_digest_lists_the_heads_by_case_and_records_its_own_sha256() -> None:
    body, record = digest_document("acme", "2026-12-06", [head("case_b", 3), head("case_a", 5)], None)
    document = json.loads(body)
    assert body == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    assert document["format"] == "arbiter.audit-digest.v1"
    assert document["previous"] is None
    assert [h["case_id"] for h in document["heads"]] == ["case_a", "case_b"]
    assert document["heads"][0] == {"case_id": "case_a", "entries": 5, "head": "05" * 32}
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert (record.key, record.cases) == ("audit-digests/acme/2026-12-06.json", 2)
    assert record.key == digest_key("acme", "2026-12-06")


def test_a_digest_names_the_previous_one_so_the_digests_form_a_chain() -> None:
    _, first = digest_document("acme", "2026-12-05", [head("case_a", 1)], None)
    body, second = digest_document("acme", "2026-12-06", [head("case_a", 2)], first)
    assert json.loads(body)["previous"] == {"date": "2026-12-05", "sha256": first.sha256}
    assert second.previous_sha256 == first.sha256
