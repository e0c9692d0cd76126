"""Deciding transactions on fakes: the default scenarios (hit and near miss), the pinned rule set version, alerts
and their event, idempotency on the id, conflicts, races on the customer's history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from arbiter.domain.entity import Entity
from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from arbiter.domain.events import AlertOpened, TransactionDecided
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.monitoring import EVERYTHING, History, Needs
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Counterparty, Transaction
from arbiter.rules.ruleset import RuleSetDraft, RuleSetVersion
from arbiter.services import transactions
from arbiter.services.rule_sets import CompiledRuleSets
from arbiter.services.transactions import MONITORING_RULE_SET_ID, decide_transaction, default_scenarios
from tests.unit.fakes import InMemoryRuleSets
from tests.unit.transaction_fakes import InMemoryTransactions, MonitoringDeps

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
T0 = NOW - dt.timedelta(hours=1)
KEY = Principal(kind="integrator", tenant_id="acme", id="key_1")


@pytest.fixture
def deps() -> MonitoringDeps:
    return MonitoringDeps()


def tx(number: int | str, amount: str = "100", at: dt.datetime = T0, **fields: Any) -> Transaction:
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


def rules_hit(decided: Any) -> set[str]:
    return {hit["rule_id"] for hit in decided.hits}


def test_an_ordinary_transaction_is_allowed_and_opens_nothing(deps):
    decided = decide_transaction(deps, KEY, tx(1, counterparty=Counterparty(name="Grocer", country="DE")))
    assert decided.decision == "allow"
    assert decided.hits == []
    assert decided.alert_id is None
    assert deps.transactions.alerts == {}
    assert deps.transactions.events == []
    assert deps.transactions.get("acme", "tx-1") == decided


def test_a_fresh_tenant_gets_the_default_scenarios_published_and_pinned(deps):
    first = decide_transaction(deps, KEY, tx(1))
    second = decide_transaction(deps, KEY, tx(2))
    assert first.rule_set.model_dump() == {"id": MONITORING_RULE_SET_ID, "version": 1}
    assert second.rule_set.version == 1  # installed once
    assert deps.rule_sets.published_version("acme", MONITORING_RULE_SET_ID) == 1
    stored = deps.rule_sets.get_version("acme", MONITORING_RULE_SET_ID, 1)
    assert stored.content() == default_scenarios()
    assert stored.created_by == "arbiter"


def test_a_default_another_request_saved_but_has_not_published_yet_is_published_not_copied(deps):
    """Two first transactions at once: one saved the default (not yet published) when the other looks."""
    deps.rule_sets.add_version("acme", default_scenarios(), actor="arbiter", at=NOW)
    decided = decide_transaction(deps, KEY, tx(1))
    assert decided.rule_set.version == 1
    assert [v.version for v in deps.rule_sets.versions("acme", MONITORING_RULE_SET_ID)] == [1]
    assert deps.rule_sets.published_version("acme", MONITORING_RULE_SET_ID) == 1


def test_a_default_another_request_published_just_after_it_was_looked_for_is_pinned_not_copied(deps):
    """The other order of the same race: the default was published between this request's two reads."""
    deps.rule_sets.add_version("acme", default_scenarios(), actor="arbiter", at=NOW)
    deps.rule_sets.publish("acme", MONITORING_RULE_SET_ID, 1, actor="arbiter", at=NOW)
    reads = iter([None])  # the first read is stale (taken before the other request published), later ones not
    published = deps.rule_sets.published_version
    deps.rule_sets.published_version = lambda t, r: (
        next(reads) if reads.__length_hint__() else published(t, r)
    )
    decided = decide_transaction(deps, KEY, tx(1))
    assert decided.rule_set.version == 1
    assert [v.version for v in deps.rule_sets.versions("acme", MONITORING_RULE_SET_ID)] == [1]


def test_the_tenants_own_published_version_is_used_and_recorded(deps):
    own = default_scenarios().model_copy(update={"rules": [], "name": "Only thresholds"})
    for version in (1, 2):
        deps.rule_sets.add_version("acme", own, actor="admin", at=NOW)
        deps.rule_sets.publish("acme", MONITORING_RULE_SET_ID, version, actor="admin", at=NOW)
    decided = decide_transaction(deps, KEY, tx(1, "50000"))
    assert decided.rule_set.version == 2
    assert decided.decision == "allow"  # version 2 has no rules, so not even a large amount is flagged


