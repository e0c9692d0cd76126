"""A customer's own buckets of one granularity as columns: what a decision reads and moves on every transaction.

A `Series` keeps the buckets' numbers (`index`, ascending), their transaction counts, per currency the counts, sums,
largest amounts and inbound sums (`Amounts`: integers of 10**-scale, so sums stay exact and add up in C), and the
counterparties each bucket remembers, as 32-bit marks of their keys (`party_mark`). A window is then two bisections
and a few slice sums, and counting a transaction changes one position of each list, instead of a Python object per
bucket made and read on every decision (bench/monitoring: most of a decision's time went there).

A `Series` is also a mapping of bucket names to `Bucket`s, made on demand, for what reads a bucket at a time (tests,
the store's migration of old bucket items, late transactions' day lookups); `SeriesView` is the buckets of one
range of it, what a `History` holds for the customer's dimension.
"""

from __future__ import annotations

import bisect
import functools
import zlib
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # monitoring imports this module: the names it needs come at call time
    from arbiter.domain.monitoring import Bucket, Granularity

__all__ = ["FIGURES", "Amounts", "Series", "SeriesView", "party_mark", "places"]

#: The figures of a window (`Series.window`), as rules read them (`window.24h.avg`), in the order a window lists them.
FIGURES = ("count", "currency_count", "sum", "avg", "max", "inbound_sum", "outbound_sum", "counterparties")
_EVERY_FIGURE = frozenset(FIGURES)
_BUT_COUNTERPARTIES = _EVERY_FIGURE - {"counterparties"}
_COUNTED = frozenset(("currency_count", "avg"))
_SUMMED = frozenset(("sum", "avg", "outbound_sum"))
_INBOUND = frozenset(("inbound_sum", "outbound_sum"))


@functools.lru_cache(maxsize=256)
def _plan(figures: frozenset[str]) -> tuple[tuple[str, ...], bool, bool, bool]:
    """`figures` in `FIGURES` order (a window lists them so, whatever the set's own order), and whether they read
    the currency's counts, its sums, its inbound sums: worked out once per set, not per window summed."""
    return (
        tuple(name for name in FIGURES if name in figures),
        not figures.isdisjoint(_COUNTED),
        not figures.isdisjoint(_SUMMED),
        not figures.isdisjoint(_INBOUND),
    )


def party_mark(key: str) -> int:
    """A counterparty key as the 32 bits a bucket remembers it by (CRC-32; a mark written as 8 hex digits, as a
    `Bucket` shows it, is itself). A busy customer's profile is mostly the counterparties of the windows whose
    `counterparties` rules read: a 16-hex-digit key is 8 bytes that do not compress, a mark 4. The chance that two of
    the counterparties in one window share a mark is about 5 in 100 million for 20 of them and 6 in a million for
    224 (the most a 7-day window holds: 7 buckets of `MAX_COUNTERPARTIES_PER_BUCKET`); the window then counts one
    counterparty fewer."""
    if len(key) == 8:
        try:
            return int(key, 16)
        except ValueError:
            pass
    return zlib.crc32(key.encode())


def places(amount: Decimal) -> int:
    """How many decimal places `amount` has (9800.00: 2, 1E+3: 0)."""
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(slots=True)
class Amounts:
    """One currency's totals in each bucket of a series (aligned with its `index`), as integers of 10**-`scale`:
    transaction counts, sums, largest amounts (0: none in this bucket; amounts are positive) and inbound sums."""

    scale: int
    n: list[int]
    s: list[int]
    x: list[int]
    i: list[int]

    @classmethod
    def empty(cls, size: int, scale: int) -> Amounts:
        return cls(scale, [0] * size, [0] * size, [0] * size, [0] * size)

    def copy(self) -> Amounts:
        return Amounts(self.scale, self.n.copy(), self.s.copy(), self.x.copy(), self.i.copy())

    def scaled(self, amount: Decimal, wanted: int | None = None) -> int:
        """`amount` in this currency's units, the scale raised first if `amount` has more places (`wanted`, when
        the caller knows them)."""
        if wanted is None:
            wanted = places(amount)
        if wanted > self.scale:
            factor = 10 ** (wanted - self.scale)
            self.s = [v * factor for v in self.s]
            self.x = [v * factor for v in self.x]
            self.i = [v * factor for v in self.i]
            self.scale = wanted
        return int(amount.scaleb(self.scale))

    def decimal(self, value: int) -> Decimal:
        return Decimal(value).scaleb(-self.scale)

    def insert(self, position: int) -> None:
        for column in (self.n, self.s, self.x, self.i):
            column.insert(position, 0)

    def delete(self, start: int, end: int) -> None:
        for column in (self.n, self.s, self.x, self.i):
            del column[start:end]


