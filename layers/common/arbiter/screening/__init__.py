"""Sanctions and PEP screening: watchlists, their index, and `screen`.

Typical use (the caller keeps the `Watchlist` per list version across warm invocations):

    watchlist = load_watchlist(csv_bytes, date=list_date)          # or Watchlist.load(prebuilt_bytes)
    matches = screen(PersonQuery(names=("Ivan Petrov",), birth_date="1960-05-01"), watchlist,
                     threshold=0.8, cleared={"NK-abc"})
    raised = [m for m in matches if not m.suppressed]
    case_record = {"list": watchlist.version.to_dict(), "matches": [m.to_dict() for m in matches]}

See docs/screening.md for the formats, the scoring and how to read an explanation.
"""

from arbiter.screening.formats import WatchlistFormatError
from arbiter.screening.model import (
    FeatureContribution,
    ListEntry,
    Match,
    MatchExplanation,
    OrganisationQuery,
    PersonQuery,
    Query,
    WatchlistVersion,
)
from arbiter.screening.queries import queries_for_entity
from arbiter.screening.received import ReceivedName, read_name
from arbiter.screening.screen import DEFAULT_THRESHOLD, MATCHER_VERSION, screen
from arbiter.screening.watchlist import Watchlist, load_watchlist

__all__ = [
    "DEFAULT_THRESHOLD",
    "MATCHER_VERSION",
    "FeatureContribution",
    "ListEntry",
    "Match",
    "MatchExplanation",
    "OrganisationQuery",
    "PersonQuery",
    "Query",
    "ReceivedName",
    "Watchlist",
    "WatchlistFormatError",
    "WatchlistVersion",
    "load_watchlist",
    "queries_for_entity",
    "read_name",
    "screen",
]
