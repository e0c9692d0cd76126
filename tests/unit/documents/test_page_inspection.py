"""Sniffing, measuring and thumbnailing pages from their bytes alone."""

from __future__ import annotations

import hashlib
import io

from PIL import Image
from pypdf import PdfWriter

from arbiter.services.page_inspection import THUMBNAIL_SIZE, inspect_page
from tests.support.documents import EXECUTABLE, jpeg, pdf, png


def webp(width=200, height=100) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 200, 0)).save(out, format="WEBP")
    return out.getvalue()


def test_accepted_types_are_measured_and_thumbnailed():
    for data, mime, size in [
        (jpeg(1200, 800), "image/jpeg", (1200, 800)),
        (png(300, 200), "image/png", (300, 200)),
        (webp(200, 100), "image/webp", (200, 100)),
    ]:
        result = inspect_page(data)
        assert result.accepted, result.reason
        assert result.content_type == mime
        assert (result.width, result.height) == size
        assert result.sha256 == hashlib.sha256(data).hexdigest()
        thumbnail = Image.open(io.BytesIO(result.thumbnail))
        assert thumbnail.format == "JPEG"
        assert thumbnail.width <= THUMBNAIL_SIZE[0]
        assert thumbnail.height <= THUMBNAIL_SIZE[1]


def test_a_pdf_is_counted():
    result = inspect_page(pdf(4))
    assert result.accepted
    assert result.content_type == "application/pdf"
    assert result.page_count == 4
    assert (result.width, result.height) == (595, 842)


def test_an_executable_is_rejected_whatever_its_name():
    result = inspect_page(EXECUTABLE)
    assert not result.accepted
    assert "application/x-msdownload" in result.reason


def test_unknown_bytes_empty_files_and_oversized_files_are_rejected():
    assert "unrecognised" in inspect_page(b"hello, this is plain text").reason
    assert inspect_page(b"").reason == "the file is empty"
    assert "larger than" in inspect_page(jpeg(), max_bytes=100).reason


def test_a_truncated_image_is_rejected_as_unreadable():
    data = png(400, 400)[:60]
    result = inspect_page(data)
    assert not result.accepted
    assert "unreadable PNG" in result.reason


def test_a_password_protected_pdf_is_rejected():
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    result = inspect_page(out.getvalue())
    assert not result.accepted
    assert result.reason == "the PDF is password-protected"


def test_a_broken_pdf_is_rejected():
    result = inspect_page(b"%PDF-1.7\n" + b"garbage" * 50)
    assert not result.accepted
    assert "PDF" in result.reason


def test_an_image_with_too_many_pixels_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # small file, 81 million pixels
    result = inspect_page(out.getvalue())
    assert not result.accepted
    assert "too large" in result.reason
