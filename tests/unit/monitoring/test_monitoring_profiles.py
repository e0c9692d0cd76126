"""A customer's profile: packed and unpacked as it was, buckets dropped past their retention, the profile read left
as it was, and a customer counted before profiles existed keeping its history (DynamoDB adapter on the local
stack's moto)."""

from __future__ import annotations

import datetime as dt
import secrets
import zlib
from decimal import Decimal

import orjson

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.profiles import pack_profile, unpack_profile
from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
from arbiter.domain.monitoring import (
    EVERYTHING,
    Bucket,
    CurrencyTotals,
    History,
    Needs,
    Profile,
    Seen,
    bucket_start,
    changes_for,
    id_mark,
    monitoring_context,
)
from arbiter.domain.transactions import Counterparty, DecidedTransaction, MonitoringRuleSet, Transaction
from tests.unit.monitoring.test_monitoring_aggregates import tx

T0 = dt.datetime(2026, 12, 6, 10, 7, 3, 250_000, tzinfo=dt.UTC)


def counted(profile: Profile, transaction: Transaction) -> Profile:
    history = History(profile=profile)
    profile.read(transaction, history)
    return changes_for(transaction, history).profile


def test_a_profile_unpacks_as_it_was_packed():
    profile = Profile(
        version=7,
        customer=Seen(first=T0 - dt.timedelta(days=400), last=T0, count=12),
        countries={"FR": Seen(first=T0 - dt.timedelta(days=3), last=T0, count=2)},
        recent=(0, 7, 0xFFFFFFFF, id_mark("tx-1")),
    )
    profile.series["D"]["2026-12-06"] = Bucket(
        "2026-12-06",
        3,
        {
            "EUR": CurrencyTotals(2, Decimal("1000.10"), Decimal("999.99"), Decimal("0.11")),
            "USD": CurrencyTotals(1, Decimal("0.000001"), None, Decimal(0)),
        },
        frozenset({"3f1c0a", "77aa01"}),
    )
    profile.series["M"]["2026-12-06T10:00"] = Bucket(
        "2026-12-06T10:00", 1, {"EUR": CurrencyTotals(1, Decimal(5))}
    )
    back = unpack_profile(pack_profile(profile), 7)
    assert back == profile  # every bucket, total (a max never set stays None), marker to the microsecond
    assert unpack_profile(pack_profile(back), 7) == profile  # an unchanged bucket is written back as read
    assert back.counted_recently("tx-1")
    assert not back.counted_recently("tx-2")
    # The recent marks as the first profiles wrote them (a list of numbers) still read.
    content = orjson.loads(zlib.decompress(pack_profile(profile)))
    content["r"] = list(profile.recent)
    assert unpack_profile(zlib.compress(orjson.dumps(content)), 7).recent == profile.recent


def test_counting_makes_a_new_profile_and_leaves_the_one_read_as_it_was():
    first = counted(Profile(), tx(1, T0, "40", counterparty=Counterparty(account="A", country="FR")))
    packed = pack_profile(first)
    second = counted(unpack_profile(packed, 1), tx(2, T0 + dt.timedelta(minutes=1), "60"))
    assert pack_profile(unpack_profile(packed, 1)) == packed
    day = second.series["D"][bucket_start(T0, "D")]
    assert (day.count, day.totals["EUR"].sum, day.totals["EUR"].max) == (2, Decimal(100), Decimal(60))
    assert second.customer is not None
    assert second.customer.count == 2
    assert second.countries["FR"].count == 1
    assert first.series["D"][bucket_start(T0, "D")].count == 1


def test_buckets_go_when_the_newest_is_past_their_retention_and_a_late_one_drops_nothing():
    profile = Profile()
    for days in (120, 99, 5):
        profile = counted(profile, tx(f"d{days}", T0 - dt.timedelta(days=days)))
    profile = counted(profile, tx("now", T0))
    days_kept = sorted(profile.series["D"])
    assert days_kept == ["2026-08-29", "2026-12-01", "2026-12-06"]  # 120 days back went, 99 is within 100
    assert list(profile.series["M"]) == [bucket_start(T0, "M")]  # ten-minute buckets: two days
    late = counted(profile, tx("late", T0 - dt.timedelta(days=150)))
    assert len(late.series["D"]) == 4  # a late transaction lands and drops nothing
    context = monitoring_context(tx("probe", T0), _history(late, tx("probe", T0)))
    assert context["window"]["90d"]["count"] == 2  # 5 days ago and today
    assert context["customer"]["transactions"] == 5


def _history(profile: Profile, probe: Transaction) -> History:
    history = History(profile=profile)
    profile.read(probe, history)
    return history


