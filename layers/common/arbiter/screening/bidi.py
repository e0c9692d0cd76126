"""A name as it is displayed: the Unicode Bidirectional Algorithm (UAX #9) for one line of text, as a reader sees it.

A right-to-left override (U+202E) stores "oahZ" and shows "Zhao": a reviewer reads what is displayed, so screening
reads it too. `as_displayed` follows UAX #9 for one paragraph: explicit embeddings, overrides and isolates (X1-X10,
at most 125 deep), weak types (W1-W7), neutrals (N1-N2; bracket pairs, N0, are left out: names have none that
matter), implicit levels (I1-I2), trailing whitespace (L1) and reordering (L2), combining marks staying on their
letter. It then turns each word of a right-to-left script back to the order it is read in, since the matcher
transliterates Arabic and Hebrew in their stored (logical) order: the result is the text in the order a reader
reads it, with its controls removed.

Not python-bidi: its display string puts Arabic and Hebrew words in visual order, which would have to be undone
word by word here anyway, and it would add a compiled dependency to the Lambda layer (docs/screening.md,
"Obfuscated names"). This module was checked against it on random strings of letters, digits and controls.
"""

from __future__ import annotations

from unicodedata import bidirectional

__all__ = ["DIRECTION_CONTROLS", "as_displayed"]

_LRE, _RLE, _PDF, _LRO, _RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
_LRI, _RLI, _FSI, _PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_PUSHES = {_LRE: (False, None), _RLE: (True, None), _LRO: (False, "L"), _RLO: (True, "R")}
_ISOLATES = frozenset({_LRI, _RLI, _FSI})
_MARKS = frozenset("\u200e\u200f\u061c")  # left-to-right, right-to-left and Arabic letter marks
#: The characters that change the direction of the text around them: marks, embeddings, overrides, isolates.
DIRECTION_CONTROLS = frozenset(_MARKS | set(_PUSHES) | _ISOLATES | {_PDF, _PDI})
_MAX_DEPTH = 125
_NEUTRAL = frozenset({"B", "S", "WS", "ON", "LRI", "RLI", "FSI", "PDI"})


class _Unit:
    """One character kept after X9 (with its combining marks): its level, its type as it is being resolved, the
    type it had, and, for an isolate initiator, where its matching PDI is."""

    __slots__ = ("kind", "level", "match", "original", "text")

    def __init__(self, text: str, level: int, kind: str) -> None:
        self.text, self.level, self.kind, self.original = text, level, kind, kind
        self.match: int | None = None


def _first_strong(text: str, start: int = 0, *, in_isolate: bool = False) -> int | None:
    """1 if the first strong letter from `start`, outside isolates, is right-to-left, 0 if left-to-right (P2-P3);
    `in_isolate`: the search stops at the PDI closing the isolate it starts in (an FSI's direction)."""
    depth = 0
    for ch in text[start:]:
        if ch in _ISOLATES:
            depth += 1
        elif ch == _PDI:
            if depth == 0 and in_isolate:
                return None
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = bidirectional(ch)
            if kind == "L":
                return 0
            if kind in ("R", "AL"):
                return 1
    return None


def _explicit(text: str, paragraph: int) -> list[_Unit]:
    """X1-X9: each character's embedding level, overrides applied; embeddings and BN characters removed."""
    stack: list[tuple[int, str | None, bool]] = [(paragraph, None, False)]
    overflow_isolates = overflow_embeddings = valid_isolates = 0
    open_isolates: list[int] = []
    units: list[_Unit] = []
    for i, ch in enumerate(text):
        level, override, _ = stack[-1]
        if ch in _PUSHES:
            rtl, pushed = _PUSHES[ch]
            new = (level + 1) | 1 if rtl else (level + 2) & ~1
            if new <= _MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                stack.append((new, pushed, False))
            elif not overflow_isolates:
                overflow_embeddings += 1
            continue
        if ch in _ISOLATES:
            unit = _Unit("", level, override or bidirectional(ch))
            unit.original = bidirectional(ch)
            units.append(unit)
            rtl = ch == _RLI or (ch == _FSI and _first_strong(text, i + 1, in_isolate=True) == 1)
            new = (level + 1) | 1 if rtl else (level + 2) & ~1
            if new <= _MAX_DEPTH and not overflow_isolates and not overflow_embeddings:
                valid_isolates += 1
                stack.append((new, None, True))
                open_isolates.append(len(units) - 1)
            else:
                overflow_isolates += 1
            continue
        if ch == _PDI:
            if overflow_isolates:
                overflow_isolates -= 1
            elif valid_isolates:
                overflow_embeddings = 0
                while not stack[-1][2]:
                    stack.pop()
                stack.pop()
                valid_isolates -= 1
                units[open_isolates.pop()].match = len(units)
            level, override, _ = stack[-1]
            unit = _Unit("", level, override or "PDI")
            unit.original = "PDI"
            units.append(unit)
            continue
        if ch == _PDF:
            if overflow_isolates:
                pass
            elif overflow_embeddings:
                overflow_embeddings -= 1
            elif not stack[-1][2] and len(stack) > 1:
                stack.pop()
            continue
        kind = bidirectional(ch)
        if kind == "BN":
            continue  # X9: joiners, the soft hyphen, tags… are removed
        if kind == "NSM" and units and units[-1].text:
            units[
                -1
            ].text += ch  # W1: a combining mark takes its letter's type, and stays on it when reordered
            continue
        unit = _Unit("" if ch in _MARKS else ch, level, override or kind)
        unit.original = kind
        units.append(unit)
    return units


