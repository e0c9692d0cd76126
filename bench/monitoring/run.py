"""Transaction monitoring's scoring path in process, on one core: transactions per second for the default scenario
set, beside a baseline measured in the same run.

    .venv/bin/python bench/monitoring/run.py                       # 20,000 transactions of 500 customers
    .venv/bin/python bench/monitoring/run.py --transactions 50000 --customers 2000 --rounds 5
    .venv/bin/python bench/monitoring/run.py --stack   # through the local stack: latency and cost (stack_run.py)

Each transaction goes through `decide_transaction` as the API's does (the tenant's published monitoring rule set
pinned, the customer's history read, the scenarios evaluated, the decision, the buckets and markers to write),
with the history held in memory: the store is the tests' in-memory one (the DynamoDB adapter's rules), indexed by
customer series so a read costs what the adapter's Query reads, not a scan of every bucket. What is measured is
Arbiter's work per transaction, not DynamoDB's. The baseline is what any endpoint pays for the same request:
validating the JSON into a `Transaction`. The stream is generated (a seed): customers with their own usual amounts,
a pool of counterparties each, a few countries, time moving forward over 90 days, and some bursts, structuring and
large amounts so the scenarios hit. Goal: at least 20,000 transactions per second per core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT)]

from arbiter.domain.errors import NotFound  # noqa: E402
from arbiter.domain.principal import Principal  # noqa: E402
from arbiter.domain.transactions import Transaction  # noqa: E402
from arbiter.rules.evaluation import compile_rule_set  # noqa: E402
from arbiter.services.transactions import decide_transaction, default_scenarios  # noqa: E402
from bench.monitoring.floor import complete, floor  # noqa: E402
from tests.unit.transaction_fakes import MonitoringDeps  # noqa: E402

GOAL_PER_SECOND = 20_000
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
COUNTRIES = ["DE", "FR", "NL", "ES", "GB", "US", "AE", "IR"]


def stream(customers: int, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` transactions (JSON, as an integrator sends them) of `customers` customers, in time order."""
    rng = random.Random(seed)
    usual = [rng.lognormvariate(4.5, 1.0) for _ in range(customers)]
    pools = [[f"DE{rng.randrange(10**18):018d}" for _ in range(rng.randint(2, 12))] for _ in range(customers)]
    step = dt.timedelta(days=90) / count
    found = []
    for n in range(count):
        c = rng.randrange(customers)
        amount = usual[c] * rng.lognormvariate(0, 0.6)
        roll = rng.random()
        if roll < 0.01:
            amount = rng.uniform(10_000, 60_000)  # large
        elif roll < 0.03:
            amount = rng.uniform(9_000, 9_999)  # just under a reporting threshold
        elif roll < 0.04:
            amount = float(rng.choice([1_000, 5_000, 2_000]))  # round
        found.append(
            {
                "id": f"tx-{n}",
                "customer_id": f"cust-{c}",
                "amount": f"{amount:.2f}",
                "currency": "EUR",
                "direction": rng.choice(["inbound", "outbound"]),
                "type": rng.choice(["card", "transfer", "transfer", "crypto"]),
                "counterparty": {
                    "name": "Counterparty",
                    "account": rng.choice(pools[c]) if rng.random() < 0.9 else f"NEW{n}",
                    "country": rng.choice(COUNTRIES) if rng.random() < 0.2 else "DE",
                },
                "time": (START + step * n).isoformat(),
                "channel": "api",
                "metadata": {},
            }
        )
    return found


