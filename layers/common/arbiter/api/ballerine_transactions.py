"""Ballerine's transaction API on Arbiter's monitoring: `POST /api/v1/external/transactions` (one, decided at once),
`…/bulk` (an array, queued as a batch), both also in Ballerine's flat body (`…/alt`, `…/alt/bulk`), and `GET`
(listed back, newest first, as Ballerine's records). The bodies are Ballerine's (`TransactionCreateDto`:
`correlationId`, `date`, `amount`, `currency`, `originator` and `beneficiary` with their `correlationId` and
`businessData` or `endUserData`, `direction`, `payment`…), and so are the answers (`{id, correlationId}`; per
item `{status, data}` in bulk, 207 when one failed) and the errors' body (`arbiter.api.errors`).

Who the customer is: Ballerine keeps both parties, monitoring keeps one customer's history. An `inbound`
transaction is its beneficiary's (the money comes in to it), any other its originator's; the other party is the
counterparty (its `correlationId` is the key its windows count it by). What monitoring does not read (the base
amount, the parties' data, payment, product, card, tags…) is kept as the transaction's metadata.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    ValidationError,
    model_validator,
)

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.api.transaction_schemas import (
    MAX_METADATA_BYTES,
    Text,
    Text64,
    Text400,
    TransactionDecisionView,
    as_utc,
    blank_as_absent,
    country_alpha2,
    currency_code,
    decision_view,
)
from arbiter.domain.countries import country_code
from arbiter.domain.errors import BadRequest, InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.domain.transactions import MAX_BATCH_TRANSACTIONS, Counterparty, DecidedTransaction, Transaction
from arbiter.services import transaction_batches, transaction_listing, transactions
from arbiter.services.transaction_listing import MAX_LISTED

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["PREFIX", "BallerineTransaction", "ballerine_transactions_router"]

PREFIX = "/api/v1/external/transactions"

#: A transaction as Ballerine's own tests send it (services/workflows-service/src/transaction/
#: transaction.controller.external.intg.test.ts, `getBaseTransactionData`), with values in place of its fakes.
BALLERINE_TRANSACTION_EXAMPLE: dict[str, Any] = {
    "date": "2026-12-06T10:00:00.000Z",
    "amount": 9800.5,
    "currency": "USD",
    "baseAmount": 9800.5,
    "baseCurrency": "USD",
    "correlationId": "0f6d7c1e-53b1-4a8e-9d0e-1c2b3a4d5e6f",
    "description": "Invoice 4711",
    "category": "Electronics",
    "type": "payment",
    "direction": "inbound",
    "reference": "4711",
    "originator": {
        "correlationId": "end-user-8812",
        "endUserData": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"},
    },
    "beneficiary": {
        "correlationId": "acme-4711",
        "businessData": {"companyName": "Acme Payments GmbH", "registrationNumber": "HRB 123456"},
    },
    "payment": {"method": "credit_card", "type": "instant", "channel": "channel-1"},
}

#: Ballerine's message for a correlation id sent twice in one bulk request (the second is not created).
ALREADY_EXISTS = "Another record with the requested (projectId, transactionCorrelationId) already exists"


class BallerineBusiness(BaseModel):
    """A party's `businessData`: its name and where it is; the rest is kept as sent."""

    model_config = ConfigDict(extra="allow")

    companyName: Text400 = None
    country: Text64 = None
    countryCode: Text64 = None


class BallerineEndUser(BaseModel):
    """A party's `endUserData`: a person's name; the rest is kept as sent."""

    model_config = ConfigDict(extra="allow")

    firstName: Text400 = None
    lastName: Text400 = None


class BallerineParty(BaseModel):
    """An originator or a beneficiary (Ballerine's `CounterpartyInfo`): the integrator's id for it and either a
    business's or a person's data."""

    model_config = ConfigDict(extra="allow")

    correlationId: Annotated[Text, Field(min_length=1, max_length=256)]
    sortCode: Text64 = None
    bankCountry: Annotated[
        Text64,
        AfterValidator(lambda v: country_alpha2(v) if v else v),
        Field(description="ISO 3166 code or name"),
    ] = None
    businessData: Annotated[BallerineBusiness | None, BeforeValidator(blank_as_absent)] = None
    endUserData: Annotated[BallerineEndUser | None, BeforeValidator(blank_as_absent)] = None

    @model_validator(mode="after")
    def _one_kind(self) -> BallerineParty:
        if self.businessData is not None and self.endUserData is not None:
            raise ValueError("Counterparty must have either business or end user data, not both")
        return self

    def name(self) -> str | None:
        if self.businessData is not None:
            return self.businessData.companyName
        if self.endUserData is not None:
            parts = (self.endUserData.firstName, self.endUserData.lastName)
            return " ".join(part for part in parts if part) or None
        return None

    def country(self) -> str | None:
        """Its bank's country, else its business's country when that names one."""
        if self.bankCountry:
            return self.bankCountry
        business = self.businessData
        for value in (business.countryCode, business.country) if business is not None else ():
            code = country_code(value) if value else None
            if code is not None:
                return code
        return None


