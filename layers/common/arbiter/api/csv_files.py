"""CSV replies: rows written with the csv module, every cell made safe to open in a spreadsheet.

A cell a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets
a leading apostrophe, as OWASP's "CSV Injection" advises: a name such as `=HYPERLINK("http://x","y")` is shown as
text, never run. Every cell is quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response

__all__ = ["TEXT_CSV", "csv_reply", "csv_text", "spreadsheet_safe"]

TEXT_CSV = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """The cell's text: empty for None, `true`/`false` for booleans, a leading `'` before a formula's start."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A header line and one line per row (CRLF line ends, as RFC 4180 has them)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([spreadsheet_safe(c) for c in columns])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue()


def csv_reply(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    filename: str,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """A 200 with the CSV as an attachment named `filename`; its headers readable by the back office's script
    on another origin (CORS exposes only a few by default)."""
    extra = headers or {}
    exposed = ", ".join(["Content-Disposition", *extra])
    return Response(
        status_code=200,
        content_type=TEXT_CSV,
        body=csv_text(columns, rows),
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Access-Control-Expose-Headers": exposed,
            **extra,
        },
    )
