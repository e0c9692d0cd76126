"""What the stores write of a decision and an alert (`stored_json`) is the bytes `model_dump_json` makes, for
decisions allowed, reviewed and blocked (hits, their values, alerts) of the shipped scenarios."""

from __future__ import annotations

import datetime as dt

from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Transaction, stored_json
from arbiter.services.transactions import decide_transaction
from bench.monitoring.run import START, stream
from tests.unit.transaction_fakes import MonitoringDeps


def test_decisions_and_alerts_are_written_as_model_dump_json_writes_them():
    deps = MonitoringDeps(clock=START + dt.timedelta(days=91))
    key = Principal(kind="integrator", tenant_id="bench", id="key_1")
    decided = [
        decide_transaction(deps, key, Transaction.model_validate(payload))
        for payload in stream(customers=12, count=1500, seed=5)
    ]
    assert {d.decision for d in decided} == {"allow", "review", "block"}
    for found in decided:
        assert stored_json(found) == found.model_dump_json().encode()
        assert deps.transactions.written[("bench", found.transaction.id)] == stored_json(found)
    alerts = list(deps.transactions.alerts.values())
    assert any(alert.transaction_count > 1 for alert in alerts)  # opened and joined ones
    for alert in alerts:
        assert stored_json(alert) == alert.model_dump_json().encode()
