"""Request and response bodies of the transaction monitoring API (`/v1/transactions`).

Integrators send what their ledger holds: fields Arbiter does not use are ignored, and an optional field that is
an empty string (or null) is taken as not given. A required field that is empty is a 422 naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from arbiter.domain.countries import country_code
from arbiter.domain.transactions import (
    EARLIEST_TIME,
    MAX_BATCH_TRANSACTIONS,
    Counterparty,
    DecidedTransaction,
    Transaction,
)

__all__ = [
    "MAX_METADATA_BYTES",
    "TRANSACTION_EXAMPLE",
    "BatchAcceptedView",
    "Text",
    "Text64",
    "Text400",
    "TransactionBatchRequest",
    "TransactionDecisionView",
    "TransactionRequest",
    "TransactionView",
    "as_utc",
    "blank_as_absent",
    "country_alpha2",
    "currency_code",
    "decision_view",
    "transaction_view",
]

#: A transaction as an integrator sends it (the document's example; docs/api.md shows more).
TRANSACTION_EXAMPLE: dict[str, Any] = {
    "id": "tx-1",
    "customer": {"id": "acme-1"},
    "amount": 9800.0,
    "currency": "EUR",
    "direction": "outbound",
    "type": "transfer",
    "counterparty": {"name": "Northwind Trading", "account": "DE89370400440532013000", "country": "DE"},
    "time": "2026-12-06T10:00:00Z",
    "channel": "api",
    "metadata": {"reference": "invoice 4711"},
}
#: What a transaction keeps of the integrator's own data.
MAX_METADATA_BYTES = 16 * 1024


def blank_as_absent(value: Any) -> Any:
    """ "" (or only spaces) is no value: integrators send empty strings for fields they do not use."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def blank_fields_as_absent(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if blank_as_absent(v) is not None}
    return value


def currency_code(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def country_alpha2(value: str) -> str:
    """The ISO 3166 alpha-2 code of a country's code or name; ValueError naming the value otherwise."""
    code = country_code(value)
    if code is None:
        raise ValueError(f"{value!r} is not a country (ISO 3166 code or name)")
    return code


def as_utc(value: dt.datetime) -> dt.datetime:
    # A time without an offset is taken as UTC, as most ledgers export it.
    try:
        at = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError as exc:  # 9999-12-31T23:00:00-05:00 is past what a datetime holds in UTC
        raise ValueError("time is out of range") from exc
    if at < EARLIEST_TIME:
        raise ValueError("time is before 2000-01-01")
    return at


Text = Annotated[str, BeforeValidator(blank_as_absent)]
#: Optional texts: absent, null or blank are all "not given".
Text64 = Annotated[Annotated[str, StringConstraints(max_length=64)] | None, BeforeValidator(blank_as_absent)]
Text100 = Annotated[
    Annotated[str, StringConstraints(max_length=100)] | None, BeforeValidator(blank_as_absent)
]
Text400 = Annotated[
    Annotated[str, StringConstraints(max_length=400)] | None, BeforeValidator(blank_as_absent)
]


class CustomerRef(BaseModel):
    """The customer: an Arbiter entity id or the integrator's own id for it."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[Text, Field(min_length=1, max_length=256)]


class CounterpartyInput(BaseModel):
    """Who is on the other side."""

    model_config = ConfigDict(extra="ignore")

    name: Text400 = None
    account: Annotated[Text100, Field(description="IBAN, account number, card or wallet id")] = None
    country: Annotated[
        Text64, AfterValidator(lambda v: country_alpha2(v) if v else v), Field(description="ISO 3166 alpha-2")
    ] = None


class TransactionRequest(BaseModel):
    """One transaction to decide."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [TRANSACTION_EXAMPLE]})

    id: Annotated[
        Text, Field(min_length=1, max_length=128, description="Your id; the same id twice is one transaction")
    ]
    customer: CustomerRef
    amount: Annotated[Decimal, Field(gt=0, lt=Decimal("1e15"), decimal_places=8)]
    currency: Annotated[Text, AfterValidator(currency_code), Field(description="ISO 4217, e.g. EUR")]
    direction: Annotated[
        Literal["inbound", "outbound"], BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)
    ]
    type: Annotated[Text, Field(min_length=1, max_length=64, description="card, transfer, crypto…")]
    counterparty: Annotated[CounterpartyInput | None, BeforeValidator(blank_fields_as_absent)] = None
    time: Annotated[
        dt.datetime,
        AfterValidator(as_utc),
        Field(description="When it happened (ISO 8601; UTC if no offset)"),
    ]
    channel: Annotated[Text64, Field(description="api, app, branch, card_present…")] = None
    metadata: Annotated[dict[str, Any] | None, BeforeValidator(blank_as_absent)] = None

    @field_validator("metadata")
    @classmethod
    def _metadata_fits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
            if size > MAX_METADATA_BYTES:
                raise ValueError(f"metadata is {size // 1024} KB as JSON; at most 16 KB is kept")
        return value

    def transaction(self) -> Transaction:
        """The transaction as monitoring decides it."""
        party = self.counterparty or CounterpartyInput()
        return Transaction(
            id=self.id,
            customer_id=self.customer.id,
            amount=self.amount,
            currency=self.currency,
            direction=self.direction,
            type=self.type,
            counterparty=Counterparty(name=party.name, account=party.account, country=party.country),
            time=self.time,
            channel=self.channel,
            metadata=self.metadata or {},
        )


