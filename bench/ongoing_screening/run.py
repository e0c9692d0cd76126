"""Ongoing screening's matching of a list update's delta against the monitored customers, on one core, with the
figures of a baseline measured in the same run.

    .venv/bin/python bench/ongoing_screening/run.py --customers 100000 --entries 1000 --sample 3000 \
        --index-customers 1000000

Customers are people and businesses drawn as bench/screening draws listed names (its generator, another seed), as
the monitored index holds them (`MonitoredEntity`); the delta is a generated list of `--entries` entries. Times are
this process's CPU seconds (on a shared machine wall time stretches with the others' work), and they still move with
the machine's load (caches, frequency): each run also measures a baseline — a full re-screen of `--baseline-sample`
of the same customers against a generated list of `--list-names` names — and prints every cost as a ratio to it.

Measured: the product's path (`reverse_screen` as `screen_list_update` calls it: at this size it indexes the
customers' names and looks the delta's entries up in them, `arbiter.screening.reverse`) over every one of
`--customers`, with its parts (index build, look-up, the candidates screened); the forward way (every customer
screened against the delta) over `--sample` customers, extrapolated, and the two ways' hits compared on those
customers; the monitored index as the function holds it (records parsed from their stored JSON: time, memory); and
the customers' name index alone at `--index-customers` (build time and memory). Figures in
bench/ongoing_screening/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "bench" / "screening")]

from generate import make_spec, write_list  # noqa: E402

from arbiter.domain.entity import Entity  # noqa: E402
from arbiter.domain.monitored import MonitoredEntity  # noqa: E402
from arbiter.screening import (  # noqa: E402
    OrganisationQuery,
    PersonQuery,
    Query,
    Watchlist,
    load_watchlist,
)
from arbiter.screening.parties import PARTY_KINDS, screened_parties  # noqa: E402
from arbiter.screening.reverse import index_party_names  # noqa: E402
from arbiter.services.ongoing_screening import MonitoringHit, choose_direction, reverse_screen  # noqa: E402

CUSTOMER_SEED = 4242  # not the list's: customers are other people, a few of them namesakes
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
THRESHOLD = 0.80


def customers(number: int) -> list[MonitoredEntity]:
    """`number` monitored entities: people with a birth date and a nationality, and businesses."""
    found = []
    for n in range(number):
        spec = make_spec(CUSTOMER_SEED, n)
        country = (spec.countries or ["de"])[0].upper()
        if spec.culture == "org":
            data = {
                "type": "business",
                "id": f"c-{n}",
                "business": {"name": spec.caption(), "country_of_incorporation": country},
            }
        else:
            person = {"full_name": spec.caption(), "nationality": country}
            if len(spec.birth_date) == 10:
                person["date_of_birth"] = spec.birth_date
            data = {"type": "individual", "id": f"c-{n}", "individual": person}
        found.append(MonitoredEntity.approved("bench", f"case-{n}", "kyc", Entity.model_validate(data), AT))
    return found


def traced_mb(build: Callable[[], object]) -> float:
    """The memory what `build` returns holds (Python objects and numpy arrays), built again under tracemalloc (whose
    bookkeeping slows it: the times are taken without it)."""
    gc.collect()
    tracemalloc.start()
    try:
        built = build()
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del built
    return held / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_monitored_index(monitored: list[MonitoredEntity]) -> None:
    """The records as the function reads them (each item's JSON parsed into a MonitoredEntity): time and memory."""
    stored = [record.model_dump_json() for record in monitored]
    size = sum(len(item) for item in stored) / 1e6
    started = time.process_time()
    loaded = [MonitoredEntity.model_validate_json(item) for item in stored]
    elapsed = time.process_time() - started
    del loaded
    memory = traced_mb(lambda: [MonitoredEntity.model_validate_json(item) for item in stored])
    print(
        f"monitored index: {len(stored):,} records ({size:.0f} MB of stored JSON) loaded in {elapsed:.1f} s, "
        f"{memory:.0f} MB"
    )


def deep_mb(root: object) -> float:
    """What an object holds, numpy arrays and Python containers followed (each object once)."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes
            continue
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)
        elif hasattr(item, "__slots__") or hasattr(item, "__dataclass_fields__"):
            stack.extend(
                getattr(item, f) for f in getattr(item, "__dataclass_fields__", ()) if hasattr(item, f)
            )
    return total / 1e6


def party_queries(number: int) -> list[Query]:
    """The screening queries of `number` customers, drawn as `customers` draws them (without building records)."""
    found: list[Query] = []
    for n in range(number):
        spec = make_spec(CUSTOMER_SEED, n)
        country = (spec.countries or ["de"])[0].upper()
        if spec.culture == "org":
            found.append(OrganisationQuery(names=(spec.caption(),), country=country))
        else:
            birth = spec.birth_date if len(spec.birth_date) == 10 else None
            found.append(PersonQuery(names=(spec.caption(),), birth_date=birth, nationality=country))
    return found


def customers_name_index(number: int) -> None:
    """The customers' name index (`index_party_names`) at `number` customers: build time and memory."""
    queries = party_queries(number)
    before = peak_mb()
    started = time.process_time()
    index = index_party_names(queries)
    built = time.process_time() - started
    print(
        f"customers' name index at {number:,} customers: {len(index.form_party):,} name forms, "
        f"{len(index.keys.vocabulary):,} words and pairs, built in {built:.1f} s, {deep_mb(index):.0f} MB "
        f"(peak RSS {before:.0f} MB before the build, {peak_mb():.0f} MB after)"
    )


def timed_rescreen(monitored: list[MonitoredEntity], watchlist: Watchlist) -> tuple[float, int]:
    started = time.process_time()
    hits = reverse_screen(monitored, watchlist, threshold=THRESHOLD, direction="forward")
    return time.process_time() - started, len(hits)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000, help="entries in the list update's delta")
    parser.add_argument(
        "--sample", type=int, default=3_000, help="customers the forward way runs over (0: every one)"
    )
    parser.add_argument("--list-names", type=int, default=100_000, help="names of the baseline's full list")
    parser.add_argument(
        "--baseline-sample", type=int, default=300, help="customers re-screened against the full list"
    )
    parser.add_argument(
        "--index-customers",
        type=int,
        default=0,
        help="also build the customers' name index alone at this size",
    )
    parser.add_argument("--goal", type=float, default=60.0, help="seconds the delta may take at --customers")
    args = parser.parse_args()

    started = time.process_time()
    monitored = customers(args.customers)
    print(
        f"{args.customers:,} customers built in {time.process_time() - started:.1f} s; peak {peak_mb():.0f} MB"
    )
    load_monitored_index(monitored)
    with tempfile.TemporaryDirectory(prefix="bench-ongoing-") as scratch:
        delta_csv = Path(scratch) / "delta.csv"
        write_list(delta_csv, 20261206, int(args.entries * 1.25))
        delta = load_watchlist(delta_csv)
        print(f"delta: {len(delta):,} entries, {delta.name_count:,} names")

        # The product's path, end to end, over every customer.
        parties = [
            party
            for record in monitored
            for party in screened_parties(record.subject, PARTY_KINDS, case_id=record.case_id)
        ]
        print(
            f"way chosen for {len(parties):,} parties and {len(delta):,} entries: {choose_direction(len(parties), len(delta))}"
        )
        started = time.process_time()
        product_hits = reverse_screen(monitored, delta, threshold=THRESHOLD)
        product = time.process_time() - started
        print(
            f"product path: {args.customers:,} customers in {product:.1f} s ({product / args.goal:.2f}x the "
            f"{args.goal:.0f} s goal), {len(product_hits)} hits; peak {peak_mb():.0f} MB"
        )
        # Its parts, timed again one by one.
        started = time.process_time()
        index = index_party_names(party.query for party in parties)
        built = time.process_time() - started
        started = time.process_time()
        candidates = index.parties_for(delta, threshold=THRESHOLD)
        looked_up = time.process_time() - started
        print(
            f"  customers' name index built in {built:.1f} s ({len(index.keys.vocabulary):,} words and pairs, "
            f"{deep_mb(index):.0f} MB); the delta looked up in {looked_up:.1f} s; {len(candidates):,} parties of "
            f"{len(parties):,} ({len(candidates) / max(len(parties), 1):.1%}) screened, "
            f"{product - built - looked_up:.1f} s"
        )
        del index

        sample = monitored[: args.sample] if args.sample else monitored
        forward_started = time.process_time()
        forward_hits = reverse_screen(sample, delta, threshold=THRESHOLD, direction="forward")
        elapsed = time.process_time() - forward_started
        per_customer = elapsed / len(sample)
        projected = per_customer * args.customers
        print(
            f"forward way: {len(sample):,} customers in {elapsed:.1f} s, {per_customer * 1e3:.2f} ms per "
            f"customer, {len(forward_hits)} hits; at {args.customers:,}: {projected:.0f} s "
            f"({projected / args.goal:.1f}x the {args.goal:.0f} s goal)"
        )
        in_sample = {record.key for record in sample}

        def key(hit: MonitoringHit) -> tuple:
            return hit.monitored.key, hit.party.key, hit.match.entry.id, hit.match.score

        same = sorted(map(key, forward_hits)) == sorted(
            key(h) for h in product_hits if h.monitored.key in in_sample
        )
        print(f"  the product path's hits on these {len(sample):,} customers are the forward way's: {same}")

        full_csv = Path(scratch) / "full.csv"
        write_list(full_csv, 20261123, args.list_names)
        full = load_watchlist(full_csv)
        baseline_sample = monitored[: args.baseline_sample]
        baseline, baseline_hits = timed_rescreen(baseline_sample, full)
        baseline_per_customer = baseline / len(baseline_sample)
        print(
            f"baseline, full re-screen against {len(full):,} entries ({full.name_count:,} names): "
            f"{len(baseline_sample):,} customers in {baseline:.1f} s, {baseline_per_customer * 1e3:.2f} ms per "
            f"customer, {baseline_hits} hits"
        )
        product_per_customer = product / args.customers
        print(
            f"ratios to the baseline per customer: product path {product_per_customer / baseline_per_customer:.4f}, "
            f"forward way {per_customer / baseline_per_customer:.4f}; the goal needs "
            f"{args.goal / args.customers / baseline_per_customer:.4f} at this run's speed"
        )
    del monitored, parties, product_hits
    if args.index_customers:
        customers_name_index(args.index_customers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
