"""Sanctions and PEP screening: the case's parties against a watchlist kept in S3, each match explained.

The list (OpenSanctions `targets.simple.csv`, OFAC `sdn.csv`, or a prebuilt file from `Watchlist.save`) is read
through a `WatchlistSource`, which keeps it per list version (the S3 ETag) for the life of the container: a warm
Lambda never parses it again. Matches a reviewer cleared earlier for the same party and list entry (read through a
`ClearanceReader`) come back suppressed, recorded in the result but not flagged. Each raised match is a `critical`
flag naming the party, so the case goes to a reviewer (see docs/screening.md and docs/plugins.md). So is a name that
hides how it reads (invisible characters, a right-to-left override, letters spelled out one by one): it is screened
as received and as a reader would read it, recorded as received, and flagged `name_obfuscated` even when nothing
matched.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field, field_validator

from arbiter.domain.screening import flag_code
from arbiter.plugins.contract import (
    CaseContext,
    CheckError,
    Flag,
    Plugin,
    PluginConfig,
    PluginResult,
    TransientCheckError,
    case_entity,
)
from arbiter.plugins.policy import RetryPolicy, RunPolicy
from arbiter.screening import Match, Watchlist, screen
from arbiter.screening.parties import PARTY_KINDS, Party, PartyKind, screened_parties
from arbiter.screening.received import ReceivedName, read_query, show_invisible

__all__ = [
    "ClearanceReader",
    "LoadedWatchlist",
    "SanctionsConfig",
    "SanctionsPlugin",
    "WatchlistMissing",
    "WatchlistSource",
    "WatchlistUnavailable",
    "flag_code",
    "match_flag",
    "match_record",
    "unconfigured_watchlists",
]

ListFormat = Literal["auto", "opensanctions", "ofac", "prebuilt"]
DEFAULT_WATCHLIST_KEY = "watchlists/default/targets.simple.csv"
# S3 keys of S3's "safe characters"; a tenant's key may also hold the {tenant_id} placeholder.
_KEY = r"^[A-Za-z0-9!_.*'()/=+-]{1,900}$"
_TENANT_KEY = r"^[A-Za-z0-9!_.*'()/{}=+-]{1,900}$"
# Listed entries kept per match in the stored result: the case record must stay small.
_MAX_LISTED_NAMES = 8


class WatchlistMissing(CheckError):
    """No list is stored under the configured key: screening cannot run (the case goes to a reviewer)."""


class WatchlistUnavailable(TransientCheckError):
    """The list could not be read right now (throttling, a timeout): worth a retry."""


@dataclass(frozen=True)
class LoadedWatchlist:
    """A watchlist and where it came from: the S3 key, its ETag and its last modification."""

    watchlist: Watchlist
    key: str
    etag: str
    last_modified: dt.datetime | None = None

    def version(self) -> dict[str, Any]:
        """The list version a case records: hash, date, size, and the object it was read from."""
        version = self.watchlist.version.to_dict()
        if version["date"] is None and self.last_modified is not None:
            version["date"] = self.last_modified.date().isoformat()
        return {**version, "key": self.key, "etag": self.etag}


class WatchlistSource(Protocol):
    """Reads watchlists by key, keeping each list version loaded (implemented on S3 in arbiter.adapters)."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under `key`."""
        ...

    def load(self, key: str, *, format: ListFormat, aliases_key: str | None = None) -> LoadedWatchlist:
        """The current version of the list at `key`; `WatchlistMissing` or `WatchlistUnavailable` otherwise."""
        ...

    def load_first(
        self, keys: Sequence[str], *, format: ListFormat, aliases_key: str | None = None
    ) -> LoadedWatchlist:
        """The list at the first of `keys` that is stored (a tenant's own list, else the default), as `load`;
        `WatchlistMissing` if none is, `WatchlistUnavailable` if one before it could not be asked."""
        ...


class ClearanceReader(Protocol):
    """The list entries reviewers cleared, per party key (implemented on DynamoDB in arbiter.adapters)."""

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        """For each party key, the ids of the list entries cleared for it (missing keys: none)."""
        ...


