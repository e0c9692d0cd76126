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

`complete` is the same loop doing everything else the real path does for this stream too, still inlined, with
nothing a rule does not read: the published version looked up, the id checked against those recorded, each
currency's columns at the amount's own scale, the buckets past retention dropped and the counterparties past the
7-day window forgotten, the customer's last ids kept, a `review` or `block` opening the customer's alert of its
scenario or joining the open one (with the events), and the decision's JSON written. It says what a decision costs in
CPython when the path is one function with no layer: the least a design keeping everything the path keeps could do.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zlib
from collections.abc import Callable
from typing import Any

import orjson
from isal import isal_zlib

from arbiter.domain.monitoring import BUCKET_RETENTION, MAX_COUNTERPARTIES_PER_BUCKET, RECENT
from arbiter.domain.transactions import (
    Alert,
    DecidedTransaction,
    MonitoringRuleSet,
    Transaction,
    counterparty_key,
    new_alert_id,
    primary_scenario,
    stored_json,
)
from arbiter.rules.evaluation import CompiledRuleSet, Evaluation
from arbiter.services.transactions import _alert_events, _severity

_DECISIONS = {"approve": "allow", "review": "review", "reject": "block"}
_AT = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Seconds a bucket of each granularity spans, and how many a profile keeps before its newest one's.
_SPANS = (("M", 600), ("H", 3600), ("D", 86400))
_KEPT = {g: int(BUCKET_RETENTION[g].total_seconds()) // seconds for g, seconds in _SPANS}


def _decided(
    tenant: str, tx: Transaction, evaluation: Evaluation, rule_set: MonitoringRuleSet
) -> DecidedTransaction:
    """The decided transaction's model, as the real path makes it."""
    return DecidedTransaction(
        tenant_id=tenant,
        transaction=tx,
        decision=_DECISIONS[evaluation.recommendation],
        score=evaluation.score,
        level=evaluation.level,
        hits=evaluation.hits,
        errors=evaluation.errors,
        rule_set=rule_set,
        decided_at=_AT,
    )


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
            decided = _decided("bench", tx, evaluation, pinned)
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


def complete(
    payloads: list[dict[str, Any]], rules: CompiledRuleSet, into: dict[str, Any] | None = None
) -> Callable[[], dict[str, int]]:
    """`floor` doing everything else the real path does too (see the module's docstring), the columns in a dict:
    a run of the whole stream on an empty store, the decisions' counts. `into` gets the customers' state at the end
    (by customer: per granularity the bucket numbers, counts, counterparty marks and currency -> scale and columns;
    the customer's and its countries' first time, last time and count; its last ids), to compare with the real
    path's profiles."""
    pinned = MonitoringRuleSet(id="transaction-monitoring", version=1)

    def run() -> dict[str, int]:  # one loop on purpose: no call a layer would add
        tenant, store, written, open_alerts = "bench", {}, {}, {}
        published = {tenant: pinned}
        alerts: dict[str, Alert] = {}
        events: list[Any] = []
        outcomes: dict[str, int] = {}
        for payload in payloads:
            tx = Transaction.model_validate(payload)
            if (tenant, tx.id) in written:
                raise ValueError(f"{tx.id} twice")
            rule_set = published[tenant]
            state = store.get(tx.customer_id)
            if (
                state is None
            ):  # per granularity: bucket numbers, counts, counterparty marks, currency -> columns
                state = store[tx.customer_id] = {g: [[], [], [], {}] for g, _ in _SPANS}
                state["c"], state["k"], state["r"] = None, {}, ()
            delta = tx.time - _EPOCH
            micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            seconds, currency = micros // 1_000_000, tx.currency
            ten, hour, day = seconds // 600, seconds // 3600, seconds // 86400
            minutes, hourly, daily = state["M"], state["H"], state["D"]
            b = bisect.bisect_right(minutes[0], ten)
            count_1h = sum(minutes[1][bisect.bisect_left(minutes[0], ten - 5) : b])
            b = bisect.bisect_right(hourly[0], hour)
            a = bisect.bisect_left(hourly[0], hour - 23)
            count_24h, amounts = sum(hourly[1][a:b]), hourly[3].get(currency)
            n_24h = s_24h = x_24h = i_24h = 0
            unit_24h = 1
            if amounts is not None:  # scale, counts, sums, largest, inbound sums
                unit_24h, n_24h, s_24h = 10 ** amounts[0], sum(amounts[1][a:b]), sum(amounts[2][a:b])
                x_24h, i_24h = max(amounts[3][a:b], default=0), sum(amounts[4][a:b])
            b = bisect.bisect_right(daily[0], day)
            a = bisect.bisect_left(daily[0], day - 89)
            count_90d, amounts = sum(daily[1][a:b]), daily[3].get(currency)
            n_90d = s_90d = 0
            unit_90d = 1
            if amounts is not None:
                unit_90d, n_90d, s_90d = 10 ** amounts[0], sum(amounts[1][a:b]), sum(amounts[2][a:b])
            parties = daily[2][bisect.bisect_left(daily[0], day - 6) : b]
            customer, country = state["c"], tx.counterparty.country
            seen = state["k"].get(country) if country else None
            context = {
                "tx": {
                    "amount": float(tx.amount),
                    "direction": tx.direction,
                    "counterparty": {"country": country},
                },
                "customer": {
                    "days_since_last": round((micros - customer[1]) / 1e6 / 86400, 3)
                    if customer and customer[1] <= micros
                    else None,
                    "risk_level": None,
                },
                "window": {
                    "1h": {"count": count_1h},
                    "24h": {
                        "count": count_24h,
                        "currency_count": n_24h,
                        "avg": s_24h / (unit_24h * n_24h) if n_24h else 0.0,
                        "max": x_24h / unit_24h,
                        "inbound_sum": i_24h / unit_24h,
                    },
                    "90d": {
                        "count": count_90d,
                        "currency_count": n_90d,
                        "avg": s_90d / (unit_90d * n_90d) if n_90d else 0.0,
                    },
                    "7d": {"counterparties": len(set().union(*parties)) if any(parties) else 0},
                },
                "country": {"first_seen": bool(country) and (seen is None or seen[0] > micros)},
            }
            evaluation = rules.evaluate(context)
            decided = _decided(tenant, tx, evaluation, rule_set)
            if decided.decision != "allow":
                scenario, severity = primary_scenario(evaluation.hits), _severity(evaluation.hits)
                opened = open_alerts.get((tx.customer_id, scenario))
                if opened is not None:
                    alert = alerts[opened].joined(tx.id, decided.decision, severity, decided.score, _AT)
                else:
                    alert = Alert(
                        id=new_alert_id(),
                        tenant_id=tenant,
                        customer_id=tx.customer_id,
                        transaction_id=tx.id,
                        decision=decided.decision,
                        severity=severity,
                        score=decided.score,
                        hits=decided.hits,
                        rule_set=rule_set,
                        created_at=_AT,
                        scenario=scenario,
                        last_transaction_id=tx.id,
                        last_seen_at=_AT,
                    )
                    open_alerts[(tx.customer_id, scenario)] = alert.id
                alerts[alert.id] = alert
                decided = decided.model_copy(update={"alert_id": alert.id})
                events += _alert_events(alert, decided)
            outcomes[decided.decision] = outcomes.get(decided.decision, 0) + 1
            written[(tenant, tx.id)] = stored_json(decided)
            exponent = tx.amount.as_tuple().exponent
            places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            party = counterparty_key(tx.counterparty)
            mark = zlib.crc32(party.encode()) if party else None
            inbound, newest, units = tx.direction == "inbound", customer is None or micros >= customer[1], {}
            for (granularity, _), columns, number in zip(
                _SPANS, (minutes, hourly, daily), (ten, hour, day), strict=True
            ):
                index, counts, marks, by_currency = columns
                at = bisect.bisect_left(index, number)
                if at == len(index) or index[at] != number:
                    index.insert(at, number)
                    counts.insert(at, 0)
                    marks.insert(at, ())
                    for found in by_currency.values():
                        for column in found[1:]:
                            column.insert(at, 0)
                counts[at] += 1
                found = by_currency.get(currency)
                if found is None:
                    found = by_currency[currency] = [places] + [[0] * len(index) for _ in range(4)]
                elif places > found[0]:  # the currency's columns at the finer scale
                    factor = 10 ** (places - found[0])
                    found[0] = places
                    for column in found[2:]:
                        column[:] = [v * factor for v in column]
                value = units.get(found[0])
                if value is None:
                    value = units[found[0]] = int(tx.amount.scaleb(found[0]))
                found[1][at] += 1
                found[2][at] += value
                if value > found[3][at]:
                    found[3][at] = value
                if inbound:
                    found[4][at] += value
                if columns is daily and mark is not None:
                    known = marks[at]
                    if mark not in known and len(known) < MAX_COUNTERPARTIES_PER_BUCKET:
                        marks[at] = (*known, mark)
                if newest:
                    first = number - _KEPT[granularity]
                    if index[0] < first:
                        end = bisect.bisect_left(index, first)
                        del index[:end], counts[:end], marks[:end]
                        for code, kept in list(by_currency.items()):
                            for column in kept[1:]:
                                del column[:end]
                            if not any(kept[1]):
                                del by_currency[code]
                    end = bisect.bisect_left(index, day - 6) if columns is daily else len(index)
                    if any(marks[:end]):
                        marks[:end] = [()] * end
            state["c"] = (
                [min(customer[0], micros), max(customer[1], micros), customer[2] + 1]
                if customer
                else [micros, micros, 1]
            )
            if country:
                state["k"][country] = (
                    [min(seen[0], micros), max(seen[1], micros), seen[2] + 1] if seen else [micros, micros, 1]
                )
            state["r"] = (*state["r"], zlib.crc32(tx.id.encode()))[-RECENT:]
        if into is not None:
            into.update(store)
        return outcomes

    return run
