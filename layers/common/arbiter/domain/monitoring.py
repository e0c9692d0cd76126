"""A customer's transaction history as time-bucketed counters, the windows rules read from them, and the
changes one transaction makes to them.

Deciding a transaction reads a bounded number of buckets whatever the length of the history: a window is the
bucket holding the transaction's time and the buckets just before it (`WINDOWS`), so `24h` is 24 hourly buckets
(between 23 and 24 hours of history before the current bucket's start, plus that bucket). Windows are anchored at the
transaction's own time, not at the clock: a late transaction is decided on the history around its time and lands
in the buckets of its time. Buckets hold the history *before* the transaction being decided (it is added after the
decision), per currency: no currency is converted, `sum`, `avg` and `max` are those of the transaction's currency.

Dimensions: the customer (every window), and the customer with one counterparty or one counterparty country
(daily buckets: 7, 30 and 90 days). Besides the buckets, a `Seen` marker per customer, counterparty and country
keeps when it was first and last seen and how many transactions it had, for "first seen" and "days since last".

A customer's own series, its `Seen` marker and its countries' markers are kept together as one `Profile`: one
record read and written per decision, its series kept as columns (`monitoring_series.Series`: a window is a few
slice sums, counting a transaction changes one position of each list). The counterparty's and the country's series
and the counterparty's marker are kept apart, and only while the rule set reads them (`Needs`): a customer deals
with more counterparties than one record should hold.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from arbiter.domain.monitoring_series import FIGURES, Series, SeriesView, party_mark, places
from arbiter.domain.transactions import Transaction, counterparty_key

__all__ = [
    "BUCKET_RETENTION",
    "EVERYTHING",
    "MAX_COUNTERPARTIES_PER_BUCKET",
    "RECENT",
    "WINDOWS",
    "Bucket",
    "BucketRange",
    "BucketUpdate",
    "Changes",
    "CurrencyTotals",
    "Dimension",
    "Granularity",
    "History",
    "MarkerUpdate",
    "MonthlyVolume",
    "Needs",
    "Profile",
    "Seen",
    "bucket_index",
    "bucket_indexes",
    "bucket_name",
    "bucket_start",
    "changes_for",
    "context_fields",
    "counted",
    "counterparty_context",
    "country_context",
    "customer_days_known",
    "days_since_last",
    "first_seen",
    "id_mark",
    "marked",
    "monitoring_context",
    "monthly_volume",
    "needs_of",
    "reads_for",
    "updates_for",
    "window_figures",
]

Granularity = Literal["M", "H", "D"]
Dimension = Literal["customer", "counterparty", "country"]

_STEP: dict[Granularity, dt.timedelta] = {
    "M": dt.timedelta(minutes=10),
    "H": dt.timedelta(hours=1),
    "D": dt.timedelta(days=1),
}
#: How long a bucket is kept after its start (the table's TTL): its longest window, plus a margin for late ones.
BUCKET_RETENTION: dict[Granularity, dt.timedelta] = {
    "M": dt.timedelta(days=2),
    "H": dt.timedelta(days=3),
    "D": dt.timedelta(days=100),
}
#: Window name → (granularity, number of buckets ending with the transaction's bucket).
WINDOWS: dict[str, tuple[Granularity, int]] = {
    "1h": ("M", 6),
    "24h": ("H", 24),
    "7d": ("D", 7),
    "30d": ("D", 30),
    "90d": ("D", 90),
}
#: The windows kept per counterparty and per country (daily buckets only).
PARTY_WINDOWS = ("7d", "30d", "90d")
#: Distinct counterparties remembered per bucket: a window's `counterparties` counts at most this many per bucket.
MAX_COUNTERPARTIES_PER_BUCKET = 32


_SECONDS: dict[Granularity, int] = {g: int(step.total_seconds()) for g, step in _STEP.items()}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def bucket_start(at: dt.datetime, granularity: Granularity) -> str:
    """The sortable name of the bucket holding `at` (UTC): `2026-12-06T10:20`, `2026-12-06T10`, `2026-12-06`."""
    return _name_at(granularity, _index(at, granularity))


def _index(at: dt.datetime, granularity: Granularity) -> int:
    """The bucket holding `at`, as a number: buckets of one granularity since 1970-01-01 (UTC, as every bucket)."""
    return bucket_indexes(at)[granularity]


@functools.lru_cache(maxsize=256)
def bucket_indexes(at: dt.datetime) -> dict[Granularity, int]:
    """The buckets of each granularity holding `at`, as numbers (`bucket_index`)."""
    # A decision asks for its transaction's buckets a dozen times; `timestamp()` of an aware time is not free.
    timestamp = at.timestamp()
    return {granularity: int(timestamp // seconds) for granularity, seconds in _SECONDS.items()}


def bucket_name(index: int, granularity: Granularity) -> str:
    """The name of bucket number `index` (`bucket_index`'s inverse)."""
    return _name_at(granularity, index)


@functools.lru_cache(maxsize=8192)
def bucket_index(name: str, granularity: Granularity) -> int:
    """The number of the bucket named `name`: buckets of one granularity since 1970-01-01 (UTC)."""
    day = dt.datetime(int(name[0:4]), int(name[5:7]), int(name[8:10]), tzinfo=dt.UTC)
    at = day.replace(hour=int(name[11:13])) if granularity != "D" else day
    if granularity == "M":
        at = at.replace(minute=int(name[14:16]))
    return _index(at, granularity)


def _start_at(granularity: Granularity, index: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=index * _SECONDS[granularity])


@functools.lru_cache(maxsize=8192)
def _name_at(granularity: Granularity, index: int) -> str:
    # Formatted by hand, once per bucket: strftime was most of a decision's time (bench/monitoring).
    start = _start_at(granularity, index)
    day = f"{start.year:04d}-{start.month:02d}-{start.day:02d}"
    if granularity == "M":
        return f"{day}T{start.hour:02d}:{start.minute:02d}"
    if granularity == "H":
        return f"{day}T{start.hour:02d}"
    return day


@functools.lru_cache(maxsize=64)
def _starts(at: dt.datetime, granularity: Granularity, count: int) -> tuple[str, ...]:
    """The `count` buckets ending with the one holding `at`, oldest first (a decision asks for each a few times)."""
    return _starts_from(granularity, _index(at, granularity), count)


@functools.lru_cache(maxsize=1024)
def _starts_from(granularity: Granularity, last: int, count: int) -> tuple[str, ...]:
    # Transactions arrive near "now": most of them share their buckets, so a window's names are made once.
    return tuple(_name_at(granularity, index) for index in range(last - count + 1, last + 1))


@dataclass(frozen=True)
class BucketRange:
    """What to read: the buckets of one dimension and granularity from `first` to `last` (at most `size`)."""

    dimension: Dimension
    key: str  # the customer's id (customer), a counterparty key, a country code
    granularity: Granularity
    first: str
    last: str
    size: int


@dataclass(slots=True)
class CurrencyTotals:
    count: int = 0
    sum: Decimal = Decimal(0)
    max: Decimal | None = None
    #: The part of `sum` that came in (inbound transactions): what rapid movement compares an outflow with.
    inbound: Decimal = Decimal(0)


@dataclass(slots=True)
class Bucket:
    """The transactions of one dimension in one bucket of time. Never changed once made (`counted` makes the next
    one). Not frozen: a frozen dataclass is made half as fast."""

    start: str
    count: int = 0
    totals: dict[str, CurrencyTotals] = field(default_factory=dict)
    counterparties: frozenset[str] = frozenset()


class Seen:
    """When a customer, counterparty or country was first and last seen, and in how many transactions. Immutable.

    Also kept as epoch microseconds (`micros`), the form a profile packs it in: a profile holds a marker per
    country its customer paid and a decision reads one of them, so each form is made only when asked for."""

    __slots__ = ("_first", "_last", "_micros", "count")

    def __init__(
        self,
        first: dt.datetime | None = None,
        last: dt.datetime | None = None,
        count: int = 0,
        *,
        micros: tuple[int, int] | None = None,
    ) -> None:
        if micros is None and (first is None or last is None):
            raise TypeError("Seen needs first and last, or micros")
        self._first, self._last, self._micros, self.count = first, last, micros, count

    @property
    def first(self) -> dt.datetime:
        if self._first is None:
            self._first = _EPOCH + dt.timedelta(microseconds=self.micros[0])
        return self._first

    @property
    def last(self) -> dt.datetime:
        if self._last is None:
            self._last = _EPOCH + dt.timedelta(microseconds=self.micros[1])
        return self._last

    @property
    def micros(self) -> tuple[int, int]:
        """First and last, as microseconds since 1970-01-01 (UTC)."""
        if self._micros is None:
            self._micros = (_micros_of(self.first), _micros_of(self.last))
        return self._micros

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Seen):
            return NotImplemented
        return (self.micros, self.count) == (other.micros, other.count)

    def __hash__(self) -> int:
        return hash((self.micros, self.count))

    def __repr__(self) -> str:
        return f"Seen(first={self.first!r}, last={self.last!r}, count={self.count!r})"


