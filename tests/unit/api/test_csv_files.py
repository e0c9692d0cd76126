"""CSV replies: the csv module's quoting, and cells a spreadsheet would run as formulas kept as text."""

from __future__ import annotations

import csv
import io

import pytest

from arbiter.api.csv_files import csv_reply, csv_text, spreadsheet_safe


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada = Lovelace", "Ada = Lovelace"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (12.5, "12.5"),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_leading_apostrophe(value, cell):
    assert spreadsheet_safe(value) == cell


def test_rows_read_back_with_the_csv_module_quotes_commas_and_line_breaks_included():
    text = csv_text(("name", "note"), [["=1+1", 'a, "b"\nc'], [None, "plain"]])
    assert text.splitlines()[0] == '"name","note"'
    assert list(csv.reader(io.StringIO(text))) == [["name", "note"], ["'=1+1", 'a, "b"\nc'], ["", "plain"]]


def test_the_reply_is_text_csv_as_an_attachment_with_its_file_name():
    reply = csv_reply(("a",), [["1"]], "cases.csv", {"X-Export-Rows": "1"})
    assert reply.status_code == 200
    assert reply.content_type == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="cases.csv"'
    assert reply.headers["X-Export-Rows"] == "1"
    assert reply.headers["Access-Control-Expose-Headers"] == "Content-Disposition, X-Export-Rows"
    assert reply.body == '"a"\r\n"1"\r\n'
