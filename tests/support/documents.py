"""Real files for document tests: images and PDFs made with Pillow and pypdf, and things that are not pages."""

from __future__ import annotations

import io
from typing import Any

import httpx


def jpeg(width: int = 640, height: int = 400, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()


def png(width: int = 300, height: int = 200, color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def pdf(pages: int = 3) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


#: The start of a Windows executable (what a renamed `.exe` begins with).
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240 + b"This program"


def post_upload(upload: dict[str, Any], data: bytes, filename: str = "page.jpg") -> httpx.Response:
    """Upload like a browser: the presigned POST's fields, then the file, as multipart/form-data."""
    return httpx.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=30)
