"""Screening one query against a watchlist: block, score, explain, and set aside what a reviewer cleared."""

from __future__ import annotations

from arbiter.domain.errors import InvalidInput
from arbiter.screening.compare import NameComparison, compare_names
from arbiter.screening.features import (
    BIRTH_DATE_AGREE,
    COUNTRY_AGREE,
    REGISTRATION_AGREE,
    compare_birth_dates,
    compare_countries,
    compare_registration,
)
from arbiter.screening.index import candidate_names
from arbiter.screening.model import (
    FeatureContribution,
    Match,
    MatchExplanation,
    OrganisationQuery,
    Outcome,
    PersonQuery,
    Query,
)
from arbiter.screening.names import NameForm, normalise_name
from arbiter.screening.received import AS_RECEIVED, NameReading, ReceivedName, read_query
from arbiter.screening.watchlist import Watchlist

__all__ = [
    "DEFAULT_CANDIDATES",
    "DEFAULT_MARGIN",
    "DEFAULT_THRESHOLD",
    "MATCHER_VERSION",
    "MAX_LIFT",
    "query_forms",
    "screen",
]

#: The matcher's version: bump it with any change to what `screen` raises (blocking, scoring, thresholds). Ongoing
#: screening keeps it with a list's fingerprints; a list update finding fingerprints of another version re-screens
#: every monitored customer against the whole list (a full re-screen) instead of matching the delta.
MATCHER_VERSION = 1
#: Score from which a listed entry is raised as a match. See docs/screening.md for how it was chosen.
DEFAULT_THRESHOLD = 0.80
#: Listed names per query name that go from blocking to full scoring.
DEFAULT_CANDIDATES = 40
#: What each pair of name words met in the other order takes from an entry's rank among namesakes (not from
#: its score): "Yusuf Mustafa Al-Zahrani" asked, "Mustafa Yusuf Al-Zahrani" is another man (the father's
#: name comes second), though a query may also have its words shuffled.
ORDER_PENALTY = 0.03
#: What a birth date agreeing to the day adds to an entry's rank among namesakes (not to its score): two people
#: sharing a name and a birthday are rare, so "M. Costela" born 1947-12-07 is the listed "Maria Cecília
#: Costela" born that day rather than an undated "Maysa Costela" whose name fits the initial more tightly.
BIRTH_DAY_RANK = 0.15
#: Listed names holding a query word for it to count as a name in its own right (see `compare_names`).
KNOWN_NAME_FREQUENCY = 2
#: How far below the best match another one may score and still be raised (see `screen`).
DEFAULT_MARGIN = 0.0


def _query_forms(query: Query) -> list[tuple[NameForm, ReceivedName, NameReading]]:
    """Each reading of each query name as a `NameForm` (an ordinary name has one reading: itself), with the name
    as received and how it was read; readings that give the same tokens are compared once."""
    organisation = isinstance(query, OrganisationQuery)
    forms: list[tuple[NameForm, ReceivedName, NameReading]] = []
    for received in read_query(query):
        seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        for reading in received.readings:
            form = normalise_name(reading.text, organisation=organisation)
            if form.tokens and (form.tokens, form.legal) not in seen:
                seen.add((form.tokens, form.legal))
                forms.append((form, received, reading))
    if not forms:
        raise InvalidInput("the query has no name to screen", path="names")
    return forms


def query_forms(query: Query) -> list[NameForm]:
    """The name forms `screen` compares for `query` (each reading of each name); InvalidInput when it has none."""
    return [form for form, _, _ in _query_forms(query)]


