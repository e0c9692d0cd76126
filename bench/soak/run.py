"""Soak bench: memory and latency of the local stack over many cases, and of the workflow tasks over many warm
invocations.

    python bench/soak/run.py                                  # both parts, 1,000 cases each
    python bench/soak/run.py --part http --cases 200 --concurrency 8
    python bench/soak/run.py --part tasks --cases 200

Part `http`: `python -m arbiter_local` (what `make demo` runs) in a process of its own; KYB cases with one owner
(the README's example) through its HTTP API, `--concurrency` at a time, each followed to manual review and
approved by a reviewer (`--no-decide`: left in review, their executions waiting). The stack's RSS is read every
second from /proc; every request is timed; a request that gets no answer within 30 s counts as a timeout.
Baselines from the same run: the same lifecycle one case at a time (latency), RSS after a warm-up (memory).

Part `tasks`: the stack in this process; cases opened in the store without an execution, then each given the
invocations the state machines make, straight through the Lambda runtime (warm instances): the checks
(`PluginsFunction`), the rules (`EvaluateRulesFunction`) and the workflow tasks (`WorkflowTasksFunction`:
ingest_documents, decide, await_review, decide_after_owners, record_failure). RSS and tracemalloc (allocations
since the warm-up, in Arbiter's code and overall) after the warm-up and at the end.

Goals: memory flat after the warm-up (what grows is the data: items in moto's DynamoDB, execution histories);
no request over 30 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "local")]

REQUEST_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.25
CASE_DEADLINE_S = 180.0


def rss_mib(pid: int | str = "self") -> float:
    """Resident memory of a process, MiB (/proc: no dependency)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Sampler(threading.Thread):
    """The RSS of a process, once a second."""

    def __init__(self, pid: int | str) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss_mib(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()

    @property
    def peak(self) -> float:
        return max((r for _, r in self.samples), default=0.0)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------- part: http
def kyb_case(entity_id: str) -> dict[str, Any]:
    """The README's KYB example: a business with one beneficial owner."""
    return {
        "workflow": "kyb",
        "entity": {
            "type": "business",
            "id": entity_id,
            "business": {
                "name": "Acme Payments GmbH",
                "registration_number": "HRB 123456",
                "country_of_incorporation": "DE",
                "website": "https://acme.example",
                "ubos": [
                    {
                        "first_name": "Ada",
                        "last_name": "Lovelace",
                        "date_of_birth": "1985-12-10",
                        "nationality": "GB",
                        "ownership_percent": 60,
                    }
                ],
            },
        },
    }


@dataclasses.dataclass
class Requests:
    """Every request's duration by kind, and what went wrong."""

    durations: dict[str, list[float]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    timeouts: int = 0
    errors: Counter[str] = dataclasses.field(default_factory=Counter)
    states: Counter[str] = dataclasses.field(default_factory=Counter)
    case_seconds: list[float] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    #: Called with the number of cases done after every `every` cases (progress lines).
    progress: Callable[[Requests, int], None] | None = None
    every: int = 100

    def call(self, kind: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = send()
        except httpx.TimeoutException:
            with self.lock:
                self.timeouts += 1
                self.durations[kind].append(time.perf_counter() - started)
            return None
        with self.lock:
            self.durations[kind].append(time.perf_counter() - started)
            if response.status_code >= 400:
                self.errors[f"{kind} {response.status_code}"] += 1
        return response

    def all(self) -> list[float]:
        return [d for values in self.durations.values() for d in values]


class DemoProcess:
    """`python -m arbiter_local` on free ports, until `stop()`."""

    def __init__(self) -> None:
        self.api_port, self.moto_port = free_port(), free_port()
        env = {
            **os.environ,
            "PYTHONPATH": f"{ROOT / 'layers' / 'common'}:{ROOT / 'local'}",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arbiter_local",
                "--api-port",
                str(self.api_port),
                "--moto-port",
                str(self.moto_port),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "Press Ctrl-C to stop." in line:
                break
        else:
            raise RuntimeError("the local stack did not start")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # keep the pipe drained

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def reviewer_token(self) -> str:
        import boto3

        client_id = httpx.get(f"{self.api}/config.json", timeout=10).json()["cognito"]["clientId"]
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=f"http://127.0.0.1:{self.moto_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        result = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "reviewer@arbiter.local", "PASSWORD": "arbiter-demo"},
        )
        return str(result["AuthenticationResult"]["IdToken"])

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_case(api: str, token: str, decide: bool, requests: Requests, label: str) -> None:
    """One case's lifecycle: start it, follow it to review, (approve it, follow it to the end)."""
    started = time.perf_counter()
    integrator = httpx.Client(
        base_url=api, headers={"Authorization": "Bearer secret"}, timeout=REQUEST_TIMEOUT_S
    )
    reviewer = httpx.Client(
        base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT_S
    )
    with integrator, reviewer:
        created = requests.call("POST /v1/cases", lambda: integrator.post("/v1/cases", json=kyb_case(label)))
        if created is None or created.status_code != 202:
            requests.states["not started"] += 1
            return
        case_id = created.json()["id"]
        state = follow(integrator, requests, case_id, away_from=("processing", "collecting"))
        if decide and state == "manual_review":
            decision = {"decision": "approve", "reason": "soak: documents match the registry"}
            requests.call(
                "POST decision", lambda: reviewer.post(f"/v1/review/cases/{case_id}/decision", json=decision)
            )
            state = follow(integrator, requests, case_id, away_from=("manual_review",))
    with requests.lock:
        requests.states[state] += 1
        requests.case_seconds.append(time.perf_counter() - started)
        done = len(requests.case_seconds)
    if requests.progress is not None and done % requests.every == 0:
        requests.progress(requests, done)


def follow(client: httpx.Client, requests: Requests, case_id: str, *, away_from: tuple[str, ...]) -> str:
    """Poll the case until its state leaves `away_from` (bounded); its state then."""
    deadline = time.monotonic() + CASE_DEADLINE_S
    state = "unknown"
    while time.monotonic() < deadline:
        answer = requests.call("GET /v1/cases/{id}", lambda: client.get(f"/v1/cases/{case_id}"))
        if answer is not None and answer.status_code == 200:
            state = answer.json()["state"]
            if state not in away_from:
                return state
        time.sleep(POLL_INTERVAL_S)
    return f"stuck in {state}"


def run_batch(
    api: str,
    token: str,
    decide: bool,
    count: int,
    concurrency: int,
    tag: str,
    progress: Callable[[Requests, int], None] | None = None,
    every: int = 100,
) -> tuple[Requests, float]:
    requests = Requests(progress=progress, every=every)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="case") as pool:
        labels = [f"soak-{tag}-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
        list(pool.map(lambda label: run_case(api, token, decide, requests, label), labels))
    return requests, time.perf_counter() - started


def latency_line(name: str, values: list[float], baseline: float | None = None) -> str:
    if not values:
        return f"  {name:<22} (none)"
    p50, p95 = percentile(values, 50), percentile(values, 95)
    ratio = f"   p50 x{p50 / baseline:.1f} of one-at-a-time" if baseline else ""
    return (
        f"  {name:<22} n={len(values):>6}  p50 {p50 * 1000:8.0f} ms  p95 {p95 * 1000:8.0f} ms  "
        f"max {max(values) * 1000:8.0f} ms{ratio}"
    )


def http_part(args: argparse.Namespace) -> None:
    print(
        f"== http: {args.cases} KYB cases (one owner), concurrency {args.concurrency}, decide={args.decide}"
    )
    demo = DemoProcess()
    sampler = Sampler(demo.process.pid)
    sampler.start()
    try:
        token = demo.reviewer_token()
        rss_ready = rss_mib(demo.process.pid)
        baseline, _ = run_batch(demo.api, token, args.decide, args.baseline, 1, "baseline")
        run_batch(demo.api, token, args.decide, args.warmup, args.concurrency, "warmup")
        time.sleep(2)
        rss_warm = rss_mib(demo.process.pid)
        seen = [0]

        def progress(requests: Requests, done: int) -> None:
            with requests.lock:
                recent = requests.all()[seen[0] :]
                seen[0] += len(recent)
                timeouts = requests.timeouts
            print(
                f"  {done:>5} cases: RSS {rss_mib(demo.process.pid):6.0f} MiB; the last {requests.every} cases' "
                f"requests p50 {percentile(recent, 50) * 1000:6.0f} ms, max {max(recent, default=0) * 1000:6.0f} ms; "
                f"timeouts so far {timeouts}",
                flush=True,
            )

        main, seconds = run_batch(
            demo.api,
            token,
            args.decide,
            args.cases,
            args.concurrency,
            "main",
            progress=progress,
            every=args.every,
        )
        rss_end = rss_mib(demo.process.pid)
        time.sleep(args.idle)
        rss_idle = rss_mib(demo.process.pid)
        health = httpx.get(f"{demo.api}/health", timeout=30).json()
    finally:
        sampler.stop()
        demo.stop()

    print(
        f"cases: {args.cases} in {seconds:.0f} s ({args.cases / seconds:.2f} cases/s); final states {dict(main.states)}"
    )
    print(
        f"requests: {len(main.all())}, timeouts (no answer in {REQUEST_TIMEOUT_S:.0f} s): {main.timeouts}, "
        f"errors: {dict(main.errors) or 0}; over 30 s: {sum(1 for d in main.all() if d > 30)}"
    )
    print("latency (baseline: the same lifecycle one case at a time, same run):")
    for kind in sorted(main.durations):
        base = baseline.durations.get(kind)
        print(latency_line(kind, main.durations[kind], percentile(base, 50) if base else None))
    print(latency_line("every request", main.all(), percentile(baseline.all(), 50)))
    print(latency_line("whole case", main.case_seconds, percentile(baseline.case_seconds, 50)))
    growth = (rss_end - rss_warm) / args.cases * 100
    print(
        f"RSS of the stack (MiB): ready {rss_ready:.0f}, after warm-up ({args.baseline + args.warmup} cases) "
        f"{rss_warm:.0f}, peak {sampler.peak:.0f}, end {rss_end:.0f}, after {args.idle:.0f} s idle {rss_idle:.0f}"
    )
    print(
        f"RSS growth after warm-up: {rss_end - rss_warm:+.0f} MiB, {growth:+.1f} MiB per 100 cases "
        f"({growth / max(rss_warm, 1) * 100:+.1f}% of the warm RSS per 100 cases)"
    )
    print(f"instances per function at the end: {health.get('instances')}")


# --------------------------------------------------------------------------------------------- part: tasks
#: What the automation machine invokes for a KYB case with one owner, in its order (`{check}` once per check).
TASKS: list[tuple[str, str]] = [
    ("WorkflowTasksFunction", "plan"),
    ("PluginsFunction", "run_check"),
    ("WorkflowTasksFunction", "automate_owner"),
    ("EvaluateRulesFunction", "evaluate_rules"),
    ("WorkflowTasksFunction", "conclude"),
]


def tasks_part(args: argparse.Namespace) -> None:
    from arbiter import bootstrap
    from arbiter.domain.entity import Entity
    from arbiter.domain.principal import Principal
    from arbiter.services import cases, review
    from arbiter.services.review import DecisionRequest
    from arbiter_local.runtime import InvocationError, function_environment
    from arbiter_local.stack import LocalStack, StackConfig

    print(
        f"== tasks: {args.cases} cases, the automated run's invocations each, after {args.warmup} warm-up cases",
        flush=True,
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
    stack.start()
    try:
        runtime = stack.runtime
        assert runtime is not None
        spec = runtime.by_logical_id("WorkflowTasksFunction")
        with function_environment(runtime.environment_of(spec)):
            deps = bootstrap.composition_root()()
            tenant = deps.tenants.get("demo")
            checks = [
                str(p.get("name") or p.get("plugin")) for p in deps.workflows.get("demo", "kyb").plugins
            ]
        integrator = Principal(kind="integrator", tenant_id="demo", id="soak")
        reviewer = Principal(kind="reviewer", tenant_id="demo", id="soak-reviewer", roles=("reviewer",))
        functions = {logical: runtime.by_logical_id(logical).name for logical, _ in TASKS}
        durations: dict[str, list[float]] = defaultdict(list)
        errors: Counter[str] = Counter()

        def invoke(logical: str, task: str, payload: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return runtime.invoke(functions[logical], {"task": task, **payload})
            except InvocationError as exc:
                errors[f"{task}: {exc.payload.get('errorType')}"] += 1
                return None
            finally:
                durations[task].append(time.perf_counter() - started)

        def one_case(n: int) -> None:
            # Submitted without the start continuation: the bench plays the automation machine, step by step.
            entity = Entity.model_validate(kyb_case(f"soak-task-{n}-{uuid.uuid4().hex[:6]}")["entity"])
            case, _ = cases.start_case(deps, integrator, tenant, workflow="kyb", entity=entity, submit=False)
            stored = deps.cases.get(case.tenant_id, case.id)
            stored.runs_started = 1
            deps.cases.save(stored, stored.submit(integrator.actor), expected_version=stored.version)
            ref = {"tenant_id": case.tenant_id, "case_id": case.id}
            step = {"state": "Plan", "entered_at": dt.datetime.now(dt.UTC).isoformat()}
            state: dict[str, Any] = {"case": ref, "round": 1}
            state["plan"] = invoke("WorkflowTasksFunction", "plan", {"case": ref, "step": step})
            work = [{"checks": []}, {"owners": []}]
            for check in checks:
                step = {"state": "RunCheck", "entered_at": dt.datetime.now(dt.UTC).isoformat()}
                work[0]["checks"].append(
                    invoke("PluginsFunction", "run_check", {"case": ref, "check": check, "step": step})
                )
            step = {"state": "AutomateOwner", "entered_at": dt.datetime.now(dt.UTC).isoformat()}
            work[1]["owners"].append(
                invoke("WorkflowTasksFunction", "automate_owner", {"case": ref, "owner": 0, "step": step})
            )
            state["work"] = work
            step = {"state": "EvaluateRules", "entered_at": dt.datetime.now(dt.UTC).isoformat()}
            state["assessment"] = invoke(
                "EvaluateRulesFunction", "evaluate_rules", {"case": ref, "step": step}
            )
            step = {"state": "Decide", "entered_at": dt.datetime.now(dt.UTC).isoformat()}
            invoke("WorkflowTasksFunction", "conclude", {"case": ref, "round": 1, "run": state, "step": step})
            # Handed to a reviewer (the demo rules review these cases): its Standard execution runs for real and
            # ends with the reviewer's decision, as in the http part.
            for case_id in (case.id, f"{case.id}-o0"):
                if deps.cases.get("demo", case_id).state.value == "manual_review":
                    review.decide(deps, reviewer, case_id, DecisionRequest(decision="approve", reason="soak"))

        for n in range(args.warmup):
            one_case(n)
        gc.collect()
        rss_warm = rss_mib()
        durations.clear()
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        started = time.perf_counter()
        for n in range(args.cases):
            one_case(args.warmup + n)
            if (n + 1) % args.every == 0:
                print(f"  {n + 1:>5} cases: RSS {rss_mib():6.0f} MiB", flush=True)
        seconds = time.perf_counter() - started
        stack.bridge.wait_idle(60) if stack.bridge else None
        gc.collect()
        after = tracemalloc.take_snapshot()
        rss_end = rss_mib()
        tracemalloc.stop()
    finally:
        stack.stop()

    print(
        f"invocations: {sum(len(v) for v in durations.values())} in {seconds:.0f} s; errors: {dict(errors) or 0}"
    )
    for _, task in TASKS:
        print(latency_line(task, durations[task]))
    ours = [str(ROOT / "layers"), str(ROOT / "functions")]
    diff = after.compare_to(before, "lineno")
    arbiter = [d for d in diff if any(d.traceback[0].filename.startswith(p) for p in ours)]
    total = sum(d.size_diff for d in diff)
    in_ours = sum(d.size_diff for d in arbiter)
    print(
        f"RSS (MiB): after warm-up {rss_warm:.0f}, end {rss_end:.0f}: {rss_end - rss_warm:+.0f} MiB, "
        f"{(rss_end - rss_warm) / args.cases * 100:+.1f} MiB per 100 cases"
    )
    print(
        f"tracemalloc since the warm-up: {total / 2**20:+.1f} MiB in all, {in_ours / 2**20:+.2f} MiB allocated "
        f"from Arbiter's code ({in_ours / args.cases:+.0f} bytes per case)"
    )
    print("  largest growth, Arbiter's code:")
    for d in sorted(arbiter, key=lambda d: -d.size_diff)[:5]:
        frame = d.traceback[0]
        print(
            f"    {d.size_diff / 1024:+9.1f} KiB {d.count_diff:+7d} blocks  {Path(frame.filename).relative_to(ROOT)}:{frame.lineno}"
        )
    print("  largest growth, anywhere:")
    for d in diff[:5]:
        frame = d.traceback[0]
        print(
            f"    {d.size_diff / 1024:+9.1f} KiB {d.count_diff:+7d} blocks  {frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("http", "tasks", "both"), default="both")
    parser.add_argument("--cases", type=int, default=1000, help="cases after the warm-up (default 1000)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="cases in flight at once (http; default 8)"
    )
    parser.add_argument(
        "--warmup", type=int, default=40, help="cases before the memory baseline (default 40)"
    )
    parser.add_argument("--baseline", type=int, default=10, help="cases one at a time for latency (http)")
    parser.add_argument("--idle", type=float, default=30, help="seconds idle before the last RSS (http)")
    parser.add_argument(
        "--no-decide", dest="decide", action="store_false", help="leave cases in review (http)"
    )
    parser.add_argument("--every", type=int, default=100, help="a progress line every N cases (default 100)")
    args = parser.parse_args(argv)
    if args.part in ("http", "both"):
        http_part(args)
    if args.part in ("tasks", "both"):
        tasks_part(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
