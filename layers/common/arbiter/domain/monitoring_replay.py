"""A customer's history rebuilt from its stored transactions, as each decision saw it: what backtests score on.

A decision read the customer's buckets and markers as the transactions recorded *before it* had left them: those
decided earlier (arrival order, `decided_at`), each counted in the buckets of its own time. `HistoryReplay` keeps
the same buckets and markers in memory and is fed the customer's transactions in that order: `history(tx)` is what
the store would have answered for `tx` (the same profile and ranges, `reads_for`), `record(tx, history)` counts it
with the store's own changes (`changes_for`: the same counterparty cap per bucket, the same max). Buckets are therefore
exact for every transaction whose 90-day windows are inside the replayed transactions.

Markers start from a `Standing` (what was known of the customer before the first replayed transaction: first and
last seen, how many transactions) and then move as the store moves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arbiter.domain.monitoring import (
    Bucket,
    Dimension,
    Granularity,
    History,
    Profile,
    Seen,
    changes_for,
    counted,
    marked,
    reads_for,
)
from arbiter.domain.transactions import Transaction, counterparty_key

__all__ = ["HistoryReplay", "Standing"]

MarkerKey = tuple[Dimension, str]


@dataclass
class Standing:
    """What was known of one customer before the replay's first transaction: its markers then, and its onboarding
    risk level (today's: the level of the time is not kept)."""

    markers: dict[MarkerKey, Seen] = field(default_factory=dict)
    risk_level: str | None = None


class HistoryReplay:
    """One customer's profile, party buckets and markers in memory, moved on by its transactions in the order they
    were decided."""

    def __init__(self, customer_id: str, standing: Standing | None = None) -> None:
        standing = standing or Standing()
        self._customer = customer_id
        self._series: dict[tuple[Dimension, str, Granularity], dict[str, Bucket]] = {}
        self._markers: dict[MarkerKey, Seen] = {
            key: seen for key, seen in standing.markers.items() if key[0] == "counterparty"
        }
        self._profile = Profile(
            customer=standing.markers.get(("customer", customer_id)),
            countries={
                key: seen for (dimension, key), seen in standing.markers.items() if dimension == "country"
            },
        )
        self._risk_level = standing.risk_level

    def history(self, tx: Transaction) -> History:
        """What a decision on `tx` would read now (scoring never moves it; `record` counts `tx` in its profile, in
        place: score before recording)."""
        history = History(risk_level=self._risk_level, profile=self._profile)
        for wanted in reads_for(tx, customer=False):
            series = self._series.get((wanted.dimension, wanted.key, wanted.granularity), {})
            history.buckets[(wanted.dimension, wanted.granularity)] = {
                start: bucket for start, bucket in series.items() if wanted.first <= start <= wanted.last
            }
        self._profile.read(tx, history)
        party = counterparty_key(tx.counterparty)
        if party:
            history.counterparty = self._markers.get(("counterparty", party))
        return history

    def record(self, tx: Transaction, history: History) -> None:
        """Count `tx` as the store counts it, given the history its decision read."""
        changes = changes_for(tx, history)
        self._profile = changes.profile
        for update in changes.buckets:
            series = self._series.setdefault((update.dimension, update.key, update.granularity), {})
            series[update.start] = counted(series.get(update.start), update)
        for marker in changes.markers:
            key = (marker.dimension, marker.key)
            self._markers[key] = marked(self._markers.get(key), marker, tx.time)
