"""What is screened, what is listed, and what a match says: plain frozen records, no infrastructure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "FeatureContribution",
    "ListEntry",
    "Match",
    "MatchExplanation",
    "OrganisationQuery",
    "PersonQuery",
    "Query",
    "WatchlistVersion",
]

#: Schemas (FollowTheMoney names, as OpenSanctions uses them) that a person query is screened against.
PERSON_SCHEMAS = frozenset({"Person", "LegalEntity"})
#: Schemas an organisation query is screened against.
ORGANISATION_SCHEMAS = frozenset({"Organization", "Company", "LegalEntity", "PublicBody"})


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """A natural person to screen: names (full names, any script), birth date, nationality, residence."""

    names: tuple[str, ...]
    birth_date: str | None = None  # ISO date, or a year-month / year prefix
    nationality: str | None = None  # ISO 3166-1 alpha-2
    country: str | None = None  # country of residence, alpha-2
    #: The fields the first name joins with spaces (first, middle, last), when it was built from them: a field
    #: spelled out letter by letter is read on its own (`received.read_name`).
    name_parts: tuple[str, ...] = ()

    kind: Literal["person"] = field(default="person", init=False)


@dataclass(frozen=True, slots=True)
class OrganisationQuery:
    """A company or other organisation to screen: names, country, registration number."""

    names: tuple[str, ...]
    country: str | None = None
    registration_number: str | None = None

    kind: Literal["organisation"] = field(default="organisation", init=False)


Query = PersonQuery | OrganisationQuery


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed target: the fields a reviewer needs to judge a match."""

    id: str
    schema: str
    caption: str
    names: tuple[str, ...]  # caption first, then aliases
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # lower-case alpha-2, as OpenSanctions writes them
    identifiers: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()  # e.g. sanction, role.pep, when the list carries them

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        return {
            "id": self.id,
            "schema": self.schema,
            "caption": self.caption,
            "names": list(self.names),
            "birth_dates": list(self.birth_dates),
            "countries": list(self.countries),
            "identifiers": list(self.identifiers),
            "datasets": list(self.datasets),
            "programs": list(self.programs),
            "topics": list(self.topics),
        }


#: A feature's verdict on a match.
Outcome = Literal["agree", "partial", "disagree", "unknown"]


@dataclass(frozen=True, slots=True)
class FeatureContribution:
    """One feature's verdict and what it added to (or took from) the score."""

    feature: Literal["name", "birth_date", "country", "registration_number"]
    outcome: Outcome
    delta: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The contribution as JSON-ready data."""
        return {"feature": self.feature, "outcome": self.outcome, "delta": self.delta, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class MatchExplanation:
    """Which query name met which listed name, token by token, and what each feature contributed."""

    query_name: str
    listed_name: str
    name_score: float
    token_pairs: tuple[tuple[str, str, float, str], ...]  # (query token, listed token, similarity, how)
    unmatched_query_tokens: tuple[str, ...]
    unmatched_listed_tokens: tuple[str, ...]
    contributions: tuple[FeatureContribution, ...]
    #: Set when the query name was read otherwise than as received (`received.read_name`): the name exactly as
    #: received, the same with its invisible characters shown as `<U+XXXX>`, and how `query_name` was read.
    received_name: str | None = None
    received_visible: str | None = None
    read_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data (the received name and its reading only when it was read otherwise)."""
        received: dict[str, Any] = {}
        if self.received_name is not None:
            received = {
                "received_name": self.received_name,
                "received_visible": self.received_visible,
                "read_as": self.read_as,
            }
        return {
            "query_name": self.query_name,
            "listed_name": self.listed_name,
            "name_score": self.name_score,
            "token_pairs": [
                {"query": q, "listed": r, "similarity": s, "how": h} for q, r, s, h in self.token_pairs
            ],
            "unmatched_query_tokens": list(self.unmatched_query_tokens),
            "unmatched_listed_tokens": list(self.unmatched_listed_tokens),
            "contributions": [c.to_dict() for c in self.contributions],
            **received,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A listed entry whose score reached the threshold; `suppressed` if a reviewer already cleared it."""

    entry: ListEntry
    score: float
    explanation: MatchExplanation
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The match as JSON-ready data (what a case stores)."""
        return {
            "entry": self.entry.to_dict(),
            "score": self.score,
            "suppressed": self.suppressed,
            "explanation": self.explanation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class WatchlistVersion:
    """Which list a screening used: the SHA-256 of its bytes and its date, for the case record."""

    sha256: str
    date: dt.date | None
    format: str
    entries: int
    names: int

    def to_dict(self) -> dict[str, Any]:
        """The version as JSON-ready data."""
        return {
            "sha256": self.sha256,
            "date": self.date.isoformat() if self.date else None,
            "format": self.format,
            "entries": self.entries,
            "names": self.names,
        }