class TransactionBatchRequest(BaseModel):
    """Up to 1,000 transactions to decide asynchronously, each as `POST /v1/transactions` takes it."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"transactions": [TRANSACTION_EXAMPLE]}]}
    )

    transactions: Annotated[
        list[TransactionRequest],
        Field(
            min_length=1,
            max_length=MAX_BATCH_TRANSACTIONS,
            description="Decided in order per customer; an id already decided is not decided again",
        ),
    ]


class BatchAcceptedView(BaseModel):
    """The batch was checked whole and queued: its transactions are decided within seconds."""

    batch_id: str
    accepted: int


class BatchFailureView(BaseModel):
    transaction_id: str
    reason: str = Field(description="Why it cannot be decided (it is not retried)")


class BatchStatusView(BaseModel):
    """How far a batch's scoring went. Counted from one entry per transaction id: a message delivered twice is
    counted once. Read from an index: a transaction decided a moment ago may show a moment later."""

    batch_id: str
    created_at: dt.datetime
    accepted: int
    scored: int = Field(description="Transactions decided (repeats included)")
    decisions: dict[Literal["allow", "review", "block"], int]
    repeats: int = Field(description="Ids decided before this batch: answered with their stored decision")
    alerts_opened: int = Field(
        description="Alerts this batch's transactions opened (joining an open one is none)"
    )
    failed: int
    failures: list[BatchFailureView] = Field(
        description="The failures with their reasons (at most 100 listed)"
    )
    done: bool = Field(description="Every accepted transaction is decided or failed")


class HitView(BaseModel):
    """A scenario that hit, with the values it read."""

    rule: str
    name: str
    severity: str
    score: float
    outcome: str
    values: dict[str, Any]
    explanation: str


class RuleSetRefView(BaseModel):
    id: str
    version: int


class TransactionDecisionView(BaseModel):
    """The decision on a transaction: the same answer every time its id is sent."""

    id: str
    decision: Literal["allow", "review", "block"]
    score: float
    level: str
    hits: list[HitView]
    alert_id: str | None = Field(default=None, description="The alert opened by a review or block decision")
    rule_set: RuleSetRefView = Field(description="The monitoring rule set version the decision used")
    decided_at: dt.datetime


class CounterpartyView(BaseModel):
    name: str | None
    account: str | None
    country: str | None


class TransactionView(BaseModel):
    """A stored transaction with its decision."""

    id: str
    customer: dict[str, str]
    amount: str = Field(description="The amount as a decimal string, exactly as recorded")
    currency: str
    direction: str
    type: str
    counterparty: CounterpartyView
    time: dt.datetime
    channel: str | None
    metadata: dict[str, Any]
    decision: TransactionDecisionView


def decision_view(decided: DecidedTransaction) -> TransactionDecisionView:
    """The answer to `POST /v1/transactions`."""
    return TransactionDecisionView(
        id=decided.transaction.id,
        decision=decided.decision,
        score=decided.score,
        level=decided.level,
        hits=[
            HitView(
                rule=h["rule_id"],
                name=h["name"],
                severity=h["severity"],
                score=h["score"],
                outcome=h["outcome"],
                values=h["values"],
                explanation=h["explanation"],
            )
            for h in decided.hits
        ],
        alert_id=decided.alert_id,
        rule_set=RuleSetRefView(id=decided.rule_set.id, version=decided.rule_set.version),
        decided_at=decided.decided_at,
    )


def transaction_view(decided: DecidedTransaction) -> TransactionView:
    """The answer to `GET /v1/transactions/{id}`."""
    tx = decided.transaction
    return TransactionView(
        id=tx.id,
        customer={"id": tx.customer_id},
        amount=str(tx.amount),
        currency=tx.currency,
        direction=tx.direction,
        type=tx.type,
        counterparty=CounterpartyView(**tx.counterparty.model_dump()),
        time=tx.time,
        channel=tx.channel,
        metadata=tx.metadata,
        decision=decision_view(decided),
    )