def test_a_customer_counted_before_profiles_keeps_its_history(stack):
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    store = DynamoTransactionStore(client, table)
    tenant_id = f"t-{secrets.token_hex(5)}"
    pk = keys.customer_pk(tenant_id, "cust-1")
    earlier = T0 - dt.timedelta(days=2)
    legacy = [  # as the store wrote them before profiles: a daily bucket, the customer's and a country's marker
        {
            "sk": {"S": keys.bucket_sk("customer", "cust-1", "D", bucket_start(earlier, "D"))},
            "n": {"N": "2"},
            "n_EUR": {"N": "2"},
            "s_EUR": {"N": "700.5"},
            "x_EUR": {"N": "500"},
            "i_EUR": {"N": "200.5"},
            "cp": {"SS": ["3f1c0a"]},
        },
        {
            "sk": {"S": keys.seen_sk("customer", "cust-1")},
            "first": {"S": keys.timestamp(earlier)},
            "n": {"N": "2"},
        },
        {
            "sk": {"S": keys.seen_sk("country", "IR")},
            "first": {"S": keys.timestamp(earlier)},
            "n": {"N": "2"},
        },
    ]
    for item in legacy:
        item["last"] = item.get("first", {"S": keys.timestamp(earlier)})
        client.put_item(TableName=table, Item={"pk": {"S": pk}, **item})
    probe = tx(1, T0, counterparty=Counterparty(name="Northwind", country="IR"))
    history = store.history(tenant_id, probe)
    context = monitoring_context(probe, history)
    assert context["window"]["7d"] == {**context["window"]["7d"], "count": 2, "sum": 700.5, "max": 500.0}
    assert context["window"]["7d"]["counterparties"] == 1
    assert (context["customer"]["transactions"], context["country"]["first_seen"]) == (2, False)
    decided = DecidedTransaction(
        tenant_id=tenant_id,
        transaction=probe,
        decision="allow",
        score=0,
        level="low",
        rule_set=MonitoringRuleSet(id="transaction-monitoring", version=1),
        decided_at=T0,
    )
    store.record(decided, changes_for(probe, history), None, [])
    item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": keys.PROFILE_SK}})["Item"]
    profile = unpack_profile(item["p"]["B"], int(item["v"]["N"]))
    assert profile.customer is not None
    assert profile.customer.count == 3
    assert profile.countries["IR"].count == 3
    assert profile.series["D"][bucket_start(earlier, "D")].totals["EUR"].sum == Decimal("700.5")
    after = monitoring_context(tx(2, T0), store.history(tenant_id, tx(2, T0)))
    assert after["window"]["7d"]["count"] == 3


def test_a_decision_is_stored_compressed_and_one_stored_as_plain_json_still_reads(stack):
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    store = DynamoTransactionStore(client, table)
    tenant_id = f"t-{secrets.token_hex(5)}"
    decided = DecidedTransaction(
        tenant_id=tenant_id,
        transaction=tx("new", T0),
        decision="allow",
        score=0,
        level="low",
        rule_set=MonitoringRuleSet(id="transaction-monitoring", version=1),
        decided_at=T0,
    )
    probe = decided.transaction
    store.record(decided, changes_for(probe, store.history(tenant_id, probe)), None, [])
    key = {"pk": {"S": keys.transaction_pk(tenant_id, "tx-new")}, "sk": {"S": keys.TRANSACTION_SK}}
    item = client.get_item(TableName=table, Key=key)["Item"]
    assert "B" in item["data"]
    assert len(item["data"]["B"]) < len(decided.model_dump_json())
    assert store.get(tenant_id, "tx-new") == decided
    before = decided.model_copy(update={"transaction": tx("old", T0)})
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": keys.transaction_pk(tenant_id, "tx-old")},
            "sk": {"S": keys.TRANSACTION_SK},
            "data": {"S": before.model_dump_json()},
        },
    )
    assert store.get(tenant_id, "tx-old") == before
    assert store.get_many(tenant_id, ["tx-old", "tx-new"]) == [before, decided]


def test_counterparty_keys_are_kept_only_in_the_buckets_of_windows_whose_counterparties_are_read():
    seven_days = Needs(customer=("1h", "7d", "90d"), counterparty=(), country=(), counterparties=("7d",))
    kept, every = Profile(), Profile()
    for day in range(20):
        for n in range(3):
            payment = tx(
                f"{day}-{n}",
                T0 - dt.timedelta(days=19 - day, hours=n),
                counterparty=Counterparty(account=f"A{day % 9}{n}"),
            )
            kept, every = (
                _counted(p, payment, needs) for p, needs in ((kept, seven_days), (every, EVERYTHING))
            )
    with_keys = {g: sorted(s for s, b in kept.series[g].items() if b.counterparties) for g in ("M", "H", "D")}
    assert with_keys["M"] == with_keys["H"] == []  # no rule reads 1h's or 24h's counterparties
    assert with_keys["D"] == sorted(kept.series["D"])[-7:]  # the 7 days of the 7d window
    assert all(b.counterparties for b in every.series["D"].values())
    probe = tx("probe", T0 + dt.timedelta(minutes=5), counterparty=Counterparty(account="A00"))
    windows = [monitoring_context(probe, _history(p, probe))["window"] for p in (kept, every)]
    assert windows[0]["7d"] == windows[1]["7d"]  # the same counts, sums and counterparties
    assert windows[0]["90d"]["count"] == windows[1]["90d"]["count"] == 60
    assert len(pack_profile(kept)) < len(pack_profile(every))


def _counted(profile: Profile, transaction: Transaction, needs: Needs) -> Profile:
    history = History(profile=profile)
    profile.read(transaction, history)
    return changes_for(transaction, history, needs).profile
