"""Use case of a monitoring backtest: a rule set version (saved, or a draft not saved) re-scored over the tenant's
stored transactions of a time range, on the history each of them saw when it was decided.

Bounded: at most MAX_ANSWERED_TRANSACTIONS transactions in the range for a backtest answered in its request (API
Gateway's 29 seconds), MAX_BACKTEST_TRANSACTIONS for one run as a job (`arbiter.services.transaction_backtest_jobs`);
more is refused, naming the time to stop at. At most MAX_REPLAYED_TRANSACTIONS read in all, the customers' earlier history included. For each customer with a
transaction in the range, its transactions from 90 days before its first one in the range are replayed in the order
they were decided (`arbiter.domain.monitoring_replay`): the windows are rebuilt exactly as the store had them. What
is approximate is said in docs/rules.md (backtests): markers before the replay (first seen, count) are derived from
today's markers, the risk level is today's, and alerts are counted as if none was open when the range starts.
Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.errors import InvalidInput
from arbiter.domain.monitoring import Dimension, Seen, monitoring_context
from arbiter.domain.monitoring_replay import HistoryReplay, Standing
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import (
    EARLIEST_TIME,
    MAX_DAY_RANGE,
    NO_SCENARIO,
    DecidedTransaction,
    Decision,
    counterparty_key,
    decision_of,
    primary_scenario,
)
from arbiter.services.transactions import MONITORING_RULE_SET_ID, TransactionDeps

if TYPE_CHECKING:
    from arbiter.rules.evaluation import CompiledRuleSet

__all__ = [
    "MAX_ANSWERED_TRANSACTIONS",
    "MAX_BACKTEST_TRANSACTIONS",
    "MAX_LISTED",
    "MAX_REPLAYED_TRANSACTIONS",
    "BacktestDeps",
    "CustomerNow",
    "TransactionBacktest",
    "TransactionHistorySource",
    "backtest_transactions",
    "check_request",
]

#: Transactions a backtest run as a job scores at most: a range holding more is refused.
MAX_BACKTEST_TRANSACTIONS = 10_000
#: Transactions a backtest answered in its request scores at most: 10,000 took 35 s in memory (docs/rules.md), past
#: API Gateway's 29 seconds before any DynamoDB read; 2,000 leave room for the reads.
MAX_ANSWERED_TRANSACTIONS = 2_000
#: Transactions a backtest reads at most, the customers' 90 days before the range included.
MAX_REPLAYED_TRANSACTIONS = 50_000
#: Changed transactions and alerts listed (all are counted).
MAX_LISTED = 100
#: How far before a customer's first transaction in the range its history is replayed: the longest window (90
#: daily buckets ending with the transaction's day), from the start of that day.
LOOKBACK = dt.timedelta(days=90)


class CustomerNow(BaseModel):
    """What the store knows of a customer today: its markers (first/last seen, count), its onboarding risk level,
    and the time of its newest transaction before a given time."""

    model_config = ConfigDict(arbitrary_types_allowed=True)  # `Seen` is a plain class

    markers: dict[tuple[Dimension, str], Seen] = Field(default_factory=dict)
    risk_level: str | None = None
    last_before: dt.datetime | None = None


class TransactionHistorySource(Protocol):
    """The stored transactions a backtest reads."""

    def transactions_between(
        self, tenant_id: str, start: dt.datetime, end: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        """The tenant's transactions whose time is in [start, end), oldest first, at most `limit`."""

    def customer_transactions(
        self, tenant_id: str, customer_id: str, since: dt.datetime, limit: int
    ) -> list[DecidedTransaction]:
        """The customer's transactions whose time is `since` or later, newest first, at most `limit`."""

    def customer_now(self, tenant_id: str, customer_id: str, before: dt.datetime) -> CustomerNow:
        """The customer's markers and risk level today, and its newest transaction's time before `before`."""


class BacktestDeps(TransactionDeps, Protocol):
    """The monitoring ports plus the stored transactions' history."""

    @property
    def transaction_history(self) -> TransactionHistorySource: ...


class ChangedTransaction(BaseModel):
    id: str
    customer_id: str
    time: dt.datetime
    before: Decision
    after: Decision
    score: float
    hits: list[str]


