"""A customer's monitoring profile (`arbiter.domain.monitoring.Profile`) as the bytes of one item.

DynamoDB bills a write per started KB: the profile is rewritten with every transaction of its customer, so it is
kept small. Compact JSON, then zlib: its series as their columns (`Series`: bucket numbers, counts, per currency
the amounts as integers of the currency's scale), times as epoch microseconds; a customer's buckets repeat their
numbers' first digits and their counterparty keys, which zlib finds. bench/monitoring prints the sizes profiles
reach.

A decision unpacks and packs its customer's whole profile, so both are kept cheap: orjson (the JSON library the
layer already ships) reads and writes the columns as lists of numbers, with no Python object per bucket. The zlib
stream is made with a preset dictionary of the shape every profile's JSON shares (its keys, brackets, the first
digits of its times), by ISA-L (`isal`: zlib's format, read by zlib) at its fastest level: zlib at its best level
took a tenth of a decision (20-28 µs a profile), ISA-L takes 7-8, and the dictionary more than makes up for the
level: profiles are 5-10 % smaller than zlib's best made them without it (bench/monitoring prints the sizes).
Past `_FAST_UP_TO` bytes of JSON (a busy customer's, mostly counterparty marks, which do not compress) ISA-L's
fastest level falls behind zlib's best, so those are packed by zlib at its best level, with the dictionary too.
zlib's format records whether a stream needs a dictionary, and which (the FDICT flag and its Adler-32, RFC 1950),
so a profile packed without one (before it) still reads. A dictionary is never changed once profiles use it: a
better one is added beside it.

Profiles written before the columns (one row per bucket: its number, count, per currency the figures as decimal
strings, its counterparty keys) still read: they become columns when read, and are written as columns next.
"""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from typing import Any

import orjson
from isal import isal_zlib

from arbiter.domain.monitoring import (
    Bucket,
    CurrencyTotals,
    Granularity,
    Profile,
    Seen,
    bucket_name,
)
from arbiter.domain.monitoring_series import Amounts, Series

__all__ = ["pack_profile", "unpack_profile"]

_GRANULARITIES: tuple[Granularity, ...] = ("M", "H", "D")

#: The preset dictionary new profiles are packed with: a made-up profile's JSON, the strings every one repeats
#: (the most common currency and countries' codes among them). zlib finds in it what a profile of a few hundred
#: bytes has too little of to repeat in itself.
DICTIONARY = (
    b'{"c":[17,17,1],"k":{"DE":[17,17,1],"FR":[17,17,1],"GB":[17,17,1],"US":[17,17,1]},"s":{"M":[[],[1],{"EUR":'
    b'[2,[1],[],[],[0]]},[[]]],"H":[[],[1],{"EUR":[2,[1],[],[],[0]]},[[]]],"D":[[],[1,1,1],{"EUR":[2,[1,1,1],[],'
    b'[],[0,0,0]]},[[],[],[]]]},"r":"'
)
#: Every dictionary profiles were ever packed with, by the Adler-32 a stream's header names it by.
_DICTIONARIES = {zlib.adler32(DICTIONARY): DICTIONARY}
_FDICT = 0x20  # the header's flag byte: a preset dictionary follows (RFC 1950, 2.2)
#: ISA-L's fastest level (of 0-3; 0 is Huffman coding only, half again as large).
_LEVEL = 1
#: The most JSON packed by ISA-L: up to about 2.3 KB it packs smaller than zlib's best level did without the
#: dictionary, past it larger (random profiles, in tests/unit/monitoring/test_monitoring_profiles.py).
_FAST_UP_TO = 2048


def _seen(seen: Seen) -> list[int]:
    first, last = seen.micros
    return [first, last, seen.count]


def _seen_of(values: list[int]) -> Seen:
    return Seen(count=values[2], micros=(values[0], values[1]))


#: The largest integer orjson writes: a currency whose figures outgrow it (a sum past 92 billion at 8 decimal
#: places) is written with its figures as strings.
_LARGEST = 2**63 - 1


def _amounts(amounts: Amounts) -> list[Any]:
    return [amounts.scale, amounts.n, amounts.s, amounts.x, amounts.i]


