"""A customer's profile: packed and unpacked as it was, buckets dropped past their retention, a transaction counted
in the profile read once, when its store writes it, and a customer counted before profiles existed keeping its
history (DynamoDB adapter on the local stack's moto)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import zlib
from decimal import Decimal

import orjson
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.profiles import DICTIONARY, pack_profile, unpack_profile
from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
from arbiter.domain.monitoring import (
    EVERYTHING,
    Bucket,
    CurrencyTotals,
    History,
    Needs,
    Profile,
    Seen,
    bucket_index,
    bucket_start,
    changes_for,
    id_mark,
    monitoring_context,
    monthly_volume,
)
from arbiter.domain.monitoring_series import party_mark
from arbiter.domain.transactions import Counterparty, Transaction
from tests.unit.monitoring.test_monitoring_aggregates import allowed, tx

T0 = dt.datetime(2026, 12, 6, 10, 7, 3, 250_000, tzinfo=dt.UTC)


def _content(profile: Profile) -> dict:
    """A packed profile's JSON, read by zlib itself (with the preset dictionary its header names)."""
    inflate = zlib.decompressobj(zdict=DICTIONARY)
    return orjson.loads(inflate.decompress(pack_profile(profile)) + inflate.flush())


def counted(profile: Profile, transaction: Transaction) -> Profile:
    history = History(profile=profile)
    profile.read(transaction, history)
    return changes_for(transaction, history).profile


def test_a_profile_read_makes_the_customers_buckets_only_when_asked_for_them():
    profile = Profile()
    for n, days in enumerate((0, 2, 40, 95)):  # the last one is past the 90 days a decision reads
        profile = counted(profile, tx(n, T0 - dt.timedelta(days=days, minutes=3)))
    history = History(profile=profile)
    profile.read(tx("probe", T0), history)
    assert history.buckets == {}  # nothing made yet
    daily = history.customer_buckets("D")
    assert sorted(daily) == [bucket_start(T0 - dt.timedelta(days=d, minutes=3), "D") for d in (40, 2, 0)]
    assert history.customer_buckets("D") is daily  # made once
    assert list(history.buckets) == [("customer", "D")]
    assert sorted(history.customer_buckets("M")) == [bucket_start(T0 - dt.timedelta(minutes=3), "M")]
    assert History().customer_buckets("H") == {}  # no profile read: no buckets


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
    content = _content(profile)
    content["r"] = list(profile.recent)
    assert unpack_profile(zlib.compress(orjson.dumps(content)), 7).recent == profile.recent


@pytest.mark.parametrize("needs", [EVERYTHING, Needs(counterparties=("7d",))])
@pytest.mark.parametrize("transactions", [3, 40, 160])
def test_a_profile_packs_smaller_than_by_zlib_alone_and_one_packed_without_the_dictionary_still_reads(
    transactions: int, needs: Needs
):
    rng = random.Random(transactions)
    profile = Profile()
    for n in range(transactions):
        payment = tx(
            n,
            T0 - dt.timedelta(days=rng.randrange(90), minutes=rng.randrange(1440)),
            f"{rng.uniform(1, 900):.2f}",
            counterparty=Counterparty(
                account=f"DE{rng.randrange(50)}", country=rng.choice(["DE", "FR", "NL"])
            ),
        )
        profile = _counted(profile, payment, needs)
    packed = pack_profile(profile)
    assert packed[1] & 0x20  # RFC 1950's FDICT: a preset dictionary, named by its Adler-32
    assert packed[2:6] == zlib.adler32(DICTIONARY).to_bytes(4, "big")
    raw = orjson.dumps(_content(profile))
    assert len(packed) < len(zlib.compress(raw, 9))  # zlib's best level without the dictionary, as before
    assert unpack_profile(packed, 0) == unpack_profile(zlib.compress(raw, 9), 0) == profile
    assert unpack_profile(zlib.compress(raw, 1), 0) == profile  # any zlib stream without a dictionary


def test_a_profile_cut_short_is_refused():
    packed = pack_profile(Profile(customer=Seen(first=T0, last=T0, count=1)))
    with pytest.raises((ValueError, zlib.error)):
        unpack_profile(packed[:-6], 3)


def test_a_profile_packed_with_a_dictionary_this_code_never_had_is_refused():
    raw = orjson.dumps(_content(Profile()))
    other = zlib.compressobj(9, zdict=b'{"c":[')
    with pytest.raises(ValueError, match="dictionary"):
        unpack_profile(other.compress(raw) + other.flush(), 3)


