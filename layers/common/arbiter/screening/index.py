"""The blocking index: from a query name to the few listed names worth scoring, without a scan.

Every listed token is indexed under four keys: itself, its metaphone, its romanisation-folded spelling and its
consonant skeleton. A query token looks up the same keys (the skeleton only for tokens written in an abjad
script), plus the listed tokens one edit away from it (typos), found through a table of single-letter
deletions (the SymSpell idea): a token and its one-edit neighbours share a deletion. Adjacent query tokens are
also looked up joined ("xiao ming" → "xiaoming").

Listed names are then ranked by the rarity-weighted share of query tokens they hold (a Dice score with inverse
document frequencies, so "Mohammed" counts for little and a rare surname for much), and the best few go on to
full scoring. Postings are numpy arrays in CSR layout; counting hits is one `np.bincount`.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import OSA

from arbiter.screening.names import NameForm, fold_romanisation, phonetic_key, skeleton_key
from arbiter.screening.wade_giles import is_pinyin

__all__ = ["NameIndex", "build_name_index", "candidate_names"]

KEY_KINDS = ("token", "phonetic", "folded", "skeleton", "initial")
MIN_FUZZY_LENGTH = 4
MIN_SKELETON_LENGTH = 2


@dataclass(slots=True)
class NameIndex:
    """Postings from keys to listed-name rows, and what is needed to weigh them."""

    vocabulary: list[str]  # token id → token
    token_ids: dict[str, int]
    keys: dict[str, dict[str, int]]  # kind → key → key id
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # kind → (name rows, offsets per key id)
    deletion_hashes: np.ndarray  # uint32, sorted
    deletion_tokens: np.ndarray  # int32, token id for each hash
    name_weights: np.ndarray  # float32, sum of token idf per listed name
    name_count: int

    def posting(self, kind: str, key_id: int) -> np.ndarray:
        """Listed-name rows holding a key."""
        rows, offsets = self.postings[kind]
        return rows[offsets[key_id] : offsets[key_id + 1]]

    def document_frequency(self, token: str) -> int:
        """How many listed names hold this exact token (0 if none)."""
        key = self.keys["token"].get(token)
        if key is None:
            return 0
        _, offsets = self.postings["token"]
        return int(offsets[key + 1] - offsets[key])

    def idf(self, frequency: int) -> float:
        """Inverse document frequency of a key held by `frequency` names."""
        return math.log(1.0 + self.name_count / (1 + frequency))


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _hash(text: str) -> int:
    # crc32 is stable across processes (unlike hash()), so the table can be saved; a collision only adds a
    # candidate that the edit-distance check then drops.
    return zlib.crc32(text.encode("utf-8"))


def _token_keys(token: str, abjad: bool) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {"token": [token]}
    phonetic = phonetic_key(token)
    # As in scoring, the metaphone of a short token ("gao", "guo": "K") says too little to look it up by.
    # Nor is a pinyin word's: pinyin spells each syllable one way (see `compare`).
    if len(phonetic) >= 3 and len(token) >= 4 and not is_pinyin(token):
        keys["phonetic"] = [phonetic]
    folded = fold_romanisation(token)
    if len(folded) >= 3:
        keys["folded"] = [folded]
    skeleton = skeleton_key(token)
    if len(skeleton) >= MIN_SKELETON_LENGTH:
        keys["skeleton"] = [skeleton]
        if abjad:
            # Arabic joins the article to the noun, and ICU spells the ta marbuta "t": look up both readings.
            if skeleton.startswith("l") and len(skeleton) > 2:
                keys["skeleton"].append(skeleton[1:])
            if skeleton.endswith("t") and len(skeleton) > 2:
                keys["skeleton"].append(skeleton[:-1])
    return keys


def build_name_index(name_tokens: np.ndarray, name_offsets: np.ndarray, vocabulary: list[str]) -> NameIndex:
    """Index listed names given in CSR layout: token ids (over `vocabulary`) and per-name offsets."""
    name_count = len(name_offsets) - 1
    token_ids = {t: i for i, t in enumerate(vocabulary)}
    keys: dict[str, dict[str, int]] = {kind: {} for kind in KEY_KINDS}
    # Listed tokens are indexed as written in the list: one key of each kind per token.
    key_of_token = {kind: np.full(len(vocabulary), -1, dtype=np.int64) for kind in KEY_KINDS}
    for token_id, token in enumerate(vocabulary):
        for kind, values in _token_keys(token, abjad=False).items():
            table = keys[kind]
            key_of_token[kind][token_id] = table.setdefault(values[0], len(table))
        if len(token) >= 2 and token[0].isalpha():
            # The names holding a word that starts with a letter: what a query's initial ("J.") can stand for.
            key_of_token["initial"][token_id] = keys["initial"].setdefault(token[0], len(keys["initial"]))

    rows = np.repeat(np.arange(name_count, dtype=np.int64), np.diff(name_offsets))
    postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind in KEY_KINDS:
        key_ids = key_of_token[kind][name_tokens]
        present = key_ids >= 0
        # One posting per (key, name), however often the name repeats the key.
        pairs = np.unique((key_ids[present] << 32) | rows[present])
        postings[kind] = _csr(
            (pairs >> 32).astype(np.int64), (pairs & 0xFFFFFFFF).astype(np.int32), len(keys[kind])
        )

    hashes: list[int] = []
    owners: list[int] = []
    for token_id, token in enumerate(vocabulary):
        if len(token) >= MIN_FUZZY_LENGTH:
            for deletion in _deletions(token):
                hashes.append(_hash(deletion))
                owners.append(token_id)
    hash_array = np.asarray(hashes, dtype=np.uint32)
    order = np.argsort(hash_array, kind="stable")

    frequencies = np.diff(postings["token"][1])
    token_idf = np.log1p(name_count / (1.0 + frequencies[key_of_token["token"]]))
    name_weights = np.bincount(rows, weights=token_idf[name_tokens], minlength=name_count).astype(np.float32)
    return NameIndex(
        vocabulary=vocabulary,
        token_ids=token_ids,
        keys=keys,
        postings=postings,
        deletion_hashes=hash_array[order],
        deletion_tokens=np.asarray(owners, dtype=np.int32)[order],
        name_weights=name_weights,
        name_count=name_count,
    )


def _csr(key_ids: np.ndarray, rows: np.ndarray, key_count: int) -> tuple[np.ndarray, np.ndarray]:
    # Pairs arrive sorted by key (then row), so rows are already grouped: only offsets are needed.
    counts = np.bincount(key_ids, minlength=key_count)
    offsets = np.zeros(key_count + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return rows, offsets


def _fuzzy_token_ids(index: NameIndex, token: str) -> list[int]:
    """Listed tokens one edit (insert, delete, substitute, swap) away from `token`."""
    if len(token) < MIN_FUZZY_LENGTH - 1:
        return []
    probes = _deletions(token) | {token}
    found: set[int] = set()
    for probe in probes:
        h = _hash(probe)
        lo = np.searchsorted(index.deletion_hashes, h, side="left")
        hi = np.searchsorted(index.deletion_hashes, h, side="right")
        found.update(index.deletion_tokens[lo:hi].tolist())
    # Deletions of the query alone meet listed tokens one letter shorter: look those up directly.
    for probe in _deletions(token):
        token_id = index.token_ids.get(probe)
        if token_id is not None:
            found.add(token_id)
    return [t for t in found if OSA.distance(token, index.vocabulary[t], score_cutoff=1) <= 1]


#: Share of a query token's weight a listed name gets when it holds the token only by another spelling
#: (metaphone, folded romanisation, skeleton, one edit): the same spelling ranks first.
SPELLING_SHARE = 0.6


def _query_token_hits(index: NameIndex, token: str, abjad: bool) -> tuple[np.ndarray, np.ndarray]:
    """Listed-name rows holding the token in any spelling, and which of them hold it exactly."""
    exact = np.empty(0, dtype=np.int32)
    parts: list[np.ndarray] = []
    for kind, values in _token_keys(token, abjad).items():
        if kind == "initial" or (kind == "skeleton" and not abjad):
            continue  # only a token written without vowels is compared by its skeleton
        table = index.keys[kind]
        for value in values:
            key_id = table.get(value)
            if key_id is not None:
                if kind == "token":
                    exact = index.posting(kind, key_id)
                parts.append(index.posting(kind, key_id))
    token_key = index.keys["token"]
    for token_id in _fuzzy_token_ids(index, token):
        parts.append(index.posting("token", token_key[index.vocabulary[token_id]]))
    if not parts:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=bool)
    rows = np.unique(np.concatenate(parts))
    return rows, np.isin(rows, exact, assume_unique=True)


#: What a listed name gains in blocking when its entry was born when the query says (see `candidate_names`).
BIRTH_YEAR_BOOST = 0.25
#: What a listed name gains in blocking for each query initial one of its words starts with.
INITIAL_BOOST = 0.4


def candidate_names(
    index: NameIndex,
    form: NameForm,
    limit: int,
    allowed: np.ndarray | None = None,
    boost: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The listed-name rows that share the most (rarity-weighted) of the query's tokens: the `limit` best as
    spelled, and the `limit` best whatever the spelling (up to twice `limit` rows, best first).

    `boost` (sorted name rows: those whose entry's birth year is the query's, give or take one) ranks those names
    first among names that share a token with the query: on a list with many namesakes, the one born when the
    query says must not be left out of the few scored.
    """
    # A query initial ("J.") is not looked up as a token: it lifts the names holding a word it starts.
    is_initial = [len(t) == 1 and t.isalpha() and not a for t, a in zip(form.tokens, form.abjad, strict=True)]
    initials = [t for t, i in zip(form.tokens, is_initial, strict=True) if i]
    tokens = [t for t, i in zip(form.tokens, is_initial, strict=True) if not i]
    abjad = [a for a, i in zip(form.abjad, is_initial, strict=True) if not i]
    whole = len(tokens)
    # Joined neighbours stand for both their tokens: they catch names written as one word on one side.
    for i in range(len(form.tokens) - 1):
        if not (is_initial[i] or is_initial[i + 1]):
            tokens.append(form.tokens[i] + form.tokens[i + 1])
            abjad.append(form.abjad[i] or form.abjad[i + 1])
    hit_rows: list[np.ndarray] = []
    hit_weights: list[np.ndarray] = []
    hit_exact: list[np.ndarray] = []
    query_weight = 0.0
    for position, (token, is_abjad) in enumerate(zip(tokens, abjad, strict=True)):
        rows, exact = _query_token_hits(index, token, is_abjad)
        frequency = index.document_frequency(token) or len(rows)
        weight = index.idf(frequency)
        if position < whole:
            query_weight += weight
        if len(rows):
            hit_rows.append(rows)
            hit_weights.append(np.full(len(rows), weight, dtype=np.float32))
            hit_exact.append(exact)
    if not hit_rows:
        return []
    rows = np.concatenate(hit_rows)
    weights = np.concatenate(hit_weights)
    exact_hits = np.concatenate(hit_exact)
    unique_rows, inverse = np.unique(rows, return_inverse=True)
    # Two rankings: spellings as written first ("Majid Al Zahrani" asked, listed so forty times), and blind to
    # spelling (the one "Majed Al-Zahrani" born when the query says must not be crowded out by them).
    shared_blind = np.bincount(inverse, weights=weights).astype(np.float32)
    shared_exact = np.bincount(
        inverse, weights=np.where(exact_hits, weights, SPELLING_SHARE * weights)
    ).astype(np.float32)
    lift = np.zeros(len(unique_rows), dtype=np.float32)
    if boost is not None and len(boost):
        lift += BIRTH_YEAR_BOOST * np.isin(unique_rows, boost, assume_unique=False)
    # An initial alone would pull in most of the list: it only lifts names already sharing another token.
    for initial in dict.fromkeys(initials):
        key_id = index.keys["initial"].get(initial)
        if key_id is not None:
            lift += INITIAL_BOOST * np.isin(unique_rows, index.posting("initial", key_id))
    # As spelled: a Dice score (what the query and the name share, against both). Whatever the spelling: the
    # share of the query the name holds, since a rare spelling of a common name must not weigh against it.
    dice = 2.0 * shared_exact / (query_weight + index.name_weights[unique_rows] + 1e-9)
    coverage = shared_blind / (query_weight + 1e-9)
    found: dict[int, float] = {}
    for shared, base in ((shared_exact, dice), (shared_blind, coverage)):
        if allowed is not None:
            shared = np.where(allowed[unique_rows], shared, 0.0)
        scores = np.where(shared > 0, base + lift, 0.0)
        best = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
        for i in best:
            if scores[i] > 0.0:
                found[int(unique_rows[i])] = max(found.get(int(unique_rows[i]), 0.0), float(scores[i]))
    return sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))
