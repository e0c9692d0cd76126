"""What makes a case findable in the review queue: name words, registration numbers, correlation ids.

Terms are folded (lower case, accents removed, punctuation dropped) so "Müller Zahlungen GmbH" is found by "muller"
and "zahlungen" (not by "gmbh": `LEGAL_FORMS`); the store indexes each term so a search is a prefix look-up, never
a scan. A case id or an integrator's entity id is
found by an exact look-up instead (the case's key, the ByEntity index): no term is written for them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from arbiter.domain.case import Case

__all__ = ["fold", "search_terms"]

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
MAX_TERMS = 40
#: Legal forms, folded: a business's word that every company of its form has would find all of them, which is no
#: search, and each term is an item written with the case (a write unit). Not a term of a business's name unless it
#: is its first word; the whole name run together still is one, so "PT Bank Mandiri" is found by "pt bank".
# fmt: off
LEGAL_FORMS = frozenset({
    "ab", "ag", "aps", "as", "asa", "bhd", "bv", "co", "corp", "eg", "ev", "gmbh", "inc", "kft", "kg", "kgaa",
    "kk", "llc", "llp", "lp", "ltd", "mbh", "nv", "ohg", "oy", "oyj", "plc", "pte", "pty", "sa", "sae",
    "sarl", "sas", "sasu", "se", "sl", "slu", "spa", "sro", "srl", "ug",
})
# fmt: on


def fold(text: str) -> str:
    """Lower case, accents removed, runs of anything but letters and digits turned into one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_ALNUM.sub(" ", ascii_only).strip()


def _compact(text: str) -> str:
    return fold(text).replace(" ", "")


def search_terms(case: Case) -> set[str]:
    """The folded terms a case is found by (each at least two characters)."""
    terms: set[str] = set()
    name = case.entity.display_name()
    business = case.entity.business
    if name:
        folded = fold(name)
        words = folded.split()
        terms.update(
            word
            for position, word in enumerate(words)
            if len(word) >= 2 and not (business and position and word in LEGAL_FORMS)
        )
        terms.add(folded.replace(" ", ""))
    identifiers = list(business.identifiers if business else []) + list(
        case.entity.individual.identifiers if case.entity.individual else []
    )
    for value in (
        business.registration_number if business else None,
        business.tax_id if business else None,
        business.vat_number if business else None,
        case.correlation_id,
        *(identifier.value for identifier in identifiers),
    ):
        if value:
            terms.add(_compact(value))
    kept = sorted(t for t in terms if len(t) >= 2)
    # A term that starts another is dropped: every prefix of it is a prefix of the longer one, so the case is found
    # by exactly the same searches (a name's first word and the whole name run together: "ada", "adalovelace"),
    # and each term is an item written with the case. Sorted, a term that starts others sorts just before them.
    distinct = [t for t, after in zip(kept, [*kept[1:], ""], strict=False) if not after.startswith(t)]
    return set(distinct[:MAX_TERMS])  # bounded: each term is an item written beside the case
