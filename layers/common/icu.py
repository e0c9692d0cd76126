"""The slice of PyICU's API that normality uses, implemented with anyascii.

Why this exists: rigour (name matching) depends on normality, which imports `icu.Transliterator` for its
"Any-Latin" and "to ASCII" transliterations. PyICU publishes no wheel at all — pip builds it against the build
machine's ICU — so the layer could ship it only built on Amazon Linux 2023 together with that ICU's libraries.
This module gives normality the two transliterators it creates, so the same code runs on a laptop, in the test
suite and in Lambda. rigour transliterates Latin, Cyrillic, Greek, Armenian, Georgian and Hangul itself (its
Rust core); this covers the rest (Han, Kana, Arabic, Hebrew, Devanagari, Thai…) through anyascii's tables.

The project never installs PyICU (requirements/overrides.txt removes it), so there is one implementation.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

from anyascii import anyascii

__all__ = ["Transliterator"]

# Ideographic scripts, where each character is a syllable and words are not spaced: transliterated syllables get
# a space between them, as ICU's Any-Latin does for Han ("张伟" → "zhang wei", not "ZhangWei").
_SYLLABIC_PREFIXES = ("CJK", "YI ")


@lru_cache(maxsize=4096)
def _is_syllabic(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_SYLLABIC_PREFIXES)


def _to_latin(text: str) -> str:
    """Transliterate every non-Latin character, spacing out syllabic scripts; Latin text is left as it is."""
    out: list[str] = []
    previous_syllabic = False
    for char in text:
        if ord(char) < 0x250:  # ASCII and the Latin-1 / Latin Extended blocks stay
            out.append(char)
            previous_syllabic = False
            continue
        syllabic = _is_syllabic(char)
        latin = anyascii(char)
        if syllabic:
            latin = latin.lower()
            if previous_syllabic:
                out.append(" ")
        out.append(latin)
        previous_syllabic = syllabic
    return "".join(out)


def _to_ascii(text: str) -> str:
    """Latin first, then accents removed (NFKD without combining marks), then anything left through anyascii."""
    decomposed = unicodedata.normalize("NFKD", _to_latin(text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return anyascii(stripped) if not stripped.isascii() else stripped


class _Transliterator:
    def __init__(self, convert: Callable[[str], str]) -> None:
        self._convert = convert

    def transliterate(self, text: str) -> str:
        """Transliterate `text`."""
        return self._convert(text)


class Transliterator:
    """Factory with PyICU's signature: `Transliterator.createInstance(id).transliterate(text)`."""

    @staticmethod
    def createInstance(transform_id: str) -> _Transliterator:
        """A transliterator for `transform_id`: any id ending in Latin-ASCII gives ASCII, others Latin."""
        if transform_id.replace(" ", "").endswith("Latin-ASCII"):
            return _Transliterator(_to_ascii)
        if transform_id.strip() == "Any-Latin":
            return _Transliterator(_to_latin)
        raise ValueError(f"unsupported transliterator {transform_id!r}: only Any-Latin and ...Latin-ASCII")