def test_a_tenant_with_an_unpublished_draft_gets_the_default_published_as_its_next_version(deps):
    draft = RuleSetDraft(id=MONITORING_RULE_SET_ID, name="Work in progress")
    deps.rule_sets.add_version("acme", draft, actor="admin", at=NOW)
    decided = decide_transaction(deps, KEY, tx(1))
    assert decided.rule_set.version == 2
    assert deps.rule_sets.get_version("acme", MONITORING_RULE_SET_ID, 1).status == "draft"  # left as it was


def test_structuring_just_below_the_threshold_opens_an_alert_with_its_event(deps):
    for number, minutes in enumerate((-300, -120)):
        assert (
            decide_transaction(deps, KEY, tx(number, "9500", T0 + dt.timedelta(minutes=minutes))).decision
            == "allow"
        )
    decided = decide_transaction(deps, KEY, tx("third", "9800"))
    assert decided.decision == "review"
    assert "structuring" in rules_hit(decided)
    hit = next(h for h in decided.hits if h["rule_id"] == "structuring")
    assert hit["values"] == {
        "tx.amount": 9800.0,
        "window.24h.currency_count": 2,
        "window.24h.avg": 9500.0,
        "window.24h.max": 9500.0,
    }
    alert = deps.transactions.get_alert("acme", decided.alert_id)
    assert alert is not None
    assert (alert.status, alert.customer_id, alert.transaction_id) == ("open", "cust-1", "tx-third")
    assert alert.severity == "high"
    assert alert.rule_set == decided.rule_set
    event, opened = deps.transactions.events
    assert isinstance(event, TransactionDecided)
    assert isinstance(opened, AlertOpened)
    assert (opened.alert_id, opened.scenario, opened.transaction_id) == (alert.id, alert.scenario, "tx-third")
    assert (event.alert_id, event.transaction_id, event.decision, event.amount) == (
        alert.id,
        "tx-third",
        "review",
        "9800",
    )
    assert "structuring" in {h.rule for h in event.hits}


def test_structuring_near_misses(deps):
    # Two earlier ones just below, but this one is small: no structuring.
    for number in range(2):
        decide_transaction(deps, KEY, tx(number, "9500", T0 - dt.timedelta(hours=2 + number)))
    assert "structuring" not in rules_hit(decide_transaction(deps, KEY, tx("small", "500")))
    # Only one earlier one in the window (the other is more than 24 hours old).
    other = MonitoringDeps()
    decide_transaction(other, KEY, tx(0, "9500", T0 - dt.timedelta(hours=30)))
    decide_transaction(other, KEY, tx(1, "9500", T0 - dt.timedelta(hours=2)))
    assert "structuring" not in rules_hit(decide_transaction(other, KEY, tx("third", "9800")))


def test_a_velocity_spike_is_the_sixth_transaction_within_an_hour(deps):
    for number in range(5):
        decided = decide_transaction(deps, KEY, tx(number, "20", T0 - dt.timedelta(minutes=40 - number)))
        assert decided.decision == "allow"
    decided = decide_transaction(deps, KEY, tx("sixth", "20"))
    assert decided.decision == "review"
    assert rules_hit(decided) == {"velocity-spike"}
    assert decided.hits[0]["values"]["window.1h.count"] == 5


def test_four_transactions_within_an_hour_are_not_a_spike(deps):
    for number in range(4):
        decide_transaction(deps, KEY, tx(number, "20", T0 - dt.timedelta(minutes=30 - number)))
    assert decide_transaction(deps, KEY, tx("fifth", "20")).decision == "allow"


def test_a_first_counterparty_in_a_high_risk_country_is_reviewed_then_only_flagged(deps):
    party = Counterparty(name="Tehran Trading", account="IR-1", country="IR")
    first = decide_transaction(deps, KEY, tx(1, "300", counterparty=party))
    assert first.decision == "review"
    assert rules_hit(first) == {"new-high-risk-country", "high-risk-country"}
    again = decide_transaction(deps, KEY, tx(2, "300", T0 + dt.timedelta(minutes=1), counterparty=party))
    assert rules_hit(again) == {"high-risk-country"}
    assert again.decision == "allow"  # 20 points, below review


