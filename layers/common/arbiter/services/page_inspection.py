"""What a page really is: its type sniffed from its bytes (filetype), its hash, its size, and a thumbnail.

A page's name, extension and declared type are never trusted: an executable renamed `passport.jpg` is
sniffed as what it is and rejected. Images are measured and thumbnailed with Pillow, PDFs counted with pypdf;
a file either library cannot read is rejected with the reason.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

import filetype
from PIL import Image, UnidentifiedImageError

from arbiter.domain.document import ACCEPTED_CONTENT_TYPES, MAX_PAGE_BYTES

__all__ = ["MAX_PIXELS", "THUMBNAIL_SIZE", "Inspection", "inspect_page"]

log = logging.getLogger(__name__)

#: Larger images are refused before decoding (decompression bombs).
MAX_PIXELS = 60_000_000
THUMBNAIL_SIZE = (320, 320)
_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "application/pdf": "PDF"}


@dataclass(frozen=True)
class Inspection:
    """The outcome: accepted with its facts, or rejected with a reason a reviewer can read."""

    accepted: bool
    size_bytes: int
    sha256: str
    content_type: str | None = None
    reason: str | None = None
    width: int | None = None
    height: int | None = None
    page_count: int | None = None
    thumbnail: bytes | None = None


def inspect_page(data: bytes, max_bytes: int = MAX_PAGE_BYTES) -> Inspection:
    """Sniff, hash, measure and thumbnail one page's bytes."""
    digest = hashlib.sha256(data).hexdigest()
    size = len(data)

    def rejected(reason: str, content_type: str | None = None) -> Inspection:
        return Inspection(False, size, digest, content_type=content_type, reason=reason)

    if size == 0:
        return rejected("the file is empty")
    if size > max_bytes:
        return rejected(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    kind = filetype.guess(data)
    if kind is None:
        return rejected("unrecognised file type: only JPEG, PNG, WebP and PDF pages are accepted")
    if kind.mime not in ACCEPTED_CONTENT_TYPES:
        return rejected(
            f"the file is {kind.mime} (.{kind.extension}): only JPEG, PNG, WebP and PDF pages are accepted",
            kind.mime,
        )
    if kind.mime == "application/pdf":
        return _pdf(data, digest)
    return _image(data, digest, kind.mime)


def _image(data: bytes, digest: str, mime: str) -> Inspection:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return Inspection(
                    False, len(data), digest, mime, reason=f"the image is too large ({width}x{height} pixels)"
                )
            if image.format != _NAMES[mime].upper() and image.format != _NAMES[mime]:
                return Inspection(False, len(data), digest, mime, reason="the image's content does not match")
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale, much faster
            thumbnail = _thumbnail(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        return Inspection(False, len(data), digest, mime, reason=f"unreadable {_NAMES[mime]} image: {exc}")
    return Inspection(
        True, len(data), digest, mime, width=width, height=height, page_count=1, thumbnail=thumbnail
    )


def _pdf(data: bytes, digest: str) -> Inspection:
    from pypdf import PdfReader  # only pages that are PDFs need it
    from pypdf.errors import PdfReadError

    mime = "application/pdf"
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return Inspection(False, len(data), digest, mime, reason="the PDF is password-protected")
        count = len(reader.pages)
        if count == 0:
            return Inspection(False, len(data), digest, mime, reason="the PDF has no pages")
        box = reader.pages[0].mediabox
        width, height = round(float(box.width)), round(float(box.height))
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        return Inspection(False, len(data), digest, mime, reason=f"unreadable PDF: {exc}")
    return Inspection(
        True,
        len(data),
        digest,
        mime,
        width=width,
        height=height,
        page_count=count,
        thumbnail=_pdf_thumbnail(reader),
    )


def _pdf_thumbnail(reader: object) -> bytes | None:
    """pypdf cannot render pages: a scanned PDF's first embedded image stands in, when there is one."""
    try:
        images = reader.pages[0].images  # type: ignore[attr-defined]
        if len(images) == 0:
            return None
        with images[0].image as image:
            return _thumbnail(image)
    except Exception:
        log.info("no thumbnail for a PDF page", exc_info=True)
        return None


def _thumbnail(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()