#: The fields a transaction is decided on; every other field sent is kept as its metadata.
_READ = frozenset(("correlationId", "date", "amount", "currency", "direction", "type"))


class BallerineTransaction(BaseModel):
    """Ballerine's `TransactionCreateDto`. As in Ballerine, an optional field that is absent, null or an empty
    string is not given, and fields Arbiter does not read are accepted (and kept as the transaction's metadata).
    Ballerine requires `baseAmount` and `baseCurrency`; Arbiter does not read them and takes the transaction
    without them."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [BALLERINE_TRANSACTION_EXAMPLE]})

    correlationId: Annotated[
        Text, Field(min_length=1, max_length=128, description="Your id; the same id twice is one transaction")
    ]
    date: Annotated[dt.datetime, AfterValidator(as_utc), Field(description="ISO 8601; UTC if no offset")]
    amount: Annotated[Decimal, Field(gt=0, lt=Decimal("1e15"), decimal_places=8)]
    currency: Annotated[Text, AfterValidator(currency_code), Field(description="ISO 4217, e.g. USD")]
    baseAmount: Annotated[Decimal | None, BeforeValidator(blank_as_absent)] = None
    baseCurrency: Text64 = None
    direction: Annotated[
        Literal["inbound", "outbound"] | None,
        BeforeValidator(lambda v: blank_as_absent(v.lower()) if isinstance(v, str) else v),
        Field(description="inbound: the beneficiary's transaction; outbound (the default): the originator's"),
    ] = None
    type: Annotated[Text64, Field(description="deposit, withdrawal, transfer, payment (the default)…")] = None
    originator: BallerineParty
    beneficiary: BallerineParty
    payment: Annotated[dict[str, Any] | None, BeforeValidator(blank_as_absent)] = None

    #: What the transaction keeps of the body beyond what monitoring reads: the rest, as sent (blanks left out);
    #: worked out once, when the body is read.
    _metadata: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _metadata_fits(self) -> BallerineTransaction:
        kept = self.model_dump(mode="json", exclude=set(_READ), exclude_none=True)
        self._metadata = {key: value for key, value in kept.items() if blank_as_absent(value) is not None}
        size = len(json.dumps(self._metadata, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_METADATA_BYTES:
            raise ValueError(
                f"the fields kept beside the transaction are {size // 1024} KB as JSON; at most 16 KB is kept"
            )
        return self

    def transaction(self) -> Transaction:
        """The transaction as monitoring decides it: its customer's, against the other party."""
        inbound = self.direction == "inbound"
        customer, other = (
            (self.beneficiary, self.originator) if inbound else (self.originator, self.beneficiary)
        )
        channel = (self.payment or {}).get("channel")
        return Transaction(
            id=self.correlationId,
            customer_id=customer.correlationId,
            amount=self.amount,
            currency=self.currency,
            direction="inbound" if inbound else "outbound",
            type=self.type or "payment",
            counterparty=Counterparty(
                name=other.name(), account=other.correlationId, country=other.country()
            ),
            time=self.date,
            channel=(channel.strip()[:64] or None) if isinstance(channel, str) else None,
            metadata=self._metadata,
        )


