"""Cold-start import cost of every Lambda handler, as a ratio to `import boto3` plus one client.

Each measurement runs in a fresh interpreter (as a Lambda cold start does) with the handler's folder and the
common layer on the path, and times only the import: interpreter start-up is the same for every function and
is paid by the baseline too. Goal: every handler at or under 1.5x the baseline.

The "full GC" column counts CPython's collections of its oldest generation during the import (the most of any
run). One costs some 20-30 ms here and comes when enough objects have been allocated since start-up, so an import
just past that point pays a step that a slightly smaller one does not: when a handler's ratio jumps, look there.

    python bench/coldstart/run.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOAL = 1.5

BASELINE = "import boto3\nboto3.client('dynamodb', region_name='us-east-1')"
HANDLER = "import app\nassert callable(app.handler)"
PROBE = """
import gc, time
_full = []
gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and _full.append(1))
_t = time.perf_counter()
{code}
print(time.perf_counter() - _t, len(_full))
"""


def measure(code: str, path: list[Path], runs: int) -> list[tuple[float, int]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(p) for p in path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "cold",
        "AWS_SECRET_ACCESS_KEY": "cold",
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(code=code)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds, full_collections = out.stdout.strip().splitlines()[-1].split()
        samples.append((float(seconds), int(full_collections)))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per module (default 7)")
    args = parser.parse_args()
    layer = ROOT / "layers" / "common"
    functions = sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))
    subjects = {"baseline": (BASELINE, [layer])} | {f.name: (HANDLER, [f, layer]) for f in functions}

    for code, path in subjects.values():  # warm-up: every .pyc exists, as in a deployed package
        measure(code, path, 1)
    # Rounds interleave the baseline and the handlers, so a busy machine slows both alike; each handler's
    # ratio is the median of its per-round ratios.
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in subjects}
    for _ in range(args.runs):
        for name, (code, path) in subjects.items():
            samples[name] += measure(code, path, 1)
    base = [t for t, _ in samples.pop("baseline")]
    print(
        f"baseline  import boto3 + one client: {statistics.median(base) * 1000:7.1f} ms (median of {args.runs})"
    )
    print(f"{'handler':<18}{'median ms':>10}{'min ms':>9}{'full GC':>8}{'ratio':>8}  goal <= {GOAL}x")
    worst = 0.0
    for name, runs in samples.items():
        times = [t for t, _ in runs]
        ratio = statistics.median(t / b for t, b in zip(times, base, strict=True))
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= GOAL else "OVER"
        print(
            f"{name:<18}{statistics.median(times) * 1000:>10.1f}{min(times) * 1000:>9.1f}"
            f"{max(n for _, n in runs):>8}{ratio:>7.2f}x  {verdict}"
        )
    print(f"worst ratio {worst:.2f}x ({'meets' if worst <= GOAL else 'misses'} the {GOAL}x goal)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
