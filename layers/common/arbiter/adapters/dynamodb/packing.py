"""Case bodies compressed with a preset dictionary: DynamoDB bills writes per started KB (twice in a transaction),
and a case's JSON is small enough that zlib alone finds little to repeat in it: most of it is field names and
shapes every case shares. A dictionary of made-up cases' JSON (`case_dictionary_<n>.json`) gives zlib those
shapes to refer to, and a case's body shrinks about five times instead of three (bench/cost: the items of a
decided KYB case fit in one KB).

zlib's own format records which dictionary a stream needs (the FDICT flag and the dictionary's Adler-32 in its
header, RFC 1950), so nothing of ours marks it: a body without a dictionary (stored before this) still reads. A
dictionary is never changed once bodies use it; a better one gets the next number and the old ones stay readable.

Dictionary 1 was three made-up cases; dictionary 2 is built by `bench/cost/case_dictionary.py` from the bench's
made-up cases as the code now writes them (the automated run's steps, the assessment's inputs, decided owners'
cases): a decided one-owner KYB case's body packs to about half of what it did with dictionary 1, and its
owner's case to a third, so that the owner's case fits one KB. Dictionary 3 is built the same way from the cases as
they are written now (people awaited by the collection flow, the checks screening runs, deferred checks): a decided
KYB case with owners packs to 356 bytes instead of 468, so that its item is under one KB again (it had grown to
1,033 bytes with the audit chain's attributes), and a case unlike the bench's (the packing test's) to 174 instead of
205. Dictionary 4 is built the same way from the cases as they are written now (each check's result held by the run,
the runs' times stored as milliseconds after their first: `AutomationRun`), from a run whose made-up names no case
measured later shares: a decided KYB case with three owners packs to about 410 bytes instead of 450, its item to
980-990 bytes instead of 1,010-1,025 (bench/cost: two write units instead of four in its deciding transaction), and
the packing test's case to 173 instead of 176.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

__all__ = ["pack", "unpack"]

CURRENT = 4  # the dictionary new bodies are compressed with
_FDICT = 0x20  # the header's flag byte: a preset dictionary follows (RFC 1950, 2.2)


@cache
def _dictionary(number: int) -> bytes:
    return (Path(__file__).parent / f"case_dictionary_{number}.json").read_bytes()


@cache
def _by_checksum() -> dict[int, bytes]:
    found = {}
    number = 1
    while (Path(__file__).parent / f"case_dictionary_{number}.json").exists():
        found[zlib.adler32(_dictionary(number))] = _dictionary(number)
        number += 1
    return found


def pack(raw: bytes) -> bytes:
    """`raw` compressed with the current dictionary."""
    compressor = zlib.compressobj(9, zdict=_dictionary(CURRENT))
    return compressor.compress(raw) + compressor.flush()


def unpack(packed: bytes) -> bytes:
    """What `pack` (with any dictionary there has been) or plain `zlib.compress` made, as it was."""
    if len(packed) < 6 or not packed[1] & _FDICT:
        return zlib.decompress(packed)
    checksum = int.from_bytes(packed[2:6], "big")
    dictionary = _by_checksum().get(checksum)
    if dictionary is None:
        raise ValueError(f"the body needs a dictionary this code does not have (Adler-32 {checksum:#010x})")
    decompressor = zlib.decompressobj(zdict=dictionary)
    return decompressor.decompress(packed) + decompressor.flush()
