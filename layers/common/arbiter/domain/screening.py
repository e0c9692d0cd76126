"""Screening outcomes as the rest of the domain sees them: a reviewer's clearance of a match (this party is not
that list entry, remembered for next time), the flag a listed entry raises, and the sanctions and PEP hits a case's
check results carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.case import Actor

__all__ = [
    "BLOCKING_CODES",
    "SCREENING_PLUGINS",
    "Clearance",
    "ScreeningHit",
    "flag_code",
    "screening_hits",
    "screens_watchlists",
]

#: The built-in plugins that load a watchlist into memory: their checks run in ScreeningFunction, the one function
#: sized to hold the lists (arbiter.plugins.screening_delegation).
SCREENING_PLUGINS = frozenset({"sanctions"})


def screens_watchlists(plugin: Mapping[str, Any]) -> bool:
    """Whether a configured check (a workflow's `plugins` entry) screens against a watchlist."""
    return plugin.get("plugin") in SCREENING_PLUGINS


#: The flags no approval may go over while they stand: a sanctions target or a PEP (or a relative or close associate).
BLOCKING_CODES = ("sanctions_match", "pep_match")


class Clearance(BaseModel):
    """A false positive set aside: `party_key` (the screened party) is not list entry `entry_id`.

    Kept per tenant; the sanctions check reads it on every later run and returns the match suppressed instead of
    raising it again. Another entry for the same name, or the same entry for another party, still alerts.
    """

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    party_key: str = Field(min_length=1, max_length=600)
    entry_id: str = Field(min_length=1, max_length=300)
    case_id: str
    subject: str
    party_name: str = ""
    listed_name: str = ""
    score: float | None = None
    list_sha256: str | None = None
    reason: str = Field(min_length=1, max_length=4000)
    cleared_by: Actor
    cleared_at: dt.datetime


def flag_code(topics: tuple[str, ...] | list[str]) -> str:
    """The flag for a listed entry: a sanctions target, a PEP (or a relative), or another list (crime, debarment)."""
    if not topics or "sanction" in topics or any(t.startswith("sanction") for t in topics):
        return "sanctions_match"
    if any(t in ("role.pep", "role.rca") for t in topics):
        return "pep_match"
    return "watchlist_match"


@dataclass(frozen=True)
class ScreeningHit:
    """A critical sanctions or PEP hit in a check result: a raised match of a screened party (a reviewer can clear
    it by `party_key` and `entry_id`), or a flag of a check that names no list entry (nothing to clear)."""

    check: str
    subject: str
    code: str
    party_name: str = ""
    listed_name: str = ""
    party_key: str | None = None
    entry_id: str | None = None

    @property
    def clearable(self) -> bool:
        return bool(self.party_key and self.entry_id)

    def describe(self) -> str:
        """One line a reviewer or an integrator can act on."""
        who = f"{self.party_name} ({self.subject})" if self.party_name else self.subject
        if self.clearable:
            return f"{who} may be {self.listed_name or self.entry_id} [{self.entry_id}] ({self.code}, check {self.check})"
        return f"{who}: {self.code} raised by check {self.check}, with no list entry to clear"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "subject": self.subject,
            "code": self.code,
            "party_key": self.party_key,
            "entry_id": self.entry_id,
            "listed_name": self.listed_name,
        }


def screening_hits(checks: dict[str, dict[str, Any]]) -> list[ScreeningHit]:
    """The critical sanctions and PEP hits the case's check results (`{check name: result}`) raised.

    A screening result (one listing `parties` with their `matches`) counts each match it raised, not the ones it
    returned suppressed (cleared before the run); another check counts its critical flags with a blocking code.
    """
    hits: list[ScreeningHit] = []
    for name, result in sorted(checks.items()):
        if not isinstance(result, dict) or result.get("status") != "ok":
            continue
        parties = (result.get("data") or {}).get("parties")
        if isinstance(parties, list):
            hits += _match_hits(name, parties)
            continue
        for flag in result.get("flags") or []:
            if (
                isinstance(flag, dict)
                and flag.get("severity") == "critical"
                and flag.get("code") in BLOCKING_CODES
            ):
                hits.append(
                    ScreeningHit(check=name, subject=str(flag.get("subject") or ""), code=flag["code"])
                )
    return hits


def _match_hits(check: str, parties: list[Any]) -> list[ScreeningHit]:
    hits = []
    for party in parties:
        if not isinstance(party, dict):
            continue
        for match in party.get("matches") or []:
            if not isinstance(match, dict) or match.get("suppressed"):
                continue
            entry = match.get("entry") or {}
            code = flag_code(tuple(entry.get("topics") or ()))
            if code not in BLOCKING_CODES:
                continue
            explanation = match.get("explanation") or {}
            hits.append(
                ScreeningHit(
                    check=check,
                    subject=str(party.get("subject") or ""),
                    code=code,
                    party_name=str(party.get("name") or ""),
                    listed_name=str(explanation.get("listed_name") or entry.get("caption") or ""),
                    party_key=party.get("party_key") or None,
                    entry_id=entry.get("id") or None,
                )
            )
    return hits
