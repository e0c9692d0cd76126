"""A customer's history rebuilt from its stored transactions, as each decision saw it: what backtests score on.

A decision read the customer's buckets and markers as the transactions recorded *before it* had left them: those
decided earlier (arrival order, `decided_at`), each counted in the buckets of its own time. `HistoryReplay` keeps
the same buckets and markers in memory and is fed the customer's transactions in that order: `history(tx)` is what
the store would have answered for `tx` (the same ranges, `reads_for`), `record(tx, history)` counts it with the
store's own changes (`updates_for`: the same counterparty cap per bucket, the same max). Buckets are therefore
exact for every transaction whose 90-day windows are inside the replayed transactions.

Markers start from a `Standing` (what was known of the customer before the first replayed transaction: first and
last seen, how many transactions) and then move as the store moves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arbiter.domain.monitoring import (
    Bucket,
    CurrencyTotals,
    Dimension,
    Granularity,
    History,
    Seen,
    reads_for,
    updates_for,
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
    """One customer's buckets and markers in memory, moved on by its transactions in the order they were decided."""

    def __init__(self, customer_id: str, standing: Standing | None = None) -> None:
        standing = standing or Standing()
        self._customer = customer_id
        self._series: dict[tuple[Dimension, str, Granularity], dict[str, Bucket]] = {}
        self._markers: dict[MarkerKey, Seen] = dict(standing.markers)
        self._risk_level = standing.risk_level

    def history(self, tx: Transaction) -> History:
        """The buckets and markers a decision on `tx` would read now (copies: scoring never moves them)."""
        history = History(risk_level=self._risk_level)
        for wanted in reads_for(tx):
            series = self._series.get((wanted.dimension, wanted.key, wanted.granularity), {})
            history.buckets[(wanted.dimension, wanted.granularity)] = {
                start: _copy(bucket)
                for start, bucket in series.items()
                if wanted.first <= start <= wanted.last
            }
        history.customer = self._markers.get(("customer", tx.customer_id))
        for dimension, key in _parties(tx):
            seen = self._markers.get((dimension, key))
            if dimension == "counterparty":
                history.counterparty = seen
            else:
                history.country = seen
        return history

    def record(self, tx: Transaction, history: History) -> None:
        """Count `tx` as the store counts it, given the history its decision read."""
        buckets, markers = updates_for(tx, history)
        for update in buckets:
            series = self._series.setdefault((update.dimension, update.key, update.granularity), {})
            bucket = series.setdefault(update.start, Bucket(start=update.start))
            bucket.count += 1
            totals = bucket.totals.setdefault(update.currency, CurrencyTotals())
            totals.count += 1
            totals.sum += update.amount
            if update.inbound:
                totals.inbound += update.amount
            if update.raise_max:
                totals.max = update.amount
            if update.add_counterparty:
                bucket.counterparties = bucket.counterparties | {update.add_counterparty}
        for marker in markers:
            seen = self._markers.get((marker.dimension, marker.key))
            first = marker.first or (seen.first if seen else tx.time)
            last = marker.last or (seen.last if seen else tx.time)
            self._markers[(marker.dimension, marker.key)] = Seen(
                first=first, last=last, count=(seen.count if seen else 0) + 1
            )


def _parties(tx: Transaction) -> list[tuple[Dimension, str]]:
    found: list[tuple[Dimension, str]] = []
    party = counterparty_key(tx.counterparty)
    if party:
        found.append(("counterparty", party))
    if tx.counterparty.country:
        found.append(("country", tx.counterparty.country))
    return found


def _copy(bucket: Bucket) -> Bucket:
    return Bucket(
        start=bucket.start,
        count=bucket.count,
        totals={
            currency: CurrencyTotals(count=t.count, sum=t.sum, max=t.max, inbound=t.inbound)
            for currency, t in bucket.totals.items()
        },
        counterparties=bucket.counterparties,
    )