def test_a_large_amount_to_a_new_high_risk_country_is_blocked(deps):
    decided = decide_transaction(deps, KEY, tx(1, "12345", counterparty=Counterparty(country="KP")))
    assert decided.decision == "block"
    assert decided.score == 120
    assert deps.transactions.get_alert("acme", decided.alert_id).decision == "block"
    assert deps.transactions.events[0].decision == "block"


def test_an_amount_far_above_the_90_day_average(deps):
    for day in range(5):
        decide_transaction(deps, KEY, tx(day, "200", T0 - dt.timedelta(days=10 + day)))
    assert "amount-vs-average" not in rules_hit(decide_transaction(deps, KEY, tx("near", "999")))
    decided = decide_transaction(
        deps, KEY, tx("far", "2000", T0 + dt.timedelta(minutes=1))
    )  # 6 x the average
    assert rules_hit(decided) == {"amount-vs-average"}
    assert decided.decision == "review"


def test_a_dormant_customer_waking_up(deps):
    decide_transaction(deps, KEY, tx("old", "50", T0 - dt.timedelta(days=200)))
    decided = decide_transaction(deps, KEY, tx("back", "1000"))
    assert rules_hit(decided) == {"dormant-reactivated"}
    assert decided.hits[0]["values"]["customer.days_since_last"] == 200.0


def test_many_distinct_counterparties_in_a_week(deps):
    for number in range(10):
        party = Counterparty(account=f"ACC-{number}")
        decide_transaction(
            deps, KEY, tx(number, "10", T0 - dt.timedelta(days=1, hours=number), counterparty=party)
        )
    decided = decide_transaction(deps, KEY, tx("eleventh", "10", counterparty=Counterparty(account="ACC-X")))
    assert rules_hit(decided) == {"many-counterparties"}
    inbound = decide_transaction(deps, KEY, tx("in", "10", T0 + dt.timedelta(seconds=1), direction="inbound"))
    assert "many-counterparties" not in rules_hit(inbound)


def test_the_same_transaction_twice_is_one_transaction(deps):
    party = Counterparty(country="IR")
    first = decide_transaction(deps, KEY, tx(1, "300", counterparty=party))
    again = decide_transaction(deps, KEY, tx(1, "300.00", counterparty=party))
    assert again == first
    assert len(deps.transactions.alerts) == 1
    assert [e.type for e in deps.transactions.events] == ["transaction.decided", "alert.opened"]
    seen = deps.transactions.history("acme", tx("probe"))
    assert seen.customer is not None
    assert seen.customer.count == 1


def test_another_body_under_the_same_id_is_a_conflict_naming_the_fields(deps):
    decide_transaction(deps, KEY, tx(1, "300", counterparty=Counterparty(country="DE")))
    with pytest.raises(Conflict) as raised:
        decide_transaction(deps, KEY, tx(1, "301", counterparty=Counterparty(country="FR")))
    assert raised.value.context["fields"] == ["amount", "counterparty.country"]
    assert "amount, counterparty.country" in raised.value.message
    with pytest.raises(Conflict) as other_customer:
        decide_transaction(
            deps, KEY, tx(1, "300", customer_id="cust-2", counterparty=Counterparty(country="DE"))
        )
    assert other_customer.value.context["fields"] == ["customer.id"]
    assert deps.transactions.history("acme", tx("probe")).customer.count == 1  # type: ignore[union-attr]


def test_the_same_time_in_another_offset_is_the_same_transaction(deps):
    first = decide_transaction(deps, KEY, tx(1))
    shifted = T0.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert decide_transaction(deps, KEY, tx(1, at=shifted)) == first


def test_a_transaction_from_the_future_is_refused_and_nothing_is_stored(deps):
    with pytest.raises(InvalidInput) as raised:
        decide_transaction(deps, KEY, tx(1, at=NOW + dt.timedelta(minutes=6)))
    assert raised.value.path == "time"
    assert deps.transactions.transactions == {}
    assert deps.transactions.buckets == {}
    assert (
        decide_transaction(deps, KEY, tx(2, at=NOW + dt.timedelta(minutes=4))).decision == "allow"
    )  # clock skew