class BallerineAltFields(BaseModel):
    """Ballerine's other transaction body (`TransactionCreateAltDto`: flat `tx_…`, `counterparty_…` and
    `customer_…` fields), read as Ballerine reads it: the customer is the `beneficiary` unless `tx_direction` is
    `outbound`, the counterparty a person. Ballerine requires the base amount and currency, the product, the
    counterparty's institution and name and the customer's name, address, country and type; Arbiter reads none of
    them and takes the transaction without them."""

    model_config = ConfigDict(extra="allow")

    tx_id: Annotated[Text, Field(min_length=1, max_length=128)]
    tx_date_time: Annotated[dt.datetime, AfterValidator(as_utc)]
    tx_amount: Annotated[Decimal, Field(gt=0, lt=Decimal("1e15"), decimal_places=8)]
    tx_currency: Annotated[Text, AfterValidator(currency_code)]
    tx_base_amount: Annotated[Decimal | None, BeforeValidator(blank_as_absent)] = None
    tx_base_currency: Text64 = None
    tx_reference_text: Text400 = None
    tx_direction: Annotated[
        Literal["inbound", "outbound"] | None,
        BeforeValidator(lambda v: blank_as_absent(v.lower()) if isinstance(v, str) else v),
    ] = None
    tx_mcc_code: Text64 = None
    tx_payment_channel: Text64 = None
    tx_product: Text64 = None
    tx_type: Text64 = None
    counterparty_id: Annotated[Text, Field(min_length=1, max_length=256)]
    counterparty_institution_id: Text64 = None
    counterparty_institution_name: Text400 = None
    counterparty_name: Text400 = None
    counterparty_type: Text64 = None
    customer_id: Annotated[Text, Field(min_length=1, max_length=256)]
    customer_name: Text400 = None
    customer_address: Text400 = None
    customer_country: Text64 = None
    customer_postcode: Text64 = None
    customer_state: Text64 = None
    customer_type: Text64 = None

    def original(self) -> BallerineTransaction:
        """The body as Ballerine turns it into its `TransactionCreateDto`; what that one does not hold (the
        counterparty's institution, your own fields) is kept in its `additionalInfo`."""
        first, _, last = (self.counterparty_name or "").rpartition(" ")
        customer = {
            "correlationId": self.customer_id,
            "businessData": {
                "companyName": self.customer_name,
                "businessType": self.customer_type,
                "country": self.customer_country,
                "address": {
                    "street": self.customer_address,
                    "postcode": self.customer_postcode,
                    "state": self.customer_state,
                    "country": self.customer_country,
                },
            },
        }
        counterparty = {
            "correlationId": self.counterparty_id,
            "endUserData": {"firstName": first or None, "lastName": last or None},
        }
        outbound = self.tx_direction == "outbound"
        read = set(type(self).model_fields) - {
            "tx_type",
            "counterparty_institution_id",
            "counterparty_institution_name",
            "counterparty_type",
        }
        body = {
            "correlationId": self.tx_id,
            "date": self.tx_date_time,
            "amount": self.tx_amount,
            "currency": self.tx_currency,
            "baseAmount": self.tx_base_amount,
            "baseCurrency": self.tx_base_currency,
            "description": self.tx_reference_text,
            "reference": self.tx_reference_text,
            "direction": "outbound" if outbound else "inbound",
            "originator": customer if outbound else counterparty,
            "beneficiary": counterparty if outbound else customer,
            "payment": {
                "channel": self.tx_payment_channel,
                "mccCode": self.tx_mcc_code,
                "brandName": self.tx_product,
            },
            "additionalInfo": self.model_dump(mode="json", exclude=read, exclude_none=True) or None,
        }
        try:
            return BallerineTransaction.model_validate(body)
        except ValidationError as refused:
            raise InvalidInput(f"data: {refused.errors()[0]['msg']}", path="data") from None


class BallerineAltTransaction(BaseModel):
    """Ballerine's `TransactionCreateAltDtoWrapper`: the fields under `data`."""

    model_config = ConfigDict(extra="allow")

    data: BallerineAltFields


class BallerineTransactionCreated(TransactionDecisionView):
    """Ballerine's answer (`{id, correlationId}`; the id is the correlation id, Arbiter's transaction id) and the
    decision, as `POST /v1/transactions` answers it."""

    correlationId: str


class BulkCreated(BaseModel):
    """Ballerine's `{id, correlationId}` of a queued transaction, and the batch it was queued in
    (`GET /v1/transactions/batches/{batchId}` says how far it went)."""

    id: str
    correlationId: str
    batchId: str


class BulkQueued(BaseModel):
    status: Literal["success"] = "success"
    data: BulkCreated


class BulkRepeat(BaseModel):
    """Ballerine's `{correlationId}` of an item that is not created."""

    correlationId: str


class BulkFailed(BaseModel):
    status: Literal["failed"] = "failed"
    error: str
    data: BulkRepeat


