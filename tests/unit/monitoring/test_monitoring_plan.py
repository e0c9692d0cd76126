"""The rule context made for a version's paths (`monitoring_plan.context_plan`) answers every path it reads as
`monitoring_context` does — the same value, of the same type — on random histories: several currencies and scales,
late transactions, empty series, counterparties past their horizon, customers and countries never seen. A version
reading what the plan does not cover gets no plan, and its decisions are `monitoring_context`'s."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from arbiter.domain.monitoring import (
    WINDOWS,
    History,
    Needs,
    Profile,
    context_fields,
    monitoring_context,
    needs_of,
    window_figures,
)
from arbiter.domain.monitoring_plan import context_plan
from arbiter.domain.monitoring_series import FIGURES
from arbiter.domain.transactions import Counterparty, Transaction
from arbiter.rules.evaluation import compile_rule_set
from arbiter.rules.runtime import var_dynamic
from arbiter.services.transactions import default_scenarios

T0 = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)

#: Every leaf the rule context has, and paths around them: deeper reads, unknown fields, objects read whole.
LEAVES = (
    [
        f"tx.{f}"
        for f in ("id", "amount", "currency", "direction", "type", "channel", "time", "hour", "weekday")
    ]
    + ["tx.metadata", "tx.metadata.desk", "tx.counterparty", "tx.id.length", "tx.nothing", "tx..amount"]
    + [f"tx.counterparty.{f}" for f in ("name", "account", "country", "nothing")]
    + [
        f"customer.{f}"
        for f in (
            "id",
            "first_transaction",
            "transactions",
            "days_since_last",
            "days_known",
            "risk_level",
            "nothing",
        )
    ]
    + [f"window.{w}.{f}" for w in WINDOWS for f in FIGURES]
    + [f"window.{w}" for w in WINDOWS]
    + ["window.24h.nothing", "window.24h.count.nothing", "elsewhere.count"]
    + ["country", "country.code", "country.first_seen", "country.transactions", "country.window.7d.count"]
    + ["counterparty", "counterparty.key", "counterparty.first_seen", "counterparty.transactions"]
    + ["counterparty.window.30d.sum", "counterparty.window"]
)


def _transaction(rng: random.Random, number: int, at: dt.datetime) -> Transaction:
    party = rng.randrange(12)
    return Transaction(
        id=f"tx-{number}",
        customer_id="cust-1",
        amount=Decimal(rng.choice(["12.5", "0.01", "9999", "1E+3", "0.00000001", "420.123", "8500.00"])),
        currency=rng.choice(["EUR", "EUR", "EUR", "USD", "BTC"]),
        direction=rng.choice(["inbound", "outbound"]),
        type=rng.choice(["transfer", "card"]),
        time=at,
        channel=rng.choice(["api", "app"]),
        counterparty=Counterparty(
            name=f"Party {party}" if party % 3 else None,
            account=f"DE{party:020d}" if party % 4 else None,
            country=rng.choice(["DE", "FR", "IR", None]),
        ),
        metadata={"desk": rng.choice(["a", "b"])} if rng.random() < 0.5 else {},
    )


def _history(rng: random.Random, seed: int) -> tuple[Transaction, History]:
    """A profile counted from random transactions over 100 days, read for a random transaction (late at times)."""
    profile = Profile()
    size = rng.choice([0, 1, rng.randrange(2, 90)])  # a customer never seen, seen once, or more
    times = sorted(T0 - dt.timedelta(minutes=rng.randrange(0, 100 * 24 * 60)) for _ in range(size))
    if rng.random() < 0.3:
        rng.shuffle(times)  # late ones, landing behind the newest bucket
    for number, at in enumerate(times):
        profile.count(_transaction(rng, number, at), Needs())
    at = T0 - dt.timedelta(minutes=rng.choice([0, 7, 90, 60 * 30, 60 * 24 * 20]))
    tx = _transaction(rng, 1000 + seed, at)
    history = History(profile=profile, risk_level=rng.choice([None, "low", "high"]))
    profile.read(tx, history)
    return tx, history


def _same(paths: tuple[str, ...], tx: Transaction, history: History) -> None:
    needs = needs_of(paths)
    plan = context_plan(paths)
    assert plan is not None, paths
    planned = plan(tx, history, needs)
    general = monitoring_context(tx, history, needs, context_fields(paths), window_figures(paths))
    for path in paths:
        expected, found = var_dynamic(general, path, None), var_dynamic(planned, path, None)
        assert (found, type(found)) == (expected, type(expected)), path


@pytest.mark.parametrize("seed", range(40))
def test_the_plan_reads_every_path_as_the_general_context_does(seed: int):
    rng = random.Random(seed)
    tx, history = _history(rng, seed)
    _same(tuple(LEAVES), tx, history)  # every path at once
    for _ in range(8):  # and a few at a time: each plan makes only what its paths read
        _same(tuple(rng.sample(LEAVES, rng.randrange(1, 6))), tx, history)


@pytest.mark.parametrize("seed", range(10))
def test_the_shipped_scenarios_decide_the_same_on_the_plan(seed: int):
    rules = compile_rule_set(default_scenarios())
    paths = tuple(rules.variables)
    plan = context_plan(paths)
    assert plan is not None
    rng = random.Random(seed)
    for _ in range(5):
        tx, history = _history(rng, seed)
        needs = needs_of(paths)
        planned = rules.evaluate(plan(tx, history, needs))
        general = rules.evaluate(
            monitoring_context(tx, history, needs, context_fields(paths), window_figures(paths))
        )
        assert (planned.recommendation, planned.score, planned.hits) == (
            general.recommendation,
            general.score,
            general.hits,
        )


@pytest.mark.parametrize(
    "paths",
    [None, ("tx",), ("customer",), ("window",), ("window.2h.count",), ("",), ("tx.amount", "window")],
)
def test_a_version_reading_what_the_plan_does_not_cover_has_none(paths: Any):
    assert context_plan(paths) is None


def test_the_plan_makes_only_the_objects_and_fields_read():
    tx, history = _history(random.Random(7), 7)
    paths = ("tx.amount", "window.24h.avg", "country.first_seen")
    plan = context_plan(paths)
    assert plan is not None
    context = plan(tx, history, needs_of(paths))
    assert {name: sorted(value) for name, value in context.items()} == {
        "tx": ["amount"],
        "window": ["24h"],
        "country": ["first_seen"],
    }
    assert sorted(context["window"]["24h"]) == ["avg"]


def test_the_plan_is_made_once_for_the_same_paths_whatever_their_order():
    assert context_plan(("tx.amount", "window.1h.count")) is context_plan(("window.1h.count", "tx.amount"))
