"""Deciding transactions of one customer at once, on the DynamoDB adapter against the local stack's moto: every
transaction counted exactly once, the max never lost, the same id sent at once decided once."""

from __future__ import annotations

import datetime as dt
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import Transaction
from arbiter.services.rule_sets import CompiledRuleSets
from arbiter.services.transactions import MONITORING_RULE_SET_ID, decide_transaction

NOW = dt.datetime.now(dt.UTC)


@dataclass
class StackDeps:
    transactions: DynamoTransactionStore
    rule_sets: DynamoRuleSetRepository
    compiled_rule_sets: CompiledRuleSets

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@pytest.fixture
def deps(stack: Any) -> StackDeps:
    client, table = stack.client("dynamodb"), stack.physical_id("ArbiterTable")
    rule_sets = DynamoRuleSetRepository(client, table)
    return StackDeps(DynamoTransactionStore(client, table), rule_sets, CompiledRuleSets(rule_sets))


@pytest.fixture
def key() -> Principal:
    return Principal(kind="integrator", tenant_id=f"t-{secrets.token_hex(5)}", id="key_1")


def tx(number: int | str, amount: str, at: dt.datetime = NOW - dt.timedelta(minutes=5)) -> Transaction:
    return Transaction(
        id=f"tx-{number}",
        customer_id="cust-1",
        amount=Decimal(amount),
        currency="EUR",
        direction="inbound",
        type="card",
        time=at,
    )


def test_transactions_of_one_customer_at_once_are_each_counted_once(deps, key):
    amounts = [str(10 + n) for n in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        decided = list(pool.map(lambda n: decide_transaction(deps, key, tx(n, amounts[n])), range(12)))
    assert sorted(d.transaction.id for d in decided) == sorted(f"tx-{n}" for n in range(12))
    assert {d.rule_set.version for d in decided} == {1}  # the default installed once, whoever came first
    assert len(deps.rule_sets.versions(key.tenant_id, MONITORING_RULE_SET_ID)) == 1
    history = deps.transactions.history(key.tenant_id, tx("after", "1", NOW))
    assert history.customer is not None
    assert history.customer.count == 12
    [daily] = [b for b in history.customer_buckets("D").values() if b.count]
    assert daily.count == 12
    assert daily.totals["EUR"].sum == sum(Decimal(a) for a in amounts)
    assert daily.totals["EUR"].max == Decimal("21")


def test_the_same_transaction_sent_at_once_is_decided_once(deps, key):
    with ThreadPoolExecutor(max_workers=5) as pool:
        decided = list(pool.map(lambda _: decide_transaction(deps, key, tx("same", "500")), range(5)))
    assert all(d == decided[0] for d in decided)
    history = deps.transactions.history(key.tenant_id, tx("after", "1", NOW))
    assert history.customer is not None
    assert history.customer.count == 1


def alert_items(stack: Any, tenant_id: str) -> list[dict[str, Any]]:
    """Every alert item and alert-transaction link of the tenant (a test may scan; a request never does)."""
    pages = stack.client("dynamodb").get_paginator("scan")
    found: list[dict[str, Any]] = []
    for page in pages.paginate(
        TableName=stack.physical_id("ArbiterTable"),
        FilterExpression="begins_with(pk, :p) AND (sk = :alert OR begins_with(sk, :tx))",
        ExpressionAttributeValues={
            ":p": {"S": f"TENANT#{tenant_id}#ALERT#"},
            ":alert": {"S": "ALERT"},
            ":tx": {"S": "TX#"},
        },
    ):
        found += page["Items"]
    return found


def test_transactions_of_one_scenario_at_once_open_one_alert_and_all_join_it(stack, deps, key):
    # Five in the hour first (allowed); from the sixth on, each hits velocity-spike (a review).
    for n in range(5):
        decide_transaction(deps, key, tx(f"warm-{n}", "100", NOW - dt.timedelta(minutes=40 - n)))
    with ThreadPoolExecutor(max_workers=5) as pool:
        decided = list(
            pool.map(
                lambda n: decide_transaction(
                    deps, key, tx(f"burst-{n}", "100", NOW - dt.timedelta(minutes=20))
                ),
                range(5),
            )
        )
    assert {d.decision for d in decided} == {"review"}
    alert_ids = {d.alert_id for d in decided}
    assert len(alert_ids) == 1
    [alert_id] = alert_ids
    assert alert_id is not None
    items = alert_items(stack, key.tenant_id)
    assert [i["pk"]["S"] for i in items if i["sk"]["S"] == "ALERT"] == [
        f"TENANT#{key.tenant_id}#ALERT#{alert_id}"
    ]
    linked = sorted(i["transaction_id"]["S"] for i in items if i["sk"]["S"].startswith("TX#"))
    assert linked == sorted(f"tx-burst-{n}" for n in range(5))
    alert = deps.transactions.get_alert(key.tenant_id, alert_id)
    assert alert is not None
    assert alert.scenario == "velocity-spike"
    assert alert.transaction_count == 5
    assert deps.transactions.open_alert(key.tenant_id, "cust-1", "velocity-spike") == alert


class Cut(Exception):
    """The function stopped between the transaction's two writes (a timeout, a crash)."""


def test_a_decision_cut_between_its_two_writes_is_counted_by_the_next_attempt_once(stack, deps, key):
    client = deps.transactions._client
    cuts: list[str] = []

    def cut_before_the_profile(params: dict[str, Any], **_: Any) -> None:
        if params["Item"]["sk"]["S"] == "PROFILE" and not cuts:
            cuts.append(params["Item"]["pk"]["S"])
            raise Cut

    decide_transaction(deps, key, tx(1, "40"))
    client.meta.events.register("before-parameter-build.dynamodb.PutItem", cut_before_the_profile)
    try:
        with pytest.raises(Cut):
            decide_transaction(deps, key, tx(2, "60"))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.PutItem", cut_before_the_profile)
    assert cuts
    assert deps.transactions.get(key.tenant_id, "tx-2") is not None  # stored, not counted
    assert deps.transactions.uncounted(key.tenant_id, "tx-2")
    probe = tx("probe", "1", NOW)
    assert deps.transactions.history(key.tenant_id, probe).customer.count == 1  # type: ignore[union-attr]
    for _ in range(2):  # the message delivered again, twice: counted by the first, answered by both
        again = decide_transaction(deps, key, tx(2, "60"))
        assert again.transaction.id == "tx-2"
    assert not deps.transactions.uncounted(key.tenant_id, "tx-2")
    history = deps.transactions.history(key.tenant_id, probe)
    assert history.customer is not None
    assert history.customer.count == 2
    [daily] = [b for b in history.customer_buckets("D").values() if b.count]
    assert daily.totals["EUR"].sum == Decimal(100)
