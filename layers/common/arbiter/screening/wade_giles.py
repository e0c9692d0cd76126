"""Chinese names written in Wade-Giles (`Chang Hsiao-ming`, `T'ang Chien-te`) rewritten in pinyin.

Lists and most registries write Chinese names in pinyin; older documents, Taiwan and Hong Kong often use
Wade-Giles, whose spellings differ in most syllables (`hs`→`x`, `ch'i`→`qi`, `k`→`g`, `-ung`→`-ong`…) and are
too far apart for edit distance. A name is rewritten only when it is recognisably Wade-Giles: an aspiration
apostrophe (`ch'`, `k'`, `p'`, `t'`, `ts'`), `hs`, `ü`, a hyphenated given name whose parts are all Wade-Giles
syllables, or a name of two words or more, all Wade-Giles syllables, one of which is no pinyin syllable
(`Huang Ching`, `Chiang Hung`); and only its words made of Wade-Giles syllables are rewritten, so `Jean-Pierre` stays as it is. The
conversion follows the standard correspondence tables (initials, then finals); it never looks at the name's
meaning or at any list.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["is_pinyin", "is_pinyin_syllable", "looks_wade_giles", "wade_giles_to_pinyin"]

# The apostrophe and what is typed for it (right and left quotes, modifier letters, a backtick).
_APOSTROPHES = "'\u2019\u2018\u02bb\u02bc`"
_INITIALS = ("ch'", "ts'", "tz'", "k'", "p'", "t'", "ch", "hs", "sh", "ss", "ts", "tz", "j", "k", "p", "t", "m",
             "f", "n", "l", "h", "s", "y", "w", "")  # fmt: skip
_FINALS = frozenset(
    ("a", "ai", "an", "ang", "ao", "e", "eh", "ei", "en", "eng", "erh", "i", "ia", "iang", "iao", "ieh", "ien",
     "ih", "in", "ing", "iu", "iung", "o", "ou", "u", "ua", "uai", "uan", "uang", "uei", "ui", "un", "ung", "uo",
     "ü", "üan", "üeh", "ün", "ueh", "üng")
)  # fmt: skip
_SYLLABLE = re.compile(
    "^("
    + "|".join(re.escape(i) for i in _INITIALS if i)
    + ")?("
    + "|".join(sorted(_FINALS, key=len, reverse=True))
    + ")$"
)
_MARKER = re.compile(r"(?:ch|ts|tz|[ptk])'|\bhs|ü")  # on folded text: apostrophes are all "'"
# Initials: (Wade-Giles, pinyin before i/ü, pinyin otherwise).
_INITIAL_MAP = {
    "ch'": ("q", "ch"),
    "ch": ("j", "zh"),
    "k'": ("k", "k"),
    "k": ("g", "g"),
    "p'": ("p", "p"),
    "p": ("b", "b"),
    "t'": ("t", "t"),
    "t": ("d", "d"),
    "ts'": ("c", "c"),
    "tz'": ("c", "c"),
    "ts": ("z", "z"),
    "tz": ("z", "z"),
    "hs": ("x", "x"),
    "j": ("r", "r"),
    "ss": ("s", "s"),
}
_FINAL_MAP = {
    "ung": "ong",
    "iung": "iong",
    "ieh": "ie",
    "ueh": "ue",
    "üeh": "ue",
    "ien": "ian",
    "uei": "ui",
    "erh": "er",
    "ih": "i",
    "eh": "e",
    "ü": "u",
    "üan": "uan",
    "ün": "un",
    "üng": "ong",
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text.casefold())
    for mark in _APOSTROPHES[1:]:
        text = text.replace(mark, "'")
    return text.replace("u\u0308", "ü")


def _syllable(part: str) -> tuple[str, str] | None:
    match = _SYLLABLE.match(part)
    return (match.group(1) or "", match.group(2)) if match else None


def looks_wade_giles(text: str) -> bool:
    """Whether the name is recognisably written in Wade-Giles (see the module's docstring)."""
    folded = _fold(text)
    words = folded.split()
    if _MARKER.search(folded):
        return any(_word_syllables(w) for w in words)
    if any("-" in w and _word_syllables(w) for w in words):
        return True
    # Without a marker ("Huang Ching", "Chiang Hung"): every word is Wade-Giles, and one of them cannot be read
    # as pinyin at all.
    syllables = [_word_syllables(w) for w in words]
    if len(words) < 2 or any(s is None for s in syllables):
        return False
    return any(w.strip(",.") not in _pinyin_syllables() for w in words)


@lru_cache(maxsize=1)
def _pinyin_syllables() -> frozenset[str]:
    """Every syllable the conversion can write: a word outside it is not pinyin. Pinyin writes a syllable with
    no initial that starts with i, u or ü with y or w ("yin", "wang"): "in", "uang" alone are not pinyin."""
    syllables = {_pinyin(i, f) for i in _INITIALS for f in _FINALS}
    return frozenset(s for s in syllables if s[0] not in "iuü")


def _word_syllables(word: str) -> list[tuple[str, str]] | None:
    parts = [p for p in word.strip(",.").split("-") if p]
    syllables = [_syllable(p) for p in parts]
    if not parts or any(s is None for s in syllables):
        return None
    return syllables  # type: ignore[return-value]


@lru_cache(maxsize=4096)
def wade_giles_to_pinyin(text: str) -> str:
    """The name with its Wade-Giles words in pinyin (syllables of one word joined: `Hsiao-ming` → `xiaoming`)."""
    folded = _fold(text)
    words = folded.split()
    # Recognised only by a word pinyin cannot write: rewrite those words alone ("Chen Hung": "Chen" may be pinyin).
    unmarked = not _MARKER.search(folded) and not any("-" in w and _word_syllables(w) for w in words)
    out = []
    for word in words:
        syllables = _word_syllables(word)
        if syllables and not (unmarked and word.strip(",.") in _pinyin_syllables()):
            out.append("".join(_pinyin(i, f) for i, f in syllables))
        else:
            out.append(word)
    return " ".join(out)


def _pinyin(initial: str, final: str) -> str:
    # ch, ch', hs before i or ü are pinyin's j, q, x; chih, ch'ih, shih are zhi, chi, shi.
    palatal = final.startswith(("i", "ü")) and final != "ih"
    if initial in ("ss", "ts", "tz", "ts'", "tz'", "s") and final == "u":
        final = "i"  # ssu, tzu, tz'u → si, zi, ci
    elif initial in ("k", "k'", "h", "") and final == "o":
        final = "e"  # ko, k'o, ho, o → ge, ke, he, e
    elif (
        initial in ("l", "n", "t", "t'", "ts", "ts'", "tz", "tz'", "s", "ch", "ch'", "sh", "j")
        and final == "o"
    ):
        final = "uo"  # lo, to, tso, cho, jo → luo, duo, zuo, zhuo, ruo
    final = _FINAL_MAP.get(final, final)
    if initial in _INITIAL_MAP:
        before_i, otherwise = _INITIAL_MAP[initial]
        initial = before_i if palatal else otherwise
    return initial + final


@lru_cache(maxsize=65536)
def is_pinyin(token: str) -> bool:
    """Whether an ASCII token is written entirely in pinyin syllables ("jinghai": jing-hai)."""
    syllables = _pinyin_syllables()
    reachable = [True] + [False] * len(token)
    for end in range(1, len(token) + 1):
        reachable[end] = any(
            reachable[start] and token[start:end] in syllables for start in range(max(0, end - 6), end)
        )
    return bool(token) and reachable[-1]


def is_pinyin_syllable(token: str) -> bool:
    """Whether an ASCII token is one pinyin syllable ("zhang", not "xiaoming")."""
    return token in _pinyin_syllables()
