"""Submit to decision: how long an automatically decided case takes on the local stack, for the code as it is
and, with `--compare REF`, for the code at git revision REF, in the same run.

Each subject is a process of its own that starts its tree's local stack (its template, state machines and
functions, as `make demo` does), sends one KYB case with one owner that the demo rules approve (not counted: the
functions' cold starts), then `--cases` more, one at a time, each timed from the `POST /v1/cases` to the first
`GET /v1/cases/{id}` that answers `approved` (polled every 20 ms). Subjects alternate in `--rounds` rounds, so a
busy machine slows both alike. Every AWS call goes to moto over HTTP in the subject's process and all functions
share its interpreter: the figures compare designs on this machine, they are not Lambda's latencies.

    python bench/latency/run.py [--cases 10] [--rounds 2] [--compare REF]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a subject runs, in its tree (cwd, with its layer and local stack on the path): one JSON line of seconds.
SUBJECT = """
import json, logging, socket, sys, time
import httpx
from arbiter_local.stack import LocalStack, StackConfig

def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

def entity(i):
    return {
        "type": "business",
        "id": f"latency-{i}-{time.time_ns()}",
        "business": {
            "name": f"Latency Trading {i} GmbH",
            "registration_number": f"HRB {200000 + i}",
            "country_of_incorporation": "DE",
            "website": "https://latency.example",
            "email": "ops@latency.example",
            "ubos": [{"first_name": "Owner", "last_name": f"Latency{i}", "date_of_birth": "1980-01-01",
                      "nationality": "DE", "ownership_percent": 100}],
        },
    }

logging.disable(logging.WARNING)
cases = int(sys.argv[1])
stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
stack.start()
try:
    api = httpx.Client(base_url=stack.api_url, headers={"X-API-Key": stack.seeded["api_key"]}, timeout=60)
    seconds = []
    for i in range(cases + 1):
        started = time.perf_counter()
        answer = api.post("/v1/cases", json={"workflow": "kyb", "entity": entity(i)})
        assert answer.status_code == 202, answer.text
        case_id = answer.json()["id"]
        while True:
            state = api.get(f"/v1/cases/{case_id}").json()["state"]
            if state != "processing":
                break
            if time.perf_counter() - started > 60:
                raise SystemExit(f"case {case_id} still processing after 60 s")
            time.sleep(0.02)
        assert state == "approved", f"case {case_id} is {state}, not approved: the demo rules changed?"
        if i:  # the first case pays the functions' cold starts
            seconds.append(time.perf_counter() - started)
    print(json.dumps(seconds))
finally:
    stack.stop()
"""


def run_subject(tree: Path, cases: int) -> list[float]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree / "layers" / "common"), str(tree / "local"), str(tree)]),
    }
    out = subprocess.run(
        [sys.executable, "-c", SUBJECT, str(cases)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"bench/latency: the subject in {tree} failed:\n{out.stderr[-3000:]}")
    return [float(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def extract(ref: str, into: Path) -> Path:
    """The project's tree at `ref` (what its local stack reads: template, state machines, functions, layer)."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def describe(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(ordered):>3}  p50 {statistics.median(ordered) * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  "
        f"min {ordered[0] * 1000:6.0f} ms  max {ordered[-1] * 1000:6.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=int, default=10, help="timed cases per subject and round (default 10)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds, the subjects alternating (default 2)")
    parser.add_argument("--compare", metavar="REF", help="also measure the code at git revision REF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="latency-") as scratch:
        subjects = {"now": ROOT}
        if args.compare:
            subjects[args.compare] = extract(args.compare, Path(scratch))
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        for round_ in range(args.rounds):
            for name, tree in subjects.items():
                samples[name] += run_subject(tree, args.cases)
                print(f"round {round_ + 1}: {name} done", file=sys.stderr, flush=True)
    print("submit to decision, an auto-approved KYB case with one owner (local stack):")
    for name, seconds in samples.items():
        print(f"  {name:<12} {describe(seconds)}")
    if args.compare:
        ratio = statistics.median(samples["now"]) / statistics.median(samples[args.compare])
        print(f"  p50 now / p50 {args.compare}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
