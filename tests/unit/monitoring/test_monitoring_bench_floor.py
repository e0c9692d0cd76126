"""bench/monitoring compares the scoring path with a lower bound (`bench/monitoring/floor.py`: the least a decision
of the shipped scenarios does) and with the tests' store keeping profiles as they are: all three decide alike."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Transaction
from arbiter.rules.evaluation import compile_rule_set
from arbiter.services.transactions import decide_transaction, default_scenarios
from bench.monitoring.floor import complete, floor
from bench.monitoring.run import START, stream
from tests.unit.transaction_fakes import MonitoringDeps

KEY = Principal(kind="integrator", tenant_id="bench", id="key_1")


@pytest.fixture(scope="module")
def payloads() -> list[dict]:
    return stream(customers=12, count=1500, seed=5)


def _decided(payloads: list[dict], packs: bool) -> tuple[dict[str, int], MonitoringDeps]:
    deps = MonitoringDeps(clock=START + dt.timedelta(days=91))
    deps.transactions.packs = packs
    outcomes: dict[str, int] = {}
    for payload in payloads:
        decided = decide_transaction(deps, KEY, Transaction.model_validate(payload))
        outcomes[decided.decision] = outcomes.get(decided.decision, 0) + 1
    return outcomes, deps


def test_profiles_kept_as_they_are_decide_as_profiles_packed(payloads):
    (packed, with_bytes), (kept, with_objects) = _decided(payloads, True), _decided(payloads, False)
    assert packed == kept
    assert packed.get("review", 0) > 10  # the stream trips the scenarios
    assert all(isinstance(p, bytes) for _, p in with_bytes.transactions.profiles.values())
    for key, (version, profile) in with_objects.transactions.profiles.items():
        stored_version, packed_profile = with_bytes.transactions.profiles[key]
        assert version == stored_version
        assert with_bytes.transactions._stored_profile(*key) == with_objects.transactions._stored_profile(
            *key
        )
        assert not isinstance(profile, bytes)
        assert packed_profile


@pytest.mark.parametrize("packed", [False, True])
def test_the_floor_decides_as_the_scoring_path(payloads, packed):
    outcomes, _ = _decided(payloads, True)
    assert floor(payloads, compile_rule_set(default_scenarios()), packed=packed)() == outcomes


def test_the_complete_floor_decides_and_keeps_what_the_scoring_path_keeps(payloads):
    outcomes, deps = _decided(payloads, False)
    states: dict = {}
    assert complete(payloads, compile_rule_set(default_scenarios()), into=states)() == outcomes
    profiles = {customer: profile for (_, customer), (_, profile) in deps.transactions.profiles.items()}
    assert states.keys() == profiles.keys()
    for customer, state in states.items():
        profile = profiles[customer]
        for granularity, series in profile.series.items():
            index, counts, marks, by_currency = state[granularity]
            assert (index, counts, marks) == (series.index, series.count, series.parties)
            assert by_currency == {
                currency: [a.scale, a.n, a.s, a.x, a.i] for currency, a in series.amounts.items()
            }
        assert state["c"] == [*profile.customer.micros, profile.customer.count]
        assert state["k"] == {
            country: [*seen.micros, seen.count] for country, seen in profile.countries.items()
        }
        assert state["r"] == profile.recent
