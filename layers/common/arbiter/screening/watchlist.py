"""A loaded watchlist: its version, its entries in compact columns, and its blocking index.

Built once per list version (parsing and normalising a million names takes tens of seconds), then either
kept by the caller for warm invocations or saved as a prebuilt file an operator stores beside the list:
loading that file is array reads and a few dictionaries, no name is normalised again.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from arbiter.domain.errors import InvalidInput
from arbiter.screening.columns import PackedStrings, PackedStringsBuilder, RaggedBuilder
from arbiter.screening.formats import (
    ListReadReport,
    WatchlistFormatError,
    read_ofac_sdn,
    read_opensanctions,
    sniff_format,
)
from arbiter.screening.index import KEY_KINDS, NameIndex, build_name_index
from arbiter.screening.model import ORGANISATION_SCHEMAS, PERSON_SCHEMAS, ListEntry, WatchlistVersion
from arbiter.screening.names import NameForm, normalise_name

__all__ = ["Watchlist", "load_watchlist"]

#: Bumped when the saved layout or the normalisation changes: an older prebuilt file is then refused.
INDEX_FORMAT = 4  # 4: dotted titles ("H.E.", "Gen.") set aside
_SEPARATOR = "\x1f"  # joins the values of a multi-valued field; never part of a CSV value


class Watchlist:
    """A list of sanctioned people, PEPs and organisations, ready to screen against."""

    def __init__(self, version: WatchlistVersion, columns: dict[str, np.ndarray], index: NameIndex) -> None:
        self.version = version
        #: Rows of the source file that had no id or no name and were left out.
        self.skipped_rows = 0
        self._columns = columns
        self.index = index
        self._ids = _packed(columns, "entry_id")
        self._names = _packed(columns, "name_text")
        self._legal = _packed(columns, "name_legal")
        self._fields = {f: _packed(columns, f) for f in _MULTI_FIELDS}
        self._schemas: list[str] = json.loads(columns["schema_table"].tobytes().decode("utf-8"))
        self._entry_schema = columns["entry_schema"]
        self._entry_names = columns["entry_name_offsets"]
        self._name_entry = columns["name_entry"]
        self._name_tokens = columns["name_tokens"]
        self._name_token_offsets = columns["name_token_offsets"]
        self._name_abjad = columns["name_abjad"]
        name_schema = self._entry_schema[self._name_entry]
        self.person_rows = np.isin(
            name_schema, [i for i, s in enumerate(self._schemas) if s in PERSON_SCHEMAS]
        )
        self.organisation_rows = np.isin(
            name_schema, [i for i, s in enumerate(self._schemas) if s in ORGANISATION_SCHEMAS]
        )
        self._born: dict[int, np.ndarray] | None = None
        self._born_lock = threading.Lock()

    def rows_born_in(self, years: Iterable[int]) -> np.ndarray:
        """Listed-name rows of the entries with a birth date in one of `years`, sorted (built on first use)."""
        with self._born_lock:
            if self._born is None:
                self._born = self._birth_year_rows()
        parts = [self._born[y] for y in years if y in self._born]
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def _birth_year_rows(self) -> dict[int, np.ndarray]:
        # Vectorised over the packed buffer: a million entries take well under a second, not a Python loop each.
        dates = self._fields["birth_dates"]
        data, starts = dates.data, dates.offsets[:-1]
        if len(data) < 4:
            return {}
        digit = (data >= 48) & (data <= 57)
        four = digit[:-3] & digit[1:-2] & digit[2:-1] & digit[3:]
        field_start = np.zeros(len(data), dtype=bool)
        field_start[starts[starts < len(data)]] = True
        field_start[1:] |= data[:-1] == 0x1F  # a value after the separator of a multi-valued field
        positions = np.flatnonzero(four & field_start[:-3])
        years = np.zeros(len(positions), dtype=np.int32)
        for k in range(4):
            years = years * 10 + (data[positions + k].astype(np.int32) - 48)
        entries = np.searchsorted(dates.offsets, positions, side="right") - 1
        firsts, lasts = self._entry_names[entries], self._entry_names[entries + 1]
        by_year: dict[int, np.ndarray] = {}
        order = np.argsort(years, kind="stable")
        years, firsts, lasts = years[order], firsts[order], lasts[order]
        bounds = np.flatnonzero(np.diff(years)) + 1
        for chunk in np.split(np.arange(len(years)), bounds):
            if len(chunk):
                rows = [np.arange(firsts[i], lasts[i]) for i in chunk]
                by_year[int(years[chunk[0]])] = np.unique(np.concatenate(rows))
        return by_year

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def name_count(self) -> int:
        """How many names (captions and aliases) the list holds."""
        return len(self._names)

    def entry_of_name(self, row: int) -> int:
        """The entry a listed-name row belongs to."""
        return int(self._name_entry[row])

    def name_rows(self, entry: int) -> range:
        """The listed-name rows of an entry."""
        return range(int(self._entry_names[entry]), int(self._entry_names[entry + 1]))

    def name_form(self, row: int) -> NameForm:
        """The normalised form of one listed name, as it was indexed."""
        start, stop = int(self._name_token_offsets[row]), int(self._name_token_offsets[row + 1])
        vocabulary = self.index.vocabulary
        legal = self._legal[row]
        return NameForm(
            original=self._names[row],
            tokens=tuple(vocabulary[t] for t in self._name_tokens[start:stop].tolist()),
            abjad=tuple(bool(b) for b in self._name_abjad[start:stop].tolist()),
            legal=tuple(legal.split(" ")) if legal else (),
        )

    def entry(self, index: int) -> ListEntry:
        """The full record of entry number `index`."""
        rows = self.name_rows(index)
        names = self._names.slice(rows.start, rows.stop)
        fields = {f: _split(self._fields[f][index]) for f in _MULTI_FIELDS}
        return ListEntry(
            id=self._ids[index],
            schema=self._schemas[int(self._entry_schema[index])],
            caption=names[0] if names else "",
            names=names,
            **fields,
        )

    def save(self, target: str | Path | BinaryIO) -> None:
        """Write the prebuilt watchlist (columns and index) to a file to store beside the list."""
        arrays = dict(self._columns)
        meta = {
            "format": INDEX_FORMAT,
            "version": self.version.to_dict(),
            "name_count": self.index.name_count,
        }
        arrays["meta"] = _text_array(json.dumps(meta))
        arrays["vocabulary"] = _text_array("\n".join(self.index.vocabulary))
        for kind in KEY_KINDS:
            table = self.index.keys[kind]
            arrays[f"keys_{kind}"] = _text_array("\n".join(table))  # dicts keep insertion order = key id
            rows, offsets = self.index.postings[kind]
            arrays[f"postings_{kind}"] = rows
            arrays[f"postings_{kind}_offsets"] = offsets
        arrays["deletion_hashes"] = self.index.deletion_hashes
        arrays["deletion_tokens"] = self.index.deletion_tokens
        arrays["name_weights"] = self.index.name_weights
        np.savez(target, allow_pickle=False, **arrays)  # numbers only: `load` refuses pickles

    @classmethod
    def load(cls, source: str | Path | BinaryIO | bytes) -> Watchlist:
        """Read a prebuilt watchlist written by `save`."""
        if isinstance(source, bytes | bytearray):
            source = io.BytesIO(source)
        try:
            stored = np.load(source, allow_pickle=False)
            arrays = {name: stored[name] for name in stored.files}
            meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        except (OSError, ValueError, KeyError) as e:
            raise InvalidInput("not a prebuilt watchlist file", path="index") from e
        if meta.get("format") != INDEX_FORMAT:
            raise InvalidInput(
                f"prebuilt watchlist format {meta.get('format')} is not {INDEX_FORMAT}: rebuild it",
                path="index",
            )
        vocabulary = _lines(arrays.pop("vocabulary"))
        keys = {kind: {k: i for i, k in enumerate(_lines(arrays.pop(f"keys_{kind}")))} for kind in KEY_KINDS}
        postings = {
            kind: (arrays.pop(f"postings_{kind}"), arrays.pop(f"postings_{kind}_offsets"))
            for kind in KEY_KINDS
        }
        index = NameIndex(
            vocabulary=vocabulary,
            token_ids={t: i for i, t in enumerate(vocabulary)},
            keys=keys,
            postings=postings,
            deletion_hashes=arrays.pop("deletion_hashes"),
            deletion_tokens=arrays.pop("deletion_tokens"),
            name_weights=arrays.pop("name_weights"),
            name_count=int(meta["name_count"]),
        )
        version = meta["version"]
        return cls(
            WatchlistVersion(
                sha256=version["sha256"],
                date=dt.date.fromisoformat(version["date"]) if version["date"] else None,
                format=version["format"],
                entries=version["entries"],
                names=version["names"],
            ),
            arrays,
            index,
        )

    @classmethod
    def from_entries(
        cls,
        entries: Iterable[ListEntry],
        *,
        sha256: str = "",
        date: dt.date | None = None,
        format: str = "entries",
    ) -> Watchlist:
        """Build a watchlist from entries already parsed (the version hash is then the caller's to give)."""
        return _build(entries, sha256=sha256, date=date, format=format)


_MULTI_FIELDS = ("birth_dates", "countries", "identifiers", "datasets", "programs", "topics")


class _ColumnsBuilder:
    """Accumulates entries one by one into compact columns, normalising every name once."""

    def __init__(self) -> None:
        self.ids = PackedStringsBuilder()
        self.names = PackedStringsBuilder()
        self.legal = PackedStringsBuilder()
        self.fields = {f: PackedStringsBuilder() for f in _MULTI_FIELDS}
        self.schemas: dict[str, int] = {}
        self.entry_schema: list[int] = []
        self.entry_name_offsets = array("q", [0])
        self.name_entry: list[int] = []
        self.name_tokens = RaggedBuilder("i")
        self.name_abjad = bytearray()
        self.vocabulary: dict[str, int] = {}
        self._name_count = 0

    def add(self, entry: ListEntry) -> None:
        number = len(self.ids)
        self.ids.append(entry.id)
        self.entry_schema.append(self.schemas.setdefault(entry.schema, len(self.schemas)))
        for f in _MULTI_FIELDS:
            self.fields[f].append(_SEPARATOR.join(getattr(entry, f)))
        organisation = entry.schema not in PERSON_SCHEMAS
        for name in entry.names:
            form = normalise_name(name, organisation=organisation)
            if not form.tokens:
                continue
            self.names.append(name)
            self.legal.append(" ".join(form.legal))
            self.name_entry.append(number)
            self.name_tokens.append(
                [self.vocabulary.setdefault(t, len(self.vocabulary)) for t in form.tokens]
            )
            self.name_abjad.extend(bytes(form.abjad))
            self._name_count += 1
        self.entry_name_offsets.append(self._name_count)  # names of entry n: rows offsets[n] to offsets[n+1]

    def build(self) -> tuple[dict[str, np.ndarray], NameIndex]:
        name_tokens, name_token_offsets = self.name_tokens.build()
        columns: dict[str, np.ndarray] = {
            "entry_schema": np.asarray(self.entry_schema, dtype=np.uint8),
            "entry_name_offsets": np.frombuffer(self.entry_name_offsets, dtype=np.int64),
            "name_entry": np.asarray(self.name_entry, dtype=np.int32),
            "name_tokens": name_tokens,
            "name_token_offsets": name_token_offsets,
            "name_abjad": np.frombuffer(bytes(self.name_abjad), dtype=np.uint8),
            "schema_table": _text_array(json.dumps(list(self.schemas))),
        }
        for prefix, packed in (("entry_id", self.ids), ("name_text", self.names), ("name_legal", self.legal)):
            _store(columns, prefix, packed.build())
        for f, packed in self.fields.items():
            _store(columns, f, packed.build())
        index = build_name_index(name_tokens, name_token_offsets, list(self.vocabulary))
        return columns, index


def _store(columns: dict[str, np.ndarray], prefix: str, packed: PackedStrings) -> None:
    columns[f"{prefix}_data"] = packed.data
    columns[f"{prefix}_offsets"] = packed.offsets


def _packed(columns: dict[str, np.ndarray], prefix: str) -> PackedStrings:
    return PackedStrings(columns[f"{prefix}_data"], columns[f"{prefix}_offsets"])


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split(_SEPARATOR)) if value else ()


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _lines(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def load_watchlist(
    source: bytes | BinaryIO | str | Path,
    *,
    format: str = "auto",
    aliases: bytes | BinaryIO | str | Path | None = None,
    date: dt.date | None = None,
) -> Watchlist:
    """Read a list (`opensanctions` targets.simple.csv, or `ofac` sdn.csv with optional alt.csv) and index it.

    `date` is the list's date as the caller knows it (e.g. the S3 object's); without it, the newest
    `last_change` found in an OpenSanctions file is used.
    """
    opened: BinaryIO | None = None
    stream: bytes | BinaryIO
    if isinstance(source, str | Path):
        stream = opened = open(source, "rb")  # noqa: SIM115 - closed below
    else:
        stream = source
    opened_aliases: BinaryIO | None = None
    alias_stream: bytes | BinaryIO | None
    if isinstance(aliases, str | Path):
        alias_stream = opened_aliases = open(aliases, "rb")  # noqa: SIM115 - closed below
    else:
        alias_stream = aliases
    try:
        if format == "auto":
            if isinstance(stream, bytes | bytearray | memoryview):
                head = bytes(stream[:4096])
            else:
                head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
                if not head:
                    data = stream.read()
                    head, stream = data[:4096], data
            format = sniff_format(head)
        report = ListReadReport()
        if format == "opensanctions":
            entries = read_opensanctions(stream, report)
        elif format == "ofac":
            entries = read_ofac_sdn(stream, report, aliases=alias_stream)
        else:
            raise WatchlistFormatError(f"unknown list format {format!r}", path="format")
        # The hash and the date found are known only once every row has been read: `_build` reads them last.
        watchlist = _build(
            entries, sha256=lambda: report.sha256, date=lambda: date or report.found_date, format=format
        )
        watchlist.skipped_rows = report.skipped
        return watchlist
    finally:
        if opened is not None:  # `stream` may be its bytes by now (an empty file read whole)
            opened.close()
        if opened_aliases is not None:
            opened_aliases.close()


def _build(
    entries: Iterable[ListEntry],
    *,
    sha256: str | Callable[[], str],
    date: dt.date | Callable[[], dt.date | None] | None,
    format: str,
) -> Watchlist:
    builder = _ColumnsBuilder()
    for entry in entries:
        builder.add(entry)
    columns, index = builder.build()
    version = WatchlistVersion(
        sha256=sha256() if callable(sha256) else sha256,
        date=date() if callable(date) else date,
        format=format,
        entries=len(builder.ids),
        names=len(builder.names),
    )
    return Watchlist(version, columns, index)
