"""Decided transactions, their customers' history buckets and the alerts they open, in DynamoDB.

Reading a customer's history is a bounded number of requests whatever its length: one BatchGetItem of its profile
(`arbiter.domain.monitoring.Profile`: its own buckets and markers, one item), its onboarding record and the
counterparty's marker, and one Query per party range the rule set reads (`reads_for`: at most 90 items each).
Recording a transaction that opens or joins an alert, or counts in party series, is one transaction: the
transaction item (conditional on its id being new: the idempotency marker), the profile's next version
(conditional on the version read), the party buckets and marker, and the alert (`_alert_writes`) with its outbox
events; a repeated id, a profile written since it was read, or a party bucket's max or marker's first/last time that
moved, cancels all of it (`TransactionExists`, `ConcurrentUpdate`), and the decision is taken again on what is there
now. Any other transaction is two writes, each billed once (`_record_in_two`): its claim, then its profile; the
profile's recent ids make sure a claim cut from its count is counted once (`uncounted`, `count`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import RIDING_LIMIT, item_size
from arbiter.adapters.dynamodb.packing import pack
from arbiter.adapters.dynamodb.profiles import pack_profile, unpack_profile
from arbiter.domain.alert_history import AlertAction, AlertFilters
from arbiter.domain.errors import ConcurrentUpdate, InvalidInput, UncountedTransaction
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.monitoring import (
    EVERYTHING,
    RECENT,
    Bucket,
    BucketRange,
    BucketUpdate,
    Changes,
    CurrencyTotals,
    Dimension,
    Granularity,
    History,
    MarkerUpdate,
    Needs,
    Profile,
    Seen,
    reads_for,
)
from arbiter.domain.transactions import Alert, DecidedTransaction, Transaction, counterparty_key, stored_json
from arbiter.services.ports import Page
from arbiter.services.transaction_backtests import CustomerNow

__all__ = ["DynamoTransactionStore", "TransactionExists"]

EVENT_RETENTION = dt.timedelta(days=30)

_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


#: An alert item's revision is the one read (alerts stored before revisions have none: revision 0).
_REVISION_IS = "(#rev = :rev OR (attribute_not_exists(#rev) AND :rev = :zero))"
#: Index items one alerts page reads at most (the queue's filters are applied to what was read).
MAX_LIST_READ = 500


def _encode_cursor(item: dict[str, Any]) -> str:
    key = {name: _deserialize(item[name]) for name in ("pk", "sk", "tenant_pk", "tenant_sk")}
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, partition: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    key: Any = None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        valid = (
            isinstance(key, dict)
            and set(key) == {"pk", "sk", "tenant_pk", "tenant_sk"}
            and key["tenant_pk"] == partition
            and all(isinstance(v, str) for v in key.values())
        )
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInput("the cursor does not belong to this list; start again without it", path="cursor")
    return _item(key)


class TransactionExists(ConcurrentUpdate):
    """A transaction with this id is already recorded (a repeat, or the same one sent twice at once)."""


def _item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(v) for k, v in values.items() if v is not None}


def _values(item: dict[str, Any]) -> dict[str, Any]:
    # Not `items.from_item`: amounts stay Decimal here, exactly as counted.
    return {k: _deserialize(v) for k, v in item.items()}


def _day(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d")


def _profile_of(values: dict[str, Any]) -> Profile:
    """A `PROFILE` item's profile: its packed content (`p`) at its version (`v`)."""
    return unpack_profile(values["p"].value, int(values["v"]))


def _json(values: dict[str, Any]) -> str | bytes:
    """An item's `data`: compressed JSON, or plain JSON as items were written before."""
    data: Any = values["data"]  # str, or boto3's Binary
    return data if isinstance(data, str) else zlib.decompress(data.value)


def _decided(values: dict[str, Any]) -> DecidedTransaction:
    """A transaction item's decision."""
    return DecidedTransaction.model_validate_json(_json(values))


def _alert(values: dict[str, Any]) -> Alert:
    """An alert item's alert (or its entry in the ByTenant index, which projects it)."""
    return Alert.model_validate_json(_json(values))


def _epoch(at: dt.datetime) -> int:
    return int(at.timestamp())