class Series(MutableMapping[str, "Bucket"]):
    """The customer's buckets of one granularity, as columns (see the module's docstring)."""

    __slots__ = ("amounts", "count", "granularity", "index", "parties")

    def __init__(
        self,
        granularity: Granularity,
        index: list[int] | None = None,
        count: list[int] | None = None,
        amounts: dict[str, Amounts] | None = None,
        parties: list[Sequence[int]] | None = None,
    ) -> None:
        self.granularity: Granularity = granularity
        self.index: list[int] = index if index is not None else []
        self.count: list[int] = count if count is not None else [0] * len(self.index)
        self.amounts: dict[str, Amounts] = amounts if amounts is not None else {}
        #: Each bucket's counterparties' marks (never changed in place: copies share them).
        self.parties: list[Sequence[int]] = parties if parties is not None else [()] * len(self.index)

    def copy(self) -> Series:
        return Series(
            self.granularity,
            self.index.copy(),
            self.count.copy(),
            {currency: amounts.copy() for currency, amounts in self.amounts.items()},
            self.parties.copy(),
        )

    # ------------------------------------------------------------------------------------ reading
    def window(
        self,
        first: int,
        last: int,
        currency: str,
        counterparties: bool = True,
        figures: frozenset[str] | None = None,
    ) -> dict[str, Any]:
        """The aggregates of buckets `first` to `last` (numbers, both included) in `currency`, as rules read them
        (`monitoring.monitoring_context`); their distinct counterparties only when `counterparties`. With
        `figures` (`monitoring.window_figures`), only those of them: what a rule set reads of the window. Each
        column is summed only for a figure that needs it, and the figures come in `FIGURES` order either way."""
        index = self.index
        a, b = bisect.bisect_left(index, first), bisect.bisect_right(index, last)
        if figures is None:
            figures = _EVERY_FIGURE if counterparties else _BUT_COUNTERPARTIES
        names, counted, summed, inbound_read = _plan(figures)
        amounts = self.amounts.get(currency)
        in_currency = total = inbound = 0
        unit = 1
        if amounts is not None:  # each column summed only if a figure read needs it
            unit = 10**amounts.scale
            in_currency = sum(amounts.n[a:b]) if counted else 0
            total = sum(amounts.s[a:b]) if summed else 0
            inbound = sum(amounts.i[a:b]) if inbound_read else 0
        found: dict[str, Any] = {}
        for name in names:
            if name == "count":
                found[name] = sum(self.count[a:b])
            elif name == "currency_count":
                found[name] = in_currency
            elif name == "sum":
                found[name] = total / unit
            elif name == "avg":
                found[name] = total / (unit * in_currency) if in_currency else 0.0
            elif name == "max":
                found[name] = (max(amounts.x[a:b], default=0) if amounts is not None else 0) / unit
            elif name == "inbound_sum":
                found[name] = inbound / unit
            elif name == "outbound_sum":
                found[name] = (total - inbound) / unit
            else:
                parties = self.parties[a:b]
                found[name] = len(set().union(*parties)) if any(parties) else 0
        return found

    def inbound(self, first: int, last: int, currency: str) -> Decimal:
        """The inbound sum in `currency` of buckets `first` to `last` (numbers, both included), exactly."""
        amounts = self.amounts.get(currency)
        if amounts is None:
            return Decimal(0)
        a, b = bisect.bisect_left(self.index, first), bisect.bisect_right(self.index, last)
        return amounts.decimal(sum(amounts.i[a:b]))

    def latest(self, last: int) -> int | None:
        """The number of the newest bucket at or before `last` (every bucket kept has a transaction), or None."""
        position = bisect.bisect_right(self.index, last)
        return self.index[position - 1] if position else None

    def view(self, first: int, last: int) -> SeriesView:
        return SeriesView(self, first, last)

    # ------------------------------------------------------------------------------------ counting
    def add(
        self, number: int, currency: str, amount: Decimal, inbound: bool, party: str | None, room: int
    ) -> None:
        """Count a transaction in bucket `number` (made if missing); `party` (a counterparty key) is remembered
        there, as its mark, while the bucket holds fewer than `room`. Changes this series (`tally`)."""
        self.tally(number, currency, amount, inbound, party_mark(party) if party is not None else None, room)

    def tally(
        self,
        number: int,
        currency: str,
        amount: Decimal,
        inbound: bool,
        mark: int | None,
        room: int,
        kept_from: int | None = None,
        parties_from: int | None = None,
        forget_parties: bool = False,
        digits: int | None = None,
        units: dict[int, int] | None = None,
    ) -> None:
        """Count a transaction in bucket `number` (made if missing), in place; `mark`, a counterparty's
        `party_mark` (None: none), is remembered there while the bucket holds fewer than `room`. Then the buckets
        before `kept_from` are dropped (with a currency none of the others has) and, when `forget_parties`, the
        counterparties of those before `parties_from` forgotten (None: of every bucket). `digits` is the amount's
        `places`, when the caller counts it in several series, and `units` the amount as integers of each scale it
        was already turned into (filled in here: a customer's series share their scale). A decision counts its
        transaction so in each series of the profile it read (`Profile.count`): counting on a copy of each column
        was a fifth of a decision.

        Written as one body, not as a call for each step (`tests/unit/monitoring/test_monitoring_series.py` checks
        it against the steps taken one after the other): a decision counts in three series, and the calls were a
        third of counting's instructions (bench/monitoring/instructions.py)."""
        index, counts, parties, by_currency = self.index, self.count, self.parties, self.amounts
        position = bisect.bisect_left(index, number)
        if position == len(index) or index[position] != number:
            index.insert(position, number)
            counts.insert(position, 0)
            parties.insert(position, ())
            for found in by_currency.values():
                found.n.insert(position, 0)
                found.s.insert(position, 0)
                found.x.insert(position, 0)
                found.i.insert(position, 0)
        counts[position] += 1
        totals = by_currency.get(currency)
        if totals is None:
            totals = by_currency[currency] = Amounts.empty(
                len(index), places(amount) if digits is None else digits
            )
        value = units.get(totals.scale) if units is not None else None
        if value is None:
            value = totals.scaled(amount, digits)
            if units is not None:
                units[totals.scale] = value
        totals.n[position] += 1
        totals.s[position] += value
        if value > totals.x[position]:
            totals.x[position] = value
        if inbound:
            totals.i[position] += value
        if mark is not None:
            known = parties[position]
            if mark not in known and len(known) < room:
                parties[position] = (*known, mark)
        if kept_from is not None and index[0] < kept_from:
            end = bisect.bisect_left(index, kept_from)
            del index[:end], counts[:end], parties[:end]
            for code, found in list(by_currency.items()):
                del found.n[:end], found.s[:end], found.x[:end], found.i[:end]
                if not any(found.n):
                    del by_currency[code]
        if forget_parties:
            end = len(index) if parties_from is None else bisect.bisect_left(index, parties_from)
            if any(parties[:end]):
                parties[:end] = [()] * end

    def _place(self, number: int) -> int:
        """The position of bucket `number`, an empty bucket made there if there was none."""
        position = bisect.bisect_left(self.index, number)
        if position == len(self.index) or self.index[position] != number:
            self.index.insert(position, number)
            self.count.insert(position, 0)
            self.parties.insert(position, ())
            for amounts in self.amounts.values():
                amounts.insert(position)
        return position

    # ------------------------------------------------------------------------------------ as a mapping
    def _position(self, start: str) -> int | None:
        from arbiter.domain.monitoring import bucket_index

        number = bucket_index(start, self.granularity)
        position = bisect.bisect_left(self.index, number)
        return position if position < len(self.index) and self.index[position] == number else None

    def bucket(self, position: int) -> Bucket:
        from arbiter.domain.monitoring import Bucket, CurrencyTotals, bucket_name

        totals = {
            currency: CurrencyTotals(
                count=a.n[position],
                sum=a.decimal(a.s[position]),
                max=a.decimal(a.x[position]) if a.x[position] else None,
                inbound=a.decimal(a.i[position]),
            )
            for currency, a in self.amounts.items()
            if a.n[position]
        }
        return Bucket(
            bucket_name(self.index[position], self.granularity),
            self.count[position],
            totals,
            frozenset(f"{mark:08x}" for mark in self.parties[position]),
        )

    def __getitem__(self, start: str) -> Bucket:
        position = self._position(start)
        if position is None:
            raise KeyError(start)
        return self.bucket(position)

    def __setitem__(self, start: str, bucket: Bucket) -> None:
        """Put `bucket` in as it is (replacing the one of its start): what a store migrating buckets does."""
        from arbiter.domain.monitoring import bucket_index

        if start in self:
            del self[start]
        position = self._place(bucket_index(start, self.granularity))
        self.count[position] = bucket.count
        self.parties[position] = tuple(sorted({party_mark(key) for key in bucket.counterparties}))
        for currency, totals in bucket.totals.items():
            amounts = self.amounts.get(currency)
            if amounts is None:
                amounts = self.amounts[currency] = Amounts.empty(len(self.index), 0)
            largest = totals.max if totals.max is not None else Decimal(0)
            amounts.n[position] = totals.count
            amounts.s[position] = amounts.scaled(totals.sum)
            amounts.x[position] = amounts.scaled(largest)
            amounts.i[position] = amounts.scaled(totals.inbound)

    def __delitem__(self, start: str) -> None:
        position = self._position(start)
        if position is None:
            raise KeyError(start)
        del self.index[position], self.count[position], self.parties[position]
        for amounts in self.amounts.values():
            amounts.delete(position, position + 1)

    def __iter__(self) -> Iterator[str]:
        from arbiter.domain.monitoring import bucket_name

        return (bucket_name(number, self.granularity) for number in self.index)

    def __len__(self) -> int:
        return len(self.index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Series):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Series({self.granularity!r}, {len(self.index)} buckets)"


class SeriesView(Mapping[str, "Bucket"]):
    """The buckets of a `Series` from number `first` to `last` (both included), as a mapping."""

    __slots__ = ("first", "last", "series")

    def __init__(self, series: Series, first: int, last: int) -> None:
        self.series, self.first, self.last = series, first, last

    def _positions(self) -> range:
        index = self.series.index
        return range(bisect.bisect_left(index, self.first), bisect.bisect_right(index, self.last))

    def __getitem__(self, start: str) -> Bucket:
        position = self.series._position(start)
        if position is None or not self.first <= self.series.index[position] <= self.last:
            raise KeyError(start)
        return self.series.bucket(position)

    def __iter__(self) -> Iterator[str]:
        from arbiter.domain.monitoring import bucket_name

        index, granularity = self.series.index, self.series.granularity
        return (bucket_name(index[p], granularity) for p in self._positions())

    def __len__(self) -> int:
        return len(self._positions())
