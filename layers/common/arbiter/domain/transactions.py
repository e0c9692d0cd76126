"""Transactions as monitoring decides them: the transaction, its decision, and the alert a risky one opens.

A transaction is the integrator's record of money moving for one of its customers. It is decided once: the
same id again (per tenant) is the same transaction, answered with the decision already stored, and a different
body under that id is refused (`fields_differing` says which fields). Amounts are Decimal, in their currency;
nothing here converts currencies.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "EARLIEST_TIME",
    "MAX_BATCH_TRANSACTIONS",
    "MAX_DAY_RANGE",
    "NO_SCENARIO",
    "Alert",
    "Counterparty",
    "DecidedTransaction",
    "Decision",
    "MonitoringRuleSet",
    "QueuedTransaction",
    "Resolution",
    "Severity",
    "Transaction",
    "counterparty_key",
    "decision_of",
    "fields_differing",
    "new_alert_id",
    "new_batch_id",
    "primary_scenario",
    "stored_json",
]

Decision = Literal["allow", "review", "block"]
Direction = Literal["inbound", "outbound"]
Severity = Literal["info", "low", "medium", "high", "critical"]
#: What a reviewer concluded when closing an alert.
Resolution = Literal["true_positive", "false_positive", "no_action"]

#: The rule engine's recommendation → the transaction's decision.
_DECISIONS: dict[str, Decision] = {"approve": "allow", "review": "review", "reject": "block"}


class Counterparty(BaseModel):
    """Who is on the other side: a name, an account (IBAN, card fingerprint, wallet…) and a country (ISO alpha-2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    account: str | None = None
    country: str | None = None


def _standard_zone(value: Any) -> Any:
    """An ISO 8601 time parsed by the standard library. Parsed by pydantic (from a queued batch's message, a stored
    decision or alert), a time carries pydantic's own zone object, whose every comparison, subtraction, hash and
    `timestamp()` calls back into it: several times slower than with the standard library's zones
    (pydantic/pydantic#7897), and a decision does a dozen, a backtest sorts thousands. What it does not parse is
    left to pydantic."""
    if value.__class__ is str:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    return value


#: A time as monitoring keeps it: parsed into the standard library's zones (`_standard_zone`).
Instant = Annotated[dt.datetime, BeforeValidator(_standard_zone)]


class Transaction(BaseModel):
    """One transaction of a customer, as the integrator sent it (normalised)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    customer_id: str
    amount: Decimal
    currency: str
    direction: Direction
    type: str
    counterparty: Counterparty = Field(default_factory=Counterparty)
    time: Instant
    channel: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


def counterparty_key(counterparty: Counterparty) -> str | None:
    """A short stable key for the counterparty (its account, else its name), None when neither is given.

    Hashed: aggregates and first-seen markers never spell out an account number."""
    return _party_key(counterparty.account, counterparty.name)


@functools.lru_cache(maxsize=4096)
def _party_key(account: str | None, name: str | None) -> str | None:
    # Cached: a decision asks for it several times, and a customer pays the same counterparties again and again.
    if account:
        basis = "account:" + "".join(account.split()).upper()
    elif name:
        basis = "name:" + " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    else:
        return None
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def fields_differing(stored: Transaction, received: Transaction) -> list[str]:
    """The fields (dotted) where two bodies sent under the same id differ; empty when they are the same."""
    before, after = stored.model_dump(mode="json"), received.model_dump(mode="json")
    differing = []
    for name in Transaction.model_fields:
        if name == "counterparty":
            differing += [
                f"counterparty.{part}"
                for part in Counterparty.model_fields
                if before["counterparty"][part] != after["counterparty"][part]
            ]
        elif name == "amount":
            if stored.amount != received.amount:  # 9800 and 9800.00 are the same amount
                differing.append(name)
        elif name == "time":
            if stored.time != received.time:  # the same instant in another offset is the same time
                differing.append(name)
        elif before[name] != after[name]:
            differing.append("customer.id" if name == "customer_id" else name)
    return differing


class MonitoringRuleSet(BaseModel):
    """The rule set version a decision used (pinned: the decision can be replayed and explained). Immutable: the
    decisions on one version share one."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int


class DecidedTransaction(BaseModel):
    """A transaction with the decision taken on it, as stored and as `GET /v1/transactions/{id}` shows it."""

    tenant_id: str
    transaction: Transaction
    decision: Decision
    score: float
    level: str
    hits: list[dict[str, Any]] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)
    rule_set: MonitoringRuleSet
    alert_id: str | None = None
    decided_at: Instant
    #: The batch it was accepted in (None: sent alone to `POST /v1/transactions`).
    batch_id: str | None = None


def stored_json(model: BaseModel) -> bytes:
    """A decision's or an alert's JSON as stored, the bytes `model_dump_json().encode()` makes: straight from
    pydantic-core's serializer, without `model_dump_json`'s own work around it and the round trip through a str
    (about 40 % of writing a decision's JSON; one is written per decision)."""
    written: bytes = model.__pydantic_serializer__.to_json(model)
    return written


def decision_of(recommendation: str) -> Decision:
    """The rule engine's recommendation (approve, review, reject) as a transaction decision."""
    return _DECISIONS[recommendation]


