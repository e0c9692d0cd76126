"""Names as comparable tokens: honorifics and legal forms set aside, every script brought to ASCII, Wade-Giles
Chinese names rewritten in pinyin (`wade_giles.py`).

A name becomes a `NameForm`: its tokens in ASCII (rigour's transliteration; ICU for Han, Arabic and the other
scripts rigour does not spell itself), which of them came from an abjad script (Arabic, Hebrew, Syriac: short
vowels are not written, so only a consonant skeleton can be compared), and, for organisations, the legal-form
tokens (`ltd`, `gmbh`, `ooo`…) reduced by rigour to a generic form and kept apart from the distinctive words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import extract_org_types, remove_org_types, remove_person_prefixes, tokenize_name
from rigour.text import ascii_text, metaphone
from rigour.text.scripts import text_scripts

from arbiter.screening.wade_giles import looks_wade_giles, wade_giles_to_pinyin

__all__ = ["NameForm", "fold_romanisation", "normalise_name", "phonetic_key", "skeleton_key"]

#: Scripts that leave short vowels unwritten: their romanisation by ICU is a consonant skeleton ("mhmd").
ABJAD_SCRIPTS = frozenset({"Arabic", "Hebrew", "Syriac", "Thaana"})

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Skeleton letters dropped: vowels, and the letters Arabic uses for long vowels (w, y) or that ICU and
# romanisers disagree on (h after another consonant is kept: "kh", "sh" are consonants of their own).
_SKELETON_DROP = re.compile(r"[aeiouyw]+")
_REPEAT = re.compile(r"(.)\1+")
# Consonants one Arabic letter is romanised as, folded to one: tha "th"/"s", dhal and za "dh"/"z", qaf "q"/"k",
# ghayn "gh"/"g", and the French "ch" for shin.
_SKELETON_FOLDS = (("th", "s"), ("dh", "z"), ("gh", "g"), ("ch", "sh"), ("q", "k"))
_SKELETON_PATTERN = re.compile("|".join(re.escape(a) for a, _ in _SKELETON_FOLDS))
_SKELETON_MAP = dict(_SKELETON_FOLDS)


# Titles rigour does not set aside, when they lead a name of two words more: "Sheikh" alone may be a surname,
# and "He" a Chinese one, so abbreviations count only with their dots ("H.E. Ma Lidong" is His Excellency).
_LEADING_TITLE = re.compile(
    r"^(?:(?:(?:sheikh|sheik|shaikh|shaykh|sheikha|shaykha)\.?|h\.\s?e\.|gen\.|col\.|lt\.|maj\.|capt\.|brig\.)"
    r"\s+)+(?=\S+\s+\S)"
)


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name ready to compare: ASCII tokens, their abjad origin, and legal-form tokens for organisations."""

    original: str
    tokens: tuple[str, ...]
    abjad: tuple[bool, ...]
    legal: tuple[str, ...] = ()
    #: Rewritten from Wade-Giles: its words may be pinyin read another way ("Kuang" for "Guang").
    wade_giles: bool = False


# Spellings that the romanisation conventions of one script disagree on (Cyrillic in English, German,
# French, ICAO passports; Chinese in pinyin and Wade-Giles), each folded to one form. Longest first: "tsch"
# before "sch".
_ROMANISATION_FOLDS = (
    ("shch", "sh"),
    ("tsch", "sh"),
    ("tch", "sh"),
    ("sch", "sh"),
    ("ch", "sh"),  # French "ch" is English "sh" (Cherif / Sharif): the fold does not tell ch from sh
    ("th", "s"),  # Arabic tha is written "th" or "s" (Othman / Osman)
    ("dh", "z"),  # and dhal "dh" or "z"
    ("q", "k"),
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("ou", "u"),
    ("oo", "u"),  # Noor / Nour
    ("ee", "i"),  # Saeed / Said, Kareem / Karim
    ("hs", "x"),
    ("ck", "k"),
    ("ph", "f"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
)
_FOLD_PATTERN = re.compile("|".join(re.escape(a) for a, _ in _ROMANISATION_FOLDS))
_FOLD_MAP = dict(_ROMANISATION_FOLDS)


@lru_cache(maxsize=65536)
def fold_romanisation(token: str) -> str:
    """Fold the spellings romanisation conventions disagree on, so "Schewtschenko" meets "Shevchenko"."""
    return _REPEAT.sub(r"\1", _FOLD_PATTERN.sub(lambda m: _FOLD_MAP[m.group(0)], token))


@lru_cache(maxsize=65536)
def skeleton_key(token: str) -> str:
    """The consonant skeleton of an ASCII token: what an abjad spelling and a romanisation share."""
    consonants = _SKELETON_DROP.sub("", token)
    return _REPEAT.sub(r"\1", _SKELETON_PATTERN.sub(lambda m: _SKELETON_MAP[m.group(0)], consonants))


@lru_cache(maxsize=65536)
def phonetic_key(token: str) -> str:
    """Metaphone of a token, or "" when the token is too short or numeric to carry a sound."""
    if len(token) < 3 or token.isdigit():
        return ""
    return metaphone(token)


@lru_cache(maxsize=131072)
def _ascii_tokens(token: str) -> tuple[tuple[str, ...], bool]:
    """One original token → its ASCII tokens (Han gives one per syllable) and whether it was abjad."""
    abjad = bool(text_scripts(token) & ABJAD_SCRIPTS)
    # Transliteration spaces out Han syllables ("wang xiao ming"); other marks it leaves (the "?" of an
    # Arabic ayn, apostrophes) are inside one word and are dropped without splitting it.
    text = ascii_text(token).lower()
    parts = tuple(p for p in (_NON_ALNUM.sub("", piece) for piece in text.split()) if p)
    return parts, abjad


def normalise_name(text: str, *, organisation: bool = False) -> NameForm:
    """Turn a raw person or organisation name into a `NameForm`."""
    folded = " ".join(text.split()).casefold()
    legal: tuple[str, ...] = ()
    wade_giles = False
    if organisation:
        legal = tuple(sorted({target for _, target in extract_org_types(folded, generic=True)}))
        core = remove_org_types(folded, replacement=" ")
        if not tokenize_name(core):
            # The whole name is a legal form ("Limited"): keep it rather than compare nothing.
            core, legal = folded, ()
    else:
        core = _LEADING_TITLE.sub("", remove_person_prefixes(folded))
        wade_giles = looks_wade_giles(core)
        if wade_giles:
            core = wade_giles_to_pinyin(core)  # lists write Chinese names in pinyin
    tokens: list[str] = []
    abjad: list[bool] = []
    for raw in tokenize_name(core):
        parts, is_abjad = _ascii_tokens(raw)
        tokens.extend(parts)
        abjad.extend([is_abjad] * len(parts))
    return NameForm(
        original=text, tokens=tuple(tokens), abjad=tuple(abjad), legal=legal, wade_giles=wade_giles
    )
