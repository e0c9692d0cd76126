"""Reading watchlists: OpenSanctions `targets.simple.csv` and OFAC's `sdn.csv` (with `alt.csv` aliases).

Both are read as streams, one record at a time, so a list of a million names never sits in memory as rows.
The SHA-256 of the bytes is computed while they are read. `csv` handles quoting (quoted separators, doubled
quotes, line breaks inside a field); rows too short are padded and rows without an id or a name are skipped
and counted, because one bad row in a list of a million must not stop screening.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from arbiter.domain.errors import InvalidInput
from arbiter.screening.model import ListEntry

__all__ = ["ListReadReport", "WatchlistFormatError", "read_ofac_sdn", "read_opensanctions", "sniff_format"]

# A field of OpenSanctions data can be long (addresses, sanctions text); the csv default of 128 KiB is kept
# well above what a real row holds, but an unterminated quote must not swallow the whole file silently.
csv.field_size_limit(16 * 1024 * 1024)

OPENSANCTIONS_REQUIRED = ("id", "schema", "name")
OFAC_EMPTY = "-0-"


class WatchlistFormatError(InvalidInput):
    """The list cannot be read in the format given: `path` names the file and row or column."""


@dataclass(slots=True)
class ListReadReport:
    """What reading a list saw: the hash of its bytes, the newest change date found, rows skipped."""

    sha256: str = ""
    found_date: dt.date | None = None
    rows: int = 0
    skipped: int = 0
    skipped_rows: list[int] = field(default_factory=list)

    def skip(self, row: int) -> None:
        """Count a row that could not be used; keep the first few row numbers for the log."""
        self.skipped += 1
        if len(self.skipped_rows) < 20:
            self.skipped_rows.append(row)


def _lines(stream: BinaryIO, digest: hashlib._Hash) -> Iterator[str]:
    """Decode a byte stream as UTF-8 lines (BOM dropped, bad bytes replaced) while hashing every byte."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    pending = ""
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        digest.update(chunk)
        pending += decoder.decode(chunk)
        lines = pending.splitlines(keepends=True)
        # The last piece may be a line cut by the chunk boundary: keep it for the next round.
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _multi(value: str) -> tuple[str, ...]:
    """A `;`-separated OpenSanctions field as a tuple, empty parts dropped, order and first copy kept."""
    if not value:
        return ()
    return tuple(dict.fromkeys(p.strip() for p in value.split(";") if p.strip()))