class _Unconfigured:
    """Stands in when the function has no watchlists bucket: screening fails, saying what to set."""

    def exists(self, key: str) -> bool:
        return False

    def load(self, key: str, *, format: ListFormat, aliases_key: str | None = None) -> LoadedWatchlist:
        raise WatchlistMissing("no watchlists bucket is configured (WATCHLISTS_BUCKET)", key=key)

    def load_first(
        self, keys: Sequence[str], *, format: ListFormat, aliases_key: str | None = None
    ) -> LoadedWatchlist:
        return self.load(keys[-1], format=format)

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        return {}


def unconfigured_watchlists() -> _Unconfigured:
    """A `WatchlistSource` and `ClearanceReader` for a function without a watchlists bucket or table."""
    return _Unconfigured()


class SanctionsConfig(PluginConfig):
    """Which list, how strict, and whom to screen."""

    #: Key of the list in the watchlists bucket (template.yaml: the documents bucket, `watchlists/` prefix).
    watchlist_key: str = Field(default=DEFAULT_WATCHLIST_KEY, pattern=_KEY)
    #: A tenant's own list, used instead when one is stored there; must contain `{tenant_id}`.
    tenant_watchlist_key: str | None = Field(default=None, pattern=_TENANT_KEY)
    #: `auto` tells OpenSanctions and OFAC files apart; `prebuilt` is a file written by `Watchlist.save`.
    format: ListFormat = "auto"
    #: OFAC only: the `alt.csv` aliases file beside `sdn.csv`.
    aliases_key: str | None = Field(default=None, pattern=_KEY)
    threshold: float = Field(default=0.80, gt=0, le=1)
    parties: list[PartyKind] = Field(default_factory=lambda: list(PARTY_KINDS), min_length=1)
    max_matches_per_party: int = Field(default=5, ge=1, le=20)
    timeout_seconds: float = Field(default=90.0, gt=0, le=600)

    @field_validator("parties")
    @classmethod
    def _distinct(cls, parties: list[PartyKind]) -> list[PartyKind]:
        if len(set(parties)) != len(parties):
            raise ValueError("each party kind may be listed once")
        return parties

    @field_validator("watchlist_key", "tenant_watchlist_key", "aliases_key")
    @classmethod
    def _relative(cls, key: str | None) -> str | None:
        if key is not None and (key.startswith("/") or ".." in key.split("/")):
            raise ValueError("a key is relative to the bucket: no leading '/' and no '..' part")
        return key

    @field_validator("tenant_watchlist_key")
    @classmethod
    def _names_the_tenant(cls, key: str | None) -> str | None:
        if key is None:
            return key
        if any(p != "{tenant_id}" for p in re.findall(r"\{[^{}]*\}|[{}]", key)):
            raise ValueError("the only placeholder allowed is {tenant_id}")
        if "{tenant_id}" not in key:
            raise ValueError("a tenant's list key must contain {tenant_id}")
        return key