#: One item of the bulk answer, in the request's order: queued, or not with the reason (as Ballerine writes them:
#: no `error` on a success, no `id` on a failure).
BulkItem = BulkQueued | BulkFailed


class BulkAnswer(RootModel[list[BulkItem]]):
    """Ballerine's bulk answer: an item per transaction sent, in the same order."""


class PartyBusiness(BaseModel):
    correlationId: str
    companyName: str | None


class PartyEndUser(BaseModel):
    correlationId: str
    firstName: str | None
    lastName: str | None


class PartyView(BaseModel):
    """A party of a listed transaction, as Ballerine lists it (`null` parts: not known)."""

    correlationId: str | None
    business: PartyBusiness | None
    endUser: PartyEndUser | None


class DecisionSummary(BaseModel):
    """Arbiter's decision on the transaction (`GET /v1/transactions/{id}` has it whole)."""

    decision: Literal["allow", "review", "block"]
    score: float
    alert_id: str | None


class TransactionRecordView(BaseModel):
    """A transaction as Ballerine lists it (its `TransactionRecord`'s fields Arbiter has), with the decision."""

    id: str
    transactionCorrelationId: str
    transactionDate: dt.datetime
    transactionAmount: float
    transactionCurrency: str
    transactionBaseAmount: float | None
    transactionBaseCurrency: str | None
    transactionDescription: str | None
    transactionCategory: str | None
    transactionReference: str | None
    transactionType: str
    transactionDirection: Literal["inbound", "outbound"]
    paymentMethod: str | None
    paymentChannel: str | None
    tags: Any = None
    additionalInfo: Any = None
    counterpartyOriginatorId: str | None
    counterpartyBeneficiaryId: str | None
    counterpartyOriginator: PartyView
    counterpartyBeneficiary: PartyView
    createdAt: dt.datetime
    updatedAt: dt.datetime
    decision: DecisionSummary


class TransactionRecordList(RootModel[list[TransactionRecordView]]):
    """Ballerine's list answer: an array, newest first."""


def _party(sent: Any, correlation_id: str | None, name: str | None = None) -> PartyView:
    """A party as sent in Ballerine's body (kept in the metadata), else what monitoring knows of it: its id, and for
    a counterparty sent to `/v1/transactions` its name as a business's."""
    if isinstance(sent, dict) and sent.get("correlationId"):
        party = sent["correlationId"]
        business, person = sent.get("businessData"), sent.get("endUserData")
        return PartyView(
            correlationId=party,
            business=PartyBusiness(correlationId=party, companyName=business.get("companyName"))
            if isinstance(business, dict)
            else None,
            endUser=PartyEndUser(
                correlationId=party, firstName=person.get("firstName"), lastName=person.get("lastName")
            )
            if isinstance(person, dict)
            else None,
        )
    known = correlation_id is not None and name is not None
    return PartyView(
        correlationId=correlation_id,
        business=PartyBusiness(correlationId=correlation_id, companyName=name) if known else None,
        endUser=None,
    )


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _payment_method(decided: DecidedTransaction) -> str | None:
    """The `payment.method` sent in Ballerine's body, if any."""
    payment = decided.transaction.metadata.get("payment")
    return _text(payment.get("method")) if isinstance(payment, dict) else None


def record_view(decided: DecidedTransaction) -> TransactionRecordView:
    """A decided transaction as Ballerine lists it: the parties as its body sent them, or, for one sent to
    `/v1/transactions`, the customer and the counterparty in the places its direction gives them."""
    tx, meta = decided.transaction, decided.transaction.metadata
    other = tx.counterparty.account or tx.counterparty.name
    customer = _party(None, tx.customer_id)
    counterparty = _party(None, other, tx.counterparty.name)
    originator, beneficiary = (
        (counterparty, customer) if tx.direction == "inbound" else (customer, counterparty)
    )
    originator = _party(meta.get("originator"), None) if "originator" in meta else originator
    beneficiary = _party(meta.get("beneficiary"), None) if "beneficiary" in meta else beneficiary
    return TransactionRecordView(
        id=tx.id,
        transactionCorrelationId=tx.id,
        transactionDate=tx.time,
        transactionAmount=float(tx.amount),
        transactionCurrency=tx.currency,
        transactionBaseAmount=_number(meta.get("baseAmount")),
        transactionBaseCurrency=_text(meta.get("baseCurrency")),
        transactionDescription=_text(meta.get("description")),
        transactionCategory=_text(meta.get("category")),
        transactionReference=_text(meta.get("reference")),
        transactionType=tx.type,
        transactionDirection=tx.direction,
        paymentMethod=_payment_method(decided),
        paymentChannel=tx.channel,
        tags=meta.get("tags"),
        additionalInfo=meta.get("additionalInfo"),
        counterpartyOriginatorId=originator.correlationId,
        counterpartyBeneficiaryId=beneficiary.correlationId,
        counterpartyOriginator=originator,
        counterpartyBeneficiary=beneficiary,
        createdAt=decided.decided_at,
        updatedAt=decided.decided_at,
        decision=DecisionSummary(decision=decided.decision, score=decided.score, alert_id=decided.alert_id),
    )


