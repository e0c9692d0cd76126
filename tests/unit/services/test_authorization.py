"""The authorizer's use case on fakes: valid keys allowed with their usage key, failures counted per source, a
source over the limit refused before any key is looked up, windows that end."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.errors import TooManyRequests, Unauthenticated
from arbiter.domain.tenant import hash_api_key
from arbiter.services import tenants
from arbiter.services.authorization import AuthorizedKey, FailureLimit, VerifiedKeys, authorize
from tests.unit.fakes import FakeDependencies, FakeUsagePlans

START = dt.datetime(2026, 11, 1, 9, 0, 15, tzinfo=dt.UTC)
ATTACKER = "203.0.113.7"
CUSTOMER = "198.51.100.20"


class Now:
    """A clock a test moves by hand."""

    def __init__(self, at: dt.datetime = START) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def now() -> Now:
    return Now()


@pytest.fixture
def deps(now: Now) -> FakeDependencies:
    deps = FakeDependencies(clock=now)
    tenants.create_tenant(deps.tenants, "acme", "Acme", usage_plans=FakeUsagePlans())
    tenants.create_tenant(deps.tenants, "globex", "Globex")  # created before tiers: no usage key of its own
    return deps


def issue(deps: FakeDependencies, tenant_id: str = "acme") -> str:
    return tenants.issue_api_key(deps.tenants, tenant_id, label="test")


def key_reads(deps: FakeDependencies) -> int:
    return sum(1 for kind, _ in deps.tenants.reads if kind == "key")


def test_a_valid_key_is_allowed_with_its_tenant_and_the_tenants_usage_key(deps):
    key = issue(deps)
    authorized = authorize(deps, key, CUSTOMER)
    stored = deps.tenants.keys[hash_api_key(key)]
    usage = deps.tenants.tenants["acme"].usage
    assert usage is not None
    assert authorized == AuthorizedKey(
        tenant_id="acme", key_id=stored.key_id, key_sha256=hash_api_key(key), usage_key=usage.value
    )
    assert deps.auth_failures.counts == {}


def test_a_tenant_without_a_usage_key_of_its_own_is_throttled_under_the_shared_one(deps):
    authorized = authorize(deps, issue(deps, "globex"), CUSTOMER)
    assert (authorized.tenant_id, authorized.usage_key) == ("globex", deps.shared_usage_key)


@pytest.mark.parametrize("presented", [None, "", "arb_not-a-key"])
def test_a_missing_or_unknown_key_is_unauthenticated_and_counted_against_its_source(deps, presented):
    with pytest.raises(Unauthenticated):
        authorize(deps, presented, ATTACKER)
    window = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    assert deps.auth_failures.counts == {(ATTACKER, window): 1}
    assert deps.auth_failures.expiries[(ATTACKER, window)] == window + dt.timedelta(minutes=1)


def test_a_revoked_key_is_unauthenticated(deps):
    key = issue(deps)
    deps.tenants.keys[hash_api_key(key)].revoked = True
    with pytest.raises(Unauthenticated):
        authorize(deps, key, CUSTOMER)


def test_the_limit_th_failure_is_still_a_401_and_the_next_request_a_429_for_the_rest_of_the_window(deps, now):
    for _ in range(deps.failure_limit.failures):
        with pytest.raises(Unauthenticated):
            authorize(deps, "wrong", ATTACKER)
    now.advance(seconds=30)  # 09:00:45: 15 s left in the window
    with pytest.raises(TooManyRequests) as refused:
        authorize(deps, "wrong", ATTACKER)
    assert refused.value.retry_after == 15
    assert "try again in 15 s" in refused.value.message


def test_a_blocked_source_is_refused_before_any_key_is_looked_up_even_with_a_valid_key(deps):
    key = issue(deps)
    window = deps.failure_limit.window_of(START)
    deps.auth_failures.counts[(ATTACKER, window)] = deps.failure_limit.failures
    reads_before = len(deps.tenants.reads)
    for presented in ("wrong", key):
        with pytest.raises(TooManyRequests):
            authorize(deps, presented, ATTACKER)
    assert len(deps.tenants.reads) == reads_before  # no key, no tenant read
    assert deps.auth_failures.reads == [(ATTACKER, window), (ATTACKER, window)]  # one read each
    # Refusals are not failures: the count stays at the limit.
    assert deps.auth_failures.counts[(ATTACKER, window)] == deps.failure_limit.failures


def test_another_source_is_not_affected_by_a_blocked_one(deps):
    window = deps.failure_limit.window_of(START)
    deps.auth_failures.counts[(ATTACKER, window)] = 10_000
    assert authorize(deps, issue(deps), CUSTOMER).tenant_id == "acme"
    with pytest.raises(Unauthenticated):
        authorize(deps, "wrong", CUSTOMER)


def test_counters_expire_with_their_window(deps, now):
    key = issue(deps)
    for _ in range(deps.failure_limit.failures):
        with pytest.raises(Unauthenticated):
            authorize(deps, "wrong", ATTACKER)
    with pytest.raises(TooManyRequests):
        authorize(deps, key, ATTACKER)
    now.advance(seconds=45)  # 09:01:00, the next window
    assert authorize(deps, key, ATTACKER).tenant_id == "acme"
    with pytest.raises(Unauthenticated):
        authorize(deps, "wrong", ATTACKER)
    assert deps.auth_failures.counts[(ATTACKER, dt.datetime(2026, 11, 1, 9, 1, tzinfo=dt.UTC))] == 1


def test_a_verified_key_is_remembered_for_the_cache_time_then_looked_up_again(deps, now):
    key = issue(deps)
    deps.verified_keys = VerifiedKeys(ttl=dt.timedelta(seconds=60))
    authorize(deps, key, CUSTOMER)
    reads = len(deps.tenants.reads) + len(deps.auth_failures.reads)
    now.advance(seconds=59)
    authorize(deps, key, CUSTOMER)
    assert len(deps.tenants.reads) + len(deps.auth_failures.reads) == reads  # no read at all
    deps.tenants.keys[hash_api_key(key)].revoked = True  # a revoked key works until the cache forgets it
    now.advance(seconds=1)
    with pytest.raises(Unauthenticated):
        authorize(deps, key, CUSTOMER)


def test_with_no_cache_time_every_request_is_looked_up(deps):
    key = issue(deps)
    deps.verified_keys = VerifiedKeys(ttl=dt.timedelta(0))
    authorize(deps, key, CUSTOMER)
    authorize(deps, key, CUSTOMER)
    assert key_reads(deps) == 2


def test_the_cache_forgets_its_oldest_keys_beyond_its_size(deps):
    deps.verified_keys = VerifiedKeys(ttl=dt.timedelta(seconds=60), max_entries=2)
    first, second, third = issue(deps), issue(deps), issue(deps)
    for key in (first, second, third):
        authorize(deps, key, CUSTOMER)
    reads = key_reads(deps)
    authorize(deps, third, CUSTOMER)
    assert key_reads(deps) == reads
    authorize(deps, first, CUSTOMER)
    assert key_reads(deps) == reads + 1


def test_windows_are_aligned_on_the_epoch():
    limit = FailureLimit(failures=5, window=dt.timedelta(minutes=1))
    assert limit.window_of(dt.datetime(2026, 11, 1, 9, 0, 59, 999, tzinfo=dt.UTC)) == dt.datetime(
        2026, 11, 1, 9, 0, tzinfo=dt.UTC
    )
    assert limit.window_of(dt.datetime(2026, 11, 1, 9, 1, tzinfo=dt.UTC)) == dt.datetime(
        2026, 11, 1, 9, 1, tzinfo=dt.UTC
    )


def test_a_keys_use_is_noted_and_a_failure_to_note_it_never_refuses_the_key(deps, now, monkeypatch):
    key = issue(deps)
    authorize(deps, key, CUSTOMER)
    assert deps.tenants.keys[hash_api_key(key)].last_used_on == now().date()

    second = issue(deps)
    calls: list[str] = []

    def unreachable(stored, day):
        calls.append(stored.key_id)
        raise ConnectionError("the table cannot be reached")

    monkeypatch.setattr(deps.tenants, "record_key_use", unreachable)
    authorized = authorize(deps, second, CUSTOMER)
    assert authorized.tenant_id == "acme"
    assert len(calls) == 1
    assert deps.tenants.keys[hash_api_key(second)].last_used_on is None
