"""A customer's windows as rules read them, kept in time buckets: boundaries, late and repeated transactions,
currencies, distinct counterparties, first seen, days since the last one. Each test runs on the in-memory store
(its profiles packed as the adapter packs them, and kept as objects) and on the DynamoDB adapter against the local
stack's moto: the buckets are the same on all three."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal
from typing import Any

import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.profiles import unpack_profile
from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore, TransactionExists
from arbiter.domain.entity import Entity
from arbiter.domain.errors import ConcurrentUpdate, UncountedTransaction
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.monitoring import (
    MAX_COUNTERPARTIES_PER_BUCKET,
    bucket_start,
    changes_for,
    id_mark,
    monitoring_context,
    reads_for,
)
from arbiter.domain.transactions import (
    Counterparty,
    DecidedTransaction,
    MonitoringRuleSet,
    Transaction,
    counterparty_key,
)
from tests.unit.transaction_fakes import InMemoryTransactions

T0 = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
RULES = MonitoringRuleSet(id="transaction-monitoring", version=1)


@pytest.fixture(params=["memory", "kept", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemoryTransactions()
    if (
        request.param == "kept"
    ):  # profiles kept as objects: a decision counts in place the profile the store holds
        return InMemoryTransactions(packs=False)
    stack = request.getfixturevalue("stack")
    return DynamoTransactionStore(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))


@pytest.fixture
def tenant_id() -> str:
    return f"t-{secrets.token_hex(5)}"


def tx(number: int | str, at: dt.datetime, amount: str = "100", **fields: Any) -> Transaction:
    values: dict[str, Any] = {
        "id": f"tx-{number}",
        "customer_id": "cust-1",
        "amount": Decimal(amount),
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "time": at,
        **fields,
    }
    return Transaction(**values)


def record(store: Any, tenant_id: str, transaction: Transaction) -> None:
    """Count `transaction` as the decision path does: read its history, then write what it changes."""
    history = store.history(tenant_id, transaction)
    store.record(allowed(tenant_id, transaction), changes_for(transaction, history), None, [])


def context(store: Any, tenant_id: str, probe: Transaction) -> dict[str, Any]:
    return monitoring_context(probe, store.history(tenant_id, probe))


def test_a_first_transaction_sees_an_empty_history(store, tenant_id):
    seen = context(store, tenant_id, tx(1, T0, counterparty=Counterparty(name="Acme", country="DE")))
    assert seen["window"]["24h"] == {
        "count": 0,
        "currency_count": 0,
        "sum": 0.0,
        "avg": 0.0,
        "max": 0.0,
        "inbound_sum": 0.0,
        "outbound_sum": 0.0,
        "counterparties": 0,
    }
    assert seen["customer"] == {
        "id": "cust-1",
        "first_transaction": True,
        "transactions": 0,
        "days_since_last": None,
        "days_known": 0.0,
        "risk_level": None,
    }
    assert seen["counterparty"]["first_seen"] is True
    assert seen["country"]["first_seen"] is True


def test_windows_count_sum_average_and_max_the_history_before_the_transaction(store, tenant_id):
    for number, (minutes, amount) in enumerate([(-50, "100"), (-20, "250.50"), (-5, "49.50")]):
        record(store, tenant_id, tx(number, T0 + dt.timedelta(minutes=minutes), amount))
    seen = context(store, tenant_id, tx("probe", T0, "1"))
    assert seen["window"]["1h"] == {
        "count": 3,
        "currency_count": 3,
        "sum": 400.0,
        "avg": pytest.approx(133.333333),
        "max": 250.5,
        "inbound_sum": 0.0,
        "outbound_sum": 400.0,
        "counterparties": 0,
    }
    assert seen["window"]["90d"]["count"] == 3
    assert seen["customer"]["transactions"] == 3
    assert seen["customer"]["days_since_last"] == pytest.approx(5 / 1440, abs=0.001)


def test_windows_keep_what_came_in_apart_from_what_went_out(store, tenant_id):
    record(store, tenant_id, tx("in-1", T0 - dt.timedelta(hours=3), "1200", direction="inbound"))
    record(store, tenant_id, tx("in-2", T0 - dt.timedelta(hours=2), "300.50", direction="inbound"))
    record(store, tenant_id, tx("out-1", T0 - dt.timedelta(hours=1), "100"))
    record(
        store, tenant_id, tx("in-usd", T0 - dt.timedelta(hours=1), "999", currency="USD", direction="inbound")
    )
    window = context(store, tenant_id, tx("probe", T0, "1"))["window"]["24h"]
    assert (window["sum"], window["inbound_sum"], window["outbound_sum"]) == (1600.5, 1500.5, 100.0)


def test_the_customers_onboarding_risk_level_is_read_with_its_markers(store, tenant_id):
    assert context(store, tenant_id, tx(1, T0))["customer"]["risk_level"] is None
    record_ = MonitoredEntity.approved(
        tenant_id,
        "case_1",
        "kyb",
        Entity.model_validate({"type": "business", "id": "cust-1", "business": {"name": "Acme Ltd"}}),
        T0 - dt.timedelta(days=30),
        risk_level="high",
    )
    if isinstance(store, InMemoryTransactions):
        store.monitored[(tenant_id, "cust-1")] = record_
    else:  # the item the case store writes with an approval (adapters/dynamodb/cases.py)
        store._client.put_item(
            TableName=store._table,
            Item={
                "pk": {"S": keys.monitored_pk(tenant_id)},
                "sk": {"S": record_.key},
                "data": {"S": record_.model_dump_json(exclude={"enabled", "tenant_id", "key"})},
                "case_id": {"S": "case_1"},
                "enabled": {"BOOL": True},
            },
        )
    assert context(store, tenant_id, tx(1, T0))["customer"]["risk_level"] == "high"
    assert context(store, tenant_id, tx(1, T0, customer_id="cust-2"))["customer"]["risk_level"] is None


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [
        # A window is the transaction's bucket and the ones before it: 6 ten-minute buckets for 1h…
        ("1h", dt.timedelta(minutes=50), dt.timedelta(minutes=60)),
        # …24 hourly buckets for 24h, 7, 30 and 90 daily buckets for the days.
        ("24h", dt.timedelta(hours=23), dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=6), dt.timedelta(days=7)),
        ("30d", dt.timedelta(days=29), dt.timedelta(days=30)),
        ("90d", dt.timedelta(days=89), dt.timedelta(days=90)),
    ],
)
def test_a_window_ends_at_its_first_bucket(store, tenant_id, window, inside, outside):
    probe_time = T0 + dt.timedelta(minutes=5)  # within the 10:00 bucket of every granularity
    record(store, tenant_id, tx("in", T0 - inside, "10"))
    record(store, tenant_id, tx("out", T0 - outside, "1000"))
    seen = context(store, tenant_id, tx("probe", probe_time))
    assert seen["window"][window]["count"] == 1
    assert seen["window"][window]["sum"] == 10.0


def test_a_window_reads_a_bounded_number_of_buckets_whatever_the_history(store, tenant_id):
    probe = tx("probe", T0, counterparty=Counterparty(account="DE89 3704", country="DE"))
    ranges = reads_for(probe)
    # Customer: 6 ten-minute, 24 hourly, 90 daily buckets; 90 daily ones per counterparty and per country.
    assert [(r.dimension, r.granularity, r.size) for r in ranges] == [
        ("customer", "M", 6),
        ("customer", "H", 24),
        ("customer", "D", 90),
        ("counterparty", "D", 90),
        ("country", "D", 90),
    ]
    for day in range(120):  # a longer history than any window
        record(store, tenant_id, tx(f"d{day}", T0 - dt.timedelta(days=day, minutes=1), "1"))
    history = store.history(tenant_id, probe)
    assert len(history.customer_buckets("D")) == 90
    assert len(history.customer_buckets("H")) == 1  # today 09:00; yesterday 09:59 is before the 24 buckets
    assert monitoring_context(probe, history)["window"]["90d"]["count"] == 90


def test_a_late_transaction_lands_in_the_buckets_of_its_own_time(store, tenant_id):
    record(store, tenant_id, tx(1, T0))
    record(store, tenant_id, tx("late", T0 - dt.timedelta(days=3), "70"))
    now = context(store, tenant_id, tx("probe", T0 + dt.timedelta(minutes=1)))
    assert now["window"]["1h"]["count"] == 1  # only tx-1
    assert now["window"]["7d"] == {**now["window"]["7d"], "count": 2, "sum": 170.0}
    then = context(store, tenant_id, tx("probe-then", T0 - dt.timedelta(days=3, minutes=-1)))
    assert then["window"]["1h"] == {**then["window"]["1h"], "count": 1, "sum": 70.0}
    # Days since the last one, seen from a late transaction: the day of the one before it.
    later = context(store, tenant_id, tx("probe-late", T0 - dt.timedelta(days=1)))
    assert later["customer"]["days_since_last"] == 2.0


def test_a_late_transaction_moves_first_seen_back(store, tenant_id):
    party = Counterparty(name="Northwind", country="IR")
    record(store, tenant_id, tx(1, T0, counterparty=party))
    record(store, tenant_id, tx("late", T0 - dt.timedelta(days=10), counterparty=party))
    earlier = context(store, tenant_id, tx("probe", T0 - dt.timedelta(days=20), counterparty=party))
    assert earlier["counterparty"]["first_seen"] is True  # before everything known
    between = context(store, tenant_id, tx("probe2", T0 - dt.timedelta(days=5), counterparty=party))
    assert between["counterparty"]["first_seen"] is False
    assert between["country"]["first_seen"] is False
    assert between["counterparty"]["transactions"] == 2


def test_the_same_id_is_never_counted_twice(store, tenant_id):
    record(store, tenant_id, tx(1, T0, "500"))
    with pytest.raises(ConcurrentUpdate):  # the adapter's TransactionExists, the fake's AlreadyRecorded
        record(store, tenant_id, tx(1, T0, "500"))
    seen = context(store, tenant_id, tx("probe", T0))
    assert seen["window"]["24h"]["count"] == 1
    assert seen["window"]["24h"]["sum"] == 500.0
    assert seen["customer"]["transactions"] == 1


def test_a_repeat_is_refused_as_the_transaction_it_is(stack, tenant_id):
    store = DynamoTransactionStore(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    record(store, tenant_id, tx(1, T0))
    with pytest.raises(TransactionExists):
        record(store, tenant_id, tx(1, T0))


def allowed(tenant_id: str, transaction: Transaction) -> DecidedTransaction:
    """`transaction` decided `allow` by the default rule set's first version."""
    return DecidedTransaction(
        tenant_id=tenant_id,
        transaction=transaction,
        decision="allow",
        score=0,
        level="low",
        rule_set=RULES,
        decided_at=T0,
    )