def _as_stream(source: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source


def sniff_format(head: bytes) -> str:
    """Guess the layout from the first bytes: "opensanctions" (header row) or "ofac" (no header)."""
    first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head.strip() else ""
    cells = next(csv.reader([first]), [])
    if {c.strip().lower() for c in cells} >= set(OPENSANCTIONS_REQUIRED):
        return "opensanctions"
    if cells and cells[0].strip().isdigit():
        return "ofac"
    raise WatchlistFormatError(
        "cannot tell the list's format: expected a targets.simple.csv header or an OFAC sdn.csv row",
        path="row 1",
    )


def read_opensanctions(source: bytes | BinaryIO, report: ListReadReport) -> Iterator[ListEntry]:
    """Stream the entries of an OpenSanctions `targets.simple.csv` (extra columns are ignored)."""
    digest = hashlib.sha256()
    reader = csv.reader(_lines(_as_stream(source), digest))
    header = next(reader, None)
    if header is None:
        raise WatchlistFormatError("the list is empty", path="row 1")
    columns = {name.strip().lower(): i for i, name in enumerate(header)}
    missing = [c for c in OPENSANCTIONS_REQUIRED if c not in columns]
    if missing:
        raise WatchlistFormatError(f"targets.simple.csv header lacks {', '.join(missing)}", path="row 1")
    width = len(header)
    latest = ""

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    for number, row in enumerate(reader, start=2):
        report.rows += 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        entry_id, name = cell(row, "id"), cell(row, "name")
        if not entry_id or not name:
            report.skip(number)
            continue
        changed = cell(row, "last_change")[:10]
        if changed > latest:
            latest = changed
        aliases = tuple(a for a in _multi(cell(row, "aliases")) if a != name)
        yield ListEntry(
            id=entry_id,
            schema=cell(row, "schema") or "LegalEntity",
            caption=name,
            names=(name, *aliases),
            birth_dates=_multi(cell(row, "birth_date")),
            countries=tuple(c.lower() for c in _multi(cell(row, "countries"))),
            identifiers=_multi(cell(row, "identifiers")),
            datasets=_multi(cell(row, "dataset")),
            programs=_multi(cell(row, "program_ids")),
            topics=_multi(cell(row, "topics")),
        )
    report.sha256 = digest.hexdigest()
    report.found_date = _parse_day(latest)


def _parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# OFAC writes a person's details in the free-text Remarks column: "DOB 12 Jan 1960; POB …; nationality Iran".
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DOB = re.compile(
    r"\bDOB\s+(?:circa\s+)?(?:(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+)?(?:([A-Za-z]{3})[a-z]*\s+)?(\d{4})"
)
_COUNTRY_OF = re.compile(r"\b(?:nationality|citizen)\s+([A-Z][A-Za-z .'-]+?)(?:;|\.|$|\s+\()")


def _ofac_birth_dates(remarks: str) -> tuple[str, ...]:
    dates: list[str] = []
    for day, month, month_only, year in _DOB.findall(remarks):
        mon = _MONTHS.get((month or month_only).lower()[:3]) if (month or month_only) else None
        if day and mon:
            dates.append(f"{year}-{mon:02d}-{int(day):02d}")
        elif mon:
            dates.append(f"{year}-{mon:02d}")
        else:
            dates.append(year)
    return tuple(dict.fromkeys(dates))


def _ofac_countries(remarks: str) -> tuple[str, ...]:
    import pycountry  # imported here: only OFAC lists need country names resolved

    codes: list[str] = []
    for name in _COUNTRY_OF.findall(remarks):
        try:
            codes.append(pycountry.countries.lookup(name.strip()).alpha_2.lower())
        except LookupError:
            continue
    return tuple(dict.fromkeys(codes))


_OFAC_SCHEMAS = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane"}


def _ofac_cell(row: list[str], i: int) -> str:
    value = row[i].strip() if i < len(row) else ""
    return "" if value == OFAC_EMPTY else value


def _read_ofac_aliases(source: bytes | BinaryIO, digest: hashlib._Hash) -> dict[str, list[str]]:
    """alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks → aliases per entry number."""
    aliases: dict[str, list[str]] = {}
    for row in csv.reader(_lines(_as_stream(source), digest)):
        if len(row) >= 4 and _ofac_cell(row, 0) and _ofac_cell(row, 3):
            aliases.setdefault(_ofac_cell(row, 0), []).append(_ofac_cell(row, 3))
    return aliases


def read_ofac_sdn(
    source: bytes | BinaryIO, report: ListReadReport, aliases: bytes | BinaryIO | None = None
) -> Iterator[ListEntry]:
    """Stream the entries of OFAC's `sdn.csv` (no header, `-0-` for empty), aliases from `alt.csv` if given.

    The hash covers the bytes of `alt.csv` (when given), then of `sdn.csv`: a change to either is a new
    version.
    """
    digest = hashlib.sha256()
    reader = csv.reader(_lines(_as_stream(source), digest))
    alias_map = _read_ofac_aliases(aliases, digest) if aliases is not None else {}
    for number, row in enumerate(reader, start=1):
        if not row or (len(row) == 1 and not row[0].strip()) or row[0].strip() == "\x1a":
            continue  # blank lines and the DOS end-of-file mark OFAC files end with
        report.rows += 1
        ent_num, name = _ofac_cell(row, 0), _ofac_cell(row, 1)
        if not ent_num.isdigit() or not name:
            report.skip(number)
            continue
        remarks = _ofac_cell(row, 11)
        programs = tuple(p.strip(" []") for p in _ofac_cell(row, 3).split("] [") if p.strip(" []"))
        names = (name, *(a for a in dict.fromkeys(alias_map.get(ent_num, ())) if a != name))
        yield ListEntry(
            id=f"ofac-{ent_num}",
            schema=_OFAC_SCHEMAS.get(_ofac_cell(row, 2).lower(), "Organization"),
            caption=name,
            names=names,
            birth_dates=_ofac_birth_dates(remarks),
            countries=_ofac_countries(remarks),
            datasets=("us_ofac_sdn",),
            programs=programs,
            topics=("sanction",),
        )
    report.sha256 = digest.hexdigest()