class SanctionsPlugin(Plugin[SanctionsConfig]):
    """Screens the person, or the business, its UBOs and its directors, against a watchlist."""

    name = "sanctions"
    version = "1.0.0"
    Config = SanctionsConfig
    description = "Screens the case's parties against a sanctions or PEP watchlist stored in S3."

    def __init__(self, lists: WatchlistSource, clearances: ClearanceReader) -> None:
        self._lists = lists
        self._clearances = clearances

    def policy(self, config: SanctionsConfig) -> RunPolicy:
        # Reading a large list is the slow part; a retry mostly meets the list already loaded.
        return RunPolicy(timeout_seconds=config.timeout_seconds, retry=RetryPolicy(attempts=2))

    def run(self, context: CaseContext, config: SanctionsConfig) -> PluginResult:
        entity = case_entity(context)
        tenant_id = str(context.get("tenant_id") or "")
        parties = screened_parties(entity, tuple(config.parties), case_id=str(context.get("case_id") or ""))
        if not parties:
            return PluginResult.skipped("no party with a name to screen")
        # The list's metadata and the parties' clearances are read at once: waiting on them is most of a warm
        # screening's time (bench/cost), and neither depends on the other.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clearances") as pool:
            clearing = pool.submit(self._clearances.cleared_entries, tenant_id, [p.key for p in parties])
            loaded = self._lists.load_first(
                self._list_keys(config, tenant_id), format=config.format, aliases_key=config.aliases_key
            )
            cleared = clearing.result()
        screened: list[dict[str, Any]] = []
        flags: list[Flag] = []
        raised = suppressed = obfuscated = 0
        for party in parties:
            matches = screen(
                party.query,
                loaded.watchlist,
                threshold=config.threshold,
                cleared=frozenset(cleared.get(party.key, ())),
            )
            kept = _kept(matches, config.max_matches_per_party)
            raised += sum(1 for m in kept if not m.suppressed)
            suppressed += sum(1 for m in kept if m.suppressed)
            flags.extend(match_flag(party, m) for m in kept if not m.suppressed)
            record: dict[str, Any] = {
                "subject": party.subject,
                "party_key": party.key,
                "name": party.name,  # exactly as received: only screening reads it otherwise
                "matches": [match_record(m) for m in kept],
            }
            received = [r for r in read_query(party.query) if r.invisible or r.obfuscated]
            if received:
                record["received"] = [r.to_dict() for r in received]
            if any(r.obfuscated for r in received):
                obfuscated += 1
                flags.append(_obfuscation_flag(party, received))
            screened.append(record)
        return PluginResult.ok(
            {
                "list": loaded.version(),
                "threshold": config.threshold,
                "screened": len(parties),
                "alerts": raised,
                "suppressed": suppressed,
                "obfuscated_names": obfuscated,
                "parties": screened,
            },
            flags,
        )

    @staticmethod
    def _list_keys(config: SanctionsConfig, tenant_id: str) -> list[str]:
        """The tenant's own list first, when one is configured: it replaces the default where it is stored."""
        if config.tenant_watchlist_key and tenant_id:
            return [config.tenant_watchlist_key.replace("{tenant_id}", tenant_id), config.watchlist_key]
        return [config.watchlist_key]


def _kept(matches: list[Match], limit: int) -> list[Match]:
    """The best `limit` raised matches, and every suppressed one among the best (the audit of what was set aside)."""
    raised = [m for m in matches if not m.suppressed][:limit]
    set_aside = [m for m in matches if m.suppressed][:limit]
    return sorted(raised + set_aside, key=lambda m: (-m.score, m.entry.id))


def match_record(match: Match) -> dict[str, Any]:
    """A match as a screening result stores it (the listed names cut to a few)."""
    record = match.to_dict()
    entry = record["entry"]
    entry["names"] = entry["names"][:_MAX_LISTED_NAMES]
    return record


def match_flag(party: Party, match: Match) -> Flag:
    """The critical flag a raised match is: the party, the listed entry and its lists, the names that met, the score."""
    entry, explanation = match.entry, match.explanation
    features = "; ".join(f"{c.feature} {c.outcome}" for c in explanation.contributions if c.feature != "name")
    lists = ", ".join(entry.datasets[:3]) or "the watchlist"
    message = (
        f"{show_invisible(party.name)} ({party.subject}) may be {entry.caption} [{entry.id}] on {lists}: "
        f"'{explanation.query_name}' met '{explanation.listed_name}', score {match.score:.2f}"
        + (f" ({features})" if features else "")
        + "."
    )
    return Flag(
        code=flag_code(entry.topics), severity="critical", message=message[:1000], subject=party.subject
    )


_SIGNS = {
    "reordered": "is displayed in another order than it is stored",
    "spelled_out": "is spelled out letter by letter",
}


def _obfuscation_flag(party: Party, received: list[ReceivedName]) -> Flag:
    """A name that hides how it reads: what it carries, the name made visible, and the readings screened."""
    parts = []
    for name in (r for r in received if r.obfuscated):
        signs = [
            f"carries invisible characters ({', '.join(name.invisible)})"
            if s == "invisible_characters"
            else _SIGNS[s]
            for s in name.signs
        ]
        readings = ", ".join(f"'{r.text}' ({r.read_as})" for r in name.readings)
        parts.append(f"'{name.visible}' {', '.join(signs)}; screened as {readings}")
    message = f"The name of {party.subject} hides how it reads: " + "; ".join(parts) + "."
    return Flag(code="name_obfuscated", severity="critical", message=message[:1000], subject=party.subject)