def parsing(profiles: list[tuple[int, bytes]]) -> tuple[float, float, float]:
    """What the DynamoDB adapter spends parsing one decision's reads of the customer's own history, µs: the same
    buckets as one item each in DynamoDB's wire format (before profiles: 3 Queries' items) and as the profile item.
    The in-memory store hands its buckets out as objects, so the scoring figure above paid no parsing before
    profiles; it pays the profile's unpacking and packing now, as a function does."""
    from boto3.dynamodb.types import TypeSerializer

    from arbiter.adapters.dynamodb import keys
    from arbiter.adapters.dynamodb import transactions as adapter
    from arbiter.adapters.dynamodb.profiles import unpack_profile

    serialize = TypeSerializer().serialize
    per_bucket: list[list[dict[str, Any]]] = []
    for version, packed in profiles:
        items = []
        for granularity, found in unpack_profile(packed, version).series.items():
            for start, bucket in found.items():
                values: dict[str, Any] = {
                    "pk": "TENANT#bench#CUSTOMER#c",
                    "sk": keys.bucket_sk("customer", "c", granularity, start),
                    "n": bucket.count,
                    "expires_at": 1,
                }
                for currency, totals in bucket.totals.items():
                    values |= {f"n_{currency}": totals.count, f"s_{currency}": totals.sum}
                    values[f"i_{currency}"] = totals.inbound
                    if totals.max is not None:
                        values[f"x_{currency}"] = totals.max
                if bucket.counterparties:
                    values["cp"] = set(bucket.counterparties)
                items.append({name: serialize(value) for name, value in values.items()})
        per_bucket.append(items)
    as_profiles = [{"p": {"B": packed}, "v": {"N": str(version)}} for version, packed in profiles]

    def before() -> None:
        for items in per_bucket:
            for item in items:
                values = adapter._values(item)
                adapter._bucket(values["sk"], values)

    def now() -> None:
        for item in as_profiles:
            values = adapter._values(item)
            unpack_profile(values["p"].value, int(values["v"]))

    n = len(profiles)
    return (
        min(timed(before) for _ in range(3)) / n * 1e6,
        min(timed(now) for _ in range(3)) / n * 1e6,
        sum(map(len, per_bucket)) / n,
    )