class BacktestAlert(BaseModel):
    """An alert the version would open: its customer and scenario, the transaction opening it, those joining."""

    customer_id: str
    scenario: str
    transaction_id: str
    decision: Decision
    transactions: int


class TransactionBacktest(BaseModel):
    rule_set: dict[str, Any]
    start: dt.datetime
    end: dt.datetime
    transactions: int
    #: Transactions read to rebuild the customers' histories (the range's included).
    replayed: int
    before: dict[Decision, int]
    after: dict[Decision, int]
    changed: int
    #: "allow→review": how many, for every pair that changed.
    changes: dict[str, int]
    changed_transactions: list[ChangedTransaction]
    alerts_opened: int
    alerts: list[BacktestAlert]
    #: Transactions whose own pinned version, re-run on the rebuilt history, gives their stored decision: how far the
    #: rebuilt history is the one they saw (equal to `transactions` when it is).
    reproduced: int


def _rules(
    deps: TransactionDeps, tenant_id: str, version: int | None, draft: Any
) -> tuple[CompiledRuleSet, dict[str, Any]]:
    from arbiter.rules.evaluation import compile_rule_set
    from arbiter.rules.ruleset import parse_draft

    if (version is None) == (draft is None):
        raise InvalidInput("give either version (a saved version) or rule_set (a draft)", path="version")
    if draft is not None:
        parsed = parse_draft(draft)
        return compile_rule_set(parsed), {"id": parsed.id, "version": None}
    assert version is not None
    return deps.compiled_rule_sets.get(tenant_id, MONITORING_RULE_SET_ID, version), {
        "id": MONITORING_RULE_SET_ID,
        "version": version,
    }


