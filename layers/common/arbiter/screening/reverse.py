"""Screening in the other direction: the parties' names indexed as a list's are, and a few list entries looked up in
them, to find the only parties those entries can be a match for.

`screen` takes a query to the listed names worth scoring. A list update of a thousand entries against a hundred
thousand customers asks the converse: which customers can any of these entries be a match for? `PartyNameIndex`
answers it without scoring every customer. It holds each party's name forms (every reading of every name, as
`screen` reads the query) as units, the words and each pair of neighbouring words joined (as `compare_names`
aligns them), and indexes their vocabulary with the watchlists' own blocking keys (`index.build_name_index`: the
word, its metaphone, its folded romanisation, its consonant skeleton, the words one edit away), plus what the
matcher meets that blocking does not look for: words two edits or more apart that still reach `TOKEN_FLOOR`,
folded spellings one edit apart, metaphones of pinyin words, Wade-Giles readings, words a listed initial starts.
Skeletons count only where one side is written in an abjad, and two pinyin words in a Chinese name only as the same
word or reading, as in `compare_names`.

Looking a listed name up gives the party units each of its units can meet, and for every party form holding one, a
bound on the score `compare_names` can give the pair. With `q` the form's weight, `a` the weight of its words a
unit that can meet covers (an initial always counts), `p` what those words and the heaviest listed units they can
meet weigh together, `L` the listed name's weight and `c` the weight of its words some unit of the form can meet:
the matched weight is at most `a + l` and `p`, with `l = min(c, p - a)` the listed weight aligned at most, and the
total at least `q + l + e (q - a) + 0.3 (L - c) + 2 min(q - a, L - c)` (`e` is 1 for a person, whose words left
over count again, 0 for an organisation; listed words left over count at least a patronymic's 0.3; words left
over on both sides count again as a conflict). A party is within reach when, for some form and listed name, that
bound reaches the threshold less the most the other features can add (a person's birth date and country, an
organisation's country and registration number). The parties within reach are then screened as the query,
exactly as `screen` screens anyone: the hits, scores and explanations are the forward way's.

What the bound assumes: that the words `compare_names` aligns are related by one of those keys or searches. A pair
aligned otherwise would count as unaligned, and a name resting mostly on such pairs could be left out;
tests/unit/screening/test_reverse_screening.py checks on a generated population (other spellings, native scripts,
reordered names, initials, honorifics, typos, company forms, namesakes) that both directions raise the same hits.
See docs/screening.md, "Ongoing screening".
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from arbiter.domain.errors import InvalidInput
from arbiter.screening.compare import (
    CONFLICT_WEIGHT,
    INITIAL_WEIGHT,
    JOINED_FLOOR,
    PATRONYMIC_EXTRA_WEIGHT,
    QUERY_EXTRA_WEIGHT,
    ROMANISATION_FLOOR,
    TOKEN_FLOOR,
    _unaspirated,
    _weight,
    _written_in_pinyin,
)
from arbiter.screening.features import BIRTH_DATE_AGREE, COUNTRY_AGREE, REGISTRATION_AGREE
from arbiter.screening.index import (
    MIN_FUZZY_LENGTH,
    NameIndex,
    _deletions,
    _hash,
    _token_keys,
    build_name_index,
)
from arbiter.screening.model import PersonQuery, Query
from arbiter.screening.names import NameForm, fold_romanisation, phonetic_key, skeleton_key
from arbiter.screening.screen import query_forms
from arbiter.screening.wade_giles import is_pinyin
from arbiter.screening.watchlist import Watchlist

__all__ = ["PartyNameIndex", "index_party_names"]

log = logging.getLogger(__name__)

#: The most a person's birth date and nationality or country add to the name score (`screen`'s features)...
PERSON_LIFT = BIRTH_DATE_AGREE + COUNTRY_AGREE
#: ...and an organisation's country and registration number.
ORGANISATION_LIFT = COUNTRY_AGREE + REGISTRATION_AGREE
#: Rounding of scores (`screen` rounds to four places): a bound this close under the threshold still counts.
_ROUNDING = 1e-4


def _units(form: NameForm) -> tuple[list[str], list[int], list[tuple[int, int]], list[int], int]:
    """The units of a query form that blocking looks up (its words and neighbours joined, initials aside), their
    weights and the word positions each covers (-1: none), each word's weight (0 for an initial), and the weight
    of the form's initials (which meet any listed word they start)."""
    initial = [len(t) == 1 and t.isalpha() and not a for t, a in zip(form.tokens, form.abjad, strict=True)]
    units: list[str] = []
    weights: list[int] = []
    covers: list[tuple[int, int]] = []
    for i, (token, is_initial) in enumerate(zip(form.tokens, initial, strict=True)):
        if not is_initial:
            units.append(token)
            weights.append(_weight(token))
            covers.append((i, -1))
    for i in range(len(form.tokens) - 1):
        if not (initial[i] or initial[i + 1]):
            units.append(form.tokens[i] + form.tokens[i + 1])
            weights.append(_weight(form.tokens[i]) + _weight(form.tokens[i + 1]))
            covers.append((i, i + 1))
    words = [0 if is_initial else _weight(t) for t, is_initial in zip(form.tokens, initial, strict=True)]
    return units, weights, covers, words, INITIAL_WEIGHT * sum(initial)


