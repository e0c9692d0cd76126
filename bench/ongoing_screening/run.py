"""Ongoing screening's reverse search: a list update's delta against the monitored customers, on one core, beside a
full re-screen of the same customers against the whole list.

    .venv/bin/python bench/ongoing_screening/run.py --customers 100000 --entries 1000 --list-names 1000000

Customers are people and businesses drawn as bench/screening draws listed names (its generator, another seed), as
the monitored index holds them (`MonitoredEntity`); the delta is a generated list of `--entries` entries, matched with
`reverse_screen` exactly as `screen_list_update` matches one. The full re-screen screens the same customers against a
generated list of `--list-names` names (0: skipped). Figures in bench/ongoing_screening/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "bench" / "screening")]

from generate import make_spec, write_list  # noqa: E402

from arbiter.domain.entity import Entity  # noqa: E402
from arbiter.domain.monitored import MonitoredEntity  # noqa: E402
from arbiter.screening import load_watchlist  # noqa: E402
from arbiter.services.ongoing_screening import reverse_screen  # noqa: E402

CUSTOMER_SEED = 4242  # not the list's: customers are other people, a few of them namesakes
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


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


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000, help="entries in the list update's delta")
    parser.add_argument(
        "--list-names", type=int, default=1_000_000, help="names of the full list (0: no full run)"
    )
    parser.add_argument("--threshold", type=float, default=0.80)
    args = parser.parse_args()

    started = time.perf_counter()
    monitored = customers(args.customers)
    print(
        f"{args.customers:,} customers built in {time.perf_counter() - started:.1f} s; peak {peak_mb():.0f} MB"
    )
    with tempfile.TemporaryDirectory(prefix="bench-ongoing-") as scratch:
        delta_csv = Path(scratch) / "delta.csv"
        write_list(delta_csv, 20261206, int(args.entries * 1.25))
        delta = load_watchlist(delta_csv)
        print(f"delta: {len(delta):,} entries, {delta.name_count:,} names")
        started = time.perf_counter()
        hits = reverse_screen(monitored, delta, threshold=args.threshold)
        elapsed = time.perf_counter() - started
        print(
            f"delta re-screen: {elapsed:.1f} s, {elapsed / args.customers * 1e3:.2f} ms per customer, "
            f"{len(hits)} hits; peak {peak_mb():.0f} MB"
        )
        if args.list_names:
            full_csv = Path(scratch) / "full.csv"
            write_list(full_csv, 20261123, args.list_names)
            started = time.perf_counter()
            full = load_watchlist(full_csv)
            built = time.perf_counter() - started
            started = time.perf_counter()
            hits = reverse_screen(monitored, full, threshold=args.threshold)
            elapsed = time.perf_counter() - started
            print(
                f"full re-screen against {len(full):,} entries ({full.name_count:,} names, built in {built:.1f} s): "
                f"{elapsed:.1f} s, {elapsed / args.customers * 1e3:.2f} ms per customer, {len(hits)} hits; "
                f"peak {peak_mb():.0f} MB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