def _bucket(start: str, values: dict[str, Any]) -> Bucket:
    totals: dict[str, CurrencyTotals] = {}
    for name, value in values.items():
        kind, _, currency = name.partition("_")
        if kind in ("n", "s", "x", "i") and len(currency) == 3:
            entry = totals.setdefault(currency, CurrencyTotals())
            if kind == "n":
                entry.count = int(value)
            elif kind == "s":
                entry.sum = Decimal(value)
            elif kind == "i":
                entry.inbound = Decimal(value)
            else:
                entry.max = Decimal(value)
    return Bucket(
        start=start,
        count=int(values.get("n", 0)),
        totals=totals,
        counterparties=frozenset(values.get("cp", set())),
    )


def _seen(values: dict[str, Any] | None) -> Seen | None:
    if not values or "first" not in values:
        return None
    return Seen(
        first=dt.datetime.fromisoformat(values["first"]),
        last=dt.datetime.fromisoformat(values["last"]),
        count=int(values.get("n", 0)),
    )


class DynamoTransactionStore:
    """Implements `arbiter.services.transactions.TransactionStore`."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ------------------------------------------------------------------------------------------ reads
    def get(self, tenant_id: str, transaction_id: str) -> DecidedTransaction | None:
        """The decided transaction, or None (also for another tenant's)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": keys.transaction_pk(tenant_id, transaction_id), "sk": keys.TRANSACTION_SK}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return _decided(_values(response["Item"]))

    def get_alert(self, tenant_id: str, alert_id: str) -> Alert | None:
        """The alert, or None (also for another tenant's)."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": keys.alert_pk(tenant_id, alert_id), "sk": keys.ALERT_SK}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return _alert(_values(response["Item"]))

    def open_alert(self, tenant_id: str, customer_id: str, scenario: str) -> Alert | None:
        """The customer's open alert for `scenario` (its marker, then the alert: two reads), or None."""
        response = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.open_alert_sk(scenario)}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        return self.get_alert(tenant_id, _values(response["Item"])["alert_id"])

    def history(self, tenant_id: str, tx: Transaction, needs: Needs = EVERYTHING) -> History:
        """What a decision on `tx` reads, before `tx` is counted: the customer's profile, its onboarding record and
        the counterparty's marker in one BatchGetItem, and one Query per party range `needs` keeps (`reads_for`)."""
        pk = keys.customer_pk(tenant_id, tx.customer_id)
        buckets: dict[tuple[Dimension, Granularity], Mapping[str, Bucket]] = {}
        for wanted in reads_for(tx, needs, customer=False):
            buckets[(wanted.dimension, wanted.granularity)] = self._buckets(pk, wanted)
        party = counterparty_key(tx.counterparty) if needs.counterparty_seen else None
        marker = keys.seen_sk("counterparty", party) if party else None
        monitored = (keys.monitored_pk(tenant_id), tx.customer_id)
        read = [(pk, keys.PROFILE_SK), monitored] + ([(pk, marker)] if marker else [])
        by_key = self._get_many(read)
        profile = by_key.get((pk, keys.PROFILE_SK))
        # Made with its profile: a History made without one makes an empty profile to be thrown away.
        history = History(
            buckets=buckets,
            profile=_profile_of(profile) if profile is not None else self._profile_before_profiles(pk, tx),
        )
        history.profile.read(tx, history)
        if monitored in by_key:  # the record as the case store writes it with the approval
            onboarded = json.loads(by_key[monitored]["data"])
            history.risk_level = onboarded.get("risk_level")
            if onboarded.get("monthly_limit") is not None and onboarded.get("limit_currency"):
                history.monthly_limit = Decimal(str(onboarded["monthly_limit"]))
                history.limit_currency = onboarded["limit_currency"]
        if marker is not None:
            history.counterparty = _seen(by_key.get((pk, marker)))
        return history

    def _stored_profile(self, pk: str) -> Profile | None:
        """The customer's profile as stored (a consistent read), or None."""
        item = self._get_many([(pk, keys.PROFILE_SK)]).get((pk, keys.PROFILE_SK))
        return None if item is None else _profile_of(item)

    def _get_many(self, read: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """A few small items by key, consistently, in one BatchGetItem (unprocessed keys one by one)."""
        response = self._client.batch_get_item(
            RequestItems={
                self._table: {"Keys": [_item({"pk": p, "sk": s}) for p, s in read], "ConsistentRead": True}
            }
        )
        items = response["Responses"].get(self._table, [])
        for key in response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", []):
            item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
            if item:
                items.append(item)
        return {(v["pk"], v["sk"]): v for v in map(_values, items)}

    def _profile_before_profiles(self, pk: str, tx: Transaction) -> Profile:
        """A customer without a profile: a new one, or, when the customer was counted before profiles were kept,
        one made from its buckets and markers of then (read once: the decision writes the profile)."""
        profile = Profile()
        customer = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": pk, "sk": keys.seen_sk("customer", tx.customer_id)}),
            ConsistentRead=True,
        ).get("Item")
        if customer is None:
            return profile
        profile.customer = _seen(_values(customer))
        for granularity in ("M", "H", "D"):
            prefix = keys.bucket_sk("customer", tx.customer_id, granularity, "")
            for values in map(_values, self._query_prefix(pk, prefix, limit=None)):
                start = values["sk"][len(prefix) :]
                profile.series[granularity][start] = _bucket(start, values)
        country_prefix = keys.seen_sk("country", "")
        for values in map(_values, self._query_prefix(pk, country_prefix, limit=None)):
            seen = _seen(values)
            if seen is not None:
                profile.countries[values["sk"][len(country_prefix) :]] = seen
        return profile

    def _buckets(self, pk: str, wanted: BucketRange) -> dict[str, Bucket]:
        first = keys.bucket_sk(wanted.dimension, wanted.key, wanted.granularity, wanted.first)
        last = keys.bucket_sk(wanted.dimension, wanted.key, wanted.granularity, wanted.last)
        prefix = len(keys.bucket_sk(wanted.dimension, wanted.key, wanted.granularity, ""))
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues=_item({":pk": pk, ":first": first, ":last": last}),
            Limit=wanted.size,
            ConsistentRead=True,
        )
        # `size` buckets of a few hundred bytes each fit in one page (1 MB), so one request reads the range.
        buckets = {}
        for item in response.get("Items", []):
            values = _values(item)
            start = values["sk"][prefix:]
            buckets[start] = _bucket(start, values)
        return buckets

    # ------------------------------------------------------------------------------------------ writes
    def record(
        self, decided: DecidedTransaction, changes: Changes, alert: Alert | None, events: list[ArbiterEvent]
    ) -> None:
        """The transaction, its customer's next profile, the party buckets and marker it counts in and what it
        opens: in one transaction, or, when it opens no alert and counts in nothing but the profile, in two
        writes (`_record_in_two`: a transaction bills every item twice).

        TransactionExists when the id is already recorded; ConcurrentUpdate when the profile is no longer the
        version read, or a party bucket or marker moved; UncountedTransaction when the transaction was stored and
        its profile moved before it was written."""
        tenant_id, tx = decided.tenant_id, decided.transaction
        pk = keys.customer_pk(tenant_id, tx.customer_id)
        if alert is None and not changes.buckets and not changes.markers:
            self._record_in_two(decided, pk, changes.profile)
            return
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._transaction_item(decided),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._profile_write(pk, changes.profile),
        ]
        operations += [self._count(pk, update) for update in changes.buckets]
        operations += [self._mark(pk, update) for update in changes.markers]
        if alert is not None:
            operations += self._alert_writes(alert, tx.id, events)
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise TransactionExists(
                    f"transaction {tx.id} is already recorded", transaction_id=tx.id
                ) from exc
            raise ConcurrentUpdate(
                f"the history of customer {tx.customer_id} changed while transaction {tx.id} was decided",
                transaction_id=tx.id,
            ) from exc

    def _record_in_two(self, decided: DecidedTransaction, pk: str, profile: Profile) -> None:
        """The transaction (only if its id is new: the claim, with the profile version it was decided on), then the
        profile over that version. Cut between the two (a crash), the claim stays without its count: the next
        attempt of the same id finds it (`uncounted`) and counts it. Each write is billed once instead of twice,
        and the profile remembers the ids it counted last, so that a transaction is never counted twice."""
        tx = decided.transaction
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._transaction_item(decided) | _item({"pv": profile.version}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise TransactionExists(f"transaction {tx.id} is already recorded", transaction_id=tx.id) from exc
        self._put_profile(pk, profile, tx, UncountedTransaction)

    def count(self, decided: DecidedTransaction, changes: Changes) -> None:
        """The stored transaction's customer's next profile, only over the version read."""
        tx = decided.transaction
        self._put_profile(
            keys.customer_pk(decided.tenant_id, tx.customer_id), changes.profile, tx, ConcurrentUpdate
        )

    def _put_profile(self, pk: str, profile: Profile, tx: Transaction, moved: type[ConcurrentUpdate]) -> None:
        """The profile's next version alone; `moved` when it is no longer the version read."""
        try:
            self._client.put_item(**self._profile_write(pk, profile)["Put"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise moved(
                f"the history of customer {tx.customer_id} changed before transaction {tx.id} was counted",
                transaction_id=tx.id,
            ) from exc

    def uncounted(self, tenant_id: str, transaction_id: str) -> bool:
        """A transaction stored in two writes (`pv`, the profile version it was decided on) whose profile neither
        counted it (its recent ids) nor moved more than `RECENT` versions past it (then it was counted: a
        transaction whose count is missing holds back its customer's later batch messages until it is counted)."""
        item = self._client.get_item(
            TableName=self._table,
            Key=_item({"pk": keys.transaction_pk(tenant_id, transaction_id), "sk": keys.TRANSACTION_SK}),
            ConsistentRead=True,
            ProjectionExpression="pv, #data",
            ExpressionAttributeNames={"#data": "data"},
        ).get("Item")
        if item is None or "pv" not in item:
            return False
        values = _values(item)
        customer_id = _decided(values).transaction.customer_id
        pk = keys.customer_pk(tenant_id, customer_id)
        found = self._stored_profile(pk)
        if found is None:
            return True
        if found.counted_recently(transaction_id):
            return False
        return found.version <= int(values["pv"]) + RECENT

    def _transaction_item(self, decided: DecidedTransaction) -> dict[str, Any]:
        tenant_id, tx = decided.tenant_id, decided.transaction
        # A transaction sent alone is in the tenant's day index (keys only, one write unit: backtests); one of a
        # batch is listed there by the scoring function with the others it decided (`index_by_day`).
        by_day = (
            {}
            if decided.batch_id is not None
            else {
                "workflow_pk": keys.transaction_day_index_pk(tenant_id, _day(tx.time)),
                "workflow_sk": f"{keys.timestamp(tx.time)}#{tx.id}",
            }
        )
        return _item(
            {
                "pk": keys.transaction_pk(tenant_id, tx.id),
                "sk": keys.TRANSACTION_SK,
                # Compressed: a decision with its hits' values is about 1 KB of JSON, a third of that packed, so the
                # item and its ByEntity entry (which projects it) are each one write unit.
                "data": zlib.compress(stored_json(decided)),
                "entity_pk": keys.customer_transactions_index_pk(tenant_id, tx.customer_id),
                "entity_sk": f"{keys.timestamp(tx.time)}#{tx.id}",
                **by_day,
            }
        )

    def index_by_day(self, tenant_id: str, decided: list[DecidedTransaction]) -> None:
        """List batch transactions decided together under their days (one item per day, keyed by their ids: a
        redelivery writes the same item again), where `transactions_between` finds them."""
        by_day: dict[str, list[DecidedTransaction]] = {}
        for one in decided:
            by_day.setdefault(_day(one.transaction.time), []).append(one)
        for day, found in sorted(by_day.items()):
            listed = sorted((keys.timestamp(d.transaction.time), d.transaction.id) for d in found)
            self._client.put_item(
                TableName=self._table,
                Item=_item(
                    {
                        "pk": keys.transaction_day_pk(tenant_id, day),
                        "sk": f"{listed[0][0]}#{keys.ids_hash([i for _, i in listed])}",
                        "ids": json.dumps(listed),
                    }
                ),
            )

    def _profile_write(self, pk: str, profile: Profile) -> dict[str, Any]:
        """The next version of the profile, only over the version read (or only if there was none)."""
        operation: dict[str, Any] = {
            "TableName": self._table,
            "Item": _item(
                {"pk": pk, "sk": keys.PROFILE_SK, "v": profile.version + 1, "p": pack_profile(profile)}
            ),
        }
        if profile.version:
            operation["ConditionExpression"] = "#v = :v"
            operation["ExpressionAttributeNames"] = {"#v": "v"}
            operation["ExpressionAttributeValues"] = _item({":v": profile.version})
        else:
            operation["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": operation}

    def _count(self, pk: str, update: BucketUpdate) -> dict[str, Any]:
        names = {"#n": "n", "#nc": f"n_{update.currency}", "#s": f"s_{update.currency}", "#e": "expires_at"}
        values: dict[str, Any] = {":one": 1, ":amount": update.amount, ":expires": _epoch(update.expires_at)}
        adds = ["#n :one", "#nc :one", "#s :amount"]
        sets = ["#e = :expires"]
        if update.inbound:
            names["#i"] = f"i_{update.currency}"
            adds.append("#i :amount")
        operation: dict[str, Any] = {
            "TableName": self._table,
            "Key": _item(
                {
                    "pk": pk,
                    "sk": keys.bucket_sk(update.dimension, update.key, update.granularity, update.start),
                }
            ),
        }
        if update.raise_max:
            names["#x"] = f"x_{update.currency}"
            sets.append("#x = :amount")
            # The max read was below this amount: it still must be (or still be absent), else someone raised it.
            operation["ConditionExpression"] = "attribute_not_exists(#x) OR #x < :amount"
        operation["UpdateExpression"] = f"ADD {', '.join(adds)} SET {', '.join(sets)}"
        operation["ExpressionAttributeNames"] = names
        operation["ExpressionAttributeValues"] = _item(values)
        return {"Update": operation}

    def _mark(self, pk: str, update: MarkerUpdate) -> dict[str, Any]:
        names = {"#n": "n"}
        values: dict[str, Any] = {":one": 1}
        sets, conditions = [], []
        if update.first is not None:
            names["#first"] = "first"
            values[":first"] = keys.timestamp(update.first)
            sets.append("#first = :first")
            conditions.append("(attribute_not_exists(#first) OR #first > :first)")
        if update.last is not None:
            names["#last"] = "last"
            values[":last"] = keys.timestamp(update.last)
            sets.append("#last = :last")
            conditions.append("(attribute_not_exists(#last) OR #last < :last)")
        operation: dict[str, Any] = {
            "TableName": self._table,
            "Key": _item({"pk": pk, "sk": keys.seen_sk(update.dimension, update.key)}),
            "UpdateExpression": "ADD #n :one" + (f" SET {', '.join(sets)}" if sets else ""),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _item(values),
        }
        if conditions:
            operation["ConditionExpression"] = " AND ".join(conditions)
        return {"Update": operation}

    def update_alert(
        self, alert: Alert, entry: AlertAction, events: list[ArbiterEvent], closing: bool = False
    ) -> None:
        """The reviewed alert over the revision below it (same transactions), its history entry, its events; when
        `closing`, its scenario's marker deleted."""
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._alert_item(alert),
                    "ConditionExpression": f"#n = :count AND {_REVISION_IS}",
                    "ExpressionAttributeNames": {"#n": "transaction_count", "#rev": "revision"},
                    "ExpressionAttributeValues": _item(
                        {":count": alert.transaction_count, ":rev": alert.revision - 1, ":zero": 0}
                    ),
                }
            },
        ]
        history = _item(
            {
                "pk": keys.alert_pk(alert.tenant_id, alert.id),
                "sk": f"{keys.AUDIT_PREFIX}{keys.timestamp(entry.at)}#{entry.id}",
                "data": entry.model_dump_json(),
            }
        )
        outbox = self._outbox(alert, events, history)
        operations.append({"Put": {"TableName": self._table, "Item": history}})
        if closing and alert.scenario is not None:
            operations.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": _item(
                            {
                                "pk": keys.customer_pk(alert.tenant_id, alert.customer_id),
                                "sk": keys.open_alert_sk(alert.scenario),
                            }
                        ),
                        "ConditionExpression": "alert_id = :id",
                        "ExpressionAttributeValues": _item({":id": alert.id}),
                    }
                }
            )
        operations += outbox
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise ConcurrentUpdate(
                f"alert {alert.id} changed while it was being changed (a transaction joined it, or a reviewer "
                "changed it); look at it again",
                alert_id=alert.id,
            ) from exc

    # ------------------------------------------------------------------------------ the review API's reads
    def list_alerts(
        self, tenant_id: str, filters: AlertFilters, cursor: str | None, limit: int
    ) -> Page[Alert]:
        """Newest first from the ByTenant index, filtered here (the index projects the alert's data only): at most
        `MAX_LIST_READ` items are read per page, so a page may be short and still carry a cursor."""
        partition = keys.tenant_index_pk(tenant_id, "ALERT")
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByTenant",
            "KeyConditionExpression": "tenant_pk = :p",
            "ExpressionAttributeValues": _item({":p": partition}),
            "ScanIndexForward": False,
            "Limit": min(MAX_LIST_READ, max(limit, 50)),
        }
        start = _decode_cursor(cursor, partition)
        if start is not None:
            request["ExclusiveStartKey"] = start
        found: list[Alert] = []
        read = 0
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                read += 1
                alert = _alert(_values(item))
                if filters.match(alert):
                    found.append(alert)
                    if len(found) == limit:
                        return Page(items=found, cursor=_encode_cursor(item))
            last = response.get("LastEvaluatedKey")
            if last is None:
                return Page(items=found)
            if read >= MAX_LIST_READ:
                return Page(items=found, cursor=_encode_cursor(last))
            request["ExclusiveStartKey"] = last

    def alert_history(self, tenant_id: str, alert_id: str) -> list[AlertAction]:
        """The alert's `AUDIT#` items, oldest first."""
        items = self._query_prefix(keys.alert_pk(tenant_id, alert_id), keys.AUDIT_PREFIX, limit=None)
        return [AlertAction.model_validate_json(_values(i)["data"]) for i in items]

    def alert_transactions(self, tenant_id: str, alert_id: str, limit: int) -> list[DecidedTransaction]:
        """The alert's `TX#` links, then the transactions by BatchGetItem (in the order they came)."""
        links = self._query_prefix(keys.alert_pk(tenant_id, alert_id), "TX#", limit=limit)
        ordered = sorted((_values(i) for i in links), key=lambda v: (v.get("at", ""), v["transaction_id"]))
        ids = [v["transaction_id"] for v in ordered]
        return self.get_many(tenant_id, ids)

    def customer_transactions(
        self,
        tenant_id: str,
        customer_id: str,
        since: dt.datetime,
        limit: int,
        until: dt.datetime | None = None,
    ) -> list[DecidedTransaction]:
        """Newest first from the ByEntity index (which projects the transaction's data), up to `until` (included)
        when given. A sort key is the time then `#` and the id: the time a microsecond after `until`, alone, sorts
        after every key of `until` and before every key of its own."""
        bound = "entity_sk >= :since"
        values = {
            ":p": keys.customer_transactions_index_pk(tenant_id, customer_id),
            ":since": keys.timestamp(since),
        }
        if until is not None:
            bound = "entity_sk BETWEEN :since AND :until"
            values[":until"] = keys.timestamp(until + dt.timedelta(microseconds=1))
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByEntity",
            "KeyConditionExpression": f"entity_pk = :p AND {bound}",
            "ExpressionAttributeValues": _item(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        found: list[DecidedTransaction] = []
        while len(found) < limit:
            response = self._client.query(**request)
            found += [_decided(_values(i)) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            request["Limit"] = limit - len(found)
        return found[:limit]

    # ------------------------------------------------------------------------------------ backtests' reads
    def transactions_between(
        self, tenant_id: str, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        """The tenant's transactions of [start, end), oldest first, day by day: those sent alone from the keys-only
        ByWorkflow partition of the day (`sk BETWEEN` the two times: one at exactly `end` sorts after it), those of
        batches from the day's lists (`index_by_day`); then the items by BatchGetItem."""
        ids: list[str] = []
        first, last = keys.timestamp(start), keys.timestamp(end)
        day = start.astimezone(dt.UTC).date()
        while day <= end.astimezone(dt.UTC).date() and len(ids) < limit:
            found: set[tuple[str, str]] = set()
            alone: dict[str, Any] = {
                "IndexName": "ByWorkflow",
                "KeyConditionExpression": "workflow_pk = :p AND workflow_sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": _item(
                    {":p": keys.transaction_day_index_pk(tenant_id, day.isoformat()), ":a": first, ":b": last}
                ),
                "Limit": limit - len(ids),
            }
            for values in self._pages(alone, limit - len(ids)):
                at, _, transaction_id = values["workflow_sk"].partition("#")
                found.add((at, transaction_id))
            listed: dict[str, Any] = {  # a list's sort key is its earliest time: those from before `end`
                "KeyConditionExpression": "pk = :p AND sk < :b",
                "ExpressionAttributeValues": _item(
                    {":p": keys.transaction_day_pk(tenant_id, day.isoformat()), ":b": last}
                ),
            }
            for values in self._pages(listed, None):
                found.update((at, i) for at, i in json.loads(values["ids"]) if first <= at < last)
            ids += [transaction_id for _, transaction_id in sorted(found)][: limit - len(ids)]
            day += dt.timedelta(days=1)
        return self.get_many(tenant_id, ids[:limit])

    def _pages(self, request: dict[str, Any], limit: int | None) -> list[dict[str, Any]]:
        """The items of a Query, page after page (at most `limit` of them when set)."""
        request = {"TableName": self._table, **request}
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            response = self._client.query(**request)
            items += [_values(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return items

    def customer_now(self, tenant_id: str, customer_id: str, before: dt.datetime) -> CustomerNow:
        """The customer's markers (its profile's, and one Query of its `SEEN#` items: the counterparties', and
        those of before profiles), its monitored record's risk level, and its newest transaction before `before`
        (ByEntity, one item)."""
        pk = keys.customer_pk(tenant_id, customer_id)
        found = CustomerNow()
        codes = {code: cast(Dimension, dimension) for dimension, code in keys.DIMENSION_CODES.items()}
        for values in map(_values, self._query_prefix(pk, keys.SEEN_PREFIX, limit=None)):
            code, _, key = values["sk"][len(keys.SEEN_PREFIX) :].partition("#")
            seen = _seen(values)
            if seen is not None and code in codes:
                found.markers[(codes[code], key or customer_id)] = seen
        profile = self._stored_profile(pk)
        if profile is not None:  # newer than the customer's and countries' `SEEN#` items of before profiles
            if profile.customer is not None:
                found.markers[("customer", customer_id)] = profile.customer
            found.markers.update({("country", code): seen for code, seen in profile.countries.items()})
        monitored = self._client.get_item(
            TableName=self._table, Key=_item({"pk": keys.monitored_pk(tenant_id), "sk": customer_id})
        ).get("Item")
        if monitored:
            found.risk_level = json.loads(_values(monitored)["data"]).get("risk_level")
        response = self._client.query(
            TableName=self._table,
            IndexName="ByEntity",
            KeyConditionExpression="entity_pk = :p AND entity_sk < :before",
            ExpressionAttributeValues=_item(
                {
                    ":p": keys.customer_transactions_index_pk(tenant_id, customer_id),
                    ":before": keys.timestamp(before),
                }
            ),
            ScanIndexForward=False,
            Limit=1,
        )
        for item in response.get("Items", []):
            found.last_before = dt.datetime.strptime(
                _values(item)["entity_sk"].split("#", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ"
            ).replace(tzinfo=dt.UTC)
        return found

    def get_many(self, tenant_id: str, ids: list[str]) -> list[DecidedTransaction]:
        """The transactions of `ids`, in that order (BatchGetItem, 100 a call)."""
        found: dict[str, DecidedTransaction] = {}
        for chunk in (ids[i : i + 100] for i in range(0, len(ids), 100)):
            request = {
                self._table: {
                    "Keys": [
                        _item({"pk": keys.transaction_pk(tenant_id, tid), "sk": keys.TRANSACTION_SK})
                        for tid in chunk
                    ]
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    decided = _decided(_values(item))
                    found[decided.transaction.id] = decided
                request = response.get("UnprocessedKeys") or {}
        return [found[tid] for tid in ids if tid in found]

    def _query_prefix(self, pk: str, prefix: str, limit: int | None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": _item({":pk": pk, ":prefix": prefix}),
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            if limit is not None:
                request["Limit"] = limit - len(items)
            response = self._client.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return items

    def _outbox(
        self, alert: Alert, events: list[ArbiterEvent], carrier: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The alert's events for the stream publisher: on `carrier` (an item the same transaction writes new, under
        the alert: the transaction's link, or the history entry) when they fit it in one KB, the way a case's
        audit item carries its change's events (`event`: their JSON list, packed); else items of their own
        (`EVENT#…`), two write units each in the transaction."""
        if not events:
            return []
        packed = pack(json.dumps([e.envelope() for e in events], separators=(",", ":")).encode())
        if item_size({**carrier, "event": {"B": packed}}) <= RIDING_LIMIT:
            carrier["event"] = {"B": packed}
            carrier["detail_type"] = {"S": events[0].type}
            return []
        expires = _epoch(dt.datetime.now(dt.UTC) + EVENT_RETENTION)
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(
                        {
                            "pk": keys.alert_pk(alert.tenant_id, alert.id),
                            "sk": f"{keys.EVENT_PREFIX}{keys.timestamp(event.time)}#{event.id}",
                            "detail_type": event.type,
                            "data": json.dumps(event.envelope()),
                            "expires_at": expires,
                        }
                    ),
                }
            }
            for event in events
        ]

    def _alert_writes(
        self, alert: Alert, transaction_id: str, events: list[ArbiterEvent]
    ) -> list[dict[str, Any]]:
        """Open the alert (and its customer's marker for the scenario), or write it over the open one it joined,
        with its events (`_outbox`: on the transaction's link when they fit).

        Bounded whatever the alert's size: the alert item, one small item for the transaction, and the marker when
        it opens. Race-safe: opening needs the marker absent, joining needs the alert to hold exactly one
        transaction less than this (and to be open); the loser's whole write is cancelled and decided again."""
        carrier = _item(
            {
                "pk": keys.alert_pk(alert.tenant_id, alert.id),
                "sk": keys.alert_transaction_sk(transaction_id),
                "transaction_id": transaction_id,
                "at": keys.timestamp(alert.last_seen_at or alert.created_at),
            }
        )
        outbox = self._outbox(alert, events, carrier)
        link = {"Put": {"TableName": self._table, "Item": carrier}}
        item = self._alert_item(alert)
        if alert.transaction_count == 1:
            marker = {
                "pk": keys.customer_pk(alert.tenant_id, alert.customer_id),
                "sk": keys.open_alert_sk(alert.scenario or ""),
                "alert_id": alert.id,
            }
            return [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _item(marker),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                link,
                *outbox,
            ]
        joined = {
            "Put": {
                "TableName": self._table,
                "Item": item,
                "ConditionExpression": f"#n = :before AND #status = :open AND {_REVISION_IS}",
                "ExpressionAttributeNames": {
                    "#n": "transaction_count",
                    "#status": "status",
                    "#rev": "revision",
                },
                "ExpressionAttributeValues": _item(
                    {
                        ":before": alert.transaction_count - 1,
                        ":open": "open",
                        ":rev": alert.revision,
                        ":zero": 0,
                    }
                ),
            }
        }
        return [joined, link, *outbox]

    def _alert_item(self, alert: Alert) -> dict[str, Any]:
        created = keys.timestamp(alert.created_at)
        return _item(
            {
                "pk": keys.alert_pk(alert.tenant_id, alert.id),
                "sk": keys.ALERT_SK,
                # Compressed: an alert with its hits' values is one to two KB of JSON, a third of that packed, so the
                # item (twice in its transaction) and its ByTenant entry (which projects it) are one unit each.
                "data": zlib.compress(stored_json(alert)),
                "tenant_pk": keys.tenant_index_pk(alert.tenant_id, "ALERT"),
                "tenant_sk": f"{created}#{alert.id}",
                # What a join's condition reads (the data attribute is the whole alert, as JSON).
                "transaction_count": alert.transaction_count,
                "status": alert.status,
                "revision": alert.revision,
            }
        )