def test_another_tenant_sees_neither_the_transaction_nor_its_history(deps):
    decide_transaction(deps, KEY, tx(1, "9500"))
    other = Principal(kind="integrator", tenant_id="globex", id="key_2")
    with pytest.raises(NotFound):
        transactions.get_transaction(deps, other, "tx-1")
    decided = decide_transaction(
        deps, other, tx(1, "9500")
    )  # the same id is another tenant's own transaction
    assert decided.decision == "allow"
    assert transactions.get_transaction(deps, KEY, "tx-1").transaction.amount == Decimal("9500")


def test_an_unknown_transaction_is_not_found(deps):
    with pytest.raises(NotFound) as raised:
        transactions.get_transaction(deps, KEY, "tx-nope")
    assert raised.value.context == {"transaction_id": "tx-nope"}


class RacingTransactions(InMemoryTransactions):
    """A store where another transaction of the same customer is recorded right after the first read."""

    def __init__(self, competitor: Transaction, deps: MonitoringDeps) -> None:
        super().__init__()
        self.competitor: Transaction | None = competitor
        self.deps = deps

    def history(self, tenant_id: str, tx: Transaction, needs: Needs = EVERYTHING) -> History:
        read = super().history(tenant_id, tx, needs)
        if self.competitor is not None:
            competitor, self.competitor = self.competitor, None
            decide_transaction(self.deps, KEY, competitor)
        return read


def test_a_decision_whose_history_moved_is_taken_again_on_the_new_history():
    deps = MonitoringDeps()
    deps.transactions = RacingTransactions(tx("competitor", "900", T0 - dt.timedelta(minutes=1)), deps)
    decided = decide_transaction(deps, KEY, tx(1, "100"))
    assert deps.transactions.history("acme", tx("probe")).customer.count == 2  # type: ignore[union-attr]
    assert decided.decision == "allow"
    assert len(deps.transactions.reads) == 4  # ours, the competitor's, ours again, the probe's


class AlwaysMoving(InMemoryTransactions):
    def record(self, *args: Any) -> None:
        raise ConcurrentUpdate("the history moved")


def test_a_history_that_never_settles_is_a_conflict_to_retry_and_nothing_is_stored():
    deps = MonitoringDeps(transactions=AlwaysMoving())
    with pytest.raises(ConcurrentUpdate) as raised:
        decide_transaction(deps, KEY, tx(1))
    assert "retry" in raised.value.message
    assert len(deps.transactions.reads) == transactions.MAX_ATTEMPTS
    assert deps.transactions.transactions == {}


class PublishedMeanwhile(InMemoryRuleSets):
    """Another request publishes the default scenarios between our read and our save."""

    def add_version(
        self, tenant_id: str, draft: RuleSetDraft, *, actor: str | None, at: dt.datetime, **kw: Any
    ) -> Any:
        if not self.versions_by_key:
            super().add_version(tenant_id, draft, actor=actor, at=at)
            self.publish(tenant_id, draft.id, 1, actor=actor, at=at)
            raise Conflict("version 1 was just taken")
        return super().add_version(tenant_id, draft, actor=actor, at=at, **kw)


def test_two_first_transactions_install_the_default_scenarios_once():
    deps = MonitoringDeps(rule_sets=PublishedMeanwhile())
    deps.compiled_rule_sets = CompiledRuleSets(deps.rule_sets)
    assert decide_transaction(deps, KEY, tx(1)).rule_set.version == 1
    assert len(deps.rule_sets.versions("acme", MONITORING_RULE_SET_ID)) == 1


class SavedUnseen(InMemoryRuleSets):
    """Another request's save of the default is stored, but the first listing of versions does not show it yet
    (a DynamoDB query sees a transaction's items one by one)."""

    def __init__(self) -> None:
        super().__init__()
        self.listings = 0

    def versions(self, tenant_id: str, rule_set_id: str, *, limit: int = 100) -> list[RuleSetVersion]:
        self.listings += 1
        if self.listings == 1:
            super().add_version(
                tenant_id,
                transactions.default_scenarios(),
                actor=transactions.DEFAULT_SCENARIOS_ACTOR,
                at=NOW,
            )
            raise NotFound(f"no rule set {rule_set_id}", rule_set_id=rule_set_id)
        return super().versions(tenant_id, rule_set_id, limit=limit)