def busy_profiles() -> None:
    """How large a customer's profile grows when it is active every day for 90 days: packed bytes (a write is billed
    per started KB), with the shipped scenarios' needs (counterparty keys kept for 7 days) and with every window's."""
    from decimal import Decimal

    from arbiter.adapters.dynamodb.profiles import pack_profile
    from arbiter.domain.monitoring import EVERYTHING, History, Profile, changes_for, needs_of
    from arbiter.domain.transactions import Counterparty
    from arbiter.rules.evaluation import compile_rule_set
    from arbiter.services.transactions import default_scenarios

    rules = compile_rule_set(default_scenarios())
    shipped = needs_of(tuple(rules.variables))
    rng = random.Random(1)
    print(
        "profiles of customers active every day for 90 days (packed bytes; a write is billed per started KB):"
    )
    for per_day, parties in [(5, 3), (20, 10), (100, 40), (1000, 400)]:
        sizes = []
        for needs in (shipped, EVERYTHING):
            profile = Profile()
            for day in range(90):
                for k in range(per_day):
                    tx = Transaction(
                        id=f"t{day}-{k}",
                        customer_id="m",
                        amount=Decimal("12.34"),
                        currency="EUR",
                        direction="inbound",
                        type="card",
                        time=START + dt.timedelta(days=day, seconds=86400 * k // per_day),
                        counterparty=Counterparty(account=f"ACC{rng.randrange(parties * 30)}", country="DE"),
                    )
                    history = History(profile=profile)
                    profile.read(tx, history)
                    profile = changes_for(tx, history, needs).profile
            sizes.append(len(pack_profile(profile)))
        print(
            f"  {per_day:>5,} a day, about {parties:,} counterparties a day: {sizes[0]:>7,} B with the shipped "
            f"scenarios, {sizes[1]:>7,} B keeping every window's counterparties"
        )


def timed(run: Callable[[], Any]) -> float:
    """This process's CPU seconds for `run`: on a shared machine wall time stretches with the others' work."""
    gc.collect()
    started = time.process_time()
    run()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of each subject, interleaved (median kept)"
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--busy", action="store_true", help="only the profile sizes of customers active every day"
    )
    args = parser.parse_args()
    if args.busy:
        busy_profiles()
        return

    payloads = stream(args.customers, args.transactions, args.seed)
    key = Principal(kind="integrator", tenant_id="bench", id="key_1")
    print(
        f"bench/monitoring: {args.transactions:,} transactions of {args.customers:,} customers over 90 days, "
        f"{args.rounds} rounds, one core"
    )

    def baseline() -> None:
        for payload in payloads:
            Transaction.model_validate(payload)

    outcomes: dict[bool, dict[str, int]] = {}
    sizes: list[int] = []
    profiles: list[tuple[int, bytes]] = []

    def scoring(packs: bool) -> Callable[[], None]:
        """The stream decided on an empty store keeping profiles packed (as the adapter) or as they are."""

        def run() -> None:
            deps = MonitoringDeps(clock=START + dt.timedelta(days=91))  # after the stream's last transaction
            deps.transactions.copies = False  # the store's own copying is not Arbiter's work
            deps.transactions.packs = packs
            found = outcomes[packs] = {}
            for payload in payloads:
                decided = decide_transaction(deps, key, Transaction.model_validate(payload))
                found[decided.decision] = found.get(decided.decision, 0) + 1
            try:
                deps.rule_sets.versions("bench", "transaction-monitoring")
            except NotFound as exc:  # pragma: no cover - the default is installed by the first transaction
                raise SystemExit("the default scenarios were not installed") from exc
            if packs:
                profiles[:] = list(deps.transactions.profiles.values())
                sizes[:] = sorted(len(packed) for _, packed in profiles)

        return run

    # The lower bound (floor.py): the least CPython does for the same decisions, columns in a dict or packed.
    rules = compile_rule_set(default_scenarios())
    floors = {
        "floor": floor(payloads, rules, packed=False),
        "floor packed": floor(payloads, rules, packed=True),
    }
    floors["floor complete"] = complete(payloads, rules)
    floor_outcomes: dict[str, dict[str, int]] = {}

    def floor_run(name: str) -> Callable[[], None]:
        def run() -> None:
            floor_outcomes[name] = floors[name]()

        return run

    base_times: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in ("packed", "objects", *floors)}
    for _ in range(args.rounds):
        base_times.append(timed(baseline))
        times["packed"].append(timed(scoring(packs=True)))
        times["objects"].append(timed(scoring(packs=False)))
        for name in floors:
            times[name].append(timed(floor_run(name)))
    base = statistics.median(base_times)
    median = {name: statistics.median(found) for name, found in times.items()}
    score = median["packed"]
    n = args.transactions

    def line(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<58} {n / seconds:>8,.0f} /s  ({seconds / n * 1e6:6.1f} µs each){note}")

    def same(found: dict[str, int]) -> str:
        return "same decisions" if found == outcomes[True] else "OTHER DECISIONS"

    line("baseline (validate the request only)", base)
    line("scoring, profiles packed as the adapter keeps them", score)
    line(
        "scoring, profiles kept as they are (aggregates in memory)",
        median["objects"],
        f"; {same(outcomes[False])}",
    )
    for name, label, against in (
        ("floor", "floor.py, columns in a dict", "objects"),
        ("floor packed", "floor.py, columns packed", "packed"),
        ("floor complete", "floor.py complete: all the path does, one loop", "objects"),
    ):
        least = median[name]
        line(
            label,
            least,
            f"; scoring {median[against] / least:.1f}x slower; {same(floor_outcomes[name])}",
        )
    print(f"  scoring / baseline time: {score / base:.1f}x")
    print(f"  decisions: {', '.join(f'{d} {c:,}' for d, c in sorted(outcomes[True].items()))}")
    if sizes:  # what a write of a customer's profile is billed by (per started KB)
        quantile = statistics.quantiles(sizes, n=10)
        print(
            f"  profiles ({len(sizes):,}, packed): p50 {statistics.median(sizes):,.0f} B, p90 {quantile[-1]:,.0f} B, "
            f"max {sizes[-1]:,} B; over 1 KB: {sum(1 for s in sizes if s > 1024):,}"
        )
    if profiles:
        before, now, buckets = parsing(profiles)
        print(
            f"  reading a customer's history as the DynamoDB adapter parses it ({buckets:.1f} buckets a customer): "
            f"one item per bucket {before:,.0f} µs, the profile {now:,.0f} µs ({before / now:.1f}x)"
        )
    met = "meets" if n / score >= GOAL_PER_SECOND else "misses"
    print(
        f"scoring: {n / score:,.0f} transactions per second per core ({met} the goal of {GOAL_PER_SECOND:,}/s)"
    )


if __name__ == "__main__":
    if "--stack" in sys.argv:
        # Through the local stack (batch API, queue, scoring function): bench/monitoring/stack_run.py.
        from bench.monitoring.stack_run import main as stack_main

        raise SystemExit(stack_main([a for a in sys.argv[1:] if a != "--stack"]))
    main()
