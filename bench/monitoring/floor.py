"""A lower bound for the scoring path in CPython: the least a decision of the shipped scenarios does, written as one
loop with no layer, no model of the history and nothing a rule does not read, so that bench/monitoring can say how
far the real path is from what this language allows at all.

For each transaction of the stream: the request validated into a `Transaction`; the customer's ten-minute, hourly
and daily columns (bucket numbers, counts, sums, largest amounts, inbound sums, the daily buckets' counterparty
marks) and its marker and countries' markers read from a dict, or, `packed`, from the bytes the adapter's way of
storing them makes (compact JSON by orjson, then ISA-L's fastest level); the figures the scenarios read worked out
by bisection and slice sums; the real compiled rule set evaluated on them; the decided transaction's model made; the
transaction counted in place and the columns stored again (packed again, when `packed`).

What it leaves out, so that the real path can only be slower: the tenant's rule set pinned (the compiled version is
handed in), the alert and its events, the decided transaction written (a store keeps its JSON), the idempotency and
race checks of the store, buckets dropped past retention, the recent ids, several currencies (the stream's are all
EUR at two places). Its decisions are checked against the real path's in the same run (bench/monitoring/run.py
prints both counts).
"""

from __future__ import annotations

import bisect
import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from isal import isal_zlib

from arbiter.domain.transactions import DecidedTransaction, MonitoringRuleSet, Transaction
from arbiter.rules.evaluation import CompiledRuleSet

_DECISIONS = {"approve": "allow", "review": "review", "reject": "block"}
_AT = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def floor(
    payloads: list[dict[str, Any]], rules: CompiledRuleSet, *, packed: bool
) -> Callable[[], dict[str, int]]:
    """A run of the whole stream on an empty store: the decisions' counts (allow, review, block)."""
    pinned = MonitoringRuleSet(id="transaction-monitoring", version=1)

    def run() -> dict[str, int]:
        store: dict[str, Any] = {}
        outcomes: dict[str, int] = {}
        for payload in payloads:
            tx = Transaction.model_validate(payload)
            state = store.get(tx.customer_id)
            if state is None:
                state = {"M": [[], [], [], [], []], "H": [[], [], [], [], []], "D": [[], [], [], [], [], []]}
                state["c"], state["k"] = None, {}
            elif packed:
                state = orjson.loads(isal_zlib.decompress(state))
            ts = tx.time.timestamp()
            micros = int(ts * 1_000_000)
            ten, hour, day = int(ts // 600), int(ts // 3600), int(ts // 86400)
            minutes, hourly, daily = state["M"], state["H"], state["D"]
            a = bisect.bisect_left(minutes[0], ten - 5)
            count_1h = sum(minutes[1][a:])
            a = bisect.bisect_left(hourly[0], hour - 23)
            count_24h, sum_24h = sum(hourly[1][a:]), sum(hourly[2][a:])
            max_24h, inbound_24h = max(hourly[3][a:], default=0), sum(hourly[4][a:])
            a = bisect.bisect_left(daily[0], day - 89)
            count_90d, sum_90d = sum(daily[1][a:]), sum(daily[2][a:])
            parties = daily[5][bisect.bisect_left(daily[0], day - 6) :]
            customer, country = state["c"], tx.counterparty.country
            seen = state["k"].get(country)
            context = {
                "tx": {
                    "amount": float(tx.amount),
                    "direction": tx.direction,
                    "counterparty": {"country": country},
                },
                "customer": {
                    "days_since_last": round((micros - customer[1]) / 1e6 / 86400, 3) if customer else None,
                    "risk_level": None,
                },
                "window": {
                    "1h": {"count": count_1h},
                    "24h": {
                        "count": count_24h,
                        "currency_count": count_24h,
                        "avg": sum_24h / 100 / count_24h if count_24h else 0.0,
                        "max": max_24h / 100,
                        "inbound_sum": inbound_24h / 100,
                    },
                    "90d": {
                        "count": count_90d,
                        "currency_count": count_90d,
                        "avg": sum_90d / 100 / count_90d if count_90d else 0.0,
                    },
                    "7d": {"counterparties": len(set().union(*parties)) if any(parties) else 0},
                },
                "country": {"first_seen": seen is None or seen[0] > micros},
            }
            evaluation = rules.evaluate(context)
            decided = DecidedTransaction(
                tenant_id="bench",
                transaction=tx,
                decision=_DECISIONS[evaluation.recommendation],
                score=evaluation.score,
                level=evaluation.level,
                hits=evaluation.hits,
                errors=evaluation.errors,
                rule_set=pinned,
                decided_at=_AT,
            )
            outcomes[decided.decision] = outcomes.get(decided.decision, 0) + 1
            value, inbound = int(tx.amount.scaleb(2)), tx.direction == "inbound"
            mark = zlib.crc32((tx.counterparty.account or "").encode())
            for columns, number in ((minutes, ten), (hourly, hour), (daily, day)):
                index = columns[0]
                at = bisect.bisect_left(index, number)
                if at == len(index) or index[at] != number:
                    for column in columns:
                        column.insert(at, 0)
                    index[at] = number
                    if columns is daily:  # a new day: counterparties kept for the 7d window only
                        daily[5][at] = []
                        for older in range(bisect.bisect_left(index, day - 6)):
                            daily[5][older] = []
                columns[1][at] += 1
                columns[2][at] += value
                if value > columns[3][at]:
                    columns[3][at] = value
                if inbound:
                    columns[4][at] += value
                if columns is daily and mark not in daily[5][at]:
                    daily[5][at].append(mark)
            state["c"] = [customer[0], micros, customer[2] + 1] if customer else [micros, micros, 1]
            state["k"][country] = [seen[0], micros, seen[2] + 1] if seen else [micros, micros, 1]
            store[tx.customer_id] = isal_zlib.compress(orjson.dumps(state), 1) if packed else state
        return outcomes

    return run
