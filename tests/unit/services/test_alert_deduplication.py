"""Alert deduplication on fakes: a customer's open alert of a scenario takes its later transactions of that
scenario (counted, the latest remembered, `alert.updated`) instead of a second alert; another scenario or another
customer opens its own; a lost race to open or to join is decided again and joins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arbiter.domain.alert_history import AlertAction
from arbiter.domain.errors import ConcurrentUpdate, Conflict, NotAllowed, NotFound
from arbiter.domain.events import AlertClosed, AlertOpened, AlertUpdated, TransactionDecided
from arbiter.domain.monitoring import changes_for
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import NO_SCENARIO, Alert, Counterparty, Transaction, primary_scenario
from arbiter.services.alerts import close_alert
from arbiter.services.transactions import decide_transaction
from tests.unit.transaction_fakes import ALERT_TESTS_NOW, MonitoringDeps
from tests.unit.transaction_fakes import card_payment as tx

NOW = ALERT_TESTS_NOW
KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")


@pytest.fixture
def deps() -> MonitoringDeps:
    return MonitoringDeps()


def burst(deps: MonitoringDeps, customer: str = "cust-1", count: int = 8) -> list[Any]:
    """`count` transactions within the hour: from the sixth on, each hits velocity-spike (a review)."""
    return [decide_transaction(deps, KEY, tx(n, customer)) for n in range(count)]


def test_later_transactions_of_the_same_scenario_join_the_open_alert(deps):
    decided = burst(deps)
    reviewed = [d for d in decided if d.decision != "allow"]
    assert len(reviewed) == 3
    assert {d.alert_id for d in reviewed} == {reviewed[0].alert_id}
    [alert] = deps.transactions.alerts.values()
    assert alert.scenario == "velocity-spike"
    assert alert.transaction_id == reviewed[0].transaction.id
    assert alert.transaction_count == 3
    assert alert.last_transaction_id == reviewed[-1].transaction.id
    assert alert.last_seen_at == NOW
    assert deps.transactions.alert_transactions_of[("acme", alert.id)] == [d.transaction.id for d in reviewed]
    kinds = [type(e) for e in deps.transactions.events]
    assert kinds == [
        TransactionDecided,
        AlertOpened,
        TransactionDecided,
        AlertUpdated,
        TransactionDecided,
        AlertUpdated,
    ]
    updates = [e for e in deps.transactions.events if isinstance(e, AlertUpdated)]
    assert [(u.alert_id, u.transaction_count) for u in updates] == [(alert.id, 2), (alert.id, 3)]
    assert [u.transaction_id for u in updates] == [d.transaction.id for d in reviewed[1:]]
    # Every transaction.decided names the one alert, with the transaction's own decision.
    decided_events = [e for e in deps.transactions.events if isinstance(e, TransactionDecided)]
    assert [e.transaction_id for e in decided_events] == [d.transaction.id for d in reviewed]
    assert {e.alert_id for e in decided_events} == {alert.id}


def test_another_customer_opens_an_alert_of_its_own(deps):
    burst(deps, "cust-1")
    burst(deps, "cust-2")
    alerts = sorted(deps.transactions.alerts.values(), key=lambda a: a.customer_id)
    assert [(a.customer_id, a.transaction_count) for a in alerts] == [("cust-1", 3), ("cust-2", 3)]


def test_another_scenario_opens_another_alert(deps):
    burst(deps, count=6)
    # A first transfer to a high-risk country: new-high-risk-country (high, 60) outranks velocity-spike (high, 50).
    risky = decide_transaction(deps, KEY, tx(6, counterparty=Counterparty(country="IR")))
    assert {"new-high-risk-country", "velocity-spike"} <= {h["rule_id"] for h in risky.hits}
    alerts = {a.scenario: a for a in deps.transactions.alerts.values()}
    assert set(alerts) == {"velocity-spike", "new-high-risk-country"}
    assert risky.alert_id == alerts["new-high-risk-country"].id
    assert alerts["velocity-spike"].transaction_count == 1
    # The next plain one in the burst joins the velocity alert, not the country one.
    following = decide_transaction(deps, KEY, tx(7))
    assert following.alert_id == alerts["velocity-spike"].id


def test_a_repeated_transaction_does_not_join_its_alert_again(deps):
    decided = burst(deps, count=7)
    decide_transaction(deps, KEY, decided[-1].transaction)
    [alert] = deps.transactions.alerts.values()
    assert alert.transaction_count == 2
    assert len([e for e in deps.transactions.events if isinstance(e, AlertUpdated)]) == 1


class RacingTransactions:
    """A store where another transaction opens or joins the alert between a decision's read and its write."""

    def __init__(self, deps: MonitoringDeps, rival: Transaction) -> None:
        self.inner, self.deps, self.rival, self.raced = deps.transactions, deps, rival, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def record(self, *args: Any) -> None:
        if not self.raced:
            self.raced = True
            self.deps.transactions = self.inner  # the rival decides on the plain store
            decide_transaction(self.deps, KEY, self.rival)
            self.deps.transactions = self  # type: ignore[assignment]
        self.inner.record(*args)


