"""What besides the name raises or lowers a score: birth date, nationality and country, registration number.

Each feature compares what the query gives with what the list holds and returns a `FeatureContribution`:
`agree` raises the score a little (the name already carries most of the evidence), `disagree` lowers it enough
to take a namesake below the threshold, `unknown` (one side silent) leaves it alone. A namesake born years
apart is the commonest false alert; a birth year one off is often a clerical slip, so it costs less.
"""

from __future__ import annotations

import re

from arbiter.screening.model import FeatureContribution, Outcome

__all__ = ["compare_birth_dates", "compare_countries", "compare_registration"]

BIRTH_DATE_AGREE = 0.12
BIRTH_YEAR_AGREE = 0.02
BIRTH_DAY_DIFFERS = -0.05
BIRTH_YEAR_ONE_OFF = -0.10
BIRTH_DATE_DISAGREE = -0.30
COUNTRY_AGREE = 0.03
COUNTRY_DISAGREE = -0.10
REGISTRATION_AGREE = 0.20

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def _parts(value: str) -> tuple[int, int | None, int | None] | None:
    m = _DATE.match(value.strip())
    if not m:
        return None
    year, month, day = m.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def _date_verdict(
    query: tuple[int, int | None, int | None], listed: tuple[int, int | None, int | None]
) -> tuple[Outcome, float]:
    (qy, qm, qd), (ly, lm, ld) = query, listed
    gap = abs(qy - ly)
    if gap >= 2:
        return "disagree", BIRTH_DATE_DISAGREE
    if gap == 1:
        return "partial", BIRTH_YEAR_ONE_OFF
    if qm is None or lm is None:
        return "agree", BIRTH_YEAR_AGREE
    if qm != lm:
        # Day and month swapped (US and European order) is the same date written twice.
        if qd is not None and ld is not None and qd == lm and qm == ld:
            return "agree", BIRTH_YEAR_AGREE
        return "partial", BIRTH_DAY_DIFFERS
    if qd is None or ld is None:
        return "agree", BIRTH_YEAR_AGREE
    if qd != ld:
        return "partial", BIRTH_DAY_DIFFERS
    return "agree", BIRTH_DATE_AGREE


def compare_birth_dates(query: str | None, listed: tuple[str, ...]) -> FeatureContribution:
    """Compare the query's birth date with the listed ones (full dates, year-months or years)."""
    q = _parts(query) if query else None
    listed_parts = [p for p in (_parts(v) for v in listed) if p]
    if q is None or not listed_parts:
        side = "query" if q is None else "list"
        return FeatureContribution("birth_date", "unknown", 0.0, f"no birth date on the {side} side")
    verdicts = [(_date_verdict(q, p), v) for p, v in zip(listed_parts, listed, strict=False)]
    (outcome, delta), value = max(verdicts, key=lambda x: x[0][1])
    return FeatureContribution("birth_date", outcome, delta, f"query {query} / listed {value}")


def compare_countries(query: tuple[str | None, ...], listed: tuple[str, ...]) -> FeatureContribution:
    """Compare the query's nationality and country with the countries the list gives."""
    q = {c.lower() for c in query if c}
    r = {c.lower() for c in listed if c}
    if not q or not r:
        side = "query" if not q else "list"
        return FeatureContribution("country", "unknown", 0.0, f"no country on the {side} side")
    shared = sorted(q & r)
    if shared:
        return FeatureContribution("country", "agree", COUNTRY_AGREE, f"both name {', '.join(shared)}")
    return FeatureContribution(
        "country",
        "disagree",
        COUNTRY_DISAGREE,
        f"query {', '.join(sorted(q))} / listed {', '.join(sorted(r))}",
    )


def compare_registration(query: str | None, identifiers: tuple[str, ...]) -> FeatureContribution:
    """Look for the query's registration number among the listed identifiers (punctuation ignored)."""
    wanted = _NOT_ALNUM.sub("", query or "").upper()
    if not wanted or not identifiers:
        return FeatureContribution("registration_number", "unknown", 0.0, "nothing to compare")
    for identifier in identifiers:
        # Identifiers may be labelled ("OGRN: 102770…"): compare the value after the label too.
        candidates = {identifier, identifier.rsplit(":", 1)[-1]}
        if any(_NOT_ALNUM.sub("", c).upper() == wanted for c in candidates):
            return FeatureContribution(
                "registration_number", "agree", REGISTRATION_AGREE, f"listed {identifier}"
            )
    return FeatureContribution("registration_number", "unknown", 0.0, "not among the listed identifiers")