def test_a_profile_written_since_it_was_read_leaves_the_transaction_stored_to_be_counted(store, tenant_id):
    stale = store.history(tenant_id, tx(2, T0, "300"))
    record(store, tenant_id, tx(1, T0, "100"))
    record(store, tenant_id, tx(3, T0, "500"))
    with pytest.raises(UncountedTransaction):  # stored first, its profile write refused
        store.record(allowed(tenant_id, tx(2, T0, "300")), changes_for(tx(2, T0, "300"), stale), None, [])
    assert store.get(tenant_id, "tx-2") is not None
    assert store.uncounted(tenant_id, "tx-2")
    assert context(store, tenant_id, tx("probe", T0))["window"]["1h"]["count"] == 2
    fresh = store.history(tenant_id, tx(2, T0, "300"))
    store.count(allowed(tenant_id, tx(2, T0, "300")), changes_for(tx(2, T0, "300"), fresh))
    assert not store.uncounted(tenant_id, "tx-2")
    assert store.history(tenant_id, tx(2, T0)).profile.counted_recently("tx-2")
    seen = context(store, tenant_id, tx("probe", T0))["window"]["1h"]
    assert (seen["count"], seen["max"]) == (3, 500.0)
    with pytest.raises(ConcurrentUpdate):  # counting over a profile that moved again is refused too
        store.count(allowed(tenant_id, tx(2, T0, "300")), changes_for(tx(2, T0, "300"), fresh))