#: Words of this length or longer may meet with two edits (OSA similarity 5/7 reaches `TOKEN_FLOOR`).
_TWO_EDITS = 7
#: Below a similarity floor by this much still searched: rapidfuzz turns a cutoff into a count of edits, and a
#: cutoff a hair under 4/5 loses the pairs exactly at 4/5.
_SLACK = 0.01
#: Two words joined this long may meet with two edits (12/14 reaches `JOINED_FLOOR`).
_JOINED_TWO_EDITS = 14
#: Folded spellings this long may meet with one edit (4/5 reaches `ROMANISATION_FLOOR`).
_FOLDED_ONE_EDIT = 5
_BITS = 63  # listed units per name told apart (one bit each); a longer name's others count as always met
_ALL = 1 << 63


@dataclass(slots=True)
class ListedUnit:
    """A listed name's word, or two neighbours joined: its weight, the word positions it covers, and the
    vocabulary ids of the party units it can meet."""

    text: str
    weight: int
    covers: tuple[int, ...]
    abjad: bool
    related: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    strict: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    pinyin: bool = False


@dataclass(slots=True)
class PartyNameIndex:
    """The parties' name forms as units over one vocabulary, and that vocabulary's blocking keys."""

    parties: int
    form_party: np.ndarray  # int32, the party of each form
    form_person: np.ndarray  # bool, whether the party is a person (`compare_names(person=True)`)
    form_pinyin: np.ndarray  # bool, whether the form is a Chinese name in pinyin
    form_weight: np.ndarray  # float32, q
    form_initials: np.ndarray  # float32, weight of the form's initials
    word_weight: np.ndarray  # float32, each word of each form (0 for an initial), forms in CSR layout
    word_offsets: np.ndarray  # int64, per form
    unit_words: (
        np.ndarray
    )  # int64 (units, 2): the words a unit covers, as positions in `word_weight` (-1: none)
    unit_tokens: np.ndarray  # int32, vocabulary id of each unit, forms in CSR layout
    unit_offsets: np.ndarray  # int64, per form
    unit_weight: np.ndarray  # float32
    token_forms: tuple[np.ndarray, np.ndarray]  # vocabulary id → forms holding it (CSR)
    keys: NameIndex  # the vocabulary indexed as a list of one-word names: key → vocabulary ids
    pinyin_phonetic: dict[str, list[int]]
    #: The Wade-Giles consonant pairs folded, of the words of names read from Wade-Giles (the only ones the matcher
    #: meets so), and the skeletons of words written in an abjad.
    unaspirated: dict[str, list[int]]
    abjad_skeletons: dict[str, list[int]]
    #: Every unit by its folded spelling, however short (blocking keys folded spellings of three letters or more).
    folded_words: dict[str, list[int]]
    short_skeletons: dict[str, list[int]]  # every unit whose skeleton is one letter ("Ali", "Layla")
    vocabulary_pinyin: np.ndarray  # bool, per vocabulary id: a word pinyin can write
    #: The party words by length (words, vocabulary ids), and their folded spellings by length (spellings, and
    #: the vocabulary ids of each): where words more than one edit apart are searched.
    words_by_length: dict[int, tuple[list[str], np.ndarray]]
    joined_by_length: dict[int, tuple[list[str], np.ndarray]]  # pairs joined, long enough for two edits
    folded_by_length: dict[int, tuple[list[str], list[list[int]]]]
    #: Parties with no name to screen (left out, as `screen` refuses them).
    unscreenable: tuple[int, ...] = ()
    _word_ratio: np.ndarray = field(
        init=False, repr=False
    )  # scratch, one slot per word, zero between lookups

    _listed_weight: np.ndarray = field(init=False, repr=False)  # scratch per vocabulary id
    _listed_bits: np.ndarray = field(init=False, repr=False)  # scratch per vocabulary id

    def __post_init__(self) -> None:
        self._word_ratio = np.zeros(len(self.word_weight), dtype=np.float32)
        self._listed_weight = np.zeros(len(self.keys.vocabulary), dtype=np.float32)
        self._listed_bits = np.zeros(len(self.keys.vocabulary), dtype=np.uint64)

    def _relations(self, unit: str, abjad: bool, joined: bool) -> tuple[np.ndarray, np.ndarray]:
        """The party units a listed unit can meet, and those it can meet when both are pinyin in a Chinese name
        (the same word, or the same Wade-Giles reading)."""
        related = self.related_tokens(unit, abjad, joined)
        strict = related[~self.vocabulary_pinyin[related]]
        same = self.keys.token_ids.get(unit)
        readings = np.asarray(self.unaspirated.get(_unaspirated(unit), ()), dtype=np.int64)
        extra = [np.asarray([same], dtype=np.int64)] if same is not None else []
        return related, np.unique(np.concatenate([strict, readings, *extra]))

    def related_tokens(self, unit: str, abjad: bool = False, joined: bool = False) -> np.ndarray:
        """The vocabulary ids of the party units that a listed unit can be aligned with (a superset)."""
        index = self.keys
        parts: list[np.ndarray] = []
        for kind, values in _token_keys(unit, abjad=False).items():
            if kind == "skeleton":
                continue  # below: blocking keys no skeleton of one letter, and the matcher meets those too
            table = index.keys[kind]
            for value in values:
                key_id = table.get(value)
                if key_id is not None:
                    parts.append(index.posting(kind, key_id))
        skeleton = skeleton_key(unit)
        for probe in _skeleton_probes(skeleton) if skeleton else ():
            # Skeletons meet only where one side is written in an abjad: any party word for an abjad listed word,
            # else the party words written in one.
            if not abjad:
                parts.append(np.asarray(self.abjad_skeletons.get(probe, ()), dtype=np.int32))
            elif len(probe) == 1:
                parts.append(np.asarray(self.short_skeletons.get(probe, ()), dtype=np.int32))
            elif (key_id := index.keys["skeleton"].get(probe)) is not None:
                parts.append(index.posting("skeleton", key_id))
        parts.append(self._one_edit_away(unit))
        if len(unit) == 1 and unit.isalpha():
            # A listed initial meets any party word it starts ("J." / "John").
            key_id = index.keys["initial"].get(unit)
            if key_id is not None:
                parts.append(index.posting("initial", key_id))
        if len(unit) >= 4:
            phonetic = phonetic_key(unit)
            if len(phonetic) >= 3:
                if is_pinyin(unit):
                    # Blocking keeps no metaphone of a pinyin word; the matcher meets one with a word that is not.
                    key_id = index.keys["phonetic"].get(phonetic)
                    if key_id is not None:
                        parts.append(index.posting("phonetic", key_id))
                parts.append(np.asarray(self.pinyin_phonetic.get(phonetic, ()), dtype=np.int32))
        parts.append(np.asarray(self.unaspirated.get(_unaspirated(unit), ()), dtype=np.int32))
        parts.append(np.asarray(self.folded_words.get(fold_romanisation(unit), ()), dtype=np.int32))
        parts.extend(self._similar_words(unit, joined))
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def _similar_words(self, unit: str, joined: bool) -> list[np.ndarray]:
        """Party words as similar as `compare_names` aligns though more than one edit away (none of the blocking
        keys): OSA similarity from `TOKEN_FLOOR` as written (`JOINED_FLOOR` where either side is two words
        joined), from `ROMANISATION_FLOOR` once folded."""
        found: list[np.ndarray] = []
        n = len(unit)
        for table, floor in (
            (self.words_by_length, JOINED_FLOOR if joined else TOKEN_FLOOR),
            (self.joined_by_length, JOINED_FLOOR),
        ):
            for length in range(math.ceil(floor * n), math.floor(n / floor) + 1):
                if max(n, length) < _TWO_EDITS or length not in table:
                    continue  # one edit at most: the deletion table found them
                words, ids = table[length]
                hits = process.extract(
                    unit, words, scorer=OSA.normalized_similarity, score_cutoff=floor - _SLACK, limit=None
                )
                found.append(ids[[i for _, _, i in hits]])
        folded = fold_romanisation(unit)
        m = len(folded)
        if m < _FOLDED_ONE_EDIT:
            return found  # one edit in a shorter spelling is under `ROMANISATION_FLOOR`: only the folded key meets
        floor = max(ROMANISATION_FLOOR, JOINED_FLOOR) if joined else ROMANISATION_FLOOR
        for length in range(math.ceil(floor * m), math.floor(m / floor) + 1):
            if length not in self.folded_by_length:
                continue
            spellings, owners = self.folded_by_length[length]
            hits = process.extract(
                folded,
                spellings,
                scorer=OSA.normalized_similarity,
                score_cutoff=floor - _SLACK,
                limit=None,
            )
            found.extend(np.asarray(owners[i], dtype=np.int64) for _, _, i in hits)
        return found

    def _one_edit_away(self, unit: str) -> np.ndarray:
        """Party words one edit from `unit` (`compare_names` lets a typo pass only in words of four letters or
        more: the deletion table holds those)."""
        index = self.keys
        if len(unit) < MIN_FUZZY_LENGTH:
            return np.empty(0, dtype=np.int32)
        deletions = _deletions(unit)
        probes = np.asarray([_hash(p) for p in (*deletions, unit)], dtype=np.uint32)
        lo = np.searchsorted(index.deletion_hashes, probes, side="left")
        hi = np.searchsorted(index.deletion_hashes, probes, side="right")
        found = {
            t
            for i, j in zip(lo.tolist(), hi.tolist(), strict=True)
            for t in index.deletion_tokens[i:j].tolist()
        }
        found.update(t for p in deletions if (t := index.token_ids.get(p)) is not None)
        vocabulary = index.vocabulary
        return np.asarray(
            [t for t in found if OSA.distance(unit, vocabulary[t], score_cutoff=1) <= 1], dtype=np.int32
        )

    def parties_for(self, watchlist: Watchlist, *, threshold: float) -> np.ndarray:
        """The parties (sorted numbers) that some entry of `watchlist` can be a match for at `threshold`."""
        found: list[np.ndarray] = []
        related_cache: dict[tuple[str, bool, bool], tuple[np.ndarray, np.ndarray]] = {}
        for number in range(len(watchlist)):
            rows = watchlist.name_rows(number)
            if not len(rows):
                continue
            if watchlist.person_rows[rows.start]:
                person, lift = True, PERSON_LIFT
            elif watchlist.organisation_rows[rows.start]:
                person, lift = False, ORGANISATION_LIFT
            else:
                continue  # a vessel, an aircraft: no query is screened against it
            for row in rows:
                form = watchlist.name_form(row)
                tokens, abjad = form.tokens, form.abjad
                units = [ListedUnit(t, _weight(t), (i,), abjad[i]) for i, t in enumerate(tokens)]
                units += [
                    ListedUnit(
                        tokens[i] + tokens[i + 1],
                        _weight(tokens[i]) + _weight(tokens[i + 1]),
                        (i, i + 1),
                        abjad[i] or abjad[i + 1],
                    )
                    for i in range(len(tokens) - 1)
                ]
                for unit in units:
                    key = (unit.text, unit.abjad, len(unit.covers) > 1)
                    cached = related_cache.get(key)
                    if cached is None:
                        cached = related_cache[key] = self._relations(*key)
                    unit.related, unit.strict = cached
                    unit.pinyin = is_pinyin(unit.text)
                words = [_weight(t) for t in tokens]
                needed = threshold - lift - _ROUNDING
                found.append(self._forms_within_reach(units, words, person, needed, _written_in_pinyin(form)))
        if not found:
            return np.empty(0, dtype=np.int64)
        return np.unique(self.form_party[np.concatenate(found)]).astype(np.int64)

    def _listed_meets(
        self, tokens: np.ndarray, related: list[np.ndarray], units: list[ListedUnit]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per party unit (as vocabulary ids): the heaviest listed unit it can meet, and which (one bit each)."""
        for bit, (ids, unit) in enumerate(zip(related, units, strict=True)):
            np.maximum.at(self._listed_weight, ids, np.float32(unit.weight))
            if bit < _BITS:
                self._listed_bits[ids] |= np.uint64(1 << bit)
        touched = np.concatenate(related)
        try:
            return self._listed_weight[tokens], self._listed_bits[tokens]
        finally:
            self._listed_weight[touched] = 0.0
            self._listed_bits[touched] = 0

    def _forms_within_reach(
        self,
        units: list[ListedUnit],
        listed_words: list[int],
        person: bool,
        needed: float,
        listed_chinese: bool = False,
    ) -> np.ndarray:
        """The forms holding a unit related to the listed name's whose name score against it can reach `needed`
        (the bound in the module's doc)."""
        met_units = [u for u in units if len(u.related)]
        if not met_units:
            return np.empty(0, dtype=np.int64)
        related = np.unique(np.concatenate([u.related for u in met_units]))
        forms_of, offsets = self.token_forms
        starts, stops = offsets[related], offsets[related + 1]
        forms: np.ndarray = np.unique(
            np.concatenate([forms_of[a:b] for a, b in zip(starts, stops, strict=True)])
        )
        forms = forms[self.form_person[forms] == person]
        if not len(forms) or needed <= 0.0:
            return forms
        positions, unit_segments = _gather(self.unit_offsets, forms)
        tokens = self.unit_tokens[positions]
        listed, bits = self._listed_meets(tokens, [u.related for u in met_units], met_units)
        # Two names of which one is Chinese in pinyin: two pinyin words meet only as the same word (or the same
        # Wade-Giles reading), however alike.
        strict = self.form_pinyin[forms] | listed_chinese
        if strict.any() and any(u.pinyin for u in met_units):
            strict_related = [u.strict if u.pinyin else u.related for u in met_units]
            strict_listed, strict_bits = self._listed_meets(tokens, strict_related, met_units)
            strict_positions = np.repeat(strict, np.diff(np.append(unit_segments, len(positions))))
            listed = np.where(strict_positions, strict_listed, listed)
            bits = np.where(strict_positions, strict_bits, bits)
        # The listed words each form can cover: those of a listed unit one of its units meets.
        form_bits = np.bitwise_or.reduceat(bits, unit_segments)
        coverable = np.zeros(len(forms), dtype=np.float32)
        for position, weight in enumerate(listed_words):
            mask = 0
            for bit, unit in enumerate(met_units):
                if position in unit.covers:
                    mask |= 1 << bit if bit < _BITS else _ALL
            if mask >= _ALL:
                coverable += weight  # more units than bits: counted as covered, which only loosens the bound
            elif mask:
                coverable += weight * ((form_bits & np.uint64(mask)) != 0)
        # An initial of the form may cover any listed word it starts: for those forms, any listed word may be covered.
        coverable = np.where(self.form_initials[forms] > 0, float(sum(listed_words)), coverable)
        # The party words each form can align, and what they and their listed units can weigh together.
        met = listed > 0.0
        units_met = positions[met]
        ratio = 1.0 + listed[met] / self.unit_weight[units_met]
        words = self.unit_words[units_met]
        second = words[:, 1] >= 0
        touched = np.concatenate([words[:, 0], words[second, 1]])
        np.maximum.at(self._word_ratio, touched, np.concatenate([ratio, ratio[second]]))
        try:
            word_positions, segments = _gather(self.word_offsets, forms)
            word_ratio = self._word_ratio[word_positions]
        finally:
            self._word_ratio[touched] = 0.0
        weights = self.word_weight[word_positions]
        initials = self.form_initials[forms]
        q = self.form_weight[forms]
        aligned = np.minimum(
            np.add.reduceat(np.where(word_ratio > 0.0, weights, 0.0), segments) + initials, q
        )
        potential = np.add.reduceat(weights * word_ratio, segments) + 2 * initials
        listed_aligned = np.minimum(coverable, np.maximum(potential - aligned, 0.0))
        query_left = q - aligned
        listed_left = np.maximum(sum(listed_words) - coverable, 0.0)
        total = (
            q
            + listed_aligned
            + (QUERY_EXTRA_WEIGHT if person else 0.0) * query_left
            + PATRONYMIC_EXTRA_WEIGHT * listed_left
            + CONFLICT_WEIGHT * np.minimum(query_left, listed_left)
        )
        bound = (aligned + listed_aligned) / np.maximum(total, 1e-9)
        within: np.ndarray = forms[bound >= needed]
        return within


def _gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the given CSR rows (none empty), and where each row's run starts among them."""
    first = offsets[rows]
    lengths = offsets[rows + 1] - first
    ends = np.cumsum(lengths)
    segments = ends - lengths
    return np.repeat(first - segments, lengths) + np.arange(ends[-1]), segments


def _skeleton_probes(skeleton: str) -> list[str]:
    # `compare_names` meets a query skeleton equal to the listed one, or to it with the article ("l") before it
    # or without it, or with a final "t"/"h" (the ta marbuta): the customers' skeletons to look up.
    probes = [skeleton, "l" + skeleton, skeleton + "t", skeleton + "h"]
    if len(skeleton) > 2 and skeleton[0] == "l":
        probes.append(skeleton[1:])
    return probes


def index_party_names(queries: Iterable[Query | None]) -> PartyNameIndex:
    """Index the names of parties given as their screening queries, numbered in order (None: no name)."""
    vocabulary: dict[str, int] = {}
    form_party: list[int] = []
    form_person: list[bool] = []
    form_pinyin: list[bool] = []
    form_weight: list[float] = []
    form_initials: list[float] = []
    unit_tokens: list[int] = []
    unit_weight: list[int] = []
    unit_offsets = [0]
    unit_words: list[tuple[int, int]] = []
    word_weight: list[int] = []
    word_offsets = [0]
    unscreenable: list[int] = []
    single_words: set[int] = set()  # vocabulary ids of words (not two words joined)
    abjad_units: set[int] = set()  # of units written (in part) in an abjad
    wade_giles_units: set[int] = set()  # of units of names read from Wade-Giles
    parties = 0
    for number, query in enumerate(queries):
        parties = number + 1
        if query is None:
            unscreenable.append(number)
            continue
        try:
            forms: Sequence[NameForm] = query_forms(query)
        except InvalidInput:
            unscreenable.append(number)
            continue
        person = isinstance(query, PersonQuery)
        for form in forms:
            units, weights, covers, word_weights, initials = _units(form)
            form_party.append(number)
            form_person.append(person)
            form_pinyin.append(_written_in_pinyin(form))
            form_weight.append(sum(word_weights) + initials)
            form_initials.append(initials)
            base = len(word_weight)
            unit_words.extend((base + a, base + b if b >= 0 else -1) for a, b in covers)
            word_weight.extend(word_weights)
            word_offsets.append(len(word_weight))
            unit_tokens.extend(vocabulary.setdefault(u, len(vocabulary)) for u in units)
            ids = unit_tokens[len(unit_tokens) - len(units) :]
            single_words.update(t for t, (_, second) in zip(ids, covers, strict=True) if second < 0)
            abjad_units.update(
                t
                for t, (first, second) in zip(ids, covers, strict=True)
                if form.abjad[first] or (second >= 0 and form.abjad[second])
            )
            if form.wade_giles:
                wade_giles_units.update(ids)
            unit_weight.extend(weights)
            unit_offsets.append(len(unit_tokens))
    words = list(vocabulary)
    tokens = np.asarray(unit_tokens, dtype=np.int32)
    offsets = np.asarray(unit_offsets, dtype=np.int64)
    # The vocabulary as a list of one-word names: its postings then lead from a key to vocabulary ids.
    keys = build_name_index(
        np.arange(len(words), dtype=np.int32), np.arange(len(words) + 1, dtype=np.int64), words
    )
    pinyin_phonetic: dict[str, list[int]] = {}
    unaspirated: dict[str, list[int]] = {}
    abjad_skeletons: dict[str, list[int]] = {}
    by_length: dict[int, list[int]] = {}
    joined_by_length: dict[int, list[int]] = {}
    folded: dict[str, list[int]] = {}
    folded_words: dict[str, list[int]] = {}
    short_skeletons: dict[str, list[int]] = {}
    vocabulary_pinyin = np.zeros(len(words), dtype=bool)
    for token_id, word in enumerate(words):
        vocabulary_pinyin[token_id] = pinyin = is_pinyin(word)
        if len(word) >= 4 and pinyin:
            phonetic = phonetic_key(
                word
            )  # blocking leaves out pinyin words' metaphones; the matcher does not
            if len(phonetic) >= 3:
                pinyin_phonetic.setdefault(phonetic, []).append(token_id)
        if token_id in wade_giles_units:
            unaspirated.setdefault(_unaspirated(word), []).append(token_id)
        skeleton = skeleton_key(word)
        if token_id in abjad_units and skeleton:
            abjad_skeletons.setdefault(skeleton, []).append(token_id)
        if len(skeleton) == 1:
            short_skeletons.setdefault(skeleton, []).append(token_id)
        spelling = fold_romanisation(word)
        folded_words.setdefault(spelling, []).append(token_id)
        # Searched for similar words: every word, and the pairs joined long enough to meet with two edits.
        if token_id in single_words:
            by_length.setdefault(len(word), []).append(token_id)
            folded.setdefault(spelling, []).append(token_id)
        elif len(word) >= _JOINED_TWO_EDITS:
            joined_by_length.setdefault(len(word), []).append(token_id)
    words_by_length, long_pairs_by_length = (
        {length: ([words[i] for i in ids], np.asarray(ids, dtype=np.int64)) for length, ids in table.items()}
        for table in (by_length, joined_by_length)
    )
    folded_by_length: dict[int, tuple[list[str], list[list[int]]]] = {}
    for spelling, owners in folded.items():
        spellings, owner_lists = folded_by_length.setdefault(len(spelling), ([], []))
        spellings.append(spelling)
        owner_lists.append(owners)
    form_of_unit = np.repeat(np.arange(len(offsets) - 1, dtype=np.int32), np.diff(offsets))
    order = np.argsort(tokens, kind="stable")
    counts = np.bincount(tokens, minlength=len(words))
    token_offsets = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(counts, out=token_offsets[1:])
    if unscreenable:
        log.info("%d parties have no name to screen", len(unscreenable))
    return PartyNameIndex(
        parties=parties,
        form_party=np.asarray(form_party, dtype=np.int32),
        form_person=np.asarray(form_person, dtype=bool),
        form_pinyin=np.asarray(form_pinyin, dtype=bool),
        form_weight=np.asarray(form_weight, dtype=np.float32),
        form_initials=np.asarray(form_initials, dtype=np.float32),
        unit_tokens=tokens,
        unit_offsets=offsets,
        unit_weight=np.asarray(unit_weight, dtype=np.float32),
        word_weight=np.asarray(word_weight, dtype=np.float32),
        word_offsets=np.asarray(word_offsets, dtype=np.int64),
        unit_words=np.asarray(unit_words, dtype=np.int64).reshape(-1, 2),
        token_forms=(form_of_unit[order], token_offsets),
        keys=keys,
        pinyin_phonetic=pinyin_phonetic,
        words_by_length=words_by_length,
        joined_by_length=long_pairs_by_length,
        folded_by_length=folded_by_length,
        unaspirated=unaspirated,
        abjad_skeletons=abjad_skeletons,
        folded_words=folded_words,
        short_skeletons=short_skeletons,
        vocabulary_pinyin=vocabulary_pinyin,
        unscreenable=tuple(unscreenable),
    )