#: Ballerine's `timeUnit`s, as the span of one.
TIME_UNITS = {
    "minutes": dt.timedelta(minutes=1),
    "hours": dt.timedelta(hours=1),
    "days": dt.timedelta(days=1),
    "weeks": dt.timedelta(weeks=1),
    "months": dt.timedelta(days=30),
    "years": dt.timedelta(days=365),
}
#: The orders a list can be read in: the time, newest first (Ballerine's default is `createdAt:desc`).
ORDERS = ("createdAt:desc", "transactionDate:desc")


def _moment(value: str | None, name: str) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
        at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    except ValueError:
        raise BadRequest(f"{name} {value!r} is not an ISO 8601 date", path=name) from None
    except OverflowError:
        raise BadRequest(f"{name} {value!r} is out of range", path=name) from None
    if at.year > 9998:  # a list reads up to a microsecond past its end
        raise BadRequest(f"{name} {value!r} is out of range", path=name)
    return at


def _named_as_sent(error: InvalidInput, date: str = "date") -> InvalidInput:
    """A refusal of the service naming the field as the Ballerine body names it (`date`, `[3].date`; `date` is the
    time's name in the body sent)."""
    path = str(error.context.get("path", ""))
    prefix, _, field = path.rpartition(".") if "." in path else ("", "", path)
    if field == "time":
        position = prefix.removeprefix("transactions")
        return InvalidInput(
            error.message.replace("time", date.rpartition(".")[2], 1),
            path=f"{position}.{date}" if position else date,
        )
    return error


def _original(sent: BallerineAltTransaction, where: str) -> BallerineTransaction:
    """The flat body as Ballerine's own, a refusal naming where it was sent (`data`, `[2].data`)."""
    try:
        return sent.data.original()
    except InvalidInput as refused:
        raise InvalidInput(refused.message.replace("data", where, 1), path=where) from None


