"""What changed between two versions of a watchlist: each entry's fingerprint, and the entries new or changed since
the fingerprints of the version screened before.

A fingerprint is 16 hex characters of the SHA-256 of everything screening reads of the entry (names, birth
dates, countries, identifiers, topics…), so an entry whose alias, birth date or topics changed counts as changed;
a million entries' fingerprints are about 30 MB as JSON, a few MB compressed. Ongoing screening matches only the
new and changed entries (`ListDelta.watchlist`) against the monitored customers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from arbiter.screening.model import ListEntry
from arbiter.screening.watchlist import Watchlist

__all__ = ["ListDelta", "entry_fingerprint", "fingerprints", "list_delta"]


def entry_fingerprint(entry: ListEntry) -> str:
    """The entry's content, hashed: equal for an entry the list did not change."""
    text = json.dumps(entry.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprints(watchlist: Watchlist) -> dict[str, str]:
    """Every entry's fingerprint, by entry id."""
    return {entry.id: entry_fingerprint(entry) for entry in _entries(watchlist)}


@dataclass(frozen=True)
class ListDelta:
    """The ids of the new version's entries that are new or changed, of those removed, and the new version's
    fingerprints (to keep for the next update). Ids only: a first version of a million entries is all new, and
    holding its entries twice would double the memory the list takes."""

    new: frozenset[str]
    changed: frozenset[str]
    removed: tuple[str, ...]
    fingerprints: dict[str, str]

    @property
    def size(self) -> int:
        """How many entries need matching: the new and the changed ones."""
        return len(self.new) + len(self.changed)

    def change_of(self, entry_id: str) -> str:
        """`new` or `changed`."""
        return "new" if entry_id in self.new else "changed"

    def watchlist(self, source: Watchlist) -> Watchlist:
        """The new and changed entries of `source` as a watchlist of their own, indexed like any list (what the
        customers are screened against); `source` itself when every entry is new."""
        if self.size == len(source):
            return source
        wanted = self.new | self.changed
        return Watchlist.from_entries(
            (e for e in _entries(source) if e.id in wanted), sha256=source.version.sha256, format="delta"
        )


def list_delta(previous: Mapping[str, str], watchlist: Watchlist) -> ListDelta:
    """The delta of `watchlist` against the `previous` version's fingerprints (empty: every entry is new)."""
    new: set[str] = set()
    changed: set[str] = set()
    current: dict[str, str] = {}
    for entry in _entries(watchlist):
        fingerprint = entry_fingerprint(entry)
        current[entry.id] = fingerprint
        before = previous.get(entry.id)
        if before is None:
            new.add(entry.id)
        elif before != fingerprint:
            changed.add(entry.id)
    removed = tuple(sorted(set(previous) - set(current)))
    return ListDelta(new=frozenset(new), changed=frozenset(changed), removed=removed, fingerprints=current)


def _entries(watchlist: Watchlist) -> Iterator[ListEntry]:
    return (watchlist.entry(i) for i in range(len(watchlist)))
