"""The demo's generated transactions: the same stream for the same start, sent customer by customer in time order,
and its planted patterns trip the default scenarios they are meant to (decided on the in-memory store)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from arbiter.api.transaction_schemas import TransactionRequest
from arbiter.domain.principal import Principal
from arbiter.services.transactions import decide_transaction
from arbiter_local.demo_transactions import DEMO_CUSTOMERS, demo_transactions, sending_order
from tests.unit.transaction_fakes import MonitoringDeps

NOW = dt.datetime(2026, 12, 6, 18, 0, tzinfo=dt.UTC)


def test_the_stream_is_the_same_for_the_same_start_and_a_few_thousand_long():
    stream = demo_transactions(NOW)
    assert stream == demo_transactions(NOW)
    assert 2000 <= len(stream) <= 4000
    assert len({t["id"] for t in stream}) == len(stream)
    assert {t["customer"]["id"] for t in stream} == set(DEMO_CUSTOMERS)
    assert max(t["time"] for t in stream) < NOW.isoformat()


def test_each_customers_transactions_are_sent_in_time_order():
    sent = sending_order(demo_transactions(NOW))
    times: dict[str, list[str]] = defaultdict(list)
    for t in sent:
        times[t["customer"]["id"]].append(t["time"])
    assert all(series == sorted(series) for series in times.values())
    assert sent[0]["customer"]["id"] == "sample-acme"  # the planted patterns come first


def test_the_planted_patterns_open_the_alerts_they_are_meant_to():
    deps = MonitoringDeps(clock=NOW)
    key = Principal(kind="integrator", tenant_id="demo", id="demo")
    for body in sending_order(demo_transactions(NOW)):
        decide_transaction(deps, key, TransactionRequest.model_validate(body).transaction())
    scenarios = {(a.customer_id, a.scenario) for a in deps.transactions.alerts.values()}
    assert {
        ("sample-acme", "structuring"),
        ("sample-john-doe", "velocity-spike"),
        ("sample-tehran-trading", "new-high-risk-country"),
        ("demo-customer-01", "rapid-movement"),
        ("demo-customer-02", "dormant-reactivated"),
        ("demo-customer-03", "amount-vs-average"),
        ("demo-customer-04", "many-counterparties"),
        ("demo-customer-05", "amount-vs-average"),
    } <= scenarios
    assert 8 <= len(scenarios) <= 40  # work for the queue, not a flood