def test_a_default_saved_by_another_request_but_not_yet_listed_is_published_not_saved_again():
    deps = MonitoringDeps(rule_sets=SavedUnseen())
    deps.compiled_rule_sets = CompiledRuleSets(deps.rule_sets)
    assert decide_transaction(deps, KEY, tx(1)).rule_set.version == 1
    assert [v.status for v in deps.rule_sets.versions("acme", MONITORING_RULE_SET_ID)] == ["published"]


@pytest.mark.parametrize(
    ("amount", "rules"),
    [
        ("10000.01", {"large-amount"}),
        ("9999.99", set()),  # just below: nothing
        ("15000", {"large-amount", "round-amount"}),
        ("5000", {"round-amount"}),
        ("4000", set()),  # round, but below 5,000
        ("5000.50", set()),
    ],
)
def test_large_and_round_amounts_hit_and_near_miss(deps, amount, rules):
    assert rules_hit(decide_transaction(deps, KEY, tx(1, amount))) == rules


def test_a_customer_quiet_for_less_than_180_days_is_not_dormant(deps):
    decide_transaction(deps, KEY, tx("old", "50", T0 - dt.timedelta(days=179)))
    assert rules_hit(decide_transaction(deps, KEY, tx("back", "1000"))) == set()


def test_a_counterparty_in_a_monitored_country_is_only_flagged(deps):
    decided = decide_transaction(deps, KEY, tx(1, "300", counterparty=Counterparty(country="NG")))
    assert rules_hit(decided) == {"high-risk-country"}
    assert decided.decision == "allow"
    assert decided.score == 20


def test_money_out_within_a_day_of_coming_in_is_rapid_movement(deps):
    decide_transaction(deps, KEY, tx("in", "5000", T0 - dt.timedelta(hours=20), direction="inbound"))
    near = decide_transaction(deps, KEY, tx("near", "3999", T0 - dt.timedelta(hours=2)))  # under 80% of 5,000
    assert "rapid-movement" not in rules_hit(near)
    inbound = decide_transaction(
        deps, KEY, tx("in-again", "4000", T0 - dt.timedelta(hours=1), direction="inbound")
    )
    assert "rapid-movement" not in rules_hit(inbound)
    decided = decide_transaction(deps, KEY, tx("out", "7200", T0))  # 80% of the 9,000 that came in
    assert rules_hit(decided) == {"rapid-movement"}
    assert decided.decision == "review"
    assert decided.hits[0]["values"]["window.24h.inbound_sum"] == 9000.0


def test_money_that_came_in_more_than_a_day_before_is_not_rapid_movement(deps):
    decide_transaction(deps, KEY, tx("in", "5000", T0 - dt.timedelta(hours=25), direction="inbound"))
    assert "rapid-movement" not in rules_hit(decide_transaction(deps, KEY, tx("out", "5000", T0)))
    decide_transaction(deps, KEY, tx("small-in", "900", T0 + dt.timedelta(minutes=1), direction="inbound"))
    small = decide_transaction(deps, KEY, tx("small-out", "900", T0 + dt.timedelta(minutes=2)))
    assert "rapid-movement" not in rules_hit(small)  # under 1,000 came in within the day


@pytest.mark.parametrize(
    ("risk_level", "amount", "hit"),
    [
        ("high", "5000", True),
        ("critical", "6000", True),
        ("high", "4999.99", False),
        ("medium", "5000", False),
    ],
)
def test_a_large_amount_for_a_customer_onboarded_at_high_risk(deps, risk_level, amount, hit):
    deps.cases.monitored[("acme", "cust-1")] = MonitoredEntity.approved(
        "acme",
        "case_1",
        "kyc",
        Entity.model_validate({"type": "individual", "id": "cust-1", "individual": {"first_name": "Ada"}}),
        T0 - dt.timedelta(days=60),
        risk_level=risk_level,
    )
    decided = decide_transaction(deps, KEY, tx("large", amount, counterparty=Counterparty(account="ACC-1")))
    assert ("high-risk-customer" in rules_hit(decided)) is hit
    if hit:
        assert decided.decision == "review"
        assert decided.hits[0]["values"]["customer.risk_level"] == risk_level


def test_a_customer_not_onboarded_through_arbiter_has_no_risk_level(deps):
    decided = decide_transaction(deps, KEY, tx("large", "5000"))
    assert "high-risk-customer" not in rules_hit(decided)
