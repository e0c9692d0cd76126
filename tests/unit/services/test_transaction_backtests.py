"""Backtests of monitoring rule sets on fakes: the history each stored transaction saw is rebuilt (re-scored with
its own version, every decision comes out the same, late and dormant ones included), a stricter version's changes
and alerts, the bounds, and who may run one."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal
from typing import Any

import pytest

from arbiter.domain.errors import InvalidInput, NotAllowed
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Counterparty, DecidedTransaction, Transaction
from arbiter.services import transaction_backtests
from arbiter.services.transaction_backtests import backtest_transactions
from arbiter.services.transactions import decide_transaction, default_scenarios
from tests.unit.transaction_fakes import MonitoringDeps

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")
ADMIN = Principal(kind="reviewer", tenant_id="acme", id="admin-1", roles=("admin",))
RANGE = {"start": NOW - dt.timedelta(days=20), "end": NOW + dt.timedelta(hours=1)}


def payment(number: int, customer: str, at: dt.datetime, amount: str, **fields: Any) -> Transaction:
    values: dict[str, Any] = {
        "id": f"{customer}-{number}",
        "customer_id": customer,
        "amount": Decimal(amount),
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "time": at,
        "counterparty": Counterparty(name=f"Shop {number % 7}", country="DE"),
        **fields,
    }
    return Transaction(**values)


def stream() -> list[Transaction]:
    """120 days of six customers, with what trips every kind of window: structuring, bursts, inflows moved out,
    new high-risk countries, a dormant customer waking up, and transactions arriving late."""
    rng = random.Random(17)
    out: list[Transaction] = []
    for c in range(6):
        customer = f"cust-{c}"
        for n in range(60):
            at = NOW - dt.timedelta(days=120) + dt.timedelta(hours=rng.randint(0, 119 * 24))
            amount = rng.choice(["40", "120", "900", "2500", "9500", "12000", "5000"])
            extra: dict[str, Any] = {}
            if rng.random() < 0.15:
                extra["direction"] = "inbound"
            if rng.random() < 0.08:
                extra["counterparty"] = Counterparty(name="Kish Trading", country="IR")
            out.append(payment(n, customer, at, amount, **extra))
        # A burst within an hour, in the range.
        for n in range(7):
            out.append(payment(100 + n, customer, NOW - dt.timedelta(days=3, minutes=50 - 7 * n), "300"))
    # Dormant for 200 days, then back in the range.
    out.append(payment(1, "sleeper", NOW - dt.timedelta(days=200), "50"))
    out.append(payment(2, "sleeper", NOW - dt.timedelta(days=2), "3000"))
    return out


def decide_all(deps: MonitoringDeps, transactions: list[Transaction]) -> list[DecidedTransaction]:
    """In an order that is mostly by time, one in twenty arriving late (after ten later ones)."""
    arrival = sorted(transactions, key=lambda t: t.time)
    for index in range(0, len(arrival) - 10, 20):
        arrival.insert(index + 10, arrival.pop(index))
    decided = []
    for number, t in enumerate(arrival):
        deps.clock = NOW + dt.timedelta(seconds=number)
        decided.append(decide_transaction(deps, KEY, t))
    return decided


@pytest.fixture
def decided_deps() -> tuple[MonitoringDeps, list[DecidedTransaction]]:
    deps = MonitoringDeps()
    return deps, decide_all(deps, stream())


def test_each_transaction_rescored_with_its_own_version_on_the_rebuilt_history_gets_its_decision(
    decided_deps,
):
    deps, decided = decided_deps
    in_range = [d for d in decided if RANGE["start"] <= d.transaction.time < RANGE["end"]]
    assert {d.decision for d in in_range} == {"allow", "review", "block"}  # the stream trips scenarios
    hits = {h["rule_id"] for d in in_range for h in d.hits}
    assert {"velocity-spike", "dormant-reactivated"} <= hits

    result = backtest_transactions(deps, ADMIN, version=1, **RANGE)
    assert result.transactions == len(in_range)
    assert result.reproduced == result.transactions
    assert result.changed == 0
    assert result.before == result.after
    assert result.replayed > result.transactions  # the 90 days before the range were replayed too


def test_a_stricter_draft_reports_the_decisions_it_changes_and_the_alerts_it_would_open(decided_deps):
    deps, decided = decided_deps
    draft = default_scenarios().model_dump(mode="json")
    for rule in draft["rules"]:
        if rule["id"] == "large-amount":
            rule["condition"] = {">=": [{"var": "tx.amount"}, 2000]}
            rule["score"] = 60
            rule["outcome"] = "review"
    result = backtest_transactions(deps, ADMIN, rule_set=draft, **RANGE)
    stored = {d.transaction.id: d for d in decided}
    assert result.rule_set == {"id": "transaction-monitoring", "version": None}
    assert result.changed > 0
    assert result.changes.get("allow→review", 0) > 0
    assert sum(result.changes.values()) == result.changed
    assert sum(result.before.values()) == sum(result.after.values()) == result.transactions
    for change in result.changed_transactions:
        assert stored[change.id].decision == change.before != change.after
        assert stored[change.id].transaction.amount >= 2000
    assert all("large-amount" in c.hits for c in result.changed_transactions if c.after != "allow")
    # One alert per customer and scenario: those the changed decisions open are large-amount ones.
    assert result.alerts_opened == len({(a.customer_id, a.scenario) for a in result.alerts})
    assert any(a.scenario == "large-amount" for a in result.alerts)
    assert sum(a.transactions for a in result.alerts) == result.after["review"] + result.after["block"]
    # Nothing was written.
    assert len(deps.transactions.transactions) == len(decided)


def test_a_range_holding_more_than_the_bound_is_refused_naming_where_to_stop(decided_deps):
    deps, decided = decided_deps
    with pytest.raises(InvalidInput) as refused:
        backtest_transactions(deps, ADMIN, version=1, **RANGE, most=10)
    assert refused.value.path == "end"
    in_range = sorted(
        d.transaction.time for d in decided if RANGE["start"] <= d.transaction.time < RANGE["end"]
    )
    assert refused.value.context["end_at_most"] == in_range[10].isoformat()
    assert "run it as a job" in refused.value.message  # the answered bound points at the job


def test_a_backtest_answered_in_its_request_is_held_to_the_answered_bound(decided_deps, monkeypatch):
    deps, _ = decided_deps
    whole = backtest_transactions(deps, ADMIN, version=1, **RANGE)
    monkeypatch.setattr(transaction_backtests, "MAX_ANSWERED_TRANSACTIONS", whole.transactions - 1)
    with pytest.raises(InvalidInput) as refused:
        backtest_transactions(deps, ADMIN, version=1, **RANGE)
    assert refused.value.path == "end"
    # A job's bound is the larger one: the same range passes there.
    assert backtest_transactions(deps, ADMIN, version=1, **RANGE, most=whole.transactions).transactions == (
        whole.transactions
    )


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"version": 1, "rule_set": {"id": "x"}}, "version"),
        ({}, "version"),
        ({"version": 1, "start": NOW, "end": NOW - dt.timedelta(days=1)}, "end"),
        ({"version": 1, "start": NOW - dt.timedelta(days=400)}, "end"),
        ({"version": 1, "start": dt.datetime(1, 1, 1, tzinfo=dt.UTC)}, "start"),
        ({"version": 1, "start": dt.datetime(2026, 1, 1)}, "start"),  # no time zone
    ],
)
def test_bad_arguments_are_refused_naming_them(decided_deps, arguments, path):
    deps, _ = decided_deps
    with pytest.raises(InvalidInput) as refused:
        backtest_transactions(deps, ADMIN, **{**RANGE, **arguments})
    assert refused.value.path == path


def test_only_an_admin_backtests():
    reviewer = Principal(kind="reviewer", tenant_id="acme", id="rev-1", roles=("senior",))
    with pytest.raises(NotAllowed):
        backtest_transactions(MonitoringDeps(), reviewer, version=1, **RANGE)


def test_late_transactions_are_in_the_stream(decided_deps):
    _, decided = decided_deps
    late = [d for before, d in itertools.pairwise(decided) if d.transaction.time < before.transaction.time]
    assert len(late) > 15