def new_alert_id() -> str:
    """A fresh alert id."""
    return f"alert_{secrets.token_hex(8)}"


#: The scenario of an alert whose decision no rule explains (a rule set that recommends review without hits).
NO_SCENARIO = "none"
_SEVERITY_RANK: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_DECISION_RANK: dict[str, int] = {"allow": 0, "review": 1, "block": 2}


def primary_scenario(hits: list[dict[str, Any]]) -> str:
    """The scenario (rule id) an alert is about: its most severe hit, then the highest scored, then the first id.

    One alert is open per customer and scenario: a later transaction with the same primary scenario joins it."""
    if not hits:
        return NO_SCENARIO
    top = min(
        hits,
        key=lambda h: (
            -_SEVERITY_RANK.get(h.get("severity", ""), 0),
            -float(h.get("score", 0)),
            h["rule_id"],
        ),
    )
    return str(top["rule_id"])


class Alert(BaseModel):
    """An alert opened by a transaction decided `review` or `block`, for an analyst to work.

    While it is open, later transactions of the same customer with the same primary scenario join it (counted, the
    latest kept) instead of opening another: an analyst works a pattern once, not once per transaction."""

    id: str
    tenant_id: str
    customer_id: str
    #: The transaction that opened it.
    transaction_id: str
    status: Literal["open", "closed"] = "open"
    decision: Decision
    severity: Severity
    score: float
    #: The rules that hit, with the values they read (those of the transaction that opened it).
    hits: list[dict[str, Any]] = Field(default_factory=list)
    rule_set: MonitoringRuleSet
    created_at: Instant
    #: The primary scenario (`primary_scenario`); alerts stored before deduplication have none.
    scenario: str | None = None
    #: Transactions on the alert, the one that opened it included.
    transaction_count: int = 1
    last_transaction_id: str | None = None
    last_seen_at: Instant | None = None
    #: Set when a reviewer closes it: what they concluded and why.
    resolution: Resolution | None = None
    reason: str | None = None
    closed_by: str | None = None
    closed_at: Instant | None = None
    #: The reviewer working it (None: in the team's queue).
    assignee: str | None = None
    #: Set when a reviewer escalates it (it stays open, for whoever takes escalations).
    escalated_by: str | None = None
    escalated_at: Instant | None = None
    escalation_reason: str | None = None
    #: The reference of the report filed with the authority (a suspicious activity report), when one was.
    report_reference: str | None = None
    #: Counts reviewers' changes: each is written only over the revision it read, and a transaction joins only the
    #: revision it read, so neither overwrites the other.
    revision: int = 0

    def reviewed(self, **changes: object) -> Alert:
        """The alert with a reviewer's change applied (its revision moved on)."""
        return self.model_copy(update={**changes, "revision": self.revision + 1})

    def closed(self, resolution: Resolution, reason: str, by: str, at: dt.datetime) -> Alert:
        """The alert closed by a reviewer: the customer's next hit of its scenario opens a new one."""
        return self.reviewed(
            status="closed", resolution=resolution, reason=reason, closed_by=by, closed_at=at
        )

    def joined(
        self, transaction_id: str, decision: Decision, severity: Severity, score: float, at: dt.datetime
    ) -> Alert:
        """The alert with one more transaction: counted, the latest remembered, decision and severity raised to the
        worst seen, the highest score kept."""
        return self.model_copy(
            update={
                "transaction_count": self.transaction_count + 1,
                "last_transaction_id": transaction_id,
                "last_seen_at": at,
                "decision": max(self.decision, decision, key=_DECISION_RANK.__getitem__),
                "severity": max(self.severity, severity, key=_SEVERITY_RANK.__getitem__),
                "score": max(self.score, score),
            }
        )


#: The most transactions one batch request may carry.
MAX_BATCH_TRANSACTIONS = 1000
#: The earliest time a transaction may carry (its windows reach 90 days before it): the API refuses older ones.
EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: The longest range of a tenant's transactions read by their days (backtests, lists): the day index is read one
#: day after the other.
MAX_DAY_RANGE = dt.timedelta(days=366)


class QueuedTransaction(BaseModel):
    """A transaction accepted in a batch, waiting in the queue to be decided (the message's body)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str
    batch_id: str
    transaction: Transaction

    @property
    def group(self) -> str:
        """The queue's ordering group: one customer's transactions are decided one after the other, in order."""
        return _digest(f"{self.tenant_id}\x00{self.transaction.customer_id}")

    @property
    def deduplication_id(self) -> str:
        """The same transaction id in the same batch is one message (within the queue's deduplication window).

        Per batch, not per id alone: a batch that repeats an id decided or queued by another one still gets its
        message, answered with the stored decision, so the batch's status can count it and finish."""
        return _digest(f"{self.tenant_id}\x00{self.batch_id}\x00{self.transaction.id}")


def _digest(text: str) -> str:
    # Queue ids are at most 128 characters of a narrow alphabet; ids of customers and transactions may be neither.
    return hashlib.sha256(text.encode()).hexdigest()


def new_batch_id() -> str:
    """A fresh batch id."""
    return f"batch_{secrets.token_hex(8)}"
