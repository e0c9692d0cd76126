"""A batch of transactions and how far its scoring went: what `GET /v1/transactions/batches/{id}` answers.

The status is counted from one entry per transaction id of the batch (`BatchEntry`), never from counters that
each delivery adds to: a message received twice (the queue delivers at least once) writes the same entry twice,
which is one entry, so nothing is counted twice. A transaction that ended both decided and failed (a failure
recorded by an attempt, then a later attempt decided it) counts as decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from arbiter.domain.transactions import Decision

__all__ = ["MAX_LISTED_FAILURES", "Batch", "BatchEntry", "BatchFailure", "BatchStatus", "batch_status"]

#: Failures a status lists with their reasons (all of them are counted).
MAX_LISTED_FAILURES = 100

#: What a transaction did to an alert: opened one, joined the customer's open one, or none.
AlertEffect = Literal["opened", "joined", "none"]


class Batch(BaseModel):
    """A batch as accepted: who sent it, when, how many transactions it holds."""

    tenant_id: str
    id: str
    accepted: int
    created_at: dt.datetime


class BatchEntry(BaseModel):
    """One transaction of a batch as its scoring left it: decided (how, and what it did to an alert) or failed.

    `repeat`: the id was already decided before this batch (alone or in another batch); its stored decision is
    what the batch gets, and it opened nothing in this batch."""

    transaction_id: str
    decision: Decision | None = None
    alert: AlertEffect = "none"
    repeat: bool = False
    #: Why it could not be decided (set only for a failure).
    reason: str | None = None


class BatchFailure(BaseModel):
    transaction_id: str
    reason: str


class BatchStatus(BaseModel):
    """How far a batch's scoring went."""

    batch_id: str
    created_at: dt.datetime
    accepted: int
    #: Transactions decided (repeats included).
    scored: int
    decisions: dict[Decision, int] = Field(default_factory=dict)
    #: Of `scored`, those whose id was already decided before this batch (answered with the stored decision).
    repeats: int
    #: Alerts the batch's transactions opened (a transaction joining an open alert opens none).
    alerts_opened: int
    failed: int
    #: The failures with their reasons, at most MAX_LISTED_FAILURES.
    failures: list[BatchFailure] = Field(default_factory=list)
    #: Every accepted transaction is decided or failed: nothing of the batch is left to do.
    done: bool


def batch_status(batch: Batch, entries: Iterable[BatchEntry]) -> BatchStatus:
    """The batch's status from its entries (any number per transaction id, in any order)."""
    by_id: dict[str, BatchEntry] = {}
    for entry in entries:
        known = by_id.get(entry.transaction_id)
        if known is None or (known.decision is None and entry.decision is not None):
            by_id[entry.transaction_id] = entry
    decisions: dict[Decision, int] = {"allow": 0, "review": 0, "block": 0}
    failures: list[BatchFailure] = []
    repeats = opened = 0
    for entry in sorted(by_id.values(), key=lambda e: e.transaction_id):
        if entry.decision is None:
            failures.append(
                BatchFailure(transaction_id=entry.transaction_id, reason=entry.reason or "unknown")
            )
            continue
        decisions[entry.decision] += 1
        repeats += entry.repeat
        opened += entry.alert == "opened" and not entry.repeat
    scored = sum(decisions.values())
    return BatchStatus(
        batch_id=batch.id,
        created_at=batch.created_at,
        accepted=batch.accepted,
        scored=scored,
        decisions=decisions,
        repeats=repeats,
        alerts_opened=opened,
        failed=len(failures),
        failures=failures[:MAX_LISTED_FAILURES],
        done=scored + len(failures) >= batch.accepted,
    )
