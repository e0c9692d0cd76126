"""The DynamoDB reads behind batch status and backtests, against the local stack's moto: a batch's entries from its
own partition and, for batches scored before, the ByStatus index (a redelivery counts once), a tenant's
transactions of a range from the day index and the scoring's day lists (start included, end excluded, across days,
bounded), and a customer's markers today."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.transaction_batches import DynamoTransactionBatches
from arbiter.domain.principal import Principal
from arbiter.domain.transaction_batches import Batch, BatchEntry, batch_status
from arbiter.domain.transactions import Counterparty, Transaction
from arbiter.services.transaction_batches import record_decided
from arbiter.services.transactions import decide_transaction
from tests.unit.monitoring.test_monitoring_races import StackDeps

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture
def deps(stack: Any) -> StackDeps:
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
    from arbiter.services.rule_sets import CompiledRuleSets

    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    rule_sets = DynamoRuleSetRepository(client, table)
    return StackDeps(DynamoTransactionStore(client, table), rule_sets, CompiledRuleSets(rule_sets))


@pytest.fixture
def key() -> Principal:
    return Principal(kind="integrator", tenant_id=f"t-{secrets.token_hex(5)}", id="key_1")


def payment(number: int, at: dt.datetime, amount: str = "25", customer: str = "cust-1") -> Transaction:
    return Transaction(
        id=f"tx-{number}",
        customer_id=customer,
        amount=Decimal(amount),
        currency="EUR",
        direction="outbound",
        type="card",
        time=at,
        counterparty=Counterparty(name="Shop", country="FR"),
    )


@dataclass
class BatchStackDeps(StackDeps):
    transaction_batches: DynamoTransactionBatches


def test_a_batch_counts_each_transaction_once_from_its_lists_and_entries(deps, key, stack):
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    batches = DynamoTransactionBatches(client, table)
    scoring = BatchStackDeps(deps.transactions, deps.rule_sets, deps.compiled_rule_sets, batches)
    batch = Batch(tenant_id=key.tenant_id, id="batch_1", accepted=4, created_at=NOW)
    batches.create(batch)
    first = payment(1, NOW - dt.timedelta(hours=1))
    for _ in range(
        2
    ):  # delivered twice: recorded once, the second answered from the store; listed both times
        record_decided(scoring, [decide_transaction(deps, key, first, batch_id=batch.id)])
    large = payment(2, NOW - dt.timedelta(minutes=50), amount="25000")
    decided = [decide_transaction(deps, key, p, batch_id=batch.id) for p in (first, large)]
    assert decided[1].decision == "review"
    record_decided(scoring, decided)  # another invocation: tx-1 again, with tx-2
    failure = BatchEntry(
        transaction_id="tx-3", reason="transaction tx-3 was already received with another amount"
    )
    batches.put_entry(key.tenant_id, batch.id, failure)
    batches.put_entry(key.tenant_id, batch.id, failure)
    # Scored before the lists existed: a keys-only ByStatus entry written with the transaction.
    client.put_item(
        TableName=table,
        Item={
            "pk": {"S": keys.transaction_pk(key.tenant_id, "tx-4")},
            "sk": {"S": keys.TRANSACTION_SK},
            "status_pk": {"S": keys.batch_index_pk(key.tenant_id, batch.id)},
            "status_sk": {"S": "block#O#tx-4"},
        },
    )

    status = batch_status(batch, batches.entries(key.tenant_id, batch.id))
    assert (status.scored, status.failed, status.done) == (3, 1, True)
    assert status.decisions == {"allow": 1, "review": 1, "block": 1}
    assert status.alerts_opened == 2  # tx-2's, and tx-4's as its index entry says
    assert status.failures[0].reason == failure.reason
    assert batches.get("another-tenant", batch.id) is None
    assert batches.entries("another-tenant", batch.id) == []


def test_a_range_of_the_day_index_includes_its_start_excludes_its_end_and_is_bounded(deps, key):
    start = (NOW - dt.timedelta(days=3)).replace(hour=23, minute=0, second=0)
    times = [
        start - dt.timedelta(seconds=1),
        start,
        start + dt.timedelta(hours=2),
        start + dt.timedelta(days=1),
    ]
    end = start + dt.timedelta(days=1)
    for number, at in enumerate(times):
        decide_transaction(deps, key, payment(number, at))
    # Transactions of a batch, found once the scoring function listed them under their days (two lists over
    # the day's edge, one of them listed twice: a redelivery).
    batched = [
        decide_transaction(deps, key, payment(number, at), batch_id="batch_1")
        for number, at in [
            (10, start + dt.timedelta(minutes=30)),
            (11, end),
            (12, start - dt.timedelta(hours=1)),
        ]
    ]
    found = deps.transactions.transactions_between(key.tenant_id, start, end, 100)
    assert [d.transaction.id for d in found] == ["tx-1", "tx-2"]
    deps.transactions.index_by_day(key.tenant_id, batched)
    deps.transactions.index_by_day(key.tenant_id, batched[:1])
    found = deps.transactions.transactions_between(key.tenant_id, start, end, 100)
    assert [d.transaction.id for d in found] == ["tx-1", "tx-10", "tx-2"]
    assert [
        d.transaction.id for d in deps.transactions.transactions_between(key.tenant_id, start, end, 2)
    ] == ["tx-1", "tx-10"]
    assert deps.transactions.transactions_between("another-tenant", start, end, 100) == []


def test_a_customers_markers_today_and_its_last_transaction_before_a_time(deps, key):
    times = [NOW - dt.timedelta(days=200), NOW - dt.timedelta(days=100), NOW - dt.timedelta(days=1)]
    for number, at in enumerate(times):
        decide_transaction(deps, key, payment(number, at))
    now = deps.transactions.customer_now(key.tenant_id, "cust-1", NOW - dt.timedelta(days=50))
    assert now.last_before == times[1]
    customer = now.markers[("customer", "cust-1")]
    assert (customer.first, customer.last, customer.count) == (times[0], times[2], 3)
    assert now.markers[("country", "FR")].count == 3
    # The shipped scenarios read no counterparty's marker: none is kept.
    assert not [k for k in now.markers if k[0] == "counterparty"]
    assert now.risk_level is None