def test_a_write_refused_counts_nothing_in_the_profile(store, tenant_id):
    record(store, tenant_id, tx(1, T0, "100"))
    with pytest.raises(ConcurrentUpdate):  # the id is recorded already (the adapter's TransactionExists)
        record(store, tenant_id, tx(1, T0, "100"))
    party = Counterparty(
        account="DE89 3704", country="DE"
    )  # written in one transaction with its party buckets
    record(store, tenant_id, tx(2, T0, "300", counterparty=party))
    with pytest.raises(ConcurrentUpdate):
        record(store, tenant_id, tx(2, T0, "300", counterparty=party))
    seen = context(store, tenant_id, tx("probe", T0))
    assert (seen["window"]["1h"]["count"], seen["window"]["1h"]["sum"], seen["customer"]["transactions"]) == (
        2,
        400.0,
        2,
    )
    assert store.history(tenant_id, tx("probe", T0)).profile.recent == tuple(
        id_mark(f"tx-{n}") for n in (1, 2)
    )


def test_a_max_raised_since_it_was_read_cancels_the_whole_write(store, tenant_id):
    party = Counterparty(account="DE89 3704", country="DE")  # kept party series: written in one transaction
    stale = store.history(tenant_id, tx(2, T0, "300", counterparty=party))
    record(store, tenant_id, tx(1, T0, "100", counterparty=party))
    record(store, tenant_id, tx(3, T0, "500", counterparty=party))  # raises the max past what `stale` read
    late = tx(2, T0, "300", counterparty=party)
    with pytest.raises(ConcurrentUpdate) as raised:
        store.record(allowed(tenant_id, late), changes_for(late, stale), None, [])
    assert not isinstance(raised.value, UncountedTransaction)
    assert store.get(tenant_id, "tx-2") is None  # nothing of it was written
    assert context(store, tenant_id, tx("probe", T0))["window"]["1h"]["count"] == 2


