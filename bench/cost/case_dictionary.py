"""Build the next case dictionary (arbiter/adapters/dynamodb/packing.py) from the case bodies a bench run wrote.

    .venv/bin/python bench/cost/run.py --cases 1 --bodies /tmp/bodies
    .venv/bin/python bench/cost/case_dictionary.py /tmp/bodies layers/common/arbiter/adapters/dynamodb/case_dictionary_<n>.json

The bench's cases are made up (bench/cost/run.py: "Bench48210 Trading GmbH", "Owner0 Bench48210", the number
drawn per run so that no case a later run measures is one the dictionary holds), so the dictionary holds no one's
data. It keeps the last body written of each kind of case (workflow, state, with owners or an owner
itself, decided how), decided ones before the rest when not all fit, the kinds written most often last: zlib finds a match the nearer the end of the dictionary
it is, the cheaper. It stays within zlib's 32 KB window, and prints what each kind's body packs to with the
current dictionary and with the new one.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from arbiter.adapters.dynamodb import packing

DECIDED = {"approved", "rejected"}
WINDOW = (
    32 * 1024 - 262
)  # what of a preset dictionary zlib can still refer to (its window less its lookahead)


def kind(case: dict[str, Any]) -> tuple[str, ...]:
    decision = case.get("decision") or {}
    return (
        str(case.get("workflow_id")),
        str(case.get("state")),
        "owners" if case.get("child_case_ids") else "owner" if case.get("parent_case_id") else "",
        "automatic" if decision.get("automatic") else "reviewer" if decision else "",
    )


def packed(raw: bytes, dictionary: bytes) -> int:
    compressor = zlib.compressobj(9, zdict=dictionary)
    return len(compressor.compress(raw) + compressor.flush())


def main(source: Path, target: Path) -> int:
    bodies = [path.read_bytes() for path in sorted(source.glob("*.json"))]
    counts: Counter[tuple[str, ...]] = Counter()
    last: dict[tuple[str, ...], bytes] = {}
    for raw in bodies:
        k = kind(json.loads(raw))
        counts[k] += 1
        last[k] = raw
    # Decided cases first in line to stay (their writes are the ones over a KB), the most frequent last.
    chosen = sorted(last, key=lambda k: (k[1] in DECIDED, counts[k]))
    while chosen and sum(len(last[k]) + 1 for k in chosen) + 1 > WINDOW:
        chosen.pop(0)  # what is left out first: undecided kinds, the rarest
    dictionary = ("[" + ",".join(last[k].decode() for k in chosen) + "]").encode()
    current = (target.parent / f"case_dictionary_{packing.CURRENT}.json").read_bytes()
    for k in chosen:
        others = [raw for raw in bodies if kind(json.loads(raw)) == k and raw != last[k]]
        if others:
            print(
                f"{'/'.join(k):<55} x{counts[k]:<3} {packed(others[0], current):>5} B -> {packed(others[0], dictionary):>5} B"
            )
    target.write_bytes(dictionary)
    print(
        f"{target}: {len(dictionary)} bytes, {len(chosen)} kinds of case, Adler-32 {zlib.adler32(dictionary):#010x}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
