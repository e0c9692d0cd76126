"""A decision reads and sums only the windows its rule set reads: which windows a rule's paths need, the ranges read
for them, and the same decisions as with every window, over a generated stream."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from arbiter.domain.monitoring import (
    EVERYTHING,
    PARTY_WINDOWS,
    WINDOWS,
    History,
    Needs,
    context_fields,
    monitoring_context,
    needs_of,
    reads_for,
)
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Counterparty, Transaction
from arbiter.rules import jsonlogic
from arbiter.rules.evaluation import compile_rule_set
from arbiter.rules.ruleset import Rule
from arbiter.rules.runtime import var_dynamic
from arbiter.services.transactions import MONITORING_RULE_SET_ID, decide_transaction, default_scenarios
from tests.unit.transaction_fakes import MonitoringDeps

T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


NONE = {"counterparty_seen": False, "counterparties": ()}


@pytest.mark.parametrize(
    ("paths", "needs"),
    [
        ((), Needs((), (), (), **NONE)),
        (("tx.amount", "customer.days_since_last", "country.first_seen"), Needs((), (), (), **NONE)),
        (("window.24h.sum", "window.1h.count", "window.24h.max"), Needs(("1h", "24h"), (), (), **NONE)),
        (
            ("window.7d.counterparties", "window.24h.count"),
            Needs(("24h", "7d"), (), (), counterparty_seen=False, counterparties=("7d",)),
        ),
        (("window.30d",), Needs(("30d",), (), (), counterparty_seen=False, counterparties=("30d",))),
        (("window",), Needs(tuple(WINDOWS), (), (), counterparty_seen=False)),
        # a window this version does not know: all of them, with their counterparties
        (("window.2h.count",), Needs(tuple(WINDOWS), (), (), counterparty_seen=False)),
        (("counterparty.window.7d.count", "country.window.90d.sum"), Needs((), ("7d",), ("90d",), **NONE)),
        (("counterparty",), Needs((), PARTY_WINDOWS, (), counterparty_seen=True, counterparties=())),
        (("country.window",), Needs((), (), PARTY_WINDOWS, **NONE)),
        (
            ("counterparty.key", "counterparty.transactions"),
            Needs((), (), (), counterparty_seen=True, counterparties=()),
        ),
        (
            ("counterparty.key", "counterparty.first_seen"),
            Needs((), (), (), counterparty_seen=True, counterparties=()),
        ),
        (("counterparty.key",), Needs((), (), (), **NONE)),
    ],
)
def test_the_windows_a_rule_s_paths_need(paths, needs):
    assert needs_of(paths) == needs


def test_paths_known_only_when_a_rule_runs_need_everything():
    assert needs_of(None) == EVERYTHING
    computed = [
        {">": [{"var": {"cat": ["window.", "24h", ".sum"]}}, 5]},
        {"!!": {"var": ""}},
        {"missing": [{"var": "tx.metadata.required"}]},
    ]
    assert [jsonlogic.reads_computed_paths(rule) for rule in computed] == [True, True, True]
    literal = {"and": [{">": [{"var": "window.24h.sum"}, 5]}, {"some": [{"var": "tx.tags"}, {"var": ""}]}]}
    assert not jsonlogic.reads_computed_paths(literal)  # `var ""` inside `some` is the item, not the data


def test_the_default_scenarios_read_only_some_windows_and_keep_no_party_series():
    rules = compile_rule_set(default_scenarios())
    assert not rules.reads_computed_paths
    needs = needs_of(tuple(rules.variables))
    assert needs == Needs(("1h", "24h", "7d", "90d"), (), (), counterparty_seen=False, counterparties=("7d",))
    probe = Transaction(
        id="p",
        customer_id="c",
        amount=Decimal(10),
        currency="EUR",
        direction="outbound",
        type="card",
        time=T0,
        counterparty=Counterparty(account="DE1", country="FR"),
    )
    sizes = {(r.dimension, r.granularity): r.size for r in reads_for(probe, needs)}
    assert sizes == {
        ("customer", "M"): 6,
        ("customer", "H"): 24,
        ("customer", "D"): 90,
    }  # no rule reads a counterparty's or a country's windows: those series are not kept at all
    context = monitoring_context(probe, History(), needs)
    assert list(context["window"]) == ["1h", "24h", "7d", "90d"]
    assert context["counterparty"]["window"] == {}
    assert context["country"]["window"] == {}


def stream(count: int, seed: int) -> list[Transaction]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        customer = rng.randrange(6)
        roll = rng.random()
        amount = rng.choice([9_500, 12_000, 5_000]) if roll < 0.08 else round(rng.lognormvariate(4, 1), 2)
        found.append(
            Transaction(
                id=f"tx-{n}",
                customer_id=f"cust-{customer}",
                amount=Decimal(str(amount)),
                currency="EUR",
                direction=rng.choice(["inbound", "outbound"]),
                type="transfer",
                time=T0 + dt.timedelta(minutes=37 * n + rng.randrange(-600, 30)),  # some late ones
                counterparty=Counterparty(
                    account=f"DE{rng.randrange(8)}", country=rng.choice(["DE", "DE", "FR", "IR"])
                ),
            )
        )
    return found


def test_decisions_on_the_windows_needed_are_those_on_every_window():
    """The same scenarios twice: as shipped (some windows read), and with one more rule that reads a computed path
    and never hits (so every window is read and summed)."""
    key = Principal(kind="integrator", tenant_id="acme", id="key_1")
    pruned, full = (
        MonitoringDeps(clock=T0 + dt.timedelta(days=30)),
        MonitoringDeps(clock=T0 + dt.timedelta(days=30)),
    )
    everything = default_scenarios().model_copy(
        update={
            "rules": [
                *default_scenarios().rules,
                Rule(
                    id="never", name="Never", condition={"==": [{"var": {"cat": ["tx.", "type"]}}, "no such"]}
                ),
            ]
        }
    )
    full.rule_sets.add_version("acme", everything, actor="test", at=T0)
    full.rule_sets.publish("acme", MONITORING_RULE_SET_ID, 1, actor="test", at=T0)
    hits = 0
    for transaction in stream(600, seed=5):
        one, other = decide_transaction(pruned, key, transaction), decide_transaction(full, key, transaction)
        assert (one.decision, one.score, one.hits) == (other.decision, other.score, other.hits), (
            transaction.id
        )
        hits += bool(one.hits)
    assert hits > 20  # the stream trips the scenarios that read windows


#: Every field of the rule context, some objects whole and some windows.
FIELDS = [
    *(
        f"tx.{f}"
        for f in ("id", "amount", "currency", "direction", "type", "channel", "time", "hour", "weekday")
    ),
    "tx.counterparty.country",
    "tx.metadata",
    *(f"customer.{f}" for f in ("id", "first_transaction", "transactions", "days_since_last", "days_known")),
    "customer.risk_level",
    "window.24h.sum",
    "window.7d.counterparties",
    *(f"counterparty.{f}" for f in ("key", "first_seen", "transactions", "window.7d.count")),
    *(f"country.{f}" for f in ("code", "first_seen", "transactions", "window.30d.sum")),
    *("tx", "customer", "window", "counterparty", "country"),
]


@pytest.fixture(scope="module")
def decided() -> MonitoringDeps:
    deps = MonitoringDeps(clock=T0 + dt.timedelta(days=30))
    key = Principal(kind="integrator", tenant_id="acme", id="key_1")
    for transaction in stream(150, seed=3):
        decide_transaction(deps, key, transaction)
    return deps


@pytest.mark.parametrize("path", [*FIELDS, "window.90d", "window.30d.counterparties"])
def test_a_context_made_for_what_a_rule_reads_has_it_as_the_whole_context_has_it(path, decided):
    """The windows and fields of one path (`needs_of`, `context_fields`): what the path reads is the same."""
    needs, fields = needs_of((path,)), context_fields((path,))
    for probe in stream(40, seed=4):
        history = decided.transactions.history("acme", probe, EVERYTHING)
        whole, made = monitoring_context(probe, history), monitoring_context(probe, history, needs, fields)
        assert var_dynamic(made, path, "absent") == var_dynamic(whole, path, "absent"), probe.id


def test_a_window_whose_counterparties_no_rule_reads_leaves_them_out(decided):
    probe = stream(1, seed=4)[0]
    history = decided.transactions.history("acme", probe, EVERYTHING)
    windows = monitoring_context(probe, history, needs_of(("window.7d.counterparties", "window.90d.sum")))[
        "window"
    ]
    assert "counterparties" in windows["7d"]
    assert "counterparties" not in windows["90d"]


def test_the_fields_of_a_rule_s_paths_and_those_the_default_scenarios_leave_out():
    assert context_fields(None) is None
    assert context_fields(("tx.amount", "window.24h.avg", "customer", "tx.counterparty.country")) == {
        "tx.amount",
        "window.24h",
        "customer",
        "tx.counterparty",
    }
    rules = compile_rule_set(default_scenarios())
    probe = stream(1, seed=1)[0]
    context = monitoring_context(
        probe, History(), needs_of(tuple(rules.variables)), context_fields(tuple(rules.variables))
    )
    assert "time" not in context["tx"]  # no shipped scenario reads the time: not formatted
    assert "days_known" not in context["customer"]
    assert "counterparty" not in context
    assert "days_since_last" in context["customer"]
