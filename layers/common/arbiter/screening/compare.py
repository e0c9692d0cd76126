"""How similar two names are, token by token, and why.

Tokens are aligned regardless of order (lists write "SURNAME, Given", integrators "Given Surname"); a token
may also meet two adjacent tokens of the other name joined ("xiao ming" / "Xiaoming", "al husseini" /
"alhsyny"). Each pair is scored by rapidfuzz's OSA similarity (Levenshtein with swaps), also after folding the
spellings that national romanisation conventions disagree on (German "sch"/"w", French "ch"/"ou"…), raised
when the metaphones agree (other romanisations of the same sound) or, for a token written in an abjad script,
when the consonant skeletons agree. A single letter meets a token it is the initial of. Pairs weaker than
`TOKEN_FLOOR` do not count: "John" and "James" are not half the same name.

The name score is the weighted share of the two names that was aligned, by token length (an initial weighs
`INITIAL_WEIGHT`, a particle such as "al" or "van" 1): every query token counts fully, and again
(`QUERY_EXTRA_WEIGHT`) when left over; listed tokens left over count for `LISTED_EXTRA_WEIGHT` only, because
lists carry middle names, patronymics and tribal names an integrator rarely sends; but when both sides have
tokens left over, the overlap counts again as a conflict (`CONFLICT_WEIGHT`): that is a different name, not an
omitted one. Two names written wholly in pinyin meet only on identical words (pinyin spells a syllable one way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from arbiter.screening.names import NameForm, fold_romanisation, phonetic_key, skeleton_key
from arbiter.screening.wade_giles import is_pinyin, is_pinyin_syllable

__all__ = ["NameComparison", "TokenPair", "compare_names"]

TOKEN_FLOOR = 0.7
#: A pinyin word that may be the one a Wade-Giles name without apostrophes stands for.
WADE_GILES_SIMILARITY = 0.9
#: How close joined tokens must be to the other side's when not by skeleton: one edit in ten letters or so.
JOINED_FLOOR = 0.85
PHONETIC_SIMILARITY = 0.85
SKELETON_SIMILARITY = 0.85
INITIAL_SIMILARITY = 0.9
PHONETIC_FLOOR = 0.5
_SPELLINGS = frozenset({"romanisation", "skeleton"})
#: Weight of an initial, matched or not: a missing given name is evidence, even written as one letter.
INITIAL_WEIGHT = 4
#: Particles that join names ("al", "bin", "van", "de"): they align easily and say little.
PARTICLES = frozenset(
    {
        "al",
        "el",
        "bin",
        "ibn",
        "bint",
        "abu",
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "la",
        "le",
        "da",
        "di",
        "du",
        "dos",
        "das",
    }
)
# Folded spellings that agree are close, but not the same spelling.
ROMANISATION_CAP = 0.95
ROMANISATION_FLOOR = 0.8
#: Extra weight of a conflict: a query token and a listed token both left unaligned are likely two different
#: name parts in the same place ("Théophile Roy" / "Théophile Hebert"), worse than a part one side omits.
CONFLICT_WEIGHT = 2.0
#: Extra weight of a query token the listed name does not have: the person asked about has a name the listing
#: lacks ("Majed Tariq Al Baghdadi" / "Tariq Al-Baghdadi"), which is more often another person than a listing
#: that left a name out.
QUERY_EXTRA_WEIGHT = 1.0
#: Weight of a listed token the query does not have: another given name is evidence of another person...
LISTED_EXTRA_WEIGHT = 0.5
#: ...but a patronymic, which lists carry and integrators rarely send, is not.
PATRONYMIC_EXTRA_WEIGHT = 0.3
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "ogly", "oglu", "uly", "kyzy", "qizi")


@dataclass(frozen=True, slots=True)
class TokenPair:
    """One aligned pair: query token(s), listed token(s), similarity and how they met."""

    query: str
    listed: str
    similarity: float
    how: str  # exact | fuzzy | romanisation | phonetic | skeleton | initial | wade-giles


@dataclass(frozen=True, slots=True)
class NameComparison:
    """The score of one query name against one listed name, with the pairs behind it."""

    score: float
    pairs: tuple[TokenPair, ...]
    unmatched_query: tuple[str, ...]
    unmatched_listed: tuple[str, ...]
    #: The score had every pair that met by another spelling of the same name (romanisation folds, abjad
    #: skeleton) met exactly: how namesakes are ranked, since the spelling a list uses says nothing about
    #: which of them is the person asked about ("Majid" and "Majed" are one Arabic name). A metaphone is not
    #: a spelling: "Hussain" and "Hassan" share one and are two names.
    spelling_blind: float = 0.0
    #: Pairs of aligned words met in the other order ("Yusuf Mustafa" / "Mustafa Yusuf": in an Arabic name the
    #: second word is the father's), not counting a name turned around as lists write it ("SURNAME, Given").
    inversions: int = 0


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    positions: tuple[int, ...]
    abjad: bool
    #: A joined unit whose every word keeps consonants of its own: a word that is all vowels and one letter in
    #: the skeleton ("Ali" → "l", "Layla" → "l") would vanish into its neighbour's ("Layla Sleiman" → "slmn").
    skeleton_joinable: bool = True


#: Spellings of one particle: the Arabic article is "al" or "el" ("Al-Khatib", "El Khatib").
_PARTICLE_SPELLINGS = {"el": "al"}


def _units(tokens: tuple[str, ...], abjad: tuple[bool, ...], skeletons: bool) -> list[_Unit]:
    spelled = [_PARTICLE_SPELLINGS.get(t, t) for t in tokens]
    units = [_Unit(t, (i,), abjad[i]) for i, t in enumerate(spelled)]
    for i in range(len(tokens) - 1):
        joinable = not skeletons or all(
            t in PARTICLES or len(skeleton_key(t)) >= 2 for t in tokens[i : i + 2]
        )
        units.append(_Unit(spelled[i] + spelled[i + 1], (i, i + 1), abjad[i] or abjad[i + 1], joinable))
    return units


def _token_similarity(
    q: _Unit,
    r: _Unit,
    pinyin: bool = False,
    wade_giles: bool = False,
    chinese: bool = False,
    known: frozenset[str] = frozenset(),
) -> tuple[float, str]:
    a, b = q.text, r.text
    if a == b:
        return 1.0, "exact"
    if pinyin:
        # Two names written wholly in pinyin: each word spells its syllables one way, so another spelling is
        # another name ("Liu Huichun" / "Liu Haichun"); a typo leaves a word pinyin cannot write, and is
        # compared as any other ("Tian Jign"). A name read from Wade-Giles written without its apostrophes
        # may stand for either consonant of a pair ("Kuang": kuang or guang).
        if wade_giles and _unaspirated(a) == _unaspirated(b):
            return WADE_GILES_SIMILARITY, "wade-giles"
        return 0.0, ""
    if chinese and is_pinyin(a) and is_pinyin(b):
        # One of the names is Chinese in pinyin: two pinyin words that differ are two names ("Zhu" / "Zhou",
        # "Yang" / "Jiang"), however a typo elsewhere in the other name keeps it from reading as pinyin.
        if wade_giles and _unaspirated(a) == _unaspirated(b):
            return WADE_GILES_SIMILARITY, "wade-giles"
        return 0.0, ""
    if len(a) == 1 or len(b) == 1:
        # An initial meets only a single token of the other side, and only by its first letter.
        # A letter left by an abjad transliteration is not an initial.
        single = len(q.positions) == 1 and len(r.positions) == 1 and not (q.abjad or r.abjad)
        if single and a[0] == b[0] and not (a + b).isdigit():
            return INITIAL_SIMILARITY, "initial"
        return 0.0, ""
    if a.isdigit() or b.isdigit():
        return 0.0, ""  # numbers in names ("Company 7") meet only when equal
    # OSA: Levenshtein that counts a swap of two neighbouring letters as one edit ("Jhon").
    best, how = OSA.normalized_similarity(a, b), "fuzzy"
    # A Chinese name in pinyin has no other romanisation to fold to (Wade-Giles is read into pinyin first): a
    # word pinyin cannot write is a typo ("Yng"), compared letter by letter, not a spelling of "Jing".
    if best < ROMANISATION_CAP and not chinese:
        # Another romanisation of the same name ("Qahtani" / "Kahtani") is a spelling, however close.
        folded = OSA.normalized_similarity(fold_romanisation(a), fold_romanisation(b))
        if folded > best and folded >= ROMANISATION_FLOOR:
            best, how = min(folded, ROMANISATION_CAP), "romanisation"
    single = len(q.positions) == 1 and len(r.positions) == 1
    if (
        single
        and not chinese
        and best < PHONETIC_SIMILARITY
        and best >= PHONETIC_FLOOR
        and min(len(a), len(b)) >= 4
    ):
        # Metaphones of short tokens collide too often ("teng", "dong"; "jian", "jing"): only longer, similar
        # tokens with a metaphone of three sounds or more count.
        # Pinyin spells each syllable one way: a metaphone shared by two pinyin words ("zhang", "zheng";
        # "jinghai", "jing") is a coincidence, not another spelling.
        pa = phonetic_key(a)
        # A long vowel written on one side only is another name with the same consonants ("Hussein" / "Hassan",
        # "Sleiman" / "Selman", "Fowler" / "Fuller"), though their metaphones agree.
        same_vowels = q.abjad or r.abjad or _long_vowel_marks(a) == _long_vowel_marks(b)
        if len(pa) >= 3 and pa == phonetic_key(b) and same_vowels and not (is_pinyin(a) and is_pinyin(b)):
            # Folded spellings that agreed stay a spelling ("Yusuf" / "Yousef"), however the metaphone lifts them.
            best, how = PHONETIC_SIMILARITY, ("romanisation" if how == "romanisation" else "phonetic")
    if (
        single
        and not (chinese or q.abjad or r.abjad)
        and how in ("fuzzy", "phonetic")
        and _vowel_variant(a, b)
    ):
        how = "romanisation"  # "Ahmed" / "Ahmad", "Fatma" / "Fatima": a spelling of one name, as scored
    if best < SKELETON_SIMILARITY and (q.abjad or r.abjad) and q.skeleton_joinable and r.skeleton_joinable:
        sa, sb = skeleton_key(a), skeleton_key(b)
        if sa and (sa == sb or _drop_article(sa) == sb or sa == _drop_article(sb) or _drop_end(sa) == sb):
            best, how = SKELETON_SIMILARITY, "skeleton"
    # One edit in a short token is another name as often as a typo ("Deng" / "Dong"): short tokens need more.
    if best < TOKEN_FLOOR or (how == "fuzzy" and min(len(a), len(b)) <= 3 and best < 1.0):
        return 0.0, ""
    if q.abjad != r.abjad and not _long_vowels_agree(a if q.abjad else b, b if q.abjad else a):
        return 0.0, ""
    if how == "fuzzy" and a in known and _spelling_key(a) != _spelling_key(b):
        # The query's word is a name the list holds as written: one letter from another listed name is that
        # other name ("Roberto" / "Robert", "Hill" / "Hall"), not a typo, which seldom writes a name.
        return 0.0, ""
    # Joined tokens stand for names written as one word ("xiao ming" / "Xiaoming"), not for a loose likeness:
    # "zeng jinghai" is not "Zeng Jing" three letters short.
    if how in ("fuzzy", "romanisation") and not single and best < JOINED_FLOOR:
        return 0.0, ""
    return best, how


_VOWEL_GROUP = re.compile(r"[aeiouyw]+")
_LONG_I = re.compile(r"ee|ei|ey|ai|ay")
_LONG_U = re.compile(r"oo|aw|ow|au")  # not "ou": French writes every u so ("Moustafa")
_TRAILING_VOWELS = re.compile(r"[aeiouy]+$")
_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=65536)
def _long_vowels_agree(abjad: str, roman: str) -> bool:
    """Whether a romanisation writes the long vowels an abjad spelling writes, no fewer and no more.

    Arabic leaves short vowels out but writes long ī/ay (ي, "y" once transliterated) and ū/aw (و, "w"): حسين
    is "Hussein" or "Husayn", never "Hasan", which is حسن; and "Hussein"'s "ei" is a ي that حسن lacks. Each
    long vowel of the abjad word needs a vowel group of the romanisation that can write it (i, y, "ee"; o, u,
    w: a lone "e" is short, as in "Selman" for سلمان), and each group that can only be a long vowel ("ee",
    "ai", "ay"…; "oo", "aw"…) needs one of the abjad word's. A vowel opening the abjad word is its hamza's
    ("إبراهيم", "ibrahym") or a consonant ("يوسف", "ywsf"): it may be written either way.
    """
    groups = _VOWEL_GROUP.findall(abjad)
    opening = bool(groups) and abjad[0] in "aeiouyw"
    long_i = [("y" in g or "i" in g) for g in groups]
    long_u = [("w" in g or "u" in g) for g in groups]
    spelled = _VOWEL_GROUP.findall(roman)
    can_i = sum(1 for g in spelled if "i" in g or "y" in g or "ee" in g)
    can_u = sum(1 for g in spelled if any(c in g for c in "ouw"))
    must_i, must_u = _long_vowel_marks(roman)
    return _fits(long_i, opening, must_i, can_i) and _fits(long_u, opening, must_u, can_u)


def _fits(marks: list[bool], opening: bool, must: int, can: int) -> bool:
    most = sum(marks)
    least = most - (1 if opening and marks[0] else 0)
    return must <= most and least <= can


_SILENT_H = re.compile(r"(?<=[^cgkpst])h|h$")


@lru_cache(maxsize=65536)
def _spelling_key(token: str) -> str:
    """A name with its doubled letters and silent h set aside: "Sarah" / "Sara", "Phillip" / "Philip",
    "Matheus" / "Mateus" are one name written two ways."""
    return fold_romanisation(_SILENT_H.sub("", token))


def _long_vowel_marks(token: str) -> tuple[int, int]:
    groups = _VOWEL_GROUP.findall(token)
    return sum(1 for g in groups if _LONG_I.search(g)), sum(1 for g in groups if _LONG_U.search(g))


def _vowel_variant(a: str, b: str) -> bool:
    """Two romanisations of one name that differ in one short vowel ("Ahmed" / "Ahmad", "Khalid" / "Khaled",
    "Bakr" / "Bakir", "Umar" / "Omar"): the same first letter or both a vowel, the same consonants and long
    vowels ("ee", "ai"…), and the same ending ("Daniel" / "Daniela", "Mario" / "Maria" are two names).
    """
    # The opening vowel is one of those written otherwise ("Ibrahim" / "Ebrahim", "Uthman" / "Othman").
    opening_vowels = a[0] in _VOWELS and b[0] in _VOWELS
    if min(len(a), len(b)) < 4 or not (a[0] == b[0] or opening_vowels) or OSA.distance(a, b) != 1:
        return False  # one vowel written otherwise; "Moraes" / "Morris" are two names
    skeleton = skeleton_key(a)
    if len(skeleton) < (2 if opening_vowels else 3) or skeleton != skeleton_key(b):
        return False
    ending_a, ending_b = _TRAILING_VOWELS.search(a), _TRAILING_VOWELS.search(b)
    if (ending_a and ending_a.group(0)) != (ending_b and ending_b.group(0)):
        return False
    return _long_vowel_marks(a) == _long_vowel_marks(b)


def _drop_article(skeleton: str) -> str:
    # Arabic writes the article joined to the noun (الحسيني, "alhsyny"): its skeleton starts with "l".
    return skeleton[1:] if len(skeleton) > 2 and skeleton[0] == "l" else skeleton


def _drop_end(skeleton: str) -> str:
    # Ta marbuta (ة) is romanised "t" or "h" by ICU but left out of most spellings ("fatmt" / "Fatima",
    # "hmzh" / "Hamza").
    return skeleton[:-1] if len(skeleton) > 2 and skeleton[-1] in "th" else skeleton


def _unit_weight(tokens: tuple[str, ...], unit: _Unit) -> int:
    # A joined unit ("al"+"qahtani") weighs what its tokens weigh, no more: joining must not inflate a score.
    return sum(_weight(tokens[i]) for i in unit.positions)


def _extra_weight(token: str) -> float:
    return PATRONYMIC_EXTRA_WEIGHT if token.endswith(_PATRONYMIC_ENDINGS) else LISTED_EXTRA_WEIGHT


def _weight(token: str) -> int:
    if len(token) == 1:
        return INITIAL_WEIGHT
    if token in PARTICLES:
        return 1
    # A short name is a whole name: "Ali" left over says as much as an initial would ("Aly Tarek Al-Ansari" is
    # not the listed "Tarek Al-Ansari").
    return max(len(token), INITIAL_WEIGHT)


_UNASPIRATED = re.compile(r"zh|ch|[jqgdbkzc]")
_UNASPIRATED_MAP = {"zh": "c", "ch": "c", "j": "c", "q": "c", "z": "z", "c": "z", "g": "k", "k": "k",
                    "d": "t", "b": "p"}  # fmt: skip


def _unaspirated(token: str) -> str:
    # The consonant pairs Wade-Giles tells apart only by an apostrophe (k/k', t/t', p/p', ch/ch', ts/ts'),
    # each folded to one letter as they come out in pinyin (g/k, d/t, b/p, zh/ch and j/q, z/c): "Chao" may be
    # zhao or chao, never cao, which is "Ts'ao". Another reading is not the spelling the query wrote, so it
    # does not count as exact when namesakes are ranked ("Cheng" asked: the listed Zheng before any Cheng).
    return _UNASPIRATED.sub(lambda m: _UNASPIRATED_MAP[m.group(0)], token)


def _written_in_pinyin(name: NameForm) -> bool:
    # A Chinese name: every word pinyin, one of them a single syllable (the surname, mostly). "Hanbiken Saka" is
    # pinyin letter for letter, but no word of it is one syllable.
    return all(is_pinyin(t) for t in name.tokens) and any(is_pinyin_syllable(t) for t in name.tokens)


def compare_names(
    query: NameForm, listed: NameForm, *, person: bool = True, known: frozenset[str] = frozenset()
) -> NameComparison:
    """Score how well the listed name covers the query name, in [0, 1], with the aligned pairs.

    `person=False` (organisations): a query word the listing lacks costs no more than one it adds, since
    company names gain and lose generic words ("Kohl Chemical Company Limited" / "Kohl Chemical Co., Ltd.").
    `known`: the query's words that the list holds as names; such a word meets another only as a spelling of it,
    not as a typo.
    """
    if not query.tokens or not listed.tokens:
        return NameComparison(0.0, (), query.tokens, listed.tokens)
    query_pinyin, listed_pinyin = _written_in_pinyin(query), _written_in_pinyin(listed)
    pinyin = query_pinyin and listed_pinyin
    chinese = query_pinyin or listed_pinyin
    skeletons = any(query.abjad) or any(listed.abjad)  # only abjad pairs are compared by skeleton
    q_units = _units(query.tokens, query.abjad, skeletons)
    r_units = _units(listed.tokens, listed.abjad, skeletons)
    candidates: list[tuple[float, float, _Unit, _Unit, str]] = []
    for qu in q_units:
        for ru in r_units:
            sim, how = _token_similarity(qu, ru, pinyin, query.wade_giles, chinese, known)
            if sim > 0.0:
                weight = len(qu.text) + len(ru.text)
                candidates.append((sim, weight, qu, ru, how))
    # Greedy alignment, best similarity first, then the longer pair: names have few tokens, and the best
    # pair first is what a reviewer would pick by eye.
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    used_q: set[int] = set()
    used_r: set[int] = set()
    pairs: list[TokenPair] = []
    matched = 0.0
    matched_blind = 0.0
    matched_listed_len = 0
    covered_listed_len = 0
    order: list[tuple[int, int]] = []
    surname_met_at = -1  # the listed position the query's last word met
    for sim, _, qu, ru, how in candidates:
        if used_q.intersection(qu.positions) or used_r.intersection(ru.positions):
            continue
        used_q.update(qu.positions)
        used_r.update(ru.positions)
        # An initial stands for the whole listed token, at an initial's weight: "D." is as much "Daniel" as
        # "Danielle", and a longer given name is no less likely.
        listed_weight = _unit_weight(listed.tokens, ru)
        listed_len = INITIAL_WEIGHT if how == "initial" else listed_weight
        matched += sim * (_unit_weight(query.tokens, qu) + listed_len)
        blind = 1.0 if how in _SPELLINGS else sim
        matched_blind += blind * (_unit_weight(query.tokens, qu) + listed_len)
        matched_listed_len += listed_len
        covered_listed_len += listed_weight
        pairs.append(TokenPair(qu.text, ru.text, round(sim, 3), how))
        order.append((qu.positions[0], ru.positions[0]))
        if qu.positions[-1] == len(query.tokens) - 1:
            surname_met_at = ru.positions[-1]
    query_len = sum(_weight(t) for t in query.tokens)
    listed_len_all = sum(_weight(t) for t in listed.tokens)
    listed_extra = listed_len_all - covered_listed_len
    # Listed tokens left over, each at its extra weight.
    extra_weighted = LISTED_EXTRA_WEIGHT * listed_extra + sum(
        (_extra_weight(t) - LISTED_EXTRA_WEIGHT) * _weight(t)
        for i, t in enumerate(listed.tokens)
        if i not in used_r
    )
    last = len(listed.tokens) - 1
    if person and last not in used_r and 0 <= surname_met_at < last:
        # The query's last word met a given name of the listing, whose own last word, its surname, is left
        # over: "Isaac Richard" is not "Richard Isaac Dufour". That surname costs what a listed word left over
        # costs, and what a query word the listing lacks costs on top: the two names disagree on the surname.
        extra_weighted += QUERY_EXTRA_WEIGHT * _weight(listed.tokens[last])
    unmatched_query_len = sum(_weight(t) for i, t in enumerate(query.tokens) if i not in used_q)
    conflict = min(unmatched_query_len, listed_extra)
    total = (
        query_len
        + matched_listed_len
        + extra_weighted
        + CONFLICT_WEIGHT * conflict
        + (QUERY_EXTRA_WEIGHT if person else 0.0) * unmatched_query_len
    )
    score = matched / total if total else 0.0
    blind = matched_blind / total if total else 0.0
    unmatched_q = tuple(t for i, t in enumerate(query.tokens) if i not in used_q)
    unmatched_r = tuple(t for i, t in enumerate(listed.tokens) if i not in used_r)
    inversions = _inversions([r for _, r in sorted(order)])
    return NameComparison(
        min(1.0, score), tuple(pairs), unmatched_q, unmatched_r, min(1.0, blind), inversions
    )


def _inversions(listed_positions: list[int]) -> int:
    """Pairs out of order, in listed positions read in query order; none for a rotation ("Orlov, Viktor")."""
    n = len(listed_positions)
    descents = [i for i in range(n - 1) if listed_positions[i + 1] < listed_positions[i]]
    if not descents or (len(descents) == 1 and listed_positions[-1] < listed_positions[0]):
        return 0
    return sum(1 for i in range(n) for j in range(i + 1, n) if listed_positions[i] > listed_positions[j])
