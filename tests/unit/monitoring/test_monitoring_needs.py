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
    window_figures,
)
from arbiter.domain.monitoring_series import FIGURES, Series
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
    *(f"window.24h.{f}" for f in sorted(FIGURES)),
    "window.7d.counterparties",
    "window.90d.avg",
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


@pytest.mark.parametrize("path", [*FIELDS, "window.90d", "window.30d.counterparties", "window.1h.unknown"])
def test_a_context_made_for_what_a_rule_reads_has_it_as_the_whole_context_has_it(path, decided):
    """The windows, fields and figures of one path (`needs_of`, `context_fields`, `window_figures`): what the path
    reads is the same."""
    paths = (path,)
    needs, fields, figures = needs_of(paths), context_fields(paths), window_figures(paths)
    for probe in stream(40, seed=4):
        history = decided.transactions.history("acme", probe, EVERYTHING)
        whole = monitoring_context(probe, history)
        made = monitoring_context(probe, history, needs, fields, figures)
        assert var_dynamic(made, path, "absent") == var_dynamic(whole, path, "absent"), probe.id


def test_the_figures_a_rule_s_paths_read_of_each_window():
    assert window_figures(None) is None
    assert window_figures(("window",)) is None  # the whole object
    assert window_figures(("window.2h.count",)) is None  # a window this version does not know: everything
    assert window_figures(("tx.amount", "customer.risk_level")) == {}
    assert window_figures(("window.24h.avg", "window.24h.max", "window.1h.count", "window.7d")) == {
        "24h": {"avg", "max"},
        "1h": {"count"},
    }  # 7d read whole: all its figures
    assert window_figures(("window.24h.avg", "window.24h")) == {}
    assert window_figures(("window.90d.nonsense",)) == {}  # a figure no window has: the window whole
    rules = compile_rule_set(default_scenarios())
    assert window_figures(tuple(rules.variables)) == {
        "1h": {"count"},
        "24h": {"count", "currency_count", "avg", "max", "inbound_sum"},
        "7d": {"counterparties"},
        "90d": {"count", "currency_count", "avg"},
    }


@pytest.mark.parametrize("seed", range(6))
def test_a_window_s_figures_alone_are_those_of_the_whole_window(seed):
    """`Series.window` with `figures` works out each figure as the whole window does, in every currency, for
    buckets with and without the currency, and for an empty range."""
    rng = random.Random(seed)
    series = Series("D")
    for _ in range(60):
        series.add(
            rng.randrange(100, 130),
            rng.choice(["EUR", "EUR", "USD"]),
            Decimal(rng.choice(["12.5", "0.01", "9999", "420.123"])),
            rng.random() < 0.5,
            f"party-{rng.randrange(9)}" if rng.random() < 0.7 else None,
            32,
        )
    names = sorted(FIGURES)
    for _ in range(40):
        first = rng.randrange(95, 131)
        last = first + rng.randrange(-1, 20)
        currency = rng.choice(["EUR", "USD", "GBP"])
        wanted = frozenset(rng.sample(names, rng.randint(1, len(names))))
        whole = series.window(first, last, currency)
        assert series.window(first, last, currency, True, wanted) == {f: whole[f] for f in wanted}


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