def test_amounts_are_aggregated_per_currency_and_counted_across_all(store, tenant_id):
    record(store, tenant_id, tx(1, T0, "100"))
    record(store, tenant_id, tx(2, T0, "0.10", currency="USD"))
    record(store, tenant_id, tx(3, T0, "0.20", currency="USD"))
    usd = context(store, tenant_id, tx("probe", T0, currency="USD"))["window"]["1h"]
    assert usd == {**usd, "count": 3, "currency_count": 2, "sum": 0.3, "max": 0.2}
    assert usd["avg"] == pytest.approx(0.15)
    eur = context(store, tenant_id, tx("probe", T0))["window"]["1h"]
    assert eur == {**eur, "count": 3, "currency_count": 1, "sum": 100.0}


def test_sums_are_exact_decimals(store, tenant_id):
    for number in range(10):
        record(store, tenant_id, tx(number, T0, "0.1"))
    history = store.history(tenant_id, tx("probe", T0))
    bucket = history.customer_buckets("H")[bucket_start(T0, "H")]
    assert bucket.totals["EUR"].sum == Decimal("1.0")


def test_distinct_counterparties_are_counted_once_per_window(store, tenant_id):
    for number, (day, account) in enumerate([(0, "A"), (0, "A"), (1, "B"), (2, "a"), (8, "C")]):
        party = Counterparty(account=account, name=f"party {number}")
        record(store, tenant_id, tx(number, T0 - dt.timedelta(days=day), counterparty=party))
    record(store, tenant_id, tx("no-party", T0))
    windows = context(store, tenant_id, tx("probe", T0))["window"]
    assert windows["24h"]["counterparties"] == 1  # A, twice
    assert windows["7d"]["counterparties"] == 2  # A (and "a", the same account), B
    assert windows["30d"]["counterparties"] == 3