@pytest.mark.parametrize("before", [5, 6], ids=["both-open", "both-join"])
def test_a_lost_race_to_open_or_join_is_decided_again_and_joins(deps, before):
    burst(deps, count=before)
    racing = RacingTransactions(deps, rival=tx(20))
    deps.transactions = racing  # type: ignore[assignment]
    mine = decide_transaction(deps, KEY, tx(21))
    deps.transactions = racing.inner
    [alert] = deps.transactions.alerts.values()
    assert mine.alert_id == alert.id
    assert alert.transaction_count == before - 5 + 2
    assert alert.last_transaction_id == "cust-1-tx-21"


def test_a_join_whose_alert_moved_is_refused_by_the_store(deps):
    decided = burst(deps, count=6)
    alert = deps.transactions.open_alert("acme", "cust-1", "velocity-spike")
    assert alert is not None
    stale = alert.joined("x", "review", "high", 50, NOW)
    fresh = decide_transaction(deps, KEY, tx(6))
    assert fresh.alert_id == decided[-1].alert_id
    late = tx(30)
    changes = changes_for(
        late, deps.transactions.history("acme", late)
    )  # the profile as it is: only the alert moved
    with pytest.raises(ConcurrentUpdate):
        deps.transactions.record(fresh.model_copy(update={"transaction": late}), changes, stale, [])


def test_a_joined_alert_keeps_the_worst_decision_and_severity_and_the_highest_score():
    alert = Alert(
        id="alert_1",
        tenant_id="acme",
        customer_id="c",
        transaction_id="t1",
        decision="block",
        severity="medium",
        score=70,
        rule_set={"id": "transaction-monitoring", "version": 1},
        created_at=NOW,
        scenario="x",
    )
    joined = alert.joined("t2", "review", "critical", 40, NOW + dt.timedelta(minutes=1))
    assert (joined.decision, joined.severity, joined.score) == ("block", "critical", 70)
    assert (joined.transaction_count, joined.last_transaction_id) == (2, "t2")
    assert joined.transaction_id == "t1"


def test_the_primary_scenario_is_the_most_severe_then_highest_scored_hit():
    hits = [
        {"rule_id": "b", "severity": "medium", "score": 90},
        {"rule_id": "c", "severity": "high", "score": 40},
        {"rule_id": "a", "severity": "high", "score": 40},
        {"rule_id": "d", "severity": "high", "score": 10},
    ]
    assert primary_scenario(hits) == "a"
    assert primary_scenario([]) == NO_SCENARIO


REVIEWER = Principal(
    kind="reviewer", tenant_id="acme", id="rev-1", email="rev@acme.test", roles=("reviewer",)
)


def test_a_closed_alert_frees_its_scenario_and_publishes_alert_closed(deps):
    decided = burst(deps, count=7)
    alert_id = decided[-1].alert_id
    assert alert_id is not None
    closed = close_alert(deps, REVIEWER, alert_id, "false_positive", "payroll run")
    assert (closed.status, closed.resolution, closed.reason, closed.closed_by) == (
        "closed",
        "false_positive",
        "payroll run",
        "rev-1",
    )
    assert deps.transactions.get_alert("acme", alert_id) == closed
    event = deps.transactions.events[-1]
    assert isinstance(event, AlertClosed)
    assert (event.alert_id, event.transaction_count, event.actor.id, event.scenario) == (
        alert_id,
        2,
        "rev-1",
        "velocity-spike",
    )
    # The next hit of the scenario opens a new alert.
    following = decide_transaction(deps, KEY, tx(7))
    assert following.alert_id not in (None, alert_id)
    assert deps.transactions.alerts[("acme", alert_id)].transaction_count == 2


def test_closing_is_refused_for_a_closed_an_unknown_or_a_viewers_alert(deps):
    alert_id = burst(deps, count=6)[-1].alert_id
    assert alert_id is not None
    viewer = REVIEWER.model_copy(update={"roles": ("viewer",)})
    with pytest.raises(NotAllowed):
        close_alert(deps, viewer, alert_id, "true_positive", "x")
    with pytest.raises(NotFound):
        close_alert(deps, REVIEWER, "alert_unknown", "true_positive", "x")
    other_tenant = REVIEWER.model_copy(update={"tenant_id": "globex"})
    with pytest.raises(NotFound):
        close_alert(deps, other_tenant, alert_id, "true_positive", "x")
    close_alert(deps, REVIEWER, alert_id, "true_positive", "x")
    events = len(deps.transactions.events)
    with pytest.raises(Conflict):
        close_alert(deps, REVIEWER, alert_id, "no_action", "again")
    assert len(deps.transactions.events) == events


def test_a_transaction_joining_while_the_alert_is_closed_wins_and_the_close_is_refused(deps):
    alert_id = burst(deps, count=6)[-1].alert_id
    assert alert_id is not None
    read = deps.transactions.get_alert("acme", alert_id)
    assert read is not None
    decide_transaction(deps, KEY, tx(6))  # joins: two transactions now
    with pytest.raises(ConcurrentUpdate):
        deps.transactions.update_alert(
            read.closed("no_action", "x", "rev-1", NOW),
            AlertAction(id="act_1", alert_id=alert_id, action="closed", at=NOW, actor_id="rev-1"),
            [],
            closing=True,
        )
    stored = deps.transactions.get_alert("acme", alert_id)
    assert stored is not None
    assert (stored.status, stored.transaction_count) == ("open", 2)