def test_changes_count_the_profile_read_when_asked_for_it_and_only_once():
    profile = counted(Profile(), tx(1, T0, "40"))
    probe = tx(2, T0 + dt.timedelta(minutes=1), "60")
    history = History(profile=profile)
    profile.read(probe, history)
    changes = changes_for(probe, history)
    assert profile.customer is not None
    assert profile.customer.count == 1  # nothing counted before the store asks for the next profile
    assert changes.version == profile.version
    assert changes.profile is profile
    assert changes.profile is profile  # asked again: not counted twice
    day = profile.series["D"][bucket_start(T0, "D")]
    assert (profile.customer.count, day.count, day.totals["EUR"].sum) == (2, 2, Decimal(100))
    assert profile.recent == (id_mark("tx-1"), id_mark("tx-2"))


def test_counting_a_profile_unpacked_again_leaves_its_bytes_and_the_earlier_profile_as_they_were():
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
    store.record(allowed(tenant_id, probe), changes_for(probe, history), None, [])
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
    decided = allowed(tenant_id, tx("new", T0))
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


def _rows_profile(profile: Profile) -> bytes:
    """`profile` packed as profiles were before their series were columns: one row per bucket."""
    content = _content(profile)
    del content["s"]
    for granularity, series in profile.series.items():
        content[granularity] = [
            [
                bucket_index(start, granularity),
                bucket.count,
                [
                    [c, t.count, str(t.sum), None if t.max is None else str(t.max), str(t.inbound)]
                    for c, t in bucket.totals.items()
                ],
                sorted(bucket.counterparties),
            ]
            for start, bucket in series.items()
        ]
    return zlib.compress(orjson.dumps(content), 9)


def test_a_profile_written_as_rows_reads_and_decides_as_it_did():
    profile = Profile()
    for n, (days, amount, party) in enumerate(
        [(40, "12.5", "A"), (3, "900", "B"), (1, "0.07", "A"), (0, "5", "C")]
    ):
        payment = tx(
            n, T0 - dt.timedelta(days=days, minutes=n), amount, counterparty=Counterparty(account=party)
        )
        profile = counted(profile, payment)
    old = unpack_profile(_rows_profile(profile), 0)
    assert old == profile
    probe = tx("probe", T0 + dt.timedelta(minutes=3), "10", counterparty=Counterparty(account="D"))
    assert monitoring_context(probe, _history(old, probe)) == monitoring_context(
        probe, _history(profile, probe)
    )
    assert unpack_profile(pack_profile(old), 0) == profile  # written again, as columns


def test_sums_stay_exact_when_an_amount_has_more_places_and_past_64_bits():
    profile = counted(Profile(), tx(1, T0, "0.10"))
    profile = counted(profile, tx(2, T0 + dt.timedelta(seconds=1), "0.2"))
    profile = counted(
        profile, tx(3, T0 + dt.timedelta(seconds=2), "0.00000001")
    )  # the scale goes from 2 to 8
    day = profile.series["D"][bucket_start(T0, "D")].totals["EUR"]
    assert (day.sum, day.max) == (Decimal("0.30000001"), Decimal("0.2"))
    huge = Decimal("999999999999999.99999999")  # the API's largest amount, at its most places
    for n in range(4, 8):
        profile = counted(profile, tx(n, T0 + dt.timedelta(seconds=n), str(huge)))
    back = unpack_profile(pack_profile(profile), 1)  # its sums no longer fit JSON's 64-bit integers
    assert back.series["D"][bucket_start(T0, "D")].totals["EUR"].sum == Decimal("0.30000001") + 4 * huge
    probe = tx("probe", T0 + dt.timedelta(minutes=1), "1")
    window = monitoring_context(probe, _history(back, probe))["window"]["24h"]
    assert window["sum"] == float(Decimal("0.30000001") + 4 * huge)
    assert window["max"] == float(huge)


def test_a_series_is_a_mapping_of_its_buckets():
    series = Profile().series["H"]
    bucket = Bucket(
        "2026-12-06T10", 2, {"EUR": CurrencyTotals(2, Decimal("3.5"), Decimal(3), Decimal("0.5"))}
    )
    series["2026-12-06T10"] = bucket
    series["2026-12-06T08"] = Bucket("2026-12-06T08", 1, {"USD": CurrencyTotals(1, Decimal(7), Decimal(7))})
    assert list(series) == ["2026-12-06T08", "2026-12-06T10"]  # in time order, whatever the order put in
    assert series["2026-12-06T10"] == bucket
    assert "2026-12-06T09" not in series
    series["2026-12-06T10"] = Bucket("2026-12-06T10", 1, {"EUR": CurrencyTotals(1, Decimal(1), Decimal(1))})
    assert series["2026-12-06T10"].totals["EUR"].sum == Decimal(1)  # replaced, not added to
    del series["2026-12-06T08"]
    assert len(series) == 1
    assert series["2026-12-06T10"].totals.get("USD") is None