def test_a_bucket_remembers_a_bounded_number_of_counterparties(store, tenant_id):
    for number in range(MAX_COUNTERPARTIES_PER_BUCKET + 3):
        record(store, tenant_id, tx(number, T0, counterparty=Counterparty(account=f"ACC{number}")))
    seen = context(store, tenant_id, tx("probe", T0))
    assert seen["window"]["1h"]["count"] == MAX_COUNTERPARTIES_PER_BUCKET + 3
    assert seen["window"]["1h"]["counterparties"] == MAX_COUNTERPARTIES_PER_BUCKET


def test_counterparty_and_country_windows_are_their_own(store, tenant_id):
    north = Counterparty(account="NW-1", country="IR")
    south = Counterparty(account="SW-1", country="IR")
    record(store, tenant_id, tx(1, T0 - dt.timedelta(days=2), "100", counterparty=north))
    record(store, tenant_id, tx(2, T0 - dt.timedelta(days=1), "300", counterparty=south))
    record(store, tenant_id, tx(3, T0 - dt.timedelta(days=1), "900", counterparty=Counterparty(country="DE")))
    seen = context(store, tenant_id, tx("probe", T0, counterparty=north))
    assert seen["counterparty"]["window"]["7d"] == {
        **seen["counterparty"]["window"]["7d"],
        "count": 1,
        "sum": 100.0,
    }
    assert seen["country"]["window"]["7d"] == {**seen["country"]["window"]["7d"], "count": 2, "sum": 400.0}
    assert seen["country"]["transactions"] == 2
    assert seen["counterparty"]["first_seen"] is False
    assert (
        context(store, tenant_id, tx("p2", T0, counterparty=Counterparty(account="new")))["counterparty"][
            "first_seen"
        ]
        is True
    )


def test_customers_and_tenants_do_not_share_history(store, tenant_id):
    record(store, tenant_id, tx(1, T0))
    other_customer = context(store, tenant_id, tx("probe", T0, customer_id="cust-2"))
    other_tenant = context(store, f"{tenant_id}-b", tx("probe", T0))
    assert other_customer["window"]["24h"]["count"] == 0
    assert other_tenant["window"]["24h"]["count"] == 0
    assert other_tenant["customer"]["first_transaction"] is True


def test_buckets_expire_after_their_longest_window(stack, tenant_id):
    store = DynamoTransactionStore(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    party = Counterparty(account="DE89 3704", country="DE")
    record(store, tenant_id, tx("old", T0 - dt.timedelta(days=120), counterparty=party))
    record(store, tenant_id, tx(1, T0, counterparty=party))
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    pk = keys.customer_pk(tenant_id, "cust-1")
    # A party's daily bucket is an item of its own, deleted by the table's TTL after its longest window.
    party_key = keys.bucket_sk("counterparty", counterparty_key(party) or "", "D", "2026-12-06")
    item = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": party_key}})["Item"]
    day_start = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    assert int(item["expires_at"]["N"]) == int((day_start + dt.timedelta(days=100)).timestamp())
    # The customer's own buckets live in its profile, which drops them as the newest moves past their retention;
    # the profile itself (first seen) is for ever.
    profile = client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": keys.PROFILE_SK}})["Item"]
    assert "expires_at" not in profile
    kept = unpack_profile(profile["p"]["B"], int(profile["v"]["N"]))
    assert list(kept.series["D"]) == ["2026-12-06"]
    assert (kept.customer.first, kept.customer.count) == (T0 - dt.timedelta(days=120), 2)


@pytest.mark.parametrize("seed", range(3))
def test_bucket_names_are_utc_and_windows_step_back_a_bucket_at_a_time(seed):
    """The names are formatted by hand (for speed): they are strftime's, in UTC, and a window's buckets are the
    buckets of the times one step apart, whatever the time zone the transaction was sent in."""
    from arbiter.domain import monitoring

    rng = random.Random(seed)
    patterns = {"M": "%Y-%m-%dT%H:%M", "H": "%Y-%m-%dT%H", "D": "%Y-%m-%d"}
    for _ in range(200):
        zone = dt.timezone(dt.timedelta(minutes=rng.choice([-300, 0, 60, 330, 765])))
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(400 * 86400))
        at = at.astimezone(zone).replace(microsecond=rng.randrange(10**6))
        for granularity, pattern in patterns.items():
            utc = at.astimezone(dt.UTC)
            if granularity == "M":
                utc = utc.replace(minute=utc.minute - utc.minute % 10)
            assert bucket_start(at, granularity) == utc.strftime(pattern)
            step = monitoring._STEP[granularity]
            expected = tuple(bucket_start(at - step * back, granularity) for back in range(5, -1, -1))
            assert monitoring._starts(at, granularity, 6) == expected


