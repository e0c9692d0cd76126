"""Watchlists on S3 and clearances in DynamoDB, against the local stack's moto."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore
from arbiter.adapters.watchlists import S3WatchlistSource
from arbiter.domain.case import SYSTEM, Actor, AuditEntry, Case
from arbiter.domain.errors import NotFound
from arbiter.domain.screening import Clearance
from arbiter.plugins.builtin.sanctions import WatchlistMissing, WatchlistUnavailable
from arbiter.screening import load_watchlist
from tests.builders import individual
from tests.unit.screening.generated_lists import targets_rows, write_targets_csv


@pytest.fixture
def bucket(stack) -> tuple[object, str, str]:
    """The stack's documents bucket and a key prefix of this test's own."""
    return (
        boto3.client("s3", region_name="us-east-1"),
        stack.physical_id("DocumentsBucket"),
        secrets.token_hex(4),
    )


def test_a_list_is_loaded_once_per_version_and_again_when_replaced(bucket):
    s3, name, prefix = bucket
    key = f"watchlists/{prefix}/targets.simple.csv"
    s3.put_object(Bucket=name, Key=key, Body=write_targets_csv(targets_rows(seed=1)))
    source = S3WatchlistSource(s3, name)
    first = source.load(key, format="auto")
    again = source.load(key, format="auto")
    assert again is first
    assert source.loads == 1
    assert first.key == key
    assert first.etag
    assert first.version()["sha256"] == first.watchlist.version.sha256

    s3.put_object(Bucket=name, Key=key, Body=write_targets_csv(targets_rows(seed=2)))
    replaced = source.load(key, format="auto")
    assert source.loads == 2
    assert replaced.etag != first.etag
    assert replaced.watchlist.version.sha256 != first.watchlist.version.sha256


def test_concurrent_checks_of_a_warm_container_load_a_list_once(bucket):
    s3, name, prefix = bucket
    key = f"watchlists/{prefix}/targets.simple.csv"
    s3.put_object(Bucket=name, Key=key, Body=write_targets_csv(targets_rows(seed=3)))
    source = S3WatchlistSource(s3, name)
    loaded = []
    threads = [
        threading.Thread(target=lambda: loaded.append(source.load(key, format="auto"))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(loaded) == 4
    assert all(item is loaded[0] for item in loaded)
    assert source.loads == 1


def test_a_prebuilt_list_loads_with_its_recorded_version(bucket):
    s3, name, prefix = bucket
    built = load_watchlist(write_targets_csv(targets_rows(seed=4)))
    buffer = io.BytesIO()
    built.save(buffer)
    key = f"watchlists/{prefix}/targets.npz"
    s3.put_object(Bucket=name, Key=key, Body=buffer.getvalue())
    loaded = S3WatchlistSource(s3, name).load(key, format="prebuilt")
    assert loaded.watchlist.version.sha256 == built.version.sha256
    assert len(loaded.watchlist) == len(built)


def test_least_recently_used_lists_are_dropped_beyond_the_limit(bucket):
    s3, name, prefix = bucket
    keys = [f"watchlists/{prefix}/{i}.csv" for i in range(3)]
    for i, key in enumerate(keys):
        s3.put_object(Bucket=name, Key=key, Body=write_targets_csv(targets_rows(seed=10 + i)))
    source = S3WatchlistSource(s3, name, max_lists=2)
    for key in keys:
        source.load(key, format="auto")
    source.load(keys[2], format="auto")
    assert source.loads == 3
    source.load(keys[0], format="auto")  # dropped when the third came in
    assert source.loads == 4


def test_a_missing_list_or_bucket_is_a_check_error_naming_the_object(bucket):
    s3, name, prefix = bucket
    source = S3WatchlistSource(s3, name)
    with pytest.raises(
        WatchlistMissing, match=f"no watchlist is stored at s3://{name}/watchlists/{prefix}/none.csv"
    ):
        source.load(f"watchlists/{prefix}/none.csv", format="auto")
    assert source.exists(f"watchlists/{prefix}/none.csv") is False
    with pytest.raises(WatchlistMissing):
        S3WatchlistSource(s3, f"no-such-bucket-{prefix}").load("list.csv", format="auto")


class CountedHeads:
    """The S3 client, counting the HeadObject calls per key."""

    def __init__(self, s3):
        self._s3 = s3
        self.heads: list[str] = []
        self._lock = threading.Lock()

    def head_object(self, **params):
        with self._lock:
            self.heads.append(params["Key"])
        return self._s3.head_object(**params)

    def __getattr__(self, name):
        return getattr(self._s3, name)


def test_load_first_takes_a_tenants_own_list_where_stored_else_the_default_asking_each_once(bucket):
    s3, name, prefix = bucket
    own, default = f"watchlists/{prefix}/tenant.csv", f"watchlists/{prefix}/default.csv"
    s3.put_object(Bucket=name, Key=default, Body=write_targets_csv(targets_rows(seed=4)))
    client = CountedHeads(s3)
    source = S3WatchlistSource(client, name)
    assert source.load_first([own, default], format="auto").key == default
    assert sorted(client.heads) == sorted([own, default])  # each asked once (at once), none again to load
    s3.put_object(Bucket=name, Key=own, Body=write_targets_csv(targets_rows(seed=5)))
    client.heads.clear()
    assert source.load_first([own, default], format="auto").key == own
    assert sorted(client.heads) == sorted([own, default])
    s3.delete_object(Bucket=name, Key=own)
    s3.delete_object(Bucket=name, Key=default)
    with pytest.raises(WatchlistMissing, match=f"no watchlist is stored at s3://{name}/{default}"):
        source.load_first([own, default], format="auto")


def test_load_first_raises_when_a_tenants_own_list_cannot_be_asked_for_never_taking_the_default(bucket):
    s3, name, prefix = bucket
    own, default = f"watchlists/{prefix}/tenant.csv", f"watchlists/{prefix}/default.csv"
    s3.put_object(Bucket=name, Key=default, Body=write_targets_csv(targets_rows(seed=6)))

    class Throttled(CountedHeads):
        def head_object(self, **params):
            if params["Key"] == own:
                raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "HeadObject")
            return super().head_object(**params)

    with pytest.raises(WatchlistUnavailable, match="SlowDown"):  # a retry, not the default list
        S3WatchlistSource(Throttled(s3), name).load_first([own, default], format="auto")


@pytest.mark.parametrize(
    ("body", "format", "message"),
    [
        (b"this,is\nnot,a list\n", "auto", "cannot be read"),
        (b"id,name\nx,Someone\n", "opensanctions", "cannot be read"),
        (b"not an index", "prebuilt", "not a prebuilt watchlist file"),
    ],
)
def test_an_unreadable_list_is_a_check_error_saying_why(bucket, body, format, message):
    s3, name, prefix = bucket
    key = f"watchlists/{prefix}/bad.csv"
    s3.put_object(Bucket=name, Key=key, Body=body)
    with pytest.raises(WatchlistMissing, match=message):
        S3WatchlistSource(s3, name).load(key, format=format)


# ---------------------------------------------------------------------------------------------- clearances


@pytest.fixture
def store(stack) -> tuple[DynamoClearanceStore, DynamoCaseRepository, str]:
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = stack.physical_id("ArbiterTable")
    return (
        DynamoClearanceStore(client, table),
        DynamoCaseRepository(client, table),
        f"t-{secrets.token_hex(4)}",
    )


def _case(cases: DynamoCaseRepository, tenant_id: str) -> Case:
    case, change = Case.open(
        tenant_id=tenant_id, workflow_id="kyc", workflow_version=1, entity=individual(), actor=SYSTEM
    )
    cases.add(case, change)
    return case


def _clearance(
    tenant_id: str, case_id: str, party_key: str = "user-1", entry_id: str = "P-PUTIN"
) -> Clearance:
    return Clearance(
        tenant_id=tenant_id,
        party_key=party_key,
        entry_id=entry_id,
        case_id=case_id,
        subject="individual",
        reason="different person: passport checked",
        cleared_by=Actor(type="reviewer", id="r-1"),
        cleared_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
    )


def _audit(action: str = "screening.match_cleared") -> AuditEntry:
    return AuditEntry(at=dt.datetime.now(dt.UTC), actor=Actor(type="reviewer", id="r-1"), action=action)


def test_a_clearance_is_stored_with_its_audit_entry_once(store):
    clearances, cases, tenant_id = store
    case = _case(cases, tenant_id)
    clearance = _clearance(tenant_id, case.id)
    assert clearances.add(clearance, _audit()) is True
    assert clearances.add(clearance, _audit()) is False  # clearing twice writes nothing
    assert clearances.get(tenant_id, "user-1", "P-PUTIN") == clearance
    audit = [a.action for a in cases.detail(tenant_id, case.id).audit]
    assert audit.count("screening.match_cleared") == 1
    assert clearances.cleared_entries(tenant_id, ["user-1", "user-2"]) == {"user-1": {"P-PUTIN"}}
    assert clearances.for_party(tenant_id, "user-1") == [clearance]


def test_clearances_are_per_party_and_per_tenant(store):
    clearances, cases, tenant_id = store
    case = _case(cases, tenant_id)
    clearances.add(_clearance(tenant_id, case.id, "user-1", "A"), _audit())
    clearances.add(_clearance(tenant_id, case.id, "user-1", "B"), _audit())
    clearances.add(_clearance(tenant_id, case.id, "biz-1/owner/p-7", "A"), _audit())
    assert clearances.cleared_entries(tenant_id, ["user-1", "biz-1/owner/p-7"]) == {
        "user-1": {"A", "B"},
        "biz-1/owner/p-7": {"A"},
    }
    assert clearances.cleared_entries("another-tenant", ["user-1"]) == {}


def test_a_clearance_on_an_unknown_case_stores_nothing(store):
    clearances, _, tenant_id = store
    with pytest.raises(NotFound):
        clearances.add(_clearance(tenant_id, "no-such-case"), _audit())
    assert clearances.get(tenant_id, "user-1", "P-PUTIN") is None
