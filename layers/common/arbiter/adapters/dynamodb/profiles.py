"""A customer's monitoring profile (`arbiter.domain.monitoring.Profile`) as the bytes of one item.

DynamoDB bills a write per started KB: the profile is rewritten with every transaction of its customer, so it is
kept small. Compact JSON (buckets by number, amounts as exact decimal strings, times as epoch microseconds), then
zlib: a customer's buckets repeat their currency and counterparty keys, which zlib finds. bench/monitoring prints
the sizes profiles reach.

A decision unpacks and packs its customer's whole profile, so both are kept cheap: orjson (the JSON library the
layer already ships) instead of the standard library's, which was most of the time; a bucket keeps the row it was
read from (`Bucket.row`) and an unchanged bucket is written back as that row. zlib at its best level: about 10 %
smaller than its fastest for a few microseconds more, which keeps most profiles of a customer active most days
under the one KB a write is billed by (bench/monitoring prints how many are over).
"""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal
from typing import Any, cast

import orjson

from arbiter.domain.monitoring import (
    Bucket,
    CurrencyTotals,
    Granularity,
    Profile,
    Seen,
    bucket_index,
    bucket_name,
)

__all__ = ["pack_profile", "unpack_profile"]

_GRANULARITIES: tuple[Granularity, ...] = ("M", "H", "D")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _micros(at: dt.datetime) -> int:
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _time(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def _seen(seen: Seen) -> list[int]:
    return [_micros(seen.first), _micros(seen.last), seen.count]


def _seen_of(values: list[int]) -> Seen:
    return Seen(first=_time(values[0]), last=_time(values[1]), count=values[2])


def _bucket(granularity: Granularity, bucket: Bucket) -> list[Any]:
    if bucket.row is not None:
        return cast("list[Any]", bucket.row)
    totals = [
        [currency, t.count, str(t.sum), None if t.max is None else str(t.max), str(t.inbound)]
        for currency, t in bucket.totals.items()
    ]
    return [bucket_index(bucket.start, granularity), bucket.count, totals, sorted(bucket.counterparties)]


def _series_of(granularity: Granularity, found: list[list[Any]]) -> dict[str, Bucket]:
    # Plain loops: a decision unpacks its customer's whole profile (bench/monitoring).
    series = {}
    for index, count, totals, counterparties in found:
        by_currency = {}
        for currency, n, total, largest, inbound in totals:
            by_currency[currency] = CurrencyTotals(
                n, Decimal(total), None if largest is None else Decimal(largest), Decimal(inbound)
            )
        start = bucket_name(index, granularity)
        series[start] = Bucket(
            start, count, by_currency, frozenset(counterparties), [index, count, totals, counterparties]
        )
    return series


def _marks(found: str | list[int]) -> tuple[int, ...]:
    if isinstance(found, list):  # as the first profiles wrote them
        return tuple(found)
    return tuple(int(found[i : i + 8], 16) for i in range(0, len(found), 8))


def pack_profile(profile: Profile) -> bytes:
    """The profile's content (not its version: the item keeps that apart, for its condition)."""
    content: dict[str, Any] = {
        "c": _seen(profile.customer) if profile.customer else None,
        "k": {code: _seen(seen) for code, seen in profile.countries.items()},
        **{g: [_bucket(g, b) for b in profile.series[g].values()] for g in _GRANULARITIES},
        # The recent marks as one hex string: zlib packs its sixteen letters in half the bytes of the numbers.
        "r": "".join(f"{mark:08x}" for mark in profile.recent),
    }
    return zlib.compress(orjson.dumps(content), 9)


def unpack_profile(packed: bytes, version: int) -> Profile:
    content = orjson.loads(zlib.decompress(packed))
    series = {
        granularity: _series_of(granularity, content.get(granularity, [])) for granularity in _GRANULARITIES
    }
    return Profile(
        version=version,
        customer=_seen_of(content["c"]) if content.get("c") else None,
        countries={code: _seen_of(values) for code, values in content.get("k", {}).items()},
        series=series,
        recent=_marks(content.get("r", "")),
    )