def _amounts_as_strings(amounts: Amounts) -> list[Any]:
    figures = [[str(v) for v in column] for column in (amounts.s, amounts.x, amounts.i)]
    return [amounts.scale, amounts.n, *figures, 1]


def _amounts_of(values: list[Any]) -> Amounts:
    if len(values) == 6:  # written as strings: larger than orjson's integers
        scale, n, *figures, _ = values
        return Amounts(scale, n, *([int(v) for v in column] for column in figures))
    return Amounts(*values)


def _series(series: Series, big: bool) -> list[Any]:
    as_list = _amounts_as_strings if big else _amounts
    amounts = {currency: as_list(each) for currency, each in series.amounts.items()}
    return [series.index, series.count, amounts, series.parties]


def _series_of(granularity: Granularity, values: list[Any]) -> Series:
    index, count, amounts, parties = values
    return Series(granularity, index, count, {c: _amounts_of(v) for c, v in amounts.items()}, parties)


def _series_of_rows(granularity: Granularity, found: list[list[Any]]) -> Series:
    """A series written as one row per bucket (profiles before the columns)."""
    series = Series(granularity)
    for index, count, totals, counterparties in found:
        by_currency = {
            currency: CurrencyTotals(
                n, Decimal(total), None if largest is None else Decimal(largest), Decimal(inbound)
            )
            for currency, n, total, largest, inbound in totals
        }
        start = bucket_name(index, granularity)
        series[start] = Bucket(start, count, by_currency, frozenset(counterparties))
    return series


def _marks(found: str | list[int]) -> tuple[int, ...]:
    if isinstance(found, list):  # as the first profiles wrote them
        return tuple(found)
    return struct.unpack(f">{len(found) // 8}I", bytes.fromhex(found))


def pack_profile(profile: Profile) -> bytes:
    """The profile's content (not its version: the item keeps that apart, for its condition)."""

    def content(big: bool) -> bytes:
        return orjson.dumps(
            {
                "c": _seen(profile.customer) if profile.customer else None,
                "k": {code: _seen(seen) for code, seen in profile.countries.items()},
                "s": {g: _series(profile.series[g], big) for g in _GRANULARITIES},
                # The recent marks as one hex string: zlib packs its sixteen letters in half the bytes of numbers.
                "r": struct.pack(f">{len(profile.recent)}I", *profile.recent).hex(),
            }
        )

    try:
        packed = content(big=False)
    except orjson.JSONEncodeError:  # a figure past 64 bits
        packed = content(big=True)
    if len(packed) <= _FAST_UP_TO:
        fast = isal_zlib.compressobj(_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS, 8, 0, DICTIONARY)
        return fast.compress(packed) + fast.flush()
    best = zlib.compressobj(9, zdict=DICTIONARY)
    return best.compress(packed) + best.flush()


def _inflated(packed: bytes) -> bytes:
    """What `pack_profile` compressed, with any dictionary there has been or none (zlib at its best level, before)."""
    if not packed[1] & _FDICT:
        return isal_zlib.decompress(packed)
    checksum = int.from_bytes(packed[2:6], "big")
    dictionary = _DICTIONARIES.get(checksum)
    if dictionary is None:
        raise ValueError(
            f"the profile needs a dictionary this code does not have (Adler-32 {checksum:#010x})"
        )
    decompressor = isal_zlib.decompressobj(zdict=dictionary)
    content = decompressor.decompress(packed)  # all of it: no output limit (flush would find nothing more)
    if not decompressor.eof:
        raise ValueError("the profile's stream is cut short")
    return content


def unpack_profile(packed: bytes, version: int) -> Profile:
    content = orjson.loads(_inflated(packed))
    columns = content.get("s")
    series = {
        granularity: _series_of(granularity, columns[granularity])
        if columns is not None
        else _series_of_rows(granularity, content.get(granularity, []))
        for granularity in _GRANULARITIES
    }
    return Profile(
        version=version,
        customer=_seen_of(content["c"]) if content.get("c") else None,
        countries={code: _seen_of(values) for code, values in content.get("k", {}).items()},
        series=series,
        recent=_marks(content.get("r", "")),
    )