def _sequences(units: list[_Unit]) -> list[list[int]]:
    """BD13: level runs chained through isolates, an initiator's run going on with its matching PDI's run."""
    runs: list[list[int]] = []
    for i, unit in enumerate(units):
        if runs and units[runs[-1][-1]].level == unit.level and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    starts = {run[0]: run for run in runs}
    sequences: list[list[int]] = []
    for run in runs:
        if units[run[0]].original == "PDI" and _is_matched_pdi(units, run[0]):
            continue  # carried on by its initiator's sequence
        sequence = list(run)
        while units[sequence[-1]].original in ("LRI", "RLI", "FSI") and units[sequence[-1]].match is not None:
            sequence += starts[units[sequence[-1]].match]  # type: ignore[index]
        sequences.append(sequence)
    return sequences


def _is_matched_pdi(units: list[_Unit], index: int) -> bool:
    return any(u.match == index for u in units)


def _resolve(units: list[_Unit], sequence: list[int], explicit: list[int], paragraph: int) -> None:
    """W1-W7, N1-N2 and I1-I2 on one isolating run sequence; `explicit`: the levels before any was resolved."""
    level = explicit[sequence[0]]
    first, last = sequence[0], sequence[-1]
    before = explicit[first - 1] if first > 0 else paragraph
    last_unit = units[last]
    if (last_unit.original in ("LRI", "RLI", "FSI") and last_unit.match is None) or last == len(units) - 1:
        after = paragraph
    else:
        after = explicit[last + 1]
    sos = "R" if max(level, before) % 2 else "L"
    eos = "R" if max(level, after) % 2 else "L"
    kinds = [units[i].kind for i in sequence]
    # W2, W3, W7: numbers read after Arabic letters are Arabic numbers; after a left-to-right letter, left-to-right.
    strong = sos
    for k, kind in enumerate(kinds):
        if kind in ("L", "R", "AL"):
            strong = kind
        elif kind == "EN":
            kinds[k] = "AN" if strong == "AL" else "EN"
    kinds = ["R" if kind == "AL" else kind for kind in kinds]
    # W4: one separator between two numbers of a kind joins them; W5: terminators next to a number are the number's.
    for k in range(1, len(kinds) - 1):
        if kinds[k] == "ES" and kinds[k - 1] == kinds[k + 1] == "EN":
            kinds[k] = "EN"
        elif kinds[k] == "CS" and kinds[k - 1] == kinds[k + 1] and kinds[k - 1] in ("EN", "AN"):
            kinds[k] = kinds[k - 1]
    for k, kind in enumerate(kinds):
        if kind == "EN":
            for step in (-1, 1):
                j = k + step
                while 0 <= j < len(kinds) and kinds[j] == "ET":
                    kinds[j] = "EN"
                    j += step
    # W6: what separators and terminators remain are neutral; W7: a number after a left-to-right letter is one.
    kinds = ["ON" if kind in ("ES", "ET", "CS") else kind for kind in kinds]
    strong = sos
    for k, kind in enumerate(kinds):
        if kind in ("L", "R"):
            strong = kind
        elif kind == "EN" and strong == "L":
            kinds[k] = "L"
    # N1-N2: a run of neutrals between two strong types of one direction (numbers count as R) takes it, any other
    # the direction of its embedding.
    embedding = "R" if level % 2 else "L"
    k = 0
    while k < len(kinds):
        if kinds[k] not in _NEUTRAL:
            k += 1
            continue
        end = k
        while end < len(kinds) and kinds[end] in _NEUTRAL:
            end += 1
        left = sos if k == 0 else ("L" if kinds[k - 1] == "L" else "R")
        right = eos if end == len(kinds) else ("L" if kinds[end] == "L" else "R")
        for j in range(k, end):
            kinds[j] = left if left == right else embedding
        k = end
    # I1-I2.
    for i, kind in zip(sequence, kinds, strict=True):
        unit = units[i]
        if level % 2 == 0:
            unit.level += 1 if kind == "R" else 2 if kind in ("EN", "AN") else 0
        elif kind in ("L", "EN", "AN"):
            unit.level += 1


def as_displayed(text: str) -> str:
    """The text in the order a reader reads it on screen, controls removed: display order, with each word of a
    right-to-left script read from right to left."""
    paragraph = _first_strong(text) or 0
    units = _explicit(text, paragraph)
    if not units:
        return ""
    explicit = [u.level for u in units]
    for sequence in _sequences(units):
        _resolve(units, sequence, explicit, paragraph)
    # L1: whitespace and isolate controls ending the line go back to the paragraph's level.
    for unit in reversed(units):
        if unit.original not in ("WS", "LRI", "RLI", "FSI", "PDI"):
            break
        unit.level = paragraph
    # L2: from the highest level to the lowest odd one, reverse every run at that level or higher.
    highest = max(u.level for u in units)
    lowest_odd = min((u.level for u in units if u.level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(units):
            if units[i].level < level:
                i += 1
                continue
            j = i
            while j < len(units) and units[j].level >= level:
                j += 1
            units[i:j] = units[i:j][::-1]
            i = j
    # A word of a right-to-left script is read from right to left: back to the order it is read (and stored) in.
    out: list[str] = []
    i = 0
    while i < len(units):
        j = i
        while j < len(units) and units[j].original in ("R", "AL") and units[j].text:
            j += 1
        if j > i:
            out.extend(u.text for u in reversed(units[i:j]))
            i = j
        else:
            out.append(units[i].text)
            i += 1
    return "".join(out)
