"""Re-underwriting from transaction monitoring, on fakes: a merchant approved with a monthly limit; its month's
processed volume is summed from the daily counters each decision reads already; the payment that takes the month
over the limit opens the merchant's re-underwriting review case of that month (the one the underwriting-metrics
route opens), and no later payment opens another; payments out, in another currency or of another month do not
count; a customer approved without a limit is never checked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from arbiter.domain.case import RiskAssessment
from arbiter.domain.entity import Entity
from arbiter.domain.monitoring import Bucket, CurrencyTotals, History, monthly_volume
from arbiter.domain.transactions import Transaction
from arbiter.domain.underwriting import MerchantMetrics, Terms
from arbiter.services import cases, review, underwriting, workflow_steps
from arbiter.services.review import DecisionRequest
from arbiter.services.rule_sets import CompiledRuleSets
from arbiter.services.transactions import decide_transaction
from tests.builders import integrator, reviewer, tenant
from tests.unit.fakes import InMemoryRuleSets
from tests.unit.monitoring_fakes import monitoring_deps
from tests.unit.transaction_fakes import InMemoryTransactions

NOW = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)
TERMS = Terms(risk_tier="low", monthly_limit=150_000, currency="EUR")


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def deps():
    deps = monitoring_deps()
    deps.tenants.add(tenant("acme"))
    deps.clock = Clock()
    deps.rule_sets = InMemoryRuleSets()
    deps.compiled_rule_sets = CompiledRuleSets(deps.rule_sets)
    deps.transactions = InMemoryTransactions()
    deps.transactions.monitored = deps.cases.monitored  # one table: decisions read the approvals' records
    return deps


def approved_merchant(deps, entity_id: str = "m-1", terms: Terms | None = TERMS) -> str:
    entity = Entity.model_validate(
        {"type": "business", "id": entity_id, "business": {"name": "BrightDesk GmbH"}}
    )
    application = {"mcc": "5734", "monthly_volume": 40_000, "average_ticket": 60, "currency": "EUR"}
    case, _ = cases.start_case(
        deps,
        integrator(),
        tenant("acme"),
        workflow="merchant-underwriting",
        entity=entity,
        context={"application": application},
    )
    deps.cases.cases[("acme", case.id)].risk = RiskAssessment(
        recommendation="approve", evaluated_at=NOW, terms=terms
    )
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="ok"))
    return case.id


def payment(
    number: int, amount: str, days_ago: float = 0, customer: str = "m-1", **fields: Any
) -> Transaction:
    values: dict[str, Any] = {
        "id": f"p-{number}",
        "customer_id": customer,
        "amount": Decimal(amount),
        "currency": "EUR",
        "direction": "inbound",
        "type": "card_payment",
        "time": NOW - dt.timedelta(days=days_ago, minutes=10 - number),
        **fields,
    }
    return Transaction(**values)


def review_cases(deps) -> list:
    return [c for c in deps.cases.cases.values() if c.review_due is not None]


def test_the_payment_that_takes_the_month_over_the_limit_opens_one_review(deps):
    onboarding = approved_merchant(deps)
    record = deps.monitored.get("acme", "m-1")
    assert (record.monthly_limit, record.limit_currency) == (150_000, "EUR")

    decide_transaction(deps, integrator(), payment(1, "70000", days_ago=25))  # November: another month
    decide_transaction(deps, integrator(), payment(2, "90000", days_ago=10))
    decide_transaction(deps, integrator(), payment(3, "500", days_ago=2, direction="outbound"))  # a payout
    decide_transaction(deps, integrator(), payment(4, "40000", days_ago=1, currency="USD"))  # not the terms'
    decide_transaction(deps, integrator(), payment(5, "60000"))  # 150,000 exactly: not over
    assert review_cases(deps) == []

    decide_transaction(deps, integrator(), payment(6, "0.01"))

    [case] = review_cases(deps)
    assert (case.workflow_id, case.onboarding_case_id, case.review_due) == (
        "merchant-underwriting",
        onboarding,
        dt.date(2026, 12, 1),
    )
    assert case.context["reported"] == {
        "period": "2026-12",
        "processed_volume": 150000.01,
        "currency": "EUR",
        "source": "transactions",
    }
    [due] = [e for e in deps.cases.events if e.type == "entity.review_due"]
    assert due.triggers == ["volume_over_limit"]

    decide_transaction(deps, integrator(), payment(7, "10000"))  # over already: nothing more
    assert len(review_cases(deps)) == 1
    reported = underwriting.report_metrics(
        deps,
        integrator(),
        tenant("acme"),
        "m-1",
        MerchantMetrics(period="2026-12", processed_volume=170_000, currency="EUR"),
    )
    assert (reported["case_id"], reported["opened"]) == (case.id, False)  # the same month's case


def test_a_customer_approved_without_a_limit_is_never_checked(deps):
    approved_merchant(deps, "m-2", terms=Terms(risk_tier="low"))
    assert deps.monitored.get("acme", "m-2").monthly_limit is None
    decide_transaction(deps, integrator(), payment(1, "9000000", customer="m-2"))
    assert review_cases(deps) == []


def test_the_months_volume_is_what_came_in_in_the_terms_currency_from_the_first_of_the_month():
    history = History(monthly_limit=Decimal(1000), limit_currency="EUR")
    history.buckets[("customer", "D")] = {
        "2026-11-30": Bucket("2026-11-30", 1, {"EUR": CurrencyTotals(1, Decimal(900), inbound=Decimal(900))}),
        "2026-12-01": Bucket("2026-12-01", 2, {"EUR": CurrencyTotals(2, Decimal(700), inbound=Decimal(600))}),
        "2026-12-19": Bucket("2026-12-19", 1, {"USD": CurrencyTotals(1, Decimal(50), inbound=Decimal(50))}),
        "2026-12-20": Bucket("2026-12-20", 1, {"EUR": CurrencyTotals(1, Decimal(300), inbound=Decimal(300))}),
    }
    volume = monthly_volume(payment(1, "150"), history)
    assert volume is not None
    assert (volume.month, volume.before, volume.after, volume.crossed) == (
        "2026-12",
        Decimal(900),
        Decimal(1050),
        True,
    )
    assert monthly_volume(payment(2, "150", currency="USD"), history) is None
    assert monthly_volume(payment(3, "150"), History()) is None
