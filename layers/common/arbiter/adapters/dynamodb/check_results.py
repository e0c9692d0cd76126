"""Check results beside their case: one item per check, or one packed item for the checks of one write.

A check run by its own task (the automation machine's Map) writes its result alone, `CHECK#{name}` (`packed`: its
JSON compressed as below; items written before hold it as plain JSON, `data`: a sanctions result screening a
business and its three owners is 1.1 KB of JSON, two write units, 0.4 KB packed). A write of several results (an
owner's checks run in its parent's run, a `run_checks` step) writes them as one item, `CHECKS#{digest of their
names}`, their JSON compressed together with the case bodies' preset dictionary (`packed`): BatchWriteItem bills each item per started KB, so two results of a few hundred bytes each cost one unit
instead of two (bench/cost: an owner's sanctions and contact results, 909 bytes as two items, pack to about 500).

Every item records when it was written (`at`, nanoseconds since the epoch) and a check's result is the newest of
the items that hold it, so a check run again replaces its result whichever way either was written; items stored
before `at` (one per check) count as the oldest. The same set of checks written again replaces its packed item
(the key is the digest of the names). Erasure replaces every result (`replace`): the items not written again are
deleted, so no earlier item keeps what was redacted.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import item_size, to_item
from arbiter.adapters.dynamodb.packing import pack, unpack

__all__ = ["check_items", "is_check_item", "stored_results"]

#: A packed item stays far below DynamoDB's 400 KB; a write of more is stored one item per check.
MAX_PACKED_BYTES = 300_000


def check_items(pk: str, results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The items that store `results` under the case's partition `pk`."""
    at = time.time_ns()
    if len(results) > 1:
        names = sorted(results)
        packed = pack(json.dumps(results, separators=(",", ":")).encode())
        digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
        item = {"pk": pk, "sk": f"{keys.CHECKS_PREFIX}{digest}", "names": names, "packed": packed, "at": at}
        if item_size(to_item(item)) <= MAX_PACKED_BYTES:
            return [item]
    return [
        {
            "pk": pk,
            "sk": f"{keys.CHECK_PREFIX}{name}",
            "name": name,
            "packed": pack(json.dumps({name: result}, separators=(",", ":")).encode()),
            "at": at,
        }
        for name, result in results.items()
    ]


def is_check_item(sk: str) -> bool:
    """Whether the sort key is a check result's (either layout)."""
    return sk.startswith((keys.CHECK_PREFIX, keys.CHECKS_PREFIX))


def stored_results(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each check's newest result among the case's check items (other items are ignored)."""
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    for item in items:
        sk = str(item["sk"])
        if not sk.startswith((keys.CHECK_PREFIX, keys.CHECKS_PREFIX)):
            continue
        if "packed" in item:
            raw = item["packed"]
            found = json.loads(unpack(bytes(getattr(raw, "value", raw))))
        else:  # one result as plain JSON, as items were written before
            found = {str(item["name"]): json.loads(item["data"])}
        at = int(item.get("at", 0))
        for name, result in found.items():
            if name not in newest or at >= newest[name][0]:
                newest[name] = (at, result)
    return {name: result for name, (_, result) in sorted(newest.items(), key=lambda kv: kv[0])}
