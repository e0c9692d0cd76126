"""A name as received, and the ways a reader may read it: what screening compares when a name hides itself.

A name can be written so that a person reads a listed name while the stored characters spell something else:
format characters that show nothing (zero-width spaces and joiners, the soft hyphen, a BOM, tags), blank letters
(Hangul fillers), a right-to-left override that shows "oahZ" as "Zhao", or a name spelled out letter by letter
("Z h a o"). `read_name` returns the readings to screen, the name as stored with those characters removed first,
then as displayed (`bidi.as_displayed`), with invisible characters read as spaces, and with spelled-out letters
joined, and says which of those signs of obfuscation it found. Only screening reads names this way: the case keeps
the name as received. See docs/screening.md, "Obfuscated names".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any, Literal

from rigour.names import remove_org_types

from arbiter.screening.bidi import DIRECTION_CONTROLS, as_displayed
from arbiter.screening.model import PersonQuery, Query

__all__ = ["NameReading", "ReceivedName", "read_name", "read_query", "show_invisible"]

Sign = Literal["invisible_characters", "reordered", "spelled_out"]

#: Characters that show nothing or a blank though they are not format characters (Cf): the combining grapheme
#: joiner, Hangul fillers, Khmer inherent vowels, Mongolian free variation selectors, variation selectors (the
#: Default_Ignorable_Code_Point letters and marks), and the Braille blank.
_INVISIBLE_NOT_CF = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)
_ZWNJ_ZWJ = frozenset("\u200c\u200d")
# Scripts whose words are written with the zero-width (non-)joiner between two of their letters: Persian
# "حسن‌زاده", Indic conjuncts. There it is spelling, not a trick.
_JOINING_SCRIPTS = (
    "ARABIC",
    "SYRIAC",
    "NKO",
    "MONGOLIAN",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "KHMER",
    "MYANMAR",
    "TIBETAN",
)
_RTL = frozenset({"R", "AL"})
# A letter standing alone: between the start, a space or a dot and the end, a space or a dot. Han, kana and Hangul
# syllables are words of their own ("王 小 明" is a name spaced out, not spelled out).
_LETTER = r"[^\W\d_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
_LETTER_RUN = re.compile(rf"(?<![^\s.]){_LETTER}(?![^\s.])(?:[\s.]+{_LETTER}(?![^\s.])){{2,}}\.?")
_SEPARATORS = re.compile(r"[\s.]+")
#: Initials are capitals: a run of single letters holding a small one, or this long, is a word spelled out.
_SPELLED_OUT_LENGTH = 5
AS_RECEIVED = "as received"


@dataclass(frozen=True, slots=True)
class NameReading:
    """One way to read a received name: the text screened, and how it was read from what was received."""

    text: str
    read_as: str  # "as received", or the steps: "invisible characters removed, display order, letters joined"


@dataclass(frozen=True, slots=True)
class ReceivedName:
    """A name exactly as received, the readings screening compares, its invisible characters and the signs of
    obfuscation found (none for an ordinary name)."""

    received: str
    readings: tuple[NameReading, ...]
    invisible: tuple[str, ...] = ()  # "U+202E RIGHT-TO-LEFT OVERRIDE", each once, in the order found
    signs: tuple[Sign, ...] = ()

    @property
    def obfuscated(self) -> bool:
        """Whether the name carries something that hides how it reads."""
        return bool(self.signs)

    @property
    def visible(self) -> str:
        """The name as received, each invisible character shown as `<U+XXXX>`."""
        return show_invisible(self.received)

    def to_dict(self) -> dict[str, Any]:
        """The name as received, made visible, and how it was read, as JSON-ready data."""
        return {
            "name": self.received,
            "visible": self.visible,
            "invisible": list(self.invisible),
            "signs": list(self.signs),
            "readings": [{"name": r.text, "read_as": r.read_as} for r in self.readings],
        }


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or _INVISIBLE_NOT_CF.match(ch) is not None


def _has_invisible(text: str) -> bool:
    # Format characters are not printable: most names are decided by one call in C.
    if text.isprintable() and not _INVISIBLE_NOT_CF.search(text):
        return False
    return any(_is_invisible(ch) for ch in text)


def show_invisible(text: str) -> str:
    """`text` with each invisible character written as `<U+XXXX>`, so it can be shown and read safely."""
    if not _has_invisible(text):
        return text
    return "".join(f"<U+{ord(ch):04X}>" if _is_invisible(ch) else ch for ch in text)


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED')}"


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _innocent(text: str, i: int, rtl_letters: bool) -> bool:
    """An invisible character that is spelling, not disguise: a joiner inside a word of a script that needs it, or
    a direction mark in a name written in a right-to-left script (text systems add them; they move no letter)."""
    ch = text[i]
    if ch in _ZWNJ_ZWJ and 0 < i < len(text) - 1:
        before, after = _script(text[i - 1]), _script(text[i + 1])
        return before == after and before in _JOINING_SCRIPTS
    return ch in "\u200e\u200f\u061c" and rtl_letters


def _remove_invisible(text: str, replacement: str = "") -> str:
    return " ".join("".join(replacement if _is_invisible(ch) else ch for ch in text).split())


def _join_letters(text: str) -> str:
    return _LETTER_RUN.sub(lambda m: _word_break(m.group(0)), text)


def _word_break(run: str) -> str:
    letters = _SEPARATORS.sub("", run)
    words = [letters[0]]
    for previous, letter in pairwise(letters):
        if previous.islower() and letter.isupper():
            words.append(letter)  # "Z h a o M i n g h u i": two words
        else:
            words[-1] += letter
    return " ".join(words)


def _spelled_out(pieces: tuple[str, ...], organisation: bool) -> bool:
    """A run of single letters that cannot be initials: a small letter in it, or too long, or the whole name.

    An organisation's legal form is set aside first, and its small letters prove nothing: `S.p.A.`, `s.r.o.`,
    `S.à r.l.`, `G.m.b.H.` are abbreviations, so only a long run or a whole name counts there.
    """
    if organisation:
        pieces = tuple(remove_org_types(p.casefold(), replacement=" ") for p in pieces)
    whole = [w for p in pieces for w in _SEPARATORS.split(p) if w]
    if len(whole) >= 3 and all(len(w) == 1 and re.fullmatch(_LETTER, w) for w in whole):
        return True
    for piece in pieces:
        for match in _LETTER_RUN.finditer(piece):
            letters = _SEPARATORS.sub("", match.group(0))
            if len(letters) >= _SPELLED_OUT_LENGTH or (
                not organisation and any(ch.islower() for ch in letters)
            ):
                return True
    return False


@lru_cache(maxsize=8192)
def read_name(text: str, parts: tuple[str, ...] = (), *, organisation: bool = False) -> ReceivedName:
    """The readings of a name as received, and the signs of obfuscation it carries.

    `parts`: the fields `text` joins with spaces (first, middle, last name), when it was built from them, so that
    a field spelled out letter by letter is joined on its own ("Z H A O" "M I N G H U I" → "ZHAO MINGHUI").
    `organisation`: an organisation's name, whose legal form may be a dotted abbreviation (`S.p.A.`).
    """
    invisible = _has_invisible(text)
    if not invisible and not _LETTER_RUN.search(text):
        return ReceivedName(text, (NameReading(text, AS_RECEIVED),))
    pieces = parts if len(parts) > 1 and " ".join(parts) == text else (text,)
    rtl_letters = any(unicodedata.bidirectional(ch) in _RTL for ch in text if not _is_invisible(ch))
    found: dict[str, None] = {}
    suspicious = False
    for piece in pieces:
        for i, ch in enumerate(piece):
            if _is_invisible(ch):
                found.setdefault(_describe(ch))
                suspicious = suspicious or not _innocent(piece, i, rtl_letters)
    removed = "invisible characters removed" if found else ""
    # What a reader may see: the name as stored, as displayed whole, and each field displayed on its own.
    orders: list[tuple[tuple[str, ...], list[str]]] = [(pieces, [removed])]
    if any(ch in DIRECTION_CONTROLS for ch in text):
        orders.append(((as_displayed(text),), [removed, "display order"]))
        if len(pieces) > 1:
            orders.append((tuple(as_displayed(p) for p in pieces), [removed, "display order of each part"]))
    readings: dict[str, str] = {}
    for shown, steps in orders:
        variants = [(tuple(_remove_invisible(p) for p in shown), steps)]
        if suspicious:
            spaced = tuple(_remove_invisible(p, " ") for p in shown)
            variants.append((spaced, [*steps[1:], "invisible characters read as spaces"]))
        for variant, how in variants:
            readings.setdefault(" ".join(p for p in variant if p), _steps(how))
            joined = tuple(_join_letters(p) for p in variant)
            if joined != variant:
                readings.setdefault(" ".join(p for p in joined if p), _steps([*how, "letters joined"]))
    logical = next(iter(readings))
    signs: list[Sign] = []
    if suspicious:
        signs.append("invisible_characters")
    if any("display order" in how and _words(shown) != _words(logical) for shown, how in readings.items()):
        signs.append("reordered")
    if _spelled_out(tuple(_remove_invisible(p) for p in pieces), organisation):
        signs.append("spelled_out")
    return ReceivedName(
        text,
        tuple(NameReading(t, how) for t, how in readings.items() if t.strip()),
        tuple(found),
        tuple(signs),
    )


def _steps(steps: list[str]) -> str:
    return ", ".join(s for s in steps if s) or AS_RECEIVED


def _words(text: str) -> list[str]:
    """The words of a reading whatever their order: display order may only move whole words."""
    return sorted("".join(ch for ch in word if ch.isalnum()).casefold() for word in text.split())


def read_query(query: Query) -> tuple[ReceivedName, ...]:
    """Each name of a query as received (the first with the fields it was built from, for a person)."""
    person = isinstance(query, PersonQuery)
    parts = query.name_parts if isinstance(query, PersonQuery) else ()
    return tuple(
        read_name(n, parts if i == 0 else (), organisation=not person)
        for i, n in enumerate(query.names)
        if n and n.strip()
    )