@pytest.mark.parametrize("seed", range(4))
def test_every_window_is_the_sum_of_its_own_buckets_transactions(seed):
    """The windows of one granularity are summed in one pass (each holds the shorter ones). Against the plain
    definition, transaction by transaction: a window holds the transactions whose bucket is one of the `size` buckets
    ending with the probe's, in any order of arrival, in the probe's currency for sums, any currency for counts."""
    from arbiter.domain.monitoring import PARTY_WINDOWS, WINDOWS

    rng = random.Random(seed)
    store, tenant = InMemoryTransactions(), "t-windows"
    sent: list[Transaction] = []
    for number in range(250):
        at = T0 - dt.timedelta(minutes=rng.randrange(0, 100 * 24 * 60))
        sent.append(
            tx(
                number,
                at,
                amount=f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}",
                currency=rng.choice(["EUR", "EUR", "USD"]),
                direction=rng.choice(["inbound", "outbound"]),
                counterparty=Counterparty(account=f"DE{rng.randrange(6)}", country=rng.choice(["DE", "FR"])),
            )
        )
    rng.shuffle(sent)  # late ones too
    for transaction in sent:
        record(store, tenant, transaction)
    probe = tx("probe", T0 + dt.timedelta(minutes=3), counterparty=Counterparty(account="DE1", country="FR"))
    seen = context(store, tenant, probe)

    def expected(name: str, keep: Any) -> dict[str, Any]:
        granularity, size = WINDOWS[name]
        starts = {
            bucket_start(probe.time - monitoring_step(granularity) * back, granularity)
            for back in range(size)
        }
        inside = [t for t in sent if bucket_start(t.time, granularity) in starts and keep(t)]
        mine = [t.amount for t in inside if t.currency == probe.currency]
        came_in = sum(
            (t.amount for t in inside if t.currency == probe.currency and t.direction == "inbound"),
            Decimal(0),
        )
        return {
            "count": len(inside),
            "currency_count": len(mine),
            "sum": float(sum(mine, Decimal(0))),
            "avg": float(sum(mine, Decimal(0)) / len(mine)) if mine else 0.0,
            "max": float(max(mine)) if mine else 0.0,
            "inbound_sum": float(came_in),
            "outbound_sum": float(sum(mine, Decimal(0)) - came_in),
            "counterparties": len({t.counterparty.account for t in inside}),
        }

    for name in WINDOWS:
        assert seen["window"][name] == expected(name, lambda t: True), name
    for name in PARTY_WINDOWS:
        mine = expected(name, lambda t: t.counterparty.account == "DE1")
        assert seen["counterparty"]["window"][name] == {**mine, "counterparties": 0}, name
        assert seen["country"]["window"][name] == {
            **expected(name, lambda t: t.counterparty.country == "FR"),
            "counterparties": 0,
        }, name


def monitoring_step(granularity: str) -> dt.timedelta:
    return {"M": dt.timedelta(minutes=10), "H": dt.timedelta(hours=1), "D": dt.timedelta(days=1)}[granularity]