def screen(
    query: Query,
    watchlist: Watchlist,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    cleared: frozenset[str] | set[str] = frozenset(),
    candidates: int = DEFAULT_CANDIDATES,
    margin: float | None = DEFAULT_MARGIN,
) -> list[Match]:
    """Listed entries whose score reaches `threshold`, best first; those in `cleared` come back suppressed.

    A list names each target once (OpenSanctions merges a person's listings into one entity), so a query is at
    most one entry: of the entries reaching the threshold, only those within `margin` of the best are raised,
    ranked by their evidence before clipping, the name scored blind to spelling (a name whose birth date also
    agrees outranks the same name with nothing else known, whichever romanisation either is listed in). `margin=None` raises every entry over the threshold. Cleared entries do not
    set the best, and are returned (suppressed) whenever they reach the threshold.
    """
    if not 0.0 < threshold <= 1.0:
        raise InvalidInput("threshold must be in (0, 1]", path="threshold")
    readings = _query_forms(query)
    forms = [form for form, _, _ in readings]
    person = isinstance(query, PersonQuery)
    allowed = watchlist.person_rows if person else watchlist.organisation_rows
    boost = None
    if isinstance(query, PersonQuery) and query.birth_date and query.birth_date[:4].isdigit():
        year = int(query.birth_date[:4])
        boost = watchlist.rows_born_in((year - 1, year, year + 1))
    # Query words the list holds as names, on names enough that they are no typo of the list's own.
    known = frozenset(
        t
        for form in forms
        for t in form.tokens
        if len(t) > 1 and watchlist.index.document_frequency(t) >= KNOWN_NAME_FREQUENCY
    )
    entries: set[int] = set()
    for form in forms:
        for row, _ in candidate_names(watchlist.index, form, candidates, allowed, boost):
            entries.add(watchlist.entry_of_name(row))
    scored: list[tuple[float, Match]] = []
    for number in entries:
        best: tuple[NameComparison, int, NameForm] | None = None
        for row in watchlist.name_rows(number):
            listed = watchlist.name_form(row)
            for k, form in enumerate(forms):
                result = compare_names(form, listed, person=person, known=known)
                if best is None or result.score > best[0].score:
                    best = (result, k, listed)
        # A name far below the threshold cannot be lifted over it by the other features: stop here.
        if best is None or best[0].score + MAX_LIFT < threshold:
            continue
        entry = watchlist.entry(number)
        comparison, k, listed = best
        form, received, reading = readings[k]
        # Met through a reading of the name (invisible characters, display order, spelled-out letters): say so.
        read_otherwise = reading.read_as != AS_RECEIVED
        contributions = [_name_contribution(comparison)]
        if isinstance(query, PersonQuery):
            contributions.append(compare_birth_dates(query.birth_date, entry.birth_dates))
            contributions.append(compare_countries((query.nationality, query.country), entry.countries))
        else:
            contributions.append(compare_countries((query.country,), entry.countries))
            contributions.append(compare_registration(query.registration_number, entry.identifiers))
        evidence = sum(c.delta for c in contributions)
        score = round(max(0.0, min(1.0, evidence)), 4)
        if score < threshold:
            continue
        # Namesakes are ranked on the name whatever its spelling, and on what else agrees (see `screen`).
        evidence += comparison.spelling_blind - comparison.score - ORDER_PENALTY * comparison.inversions
        if isinstance(query, PersonQuery) and contributions[1].delta == BIRTH_DATE_AGREE:
            evidence += BIRTH_DAY_RANK  # the same name and birthday: the one, whatever else the name lacks
        explanation = MatchExplanation(
            query_name=form.original,
            listed_name=listed.original,
            name_score=round(comparison.score, 4),
            token_pairs=tuple((p.query, p.listed, p.similarity, p.how) for p in comparison.pairs),
            unmatched_query_tokens=comparison.unmatched_query,
            unmatched_listed_tokens=comparison.unmatched_listed,
            contributions=tuple(contributions),
            received_name=received.received if read_otherwise else None,
            received_visible=received.visible if read_otherwise else None,
            read_as=reading.read_as if read_otherwise else None,
        )
        match = Match(entry=entry, score=score, explanation=explanation, suppressed=entry.id in cleared)
        scored.append((round(evidence, 4), match))
    top = max((e for e, m in scored if not m.suppressed), default=None)
    if margin is not None and top is not None:
        scored = [(e, m) for e, m in scored if m.suppressed or e >= top - margin]
    scored.sort(key=lambda pair: (-pair[0], pair[1].entry.id))
    return [m for _, m in scored]


#: The most the other features can add to a name score (birth date, country and registration all agreeing).
MAX_LIFT = BIRTH_DATE_AGREE + COUNTRY_AGREE + REGISTRATION_AGREE


def _name_contribution(comparison: NameComparison) -> FeatureContribution:
    outcome: Outcome = "agree" if comparison.score >= 0.999 else "partial" if comparison.pairs else "disagree"
    pairs = ", ".join(f"{p.query}~{p.listed} ({p.how} {p.similarity:.2f})" for p in comparison.pairs)
    return FeatureContribution("name", outcome, round(comparison.score, 4), pairs or "no token in common")