def _micros_of(at: dt.datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@functools.lru_cache(maxsize=256)
def _micros_at(at: dt.datetime) -> int:
    # A decision compares its transaction's time with markers a few times: as micros, as a profile keeps them,
    # rather than turning each marker read from one into times.
    return _micros_of(at)


@dataclass
class History:
    """What a decision read: the buckets of each range (by start) and the markers."""

    buckets: dict[tuple[Dimension, Granularity], Mapping[str, Bucket]] = field(default_factory=dict)
    customer: Seen | None = None
    counterparty: Seen | None = None
    country: Seen | None = None
    #: The customer's onboarding risk level, when an Arbiter case approved it (its monitored-entity record).
    risk_level: str | None = None
    #: The monthly processing limit of the terms the approval granted (underwriting), and their currency.
    monthly_limit: Decimal | None = None
    limit_currency: str | None = None
    #: The customer's profile as read (counted in place and written over the version read: `Changes.profile`).
    profile: Profile = field(default_factory=lambda: Profile())
    #: The buckets holding the transaction the profile was read for (`Profile.read`): its ranges end there.
    read_at: Mapping[Granularity, int] | None = None

    def customer_buckets(self, granularity: Granularity) -> Mapping[str, Bucket]:
        """The customer's buckets of `granularity` the decision read: those put in `buckets` (a test's), else a view
        of the profile's series over the range `reads_for` names, made when first asked for: a decision whose rule
        context is made for its version (`monitoring_plan`) reads the columns straight and asks for none."""
        found = self.buckets.get(("customer", granularity))
        if found is None:
            if self.read_at is None:
                return _NO_BUCKETS
            last = self.read_at[granularity]
            found = self.profile.series[granularity].view(last - _READ[granularity] + 1, last)
            self.buckets[("customer", granularity)] = found
        return found


@dataclass(frozen=True)
class Needs:
    """The windows a rule set reads, per dimension: a decision reads and sums only these (`needs_of`).

    Everything by default (backtests, dry runs, a rule set reading computed paths). A window not needed is absent
    from the rule context; a party series or marker not needed is neither read nor kept."""

    customer: tuple[str, ...] = tuple(WINDOWS)
    counterparty: tuple[str, ...] = PARTY_WINDOWS
    country: tuple[str, ...] = PARTY_WINDOWS
    #: The counterparty's marker (`counterparty.first_seen`, `counterparty.transactions`) is read and kept.
    counterparty_seen: bool = True
    #: The customer's windows whose `counterparties` is read: only their buckets keep counterparty keys.
    counterparties: tuple[str, ...] = tuple(WINDOWS)

    @functools.cached_property
    def counterparty_horizons(self) -> dict[Granularity, int]:
        """By granularity, how many buckets up to the newest keep their counterparty keys (0: none). Read by every
        decision: worked out once per `Needs` (a rule set version's)."""
        return {
            granularity: max(
                (WINDOWS[n][1] for n in self.counterparties if WINDOWS[n][0] == granularity), default=0
            )
            for granularity in _STEP
        }

    def of(self, dimension: Dimension) -> tuple[str, ...]:
        return self.customer if dimension == "customer" else getattr(self, dimension)


EVERYTHING = Needs()


@functools.lru_cache(maxsize=64)
def needs_of(paths: tuple[str, ...] | None) -> Needs:
    """The windows read by rules reading `paths` (`{"var": path}`); None: paths unknown (computed), everything.

    `window.24h.sum` needs the customer's 24h window; `window` alone (the whole object) or a window this version
    does not know needs all of them; `counterparty.window.7d.count` the counterparty's 7d; `counterparty` alone all
    of the counterparty's and its marker; `counterparty.first_seen` or `.transactions` its marker.
    `window.7d.counterparties` (or `window.7d` whole) needs the 7d window's buckets to keep their counterparties."""
    if paths is None:
        return EVERYTHING
    wanted: dict[Dimension, set[str]] = {"customer": set(), "counterparty": set(), "country": set()}
    counterparty_seen = False
    distinct: set[str] = set()
    for path in paths:
        parts = path.split(".")
        if parts[0] == "window":
            dimension: Dimension = "customer"
            rest, known = parts[1:], tuple(WINDOWS)
            if not rest or rest[0] not in known:  # the whole object, or a window this version does not know
                distinct |= set(known)
            elif len(rest) == 1 or rest[1] == "counterparties":
                distinct.add(rest[0])
        elif parts[0] in ("counterparty", "country"):
            dimension = "counterparty" if parts[0] == "counterparty" else "country"
            if dimension == "counterparty" and (
                len(parts) == 1 or parts[1] in ("first_seen", "transactions")
            ):
                counterparty_seen = True
            if len(parts) > 1 and parts[1] != "window":
                continue
            rest, known = parts[2:], PARTY_WINDOWS
        else:
            continue
        wanted[dimension] |= {rest[0]} if rest and rest[0] in known else set(known)
    return Needs(
        customer=tuple(n for n in WINDOWS if n in wanted["customer"]),
        counterparty=tuple(n for n in PARTY_WINDOWS if n in wanted["counterparty"]),
        country=tuple(n for n in PARTY_WINDOWS if n in wanted["country"]),
        counterparty_seen=counterparty_seen,
        counterparties=tuple(n for n in WINDOWS if n in distinct),
    )


def _party_dimensions(tx: Transaction) -> list[tuple[Dimension, str]]:
    found: list[tuple[Dimension, str]] = []
    party = counterparty_key(tx.counterparty)
    if party:
        found.append(("counterparty", party))
    if tx.counterparty.country:
        found.append(("country", tx.counterparty.country))
    return found


def _size(needs: Needs, dimension: Dimension, granularity: Granularity) -> int:
    """How many buckets of a series a decision reads: its longest window needed, else the transaction's own bucket
    (its max: `updates_for`). The customer's daily buckets are read whole: the month's volume and a late
    transaction's days since the last one are summed from them."""
    if dimension == "customer" and granularity == "D":
        return WINDOWS["90d"][1]
    return max((WINDOWS[n][1] for n in needs.of(dimension) if WINDOWS[n][0] == granularity), default=1)


def _kept(tx: Transaction, needs: Needs) -> list[tuple[Dimension, str]]:
    """The party series `tx` is counted in: those whose windows `needs` names (no rule reads the others)."""
    if not needs.counterparty and not needs.country:
        return []  # most rule sets (the shipped scenarios): no party series at all
    return [(dimension, key) for dimension, key in _party_dimensions(tx) if needs.of(dimension)]


def reads_for(tx: Transaction, needs: Needs = EVERYTHING, *, customer: bool = True) -> list[BucketRange]:
    """The bucket ranges a decision on `tx` reads: one per granularity of the customer (its profile's, left out
    when not `customer`: a store reads the profile whole), one per party dimension whose windows `needs` names,
    each as long as the longest window `needs` names in it."""
    ranges = []
    targets: list[tuple[Dimension, str, Granularity]] = (
        [("customer", tx.customer_id, granularity) for granularity in ("M", "H", "D")] if customer else []
    )
    targets += [(dimension, key, "D") for dimension, key in _kept(tx, needs)]
    for dimension, key, granularity in targets:
        size = _size(needs, dimension, granularity)
        starts = _starts(tx.time, granularity, size)
        ranges.append(BucketRange(dimension, key, granularity, starts[0], starts[-1], size))
    return ranges


# ------------------------------------------------------------------------------------------------- windows
_NO_BUCKETS: Mapping[str, Bucket] = {}


def _window(buckets: Mapping[str, Bucket], starts: Sequence[str], currency: str) -> dict[str, Any]:
    count, in_currency, total, inbound, largest = 0, 0, Decimal(0), Decimal(0), None
    parties: set[str] = set()
    for start in starts:
        bucket = buckets.get(start)
        if bucket is None:
            continue
        count += bucket.count
        parties |= bucket.counterparties
        totals = bucket.totals.get(currency)
        if totals is not None:
            in_currency += totals.count
            total += totals.sum
            inbound += totals.inbound
            if totals.max is not None and (largest is None or totals.max > largest):
                largest = totals.max
    return {
        "count": count,
        "currency_count": in_currency,
        "sum": float(total),
        "avg": float(total / in_currency) if in_currency else 0.0,
        "max": float(largest) if largest is not None else 0.0,
        "inbound_sum": float(inbound),
        "outbound_sum": float(total - inbound),
        "counterparties": len(parties),
    }


def _windows(
    history: History,
    dimension: Dimension,
    tx: Transaction,
    names: tuple[str, ...],
    distinct: tuple[str, ...] = tuple(WINDOWS),
    figures: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """The windows `names` of a dimension; the customer's count their counterparties only when among `distinct`
    (`Needs.counterparties`: a window whose counterparties no rule reads leaves them out), and with `figures`
    (`window_figures`) work out only the figures named there for a window."""
    out = {}
    numbers = bucket_indexes(tx.time)
    for name in names:
        granularity, size = WINDOWS[name]
        buckets = (
            history.customer_buckets(granularity)
            if dimension == "customer"
            else history.buckets.get((dimension, granularity), _NO_BUCKETS)
        )
        if type(buckets) is SeriesView:  # the customer's own, as columns: sums over slices
            last = numbers[granularity]
            out[name] = buckets.series.window(
                last - size + 1,
                last,
                tx.currency,
                name in distinct,
                figures.get(name) if figures is not None else None,
            )
        else:
            out[name] = _window(buckets, _starts(tx.time, granularity, size), tx.currency)
    return out


def first_seen(seen: Seen | None, at: dt.datetime) -> bool:
    """Whether `seen` marks no transaction before `at` (None: none at all)."""
    return seen is None or seen.micros[0] > _micros_at(at)


def _days(micros: int) -> float:
    """A duration in microseconds as days, to the thousandth (`timedelta.total_seconds` is micros / 10**6)."""
    return round(micros / 1_000_000 / 86400, 3)


def days_since_last(history: History, tx: Transaction) -> float | None:
    """Days since the customer's previous transaction; for a late one, from the daily buckets (at day precision)."""
    seen = history.customer
    if seen is None:
        return None
    at, last = _micros_at(tx.time), seen.micros[1]
    if last <= at:
        return _days(at - last)
    daily = history.customer_buckets("D")
    if type(daily) is SeriesView:
        latest = daily.series.latest(_index(tx.time, "D"))
        if latest is None or latest < daily.first:
            return None
        return float(_index(tx.time, "D") - latest)
    today = bucket_start(tx.time, "D")
    earlier = [start for start, bucket in daily.items() if bucket.count and start <= today]
    if not earlier:
        return None
    return float((dt.date.fromisoformat(today) - dt.date.fromisoformat(max(earlier))).days)


def customer_days_known(seen: Seen | None, at: dt.datetime) -> float:
    """Days since the customer's first transaction (`customer.days_known`); 0 for a transaction before it."""
    return _days(_micros_at(at) - seen.micros[0]) if seen and seen.micros[0] <= _micros_at(at) else 0.0


def counterparty_context(tx: Transaction, history: History, needs: Needs) -> dict[str, Any]:
    """The rule context's `counterparty`: its key, its marker's figures, its windows `needs` names."""
    party = counterparty_key(tx.counterparty)
    return {
        "key": party,
        "first_seen": bool(party) and first_seen(history.counterparty, tx.time),
        "transactions": history.counterparty.count if history.counterparty else 0,
        "window": _windows(history, "counterparty", tx, needs.counterparty) if party else {},
    }


def country_context(tx: Transaction, history: History, needs: Needs) -> dict[str, Any]:
    """The rule context's `country` (the counterparty's): its code, its marker's figures, its windows."""
    country = tx.counterparty.country
    return {
        "code": country,
        "first_seen": bool(country) and first_seen(history.country, tx.time),
        "transactions": history.country.count if history.country else 0,
        "window": _windows(history, "country", tx, needs.country) if country else {},
    }


def context_fields(paths: tuple[str, ...] | None) -> frozenset[str] | None:
    """The fields of the rule context rules reading `paths` read (`{"var": path}`), each as its object's name and
    its own (`tx.time`, `customer.days_known`; an object read whole names itself: `tx`). None: paths unknown
    (computed), every field."""
    return None if paths is None else frozenset(".".join(path.split(".")[:2]) for path in paths)


@functools.lru_cache(maxsize=64)
def window_figures(paths: tuple[str, ...] | None) -> Mapping[str, frozenset[str]] | None:
    """The figures of the customer's windows rules reading `paths` read, by window (`window.24h.avg`: `avg` of
    `24h`); a window read whole, or a figure this version does not know, is absent: all its figures are worked out.
    None: paths unknown (computed), or the whole `window` read: every figure of every window."""
    if paths is None:
        return None
    found: dict[str, set[str]] = {}
    whole: set[str] = set()
    for path in paths:
        parts = path.split(".")
        if parts[0] != "window":
            continue
        if len(parts) == 1 or parts[1] not in WINDOWS:
            return None
        if len(parts) == 2 or parts[2] not in FIGURES:
            whole.add(parts[1])
        else:
            found.setdefault(parts[1], set()).add(parts[2])
    return {name: frozenset(figures) for name, figures in found.items() if name not in whole}


@functools.lru_cache(maxsize=64)
def _computed(fields: frozenset[str] | None) -> tuple[bool, bool, bool, bool, bool]:
    """Which of the fields that cost something to work out are read: the transaction's time (`time`, `hour`,
    `weekday`), the customer's `first_transaction`, `days_since_last` and `days_known`, the `counterparty`."""

    def read(field: str) -> bool:  # the field, its object whole, or (an object) one of its fields
        return (
            fields is None
            or field in fields
            or field.partition(".")[0] in fields
            or any(f.startswith(f"{field}.") for f in fields)
        )

    return (
        read("tx.time") or read("tx.hour") or read("tx.weekday"),
        read("customer.first_transaction"),
        read("customer.days_since_last"),
        read("customer.days_known"),
        read("counterparty"),
    )


def monitoring_context(
    tx: Transaction,
    history: History,
    needs: Needs = EVERYTHING,
    fields: frozenset[str] | None = None,
    figures: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, Any]:
    """The variables monitoring rules read (docs/rules.md#transaction-monitoring): `tx`, `customer`, `window`,
    `counterparty`, `country`. Aggregates describe the history before `tx`; windows are those `needs` names (the
    history holds no more). With `fields` (`context_fields` of a rule set's paths), the fields that cost something
    to work out and that the rule set does not read are left out, and with `figures` (`window_figures` of them)
    the customer's windows hold only the figures read: a decision's rules see what they read."""
    time, first_transaction, since_last, known_for, counterparty = _computed(fields)
    customer = history.customer
    about_tx: dict[str, Any] = {
        "id": tx.id,
        "amount": float(tx.amount),
        "currency": tx.currency,
        "direction": tx.direction,
        "type": tx.type,
        "channel": tx.channel,
    }
    if time:
        at = tx.time.astimezone(dt.UTC)
        about_tx |= {"time": at.isoformat(), "hour": at.hour, "weekday": at.isoweekday()}
    about_tx["counterparty"] = {  # its fields (a model dump costs more than the rest of this dictionary)
        "name": tx.counterparty.name,
        "account": tx.counterparty.account,
        "country": tx.counterparty.country,
    }
    about_tx["metadata"] = tx.metadata
    about_customer: dict[str, Any] = {"id": tx.customer_id}
    if first_transaction:
        about_customer["first_transaction"] = first_seen(customer, tx.time)
    about_customer["transactions"] = customer.count if customer else 0
    if since_last:
        about_customer["days_since_last"] = days_since_last(history, tx)
    if known_for:
        about_customer["days_known"] = customer_days_known(customer, tx.time)
    about_customer["risk_level"] = history.risk_level
    context: dict[str, Any] = {
        "tx": about_tx,
        "customer": about_customer,
        "window": _windows(history, "customer", tx, needs.customer, needs.counterparties, figures),
    }
    if counterparty:
        context["counterparty"] = counterparty_context(tx, history, needs)
    context["country"] = country_context(tx, history, needs)
    return context


# ------------------------------------------------------------------------------------------------- limits
@dataclass(frozen=True)
class MonthlyVolume:
    """A merchant's processed volume in the calendar month of a transaction, before it and with it, against the
    monthly limit of its terms."""

    month: str  # YYYY-MM
    currency: str
    limit: Decimal
    before: Decimal
    after: Decimal

    @property
    def crossed(self) -> bool:
        """Whether this transaction took the month over the limit (true for one transaction a month)."""
        return self.before <= self.limit < self.after


def monthly_volume(tx: Transaction, history: History) -> MonthlyVolume | None:
    """The month's processed volume, summed from the customer's daily buckets the decision read already (up to 31
    of the 90): what came in (`inbound`: the payments a merchant takes), in the terms' currency. None when the
    customer has no monthly limit, or `tx` is in another currency (no conversion)."""
    if history.monthly_limit is None or history.limit_currency != tx.currency:
        return None
    day = tx.time.astimezone(dt.UTC).date()
    first, last = day.replace(day=1).isoformat(), day.isoformat()
    daily = history.customer_buckets("D")
    if type(daily) is SeriesView:
        before = daily.series.inbound(
            max(daily.first, bucket_index(first, "D")), bucket_index(last, "D"), tx.currency
        )
        after = before + (tx.amount if tx.direction == "inbound" else Decimal(0))
        return MonthlyVolume(
            month=last[:7], currency=tx.currency, limit=history.monthly_limit, before=before, after=after
        )
    before = sum(
        (
            totals.inbound
            for start, bucket in daily.items()
            if first <= start <= last and (totals := bucket.totals.get(tx.currency)) is not None
        ),
        Decimal(0),
    )
    after = before + (tx.amount if tx.direction == "inbound" else Decimal(0))
    return MonthlyVolume(
        month=last[:7], currency=tx.currency, limit=history.monthly_limit, before=before, after=after
    )


# ------------------------------------------------------------------------------------------------- writes
@dataclass(frozen=True)
class BucketUpdate:
    """Adding one transaction to one bucket. `raise_max` is set when the amount is above the max read
    (`max_read`, None when there was none): the write is conditional on the max not having moved past it."""

    dimension: Dimension
    key: str
    granularity: Granularity
    start: str
    currency: str
    amount: Decimal
    #: An inbound transaction: its amount also counts in the bucket's inbound sum.
    inbound: bool
    raise_max: bool
    max_read: Decimal | None
    expires_at: dt.datetime


class MarkerUpdate(NamedTuple):
    """Counting one transaction on a `Seen` marker; `first`/`last` are set only when they move (earlier/later),
    conditional on the value read (`seen`), so two writers racing cannot lose the earliest or latest time. A named
    tuple: a decision makes two or three, and a frozen dataclass is made four times slower."""

    dimension: Dimension
    key: str
    seen: Seen | None
    first: dt.datetime | None
    last: dt.datetime | None


def _bucket_of(history: History, dimension: Dimension, granularity: Granularity, start: str) -> Bucket | None:
    return history.buckets.get((dimension, granularity), {}).get(start)


def updates_for(
    tx: Transaction, history: History, needs: Needs = EVERYTHING
) -> tuple[list[BucketUpdate], list[MarkerUpdate]]:
    """What recording `tx` changes, given the history read for its decision, besides its customer's profile (its
    buckets and markers and its country's: `Profile.count`): the party series `needs` keeps, and the counterparty's
    marker if `needs` keeps it."""
    if not needs.counterparty and not needs.country and not needs.counterparty_seen:
        return [], []  # most rule sets (the shipped scenarios): the profile is all a decision writes
    buckets = []
    parties = _party_dimensions(tx)
    for dimension, key in parties:
        if not needs.of(dimension):
            continue  # no rule reads its series: not kept (`_kept`)
        granularity: Granularity = "D"
        index = _index(tx.time, granularity)
        start = _name_at(granularity, index)
        bucket = _bucket_of(history, dimension, granularity, start)
        totals = bucket.totals.get(tx.currency) if bucket else None
        max_read = totals.max if totals else None
        buckets.append(
            BucketUpdate(
                dimension=dimension,
                key=key,
                granularity=granularity,
                start=start,
                currency=tx.currency,
                amount=tx.amount,
                inbound=tx.direction == "inbound",
                raise_max=max_read is None or tx.amount > max_read,
                max_read=max_read,
                expires_at=_start_at(granularity, index) + BUCKET_RETENTION[granularity],
            )
        )
    markers = [
        MarkerUpdate(dimension, key, history.counterparty, *_moves(history.counterparty, tx.time))
        for dimension, key in parties
        if dimension == "counterparty" and needs.counterparty_seen
    ]
    return buckets, markers


def counted(bucket: Bucket | None, update: BucketUpdate) -> Bucket:
    """A copy of `bucket` (or a new one) with the transaction of `update` counted in it."""
    totals = {c: replace(t) for c, t in bucket.totals.items()} if bucket else {}
    entry = totals.setdefault(update.currency, CurrencyTotals())
    entry.count += 1
    entry.sum += update.amount
    if update.inbound:
        entry.inbound += update.amount
    if update.raise_max:
        entry.max = update.amount
    return Bucket(
        start=update.start,
        count=(bucket.count if bucket else 0) + 1,
        totals=totals,
        counterparties=bucket.counterparties if bucket else frozenset(),
    )


def marked(seen: Seen | None, update: MarkerUpdate, at: dt.datetime) -> Seen:
    """`seen` (or a new marker) with one more transaction at `at`, its first/last time moved as `update` says.

    A marker read from a profile has only its `micros`: the next one is made in that form (and with the times at
    hand), not by turning them into times and back when the profile is packed."""
    if seen is None:
        return Seen(first=update.first or at, last=update.last or at, count=1)
    known = seen._micros
    if known is None:
        return Seen(first=update.first or seen.first, last=update.last or seen.last, count=seen.count + 1)
    micros = (
        _micros_at(update.first) if update.first else known[0],
        _micros_at(update.last) if update.last else known[1],
    )
    first, last = update.first or seen._first, update.last or seen._last
    return Seen(first, last, seen.count + 1, micros=micros)


def _seen_again(seen: Seen | None, at: dt.datetime, micros: int) -> Seen:
    """`seen` (or a new marker) with one more transaction at `at` (`micros`), its first or last time moved when
    `at` is earlier or later: what `marked` makes of `_moves`, for the markers a profile keeps."""
    if seen is None:
        return Seen(at, at, 1, micros=(micros, micros))
    first, last = seen.micros
    if micros < first:
        return Seen(at, seen._last, seen.count + 1, micros=(micros, last))
    if micros > last:
        return Seen(seen._first, at, seen.count + 1, micros=(first, micros))
    return Seen(seen._first, seen._last, seen.count + 1, micros=(first, last))


class Changes:
    """What recording a transaction writes: its customer's next profile, the party buckets and the counterparty
    marker kept apart (only those `Needs` keeps).

    The next profile is the one read with the transaction counted in it, in place (`Profile.count`): made when the
    store first asks for `profile`, after its checks, so that a write refused leaves a profile the store holds
    (an in-memory store's) as it was. `version` is the profile version read, the one the store writes over. A plain
    class with slots: a decision makes one, and a frozen dataclass is made several times slower."""

    __slots__ = ("_counted", "buckets", "markers", "needs", "read", "tx")

    def __init__(
        self,
        tx: Transaction,
        read: Profile,
        needs: Needs,
        buckets: list[BucketUpdate],
        markers: list[MarkerUpdate],
    ) -> None:
        self.tx, self.read, self.needs = tx, read, needs
        self.buckets, self.markers = buckets, markers
        self._counted = False

    @property
    def version(self) -> int:
        return self.read.version

    @property
    def profile(self) -> Profile:
        if not self._counted:
            self._counted = True
            self.read.count(self.tx, self.needs)
        return self.read


def changes_for(tx: Transaction, history: History, needs: Needs = EVERYTHING) -> Changes:
    """What recording `tx` writes, given the history read for its decision (whose profile it counts in, in place,
    when written: read what the decision needs of the history first)."""
    buckets, markers = updates_for(tx, history, needs)
    return Changes(tx, history.profile, needs, buckets, markers)


# ------------------------------------------------------------------------------------------------- profile
#: How many buckets of each granularity a profile keeps before its newest one's.
_KEPT: dict[Granularity, int] = {g: BUCKET_RETENTION[g] // _STEP[g] for g in _STEP}
#: How many of its last counted transactions a profile remembers (`Profile.recent`).
RECENT = 8
#: How many buckets of each of its series a decision reads of a profile (`reads_for`'s customer ranges).
_READ: dict[Granularity, int] = {g: _size(EVERYTHING, "customer", g) for g in ("M", "H", "D")}


def id_mark(transaction_id: str) -> int:
    """A transaction id as 32 bits (CRC-32): two ids of one customer's last few share one once in billions."""
    return zlib.crc32(transaction_id.encode())


def _series() -> dict[Granularity, Series]:
    return {"M": Series("M"), "H": Series("H"), "D": Series("D")}


@dataclass
class Profile:
    """A customer's own history as one record: its ten-minute, hourly and daily buckets (`Series`, kept as long as
    `BUCKET_RETENTION` after the newest), its marker and its counterparty countries' markers.

    `version` is the one read (0: none stored yet): the store writes the next one only over it, so two decisions
    on the same history cannot both be counted on it."""

    version: int = 0
    customer: Seen | None = None
    countries: dict[str, Seen] = field(default_factory=dict)
    series: dict[Granularity, Series] = field(default_factory=_series)
    #: The last `RECENT` transactions counted, as `id_mark`s, oldest first: whether a stored transaction was
    #: counted, for as long as no more than `RECENT` others were counted since.
    recent: tuple[int, ...] = ()

    def counted_recently(self, transaction_id: str) -> bool:
        return id_mark(transaction_id) in self.recent

    def read(self, tx: Transaction, history: History) -> None:
        """Put into `history` what a decision on `tx` reads of the profile: the customer's buckets of the ranges
        `reads_for` names (`History.customer_buckets`: views of the profile's series, made when asked for, which the
        decision counts its transaction in when its store writes it: `Changes.profile`), its marker, the
        country's."""
        history.read_at = bucket_indexes(tx.time)
        history.customer = self.customer
        if tx.counterparty.country:
            history.country = self.countries.get(tx.counterparty.country)

    def count(self, tx: Transaction, needs: Needs = EVERYTHING) -> None:
        """Count `tx` in this profile, in place: in its buckets (the counterparty's key kept in those of the
        windows whose `counterparties` the rule set reads, at most `MAX_COUNTERPARTIES_PER_BUCKET` a bucket) and on
        its and its country's markers; the buckets older than their retention before the newest dropped, and the
        counterparty keys of those older than those windows (`needs`): they are most of a busy customer's profile.
        `version` stays the one read. A profile read is its decision's own, and counted once, when its store
        writes it (`Changes.profile`)."""
        at = _micros_at(tx.time)
        newest = self.customer is None or at >= self.customer.micros[1]  # then what is too old goes
        party = counterparty_key(tx.counterparty)
        mark = party_mark(party) if party else None
        inbound, digits, numbers = tx.direction == "inbound", places(tx.amount), bucket_indexes(tx.time)
        units: dict[int, int] = {}  # the amount at each scale of the series: worked out once
        horizons, currency, amount = needs.counterparty_horizons, tx.currency, tx.amount
        for granularity, series in self.series.items():
            number, horizon = numbers[granularity], horizons[granularity]
            series.tally(  # by position: three calls a decision
                number,
                currency,
                amount,
                inbound,
                mark if horizon else None,
                MAX_COUNTERPARTIES_PER_BUCKET,
                number - _KEPT[granularity] if newest else None,
                number - horizon + 1 if horizon else None,
                newest,
                digits,
                units,
            )
        self.customer = _seen_again(self.customer, tx.time, at)
        country = tx.counterparty.country
        if country:
            self.countries[country] = _seen_again(self.countries.get(country), tx.time, at)
        self.recent = (*self.recent, id_mark(tx.id))[-RECENT:]


def _moves(seen: Seen | None, at: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
    if seen is None:
        return at, at
    micros, (first, last) = _micros_at(at), seen.micros
    return (at if micros < first else None), (at if micros > last else None)