def _checked_range(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start and end need a time zone (Z for UTC)", path="start")
    if start < EARLIEST_TIME:
        raise InvalidInput("start is before 2000: no transaction is", path="start")
    if start >= end:
        raise InvalidInput("start must be before end", path="end")
    if end - start > MAX_DAY_RANGE:
        raise InvalidInput(f"a backtest covers at most {MAX_DAY_RANGE.days} days", path="end")


def _standing(
    now: CustomerNow, replayed: Sequence[DecidedTransaction], lookback_start: dt.datetime
) -> Standing:
    """The customer's markers before its first replayed transaction: today's, less what the replayed ones added."""
    counted: dict[tuple[Dimension, str], int] = defaultdict(int)
    for decided in replayed:
        tx = decided.transaction
        counted[("customer", tx.customer_id)] += 1
        party = counterparty_key(tx.counterparty)
        if party:
            counted[("counterparty", party)] += 1
        if tx.counterparty.country:
            counted[("country", tx.counterparty.country)] += 1
    markers: dict[tuple[Dimension, str], Seen] = {}
    for key, seen in now.markers.items():
        before = seen.count - counted.get(key, 0)
        if before <= 0 or seen.first >= lookback_start:
            continue  # first seen within the replay: the replay makes the marker
        # A party's last time is not read by rules; the customer's is (days since the last transaction).
        last = (now.last_before or seen.first) if key[0] == "customer" else min(seen.last, lookback_start)
        markers[key] = Seen(first=seen.first, last=last, count=before)
    return Standing(markers=markers, risk_level=now.risk_level)


def check_request(
    deps: TransactionDeps,
    tenant_id: str,
    start: dt.datetime,
    end: dt.datetime,
    version: int | None,
    rule_set: Any,
) -> None:
    """InvalidInput naming the field of what a backtest can refuse without reading transactions: the range, the
    version (NotFound when not saved) or the draft."""
    _checked_range(start, end)
    _rules(deps, tenant_id, version, rule_set)


def backtest_transactions(
    deps: BacktestDeps,
    principal: Principal,
    *,
    start: dt.datetime,
    end: dt.datetime,
    version: int | None = None,
    rule_set: Any = None,
    most: int | None = None,
) -> TransactionBacktest:
    """Re-score the tenant's transactions of [start, end) with a monitoring rule set version or draft, at most
    `most` of them (MAX_ANSWERED_TRANSACTIONS: an answer within the request)."""
    principal.require("admin", "backtesting monitoring rule sets")
    _checked_range(start, end)
    tenant_id = principal.tenant_id
    rules, rule_set_ref = _rules(deps, tenant_id, version, rule_set)
    source = deps.transaction_history
    most = MAX_ANSWERED_TRANSACTIONS if most is None else most
    scored = source.transactions_between(tenant_id, start, end, most + 1)
    if len(scored) > most:
        stop = scored[most].transaction.time
        job = (
            f", or run it as a job (POST /v1/admin/transactions/backtests: up to {MAX_BACKTEST_TRANSACTIONS})"
            if most < MAX_BACKTEST_TRANSACTIONS
            else ""
        )
        raise InvalidInput(
            f"more than {most} transactions between start and end: end at {stop.isoformat()} at most (then "
            f"backtest from there){job}",
            path="end",
            end_at_most=stop.isoformat(),
        )
    scored_ids = {d.transaction.id for d in scored}
    by_customer: dict[str, list[DecidedTransaction]] = defaultdict(list)
    for decided in scored:
        by_customer[decided.transaction.customer_id].append(decided)

    before: dict[Decision, int] = {"allow": 0, "review": 0, "block": 0}
    after: dict[Decision, int] = {"allow": 0, "review": 0, "block": 0}
    changes: dict[str, int] = defaultdict(int)
    changed: list[ChangedTransaction] = []
    alerts: dict[tuple[str, str], BacktestAlert] = {}
    replayed_count = reproduced = 0
    for customer_id, mine in by_customer.items():
        first = min(d.transaction.time for d in mine).astimezone(dt.UTC)
        lookback_start = first.replace(hour=0, minute=0, second=0, microsecond=0) - LOOKBACK
        budget = MAX_REPLAYED_TRANSACTIONS - replayed_count
        history = source.customer_transactions(tenant_id, customer_id, lookback_start, budget + 1)
        if len(history) > budget:
            raise InvalidInput(
                f"the customers' histories hold more than {MAX_REPLAYED_TRANSACTIONS} transactions to replay: "
                "narrow the range",
                path="start",
            )
        replayed_count += len(history)
        standing = _standing(
            source.customer_now(tenant_id, customer_id, lookback_start), history, lookback_start
        )
        replay = HistoryReplay(customer_id, standing)
        last_scored = max(d.decided_at for d in mine)
        # Ties (one instant) are broken by the transactions' own time, as a customer's queue sends them.
        for decided in sorted(history, key=lambda d: (d.decided_at, d.transaction.time, d.transaction.id)):
            if decided.decided_at > last_scored:
                break  # decided after every transaction of the range: it cannot have changed what they saw
            tx = decided.transaction
            seen = replay.history(tx)
            if tx.id in scored_ids:
                context = monitoring_context(tx, seen)
                evaluation = rules.evaluate(context)
                decision = decision_of(evaluation.recommendation)
                pinned = deps.compiled_rule_sets.get(tenant_id, decided.rule_set.id, decided.rule_set.version)
                reproduced += decision_of(pinned.evaluate(context).recommendation) == decided.decision
                before[decided.decision] += 1
                after[decision] += 1
                if decision != decided.decision:
                    changes[f"{decided.decision}→{decision}"] += 1
                    changed.append(
                        ChangedTransaction(
                            id=tx.id,
                            customer_id=customer_id,
                            time=tx.time,
                            before=decided.decision,
                            after=decision,
                            score=evaluation.score,
                            hits=[h["rule_id"] for h in evaluation.hits],
                        )
                    )
                if decision != "allow":
                    scenario = primary_scenario(evaluation.hits) if evaluation.hits else NO_SCENARIO
                    key = (customer_id, scenario)
                    if key in alerts:
                        alerts[key].transactions += 1
                    else:
                        alerts[key] = BacktestAlert(
                            customer_id=customer_id,
                            scenario=scenario,
                            transaction_id=tx.id,
                            decision=decision,
                            transactions=1,
                        )
            replay.record(tx, seen)
    changed.sort(key=lambda c: (c.time, c.id))
    opened = sorted(alerts.values(), key=lambda a: (a.customer_id, a.scenario))
    return TransactionBacktest(
        rule_set=rule_set_ref,
        start=start,
        end=end,
        transactions=len(scored),
        replayed=replayed_count,
        before=before,
        after=after,
        changed=len(changed),
        changes=dict(changes),
        changed_transactions=changed[:MAX_LISTED],
        alerts_opened=len(opened),
        alerts=opened[:MAX_LISTED],
        reproduced=reproduced,
    )
