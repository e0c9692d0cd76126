"""A reviewer's clearance of a screening match: this party is not that list entry, remembered for next time."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.case import Actor

__all__ = ["Clearance"]


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