def ballerine_transactions_router(
    deps: Callable[[], Dependencies], caller: Callable[[], tuple[Principal, Tenant]]
) -> Router:
    """The routes, bound to the function's dependencies and to its authenticated caller."""
    router = Router()
    tags = ["ballerine"]

    @router.post(
        PREFIX,
        summary="Decide a transaction sent as Ballerine sends it",
        operation_id="ballerineCreateTransaction",
        tags=tags,
        responses=responses(
            409, status=201, description="Decided (the same answer every time this id is sent)"
        ),
    )
    def create(body: BallerineTransaction) -> Response[BallerineTransactionCreated]:
        return _decided(body)

    def _decided(sent: BallerineTransaction, date: str = "date") -> Response[BallerineTransactionCreated]:
        principal, _tenant = caller()
        try:
            decided = transactions.decide_transaction(deps(), principal, sent.transaction())
        except InvalidInput as refused:
            raise _named_as_sent(refused, date) from refused
        answer = BallerineTransactionCreated(
            **decision_view(decided).model_dump(), correlationId=decided.transaction.id
        )
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)

    @router.get(
        PREFIX,
        summary="List transactions as Ballerine lists them (newest first)",
        operation_id="ballerineListTransactions",
        tags=tags,
        responses=responses(400),
    )
    def list_records(
        counterparty_id: Annotated[str | None, Query(alias="counterpartyId", max_length=256)] = None,
        start_date: Annotated[str | None, Query(alias="startDate", max_length=64)] = None,
        end_date: Annotated[str | None, Query(alias="endDate", max_length=64)] = None,
        payment_method: Annotated[str | None, Query(alias="paymentMethod", max_length=64)] = None,
        time_value: Annotated[int | None, Query(alias="timeValue", ge=1, le=100_000)] = None,
        time_unit: Annotated[str | None, Query(alias="timeUnit", max_length=16)] = None,
        number: Annotated[int, Query(alias="page[number]", ge=1, le=MAX_LISTED)] = 1,
        size: Annotated[
            int, Query(alias="page[size]", ge=1, le=MAX_BATCH_TRANSACTIONS)
        ] = MAX_BATCH_TRANSACTIONS,
        order_by: Annotated[str, Query(alias="orderBy", max_length=64)] = ORDERS[0],
    ) -> TransactionRecordList:
        principal, _tenant = caller()
        if order_by not in ORDERS:
            raise BadRequest(
                f"orderBy {order_by!r}: transactions are listed by their time, newest first ({', '.join(ORDERS)})",
                path="orderBy",
            )
        start, end = _moment(start_date, "startDate"), _moment(end_date, "endDate")
        if start is None and time_value is not None:
            unit = TIME_UNITS.get(time_unit or "")
            if unit is None:
                raise BadRequest(f"timeUnit is one of {', '.join(TIME_UNITS)}", path="timeUnit")
            try:
                start = (end or deps().now()) - unit * time_value
            except OverflowError:
                raise BadRequest("timeValue reaches before the year 1", path="timeValue") from None
        method = payment_method.strip() if payment_method and payment_method.strip() else None
        found = transaction_listing.list_transactions(
            deps(),
            principal,
            customer_id=counterparty_id.strip() if counterparty_id and counterparty_id.strip() else None,
            start=start,
            end=end,
            offset=(number - 1) * size,
            limit=size,
            keep=(lambda d: _payment_method(d) == method) if method else None,
        )
        return TransactionRecordList([record_view(decided) for decided in found])

    @router.post(
        f"{PREFIX}/bulk",
        summary="Queue transactions sent as Ballerine sends them (decided within seconds)",
        operation_id="ballerineCreateTransactions",
        tags=tags,
        responses=responses(
            status=201,
            description="Every item queued; 207 when one is a repeat of an earlier item's correlationId",
        ),
    )
    def create_bulk(
        body: Annotated[list[BallerineTransaction], Body(max_length=MAX_BATCH_TRANSACTIONS)],
    ) -> Response[BulkAnswer]:
        return _queued(body)

    def _queued(sent: list[BallerineTransaction], date: str = "date") -> Response[BulkAnswer]:
        principal, _tenant = caller()
        items: list[BulkItem] = []
        if sent:
            repeats: dict[int, int] = {}
            try:
                accepted = transaction_batches.accept_batch(
                    deps(), principal, [item.transaction() for item in sent], repeats
                )
            except InvalidInput as refused:
                raise _named_as_sent(refused, date) from refused
            for index, item in enumerate(sent):
                its = item.correlationId
                items.append(
                    BulkFailed(error=ALREADY_EXISTS, data=BulkRepeat(correlationId=its))
                    if index in repeats
                    else BulkQueued(data=BulkCreated(id=its, correlationId=its, batchId=accepted.batch_id))
                )
        status = 207 if any(isinstance(item, BulkFailed) for item in items) else 201
        return Response(
            status_code=status, content_type=content_types.APPLICATION_JSON, body=BulkAnswer(items)
        )

    @router.post(
        f"{PREFIX}/alt",
        summary="Decide a transaction sent in Ballerine's flat body (tx_…, counterparty_…, customer_…)",
        operation_id="ballerineCreateAltTransaction",
        tags=tags,
        responses=responses(
            409, status=201, description="Decided (the same answer every time this id is sent)"
        ),
    )
    def create_alt(body: BallerineAltTransaction) -> Response[BallerineTransactionCreated]:
        return _decided(_original(body, "data"), "data.tx_date_time")

    @router.post(
        f"{PREFIX}/alt/bulk",
        summary="Queue transactions sent in Ballerine's flat body (decided within seconds)",
        operation_id="ballerineCreateAltTransactions",
        tags=tags,
        responses=responses(
            status=201,
            description="Every item queued; 207 when one is a repeat of an earlier item's tx_id",
        ),
    )
    def create_alt_bulk(
        body: Annotated[list[BallerineAltTransaction], Body(max_length=MAX_BATCH_TRANSACTIONS)],
    ) -> Response[BulkAnswer]:
        return _queued(
            [_original(item, f"[{index}].data") for index, item in enumerate(body)], "data.tx_date_time"
        )

    return router
