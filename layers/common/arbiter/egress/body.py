"""Reading a response body within a byte limit, compressed or not.

The limit counts the decoded bytes, because that is what lands in memory: a small gzip body can inflate a
thousandfold. httpx's decoders inflate each network chunk in one go, without a bound, so gzip and deflate are
inflated here with zlib's `max_length` instead; other encodings are refused (we only ever ask for these two).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

#: What we send as Accept-Encoding: the encodings this module can inflate within a bound.
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The body passed the limit."""


class UnsupportedEncoding(Exception):
    """The server used a content encoding we did not offer."""


class _Inflater:
    """zlib inflation with a cap on the output; deflate tries the zlib wrapper, then raw deflate."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def inflate(self, chunk: bytes, room: int) -> tuple[bytes, bool]:
        """At most `room` inflated bytes of `chunk`, and whether there was more."""
        try:
            out = self._zlib.decompress(chunk, room + 1)
        except zlib.error:
            if self._encoding != "deflate" or self._started:
                raise
            # Some servers send raw deflate without the zlib header, as httpx's own decoder allows for.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(chunk, room + 1)
        self._started = True
        return out[:room], len(out) > room or bool(self._zlib.unconsumed_tail)


def read_limited(raw_chunks: Iterator[bytes], content_encoding: str, limit: int, *, truncate: bool) -> bytes:
    """The decoded body, at most `limit` bytes; past it, `BodyTooLarge`, or the first `limit` bytes if
    `truncate`. Raises `UnsupportedEncoding` and `zlib.error` for bodies we cannot decode."""
    encoding = content_encoding.strip().lower() or "identity"
    if encoding not in ("identity", "gzip", "deflate"):
        raise UnsupportedEncoding(encoding)
    inflater = None if encoding == "identity" else _Inflater(encoding)
    body = bytearray()
    for chunk in raw_chunks:
        room = limit - len(body)
        if inflater is None:
            piece, overflow = chunk[:room], len(chunk) > room
        else:
            piece, overflow = inflater.inflate(chunk, room)
        body += piece
        if overflow:
            if truncate:
                break
            raise BodyTooLarge
    return bytes(body)