def test_windows_summed_from_columns_are_those_summed_bucket_by_bucket():
    rng = random.Random(5)
    profile = Profile()
    for n in range(300):
        at = T0 - dt.timedelta(minutes=rng.randrange(60 * 24 * 95))
        amount = f"{rng.lognormvariate(4, 1.5):.{rng.choice([0, 2, 3])}f}"
        payment = tx(
            n,
            at,
            amount,
            currency=rng.choice(["EUR", "EUR", "USD"]),
            direction=rng.choice(["inbound", "outbound"]),
            counterparty=Counterparty(account=f"A{rng.randrange(40)}"),
        )
        profile = counted(profile, payment)
    for minutes in (0, 7, 61, 60 * 30, 60 * 24 * 8):
        probe = tx("probe", T0 - dt.timedelta(minutes=minutes), "10", currency=rng.choice(["EUR", "USD"]))
        columns = _history(profile, probe)
        columns.monthly_limit, columns.limit_currency = Decimal(1000), probe.currency
        buckets = History(
            profile=profile,
            customer=columns.customer,
            monthly_limit=Decimal(1000),
            limit_currency=probe.currency,
        )
        buckets.buckets = {  # one by one
            ("customer", granularity): dict(columns.customer_buckets(granularity).items())
            for granularity in ("M", "H", "D")
        }
        assert monthly_volume(probe, columns) == monthly_volume(probe, buckets) is not None
        by_columns = monitoring_context(probe, columns)
        by_buckets = monitoring_context(probe, buckets)
        assert by_columns["customer"] == by_buckets["customer"]
        for name, window in by_buckets["window"].items():
            assert by_columns["window"][name] == pytest.approx(window, rel=1e-15), name


def test_counterparties_are_remembered_as_marks_and_counted_as_the_keys_were():
    probe = tx("probe", T0 + dt.timedelta(minutes=1), counterparty=Counterparty(account="DE00"))
    keys_before = {  # a profile written as rows, before marks: its buckets' counterparty keys as written
        "2026-12-05": ["1f3a9c0d5e7b2a41", "77aa01c3d4e5f607"],
        "2026-12-06": ["77aa01c3d4e5f607", "0000ffff0000ffff"],
    }
    content = _content(Profile())
    del content["s"]
    content["M"], content["H"] = [], []
    content["D"] = [
        [bucket_index(day, "D"), 2, [["EUR", 2, "20", "10", "0"]], keys] for day, keys in keys_before.items()
    ]
    old = unpack_profile(zlib.compress(orjson.dumps(content)), 3)
    assert monitoring_context(probe, _history(old, probe))["window"]["7d"]["counterparties"] == 3
    marks = old.series["D"].parties[1]
    assert all(isinstance(mark, int) and 0 <= mark < 2**32 for mark in marks)
    assert party_mark(f"{marks[0]:08x}") == marks[0]  # a mark as a bucket shows it is itself
    again = counted(old, probe)  # a new counterparty today; written as columns, marks and all
    back = unpack_profile(pack_profile(again), 4)
    assert monitoring_context(probe, _history(back, probe))["window"]["7d"]["counterparties"] == 4


def test_the_context_names_every_field_of_the_counterparty():
    probe = tx("probe", T0, counterparty=Counterparty(name="Northwind", account="DE89", country="IR"))
    context = monitoring_context(probe, _history(Profile(), probe))
    assert context["tx"]["counterparty"] == probe.counterparty.model_dump()  # the model's fields, all of them


def test_a_currency_goes_with_the_last_bucket_that_had_it():
    profile = counted(Profile(), tx("old", T0 - dt.timedelta(days=120), currency="USD"))
    profile = counted(profile, tx("late-but-kept", T0 - dt.timedelta(days=50), currency="GBP"))
    profile = counted(profile, tx("now", T0))
    assert sorted(profile.series["D"].amounts) == ["EUR", "GBP"]  # USD's only day is past the 100 kept
    assert sorted(profile.series["M"].amounts) == ["EUR"]
    back = unpack_profile(pack_profile(profile), 3)
    assert sorted(back.series["D"].amounts) == ["EUR", "GBP"]
