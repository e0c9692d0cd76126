"""Ongoing screening's reverse search: a list update's delta against the monitored customers, on one core, with
the figures of a baseline measured in the same run.

    .venv/bin/python bench/ongoing_screening/run.py --customers 100000 --entries 1000 --sample 5000

Customers are people and businesses drawn as bench/screening draws listed names (its generator, another seed), as
the monitored index holds them (`MonitoredEntity`); the delta is a generated list of `--entries` entries, matched with
`reverse_screen` exactly as `screen_list_update` matches one. Times are this process's CPU seconds (on a shared
machine wall time stretches with the others' work), and they still move with the machine's load (caches, frequency): each run also measures a baseline — a full re-screen of `--baseline-sample` of the same customers against a
generated list of `--list-names` names — and prints the delta's cost as a ratio to it. The delta runs over `--sample`
customers (every one with `--sample 0`) and is extrapolated to `--customers` (it is one screen per customer).

Also measured at `--customers`: the monitored index as the function holds it (the records parsed from their stored
JSON: load time and memory), and an index of the customers' names built as a list's is (what a search in the other
direction, each delta entry looked up among the customers, would load; its build time, memory, and the time to look
up the delta's entries in it). Figures in bench/ongoing_screening/README.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

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
    screen,
)
from arbiter.services.ongoing_screening import reverse_screen  # noqa: E402

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


def customers_name_index(monitored: list[MonitoredEntity], scratch: Path, delta: Watchlist) -> None:
    """The customers' names indexed as a list is (written as targets.simple.csv, loaded): build time, memory, and
    the delta's entries looked up in it, each as a query."""
    path = scratch / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "schema", "name", "birth_date", "countries"])
        for record in monitored:
            subject = record.subject
            if subject.business is not None:
                business = subject.business
                country = (business.country_of_incorporation or "").lower()
                writer.writerow([record.key, "Company", business.name, "", country])
            elif subject.individual is not None:
                person = subject.individual
                country = (person.nationality or "").lower()
                writer.writerow([record.key, "Person", person.full_name, person.date_of_birth or "", country])
    started = time.process_time()
    index = load_watchlist(path)
    built = time.process_time() - started
    memory = traced_mb(lambda: load_watchlist(path))
    print(
        f"customers' name index: {len(index):,} customers, {index.name_count:,} names, built in {built:.1f} s, "
        f"{memory:.0f} MB"
    )
    started = time.process_time()
    found = 0
    for number in range(len(delta)):
        entry = delta.entry(number)
        query: Query
        if entry.schema == "Person":
            birth = entry.birth_dates[0] if entry.birth_dates else None
            country = entry.countries[0].upper() if entry.countries else None
            query = PersonQuery(names=entry.names, birth_date=birth, nationality=country)
        else:
            query = OrganisationQuery(names=entry.names)
        found += len(screen(query, index, threshold=THRESHOLD, margin=None))  # every customer, not the best
    elapsed = time.process_time() - started
    print(
        f"  the delta's {len(delta):,} entries looked up in it: {elapsed:.1f} s "
        f"({elapsed / len(delta) * 1e3:.1f} ms per entry, {found} hits; not the function's direction)"
    )


def timed_rescreen(monitored: list[MonitoredEntity], watchlist: Watchlist) -> tuple[float, int]:
    started = time.process_time()
    hits = reverse_screen(monitored, watchlist, threshold=THRESHOLD)
    return time.process_time() - started, len(hits)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000, help="entries in the list update's delta")
    parser.add_argument(
        "--sample", type=int, default=5_000, help="customers the delta runs over (0: every one)"
    )
    parser.add_argument("--list-names", type=int, default=100_000, help="names of the baseline's full list")
    parser.add_argument(
        "--baseline-sample", type=int, default=500, help="customers re-screened against the full list"
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
        customers_name_index(monitored, Path(scratch), delta)

        sample = monitored[: args.sample] if args.sample else monitored
        elapsed, hits = timed_rescreen(sample, delta)
        per_customer = elapsed / len(sample)
        projected = per_customer * args.customers
        print(
            f"delta re-screen: {len(sample):,} customers in {elapsed:.1f} s, {per_customer * 1e3:.2f} ms per "
            f"customer, {hits} hits; at {args.customers:,}: {projected:.0f} s "
            f"({projected / args.goal:.1f}x the {args.goal:.0f} s goal); peak {peak_mb():.0f} MB"
        )

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
        ratio = per_customer / baseline_per_customer
        print(
            f"ratio, delta to baseline per customer: {ratio:.3f}; the goal needs "
            f"{args.goal / args.customers / baseline_per_customer:.3f} at this run's speed"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
