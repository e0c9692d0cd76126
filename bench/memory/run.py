"""Peak memory of every Lambda function under a realistic workload, and the MemorySize it calls for.

The local stack runs as for bench/cost, with one difference: every instance of every function is a process of its
own (a worker), started fresh as a Lambda execution environment is, that imports the handler with its folder and
the common layer on the path (Lambda's init) and then takes the invocations the stack routes to it (API Gateway's
events, Step Functions' tasks, S3 notifications, stream batches, bus events), one at a time. A worker's peak
resident memory (the kernel's VmHWM) is what its execution environment needed. The workload:

- `paths`: bench/cost's paths (auto-approve with one to three owners, auto-reject, manual review, a revision
  round trip), `--cases` each, with a webhook subscription receiving the decisions;
- `documents`: the heaviest pages a case may carry, uploaded (IngestDocumentsFunction) and given as remote pages
  (the workflow's ingest step): a 12-megapixel phone photo, a 600 dpi A4 colour scan as PNG and inside a PDF, and a
  PNG at the largest size ingestion accepts (`MAX_PIXELS`); then the reviewers' views of that case;
- `scheduled`: the document retention and the reconciler, as their schedules invoke them, and the audit digest of
  the day's cases;
- `watchlist`: a generated OpenSanctions list of `--watchlist-names` names (bench/screening's generator; the
  default collection holds about a million) stored where the shipped workflows read it, then a KYB case with one
  owner: the sanctions check and the owner's (sent by WorkflowTasksFunction) load it into ScreeningFunction.

Baselines in the same run: a fresh interpreter (`python -c pass`) and one that imports boto3 and makes one client.

    python bench/memory/run.py [--cases 2] [--watchlist-names 1000000] [--write]

`--write` records the figures in bench/memory/figures.json, which tests/template/test_memory_sizes.py holds
template.yaml's MemorySize to. The recommended size is the peak times HEADROOM plus what Lambda's runtime adds
beyond the Python process (RUNTIME_OVERHEAD_MB), rounded up to a multiple of 64 MB, at least 128 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common"
sys.path[:0] = [str(LAYER), str(ROOT / "local"), str(ROOT)]

FIGURES = Path(__file__).with_name("figures.json")
#: The peak is multiplied by this: a workload heavier than the bench's (a bigger page, a longer list) has room.
HEADROOM = 1.5
#: What an execution environment holds beyond the Python process measured here (Lambda's runtime API and init
#: process, the sandbox's own pages): an assumption, see README.md.
RUNTIME_OVERHEAD_MB = 40
STEP_MB = 64
WORKER_DEADLINE_MS = 900_000
PHASES = ("paths", "documents", "page-limit", "scheduled", "transactions", "backtest", "watchlist")
REALISTIC_PAGES = ("photo-12mp.jpg", "scan-a4-600dpi.png", "scan-a4-600dpi.pdf")
LIMIT_PAGES = ("limit-60mp.png",)
MINIMUM_MB = 128

INTERPRETER = "pass"
BASELINE = "import boto3\nboto3.client('dynamodb', region_name='us-east-1')"
PEAK = "\nwith open('/proc/self/status') as s:\n    print(next(int(l.split()[1]) for l in s if l.startswith('VmHWM:')))"

# One execution environment: Lambda's init (the handler's import), then invocations read from stdin, one JSON line
# each, answered on a copy of stdout; the handler's own output (powertools logs to stdout) goes to stderr. The
# context is a plain class, so that nothing is imported beyond what the function imports itself.
WORKER = r"""
import importlib, json, os, sys, time, traceback

replies = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)

def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

class Context:
    def __init__(self, spec):
        self.function_name, self.invoked_function_arn = spec["name"], spec["arn"]
        self.memory_limit_in_mb, self.function_version = spec["memory_mb"], "$LATEST"
        self.log_group_name, self.log_stream_name = "/aws/lambda/" + spec["name"], "bench"
        self.aws_request_id = spec["request_id"]
        self._deadline = time.monotonic() + spec["remaining_ms"] / 1000

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

module_name, _, handler_name = sys.argv[1].rpartition(".")
handler = getattr(importlib.import_module(module_name), handler_name)
replies.write(json.dumps({"ready": peak_kb()}) + "\n")
replies.flush()
for line in sys.stdin:
    request = json.loads(line)
    try:
        reply = {"result": handler(request["event"], Context(request["context"]))}
        json.dumps(reply)
    except Exception as exc:
        reply = {"error": {"errorType": type(exc).__name__, "errorMessage": str(exc),
                           "stackTrace": traceback.format_exception(exc)}}
    reply["peak"] = peak_kb()
    replies.write(json.dumps(reply) + "\n")
    replies.flush()
"""


def _module(name: str, path: Path) -> Any:
    """A sibling bench's run.py, loaded as a module (its helpers, not its main)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def recommended_mb(peak_mb: float) -> int:
    """The smallest size with HEADROOM over the peak plus the runtime's own memory, in 64 MB steps."""
    return max(MINIMUM_MB, math.ceil((peak_mb * HEADROOM + RUNTIME_OVERHEAD_MB) / STEP_MB) * STEP_MB)


def peak_of(code: str) -> float:
    """The peak resident memory, MB, of a fresh interpreter running `code` (the layer on its path)."""
    env = {**os.environ, "PYTHONPATH": str(LAYER)}
    out = subprocess.run(
        [sys.executable, "-c", code + PEAK], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    return int(out.stdout.split()[-1]) / 1024


# ------------------------------------------------------------------------------------------------ the workers
class Worker:
    """One execution environment of a function, in a process of its own."""

    def __init__(self, spec: Any, environment: dict[str, str], log: Path) -> None:
        self.spec = spec
        self.log = log
        self._stderr = log.open("w")
        env = {**environment, "PYTHONPATH": os.pathsep.join([str(spec.code_dir), str(LAYER)])}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, spec.handler],
            cwd=spec.code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        first = self._reply()
        self.init_kb: int = first["ready"]
        self.peak_kb: int = self.init_kb
        self.invocations = 0

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self._stderr.flush()
            tail = self.log.read_text()[-3000:]
            raise RuntimeError(f"{self.spec.logical_id}'s worker ended (exit {self.process.poll()}):\n{tail}")
        return dict(json.loads(line))

    def __call__(self, event: Any, context: Any) -> Any:
        from arbiter_local.runtime import InvocationError

        assert self.process.stdin is not None
        request = {
            "event": event,
            "context": {
                "name": context.function_name,
                "arn": context.invoked_function_arn,
                "memory_mb": context.memory_limit_in_mb,
                "request_id": context.aws_request_id,
                # Lambda's longest timeout: a step slowed down by this shared machine finishes instead of being
                # abandoned half-way (a check's time budget comes from it); time is bench/latency's business.
                "remaining_ms": WORKER_DEADLINE_MS,
            },
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self._reply()
        self.invocations += 1
        self.peak_kb = max(self.peak_kb, reply["peak"])
        if "error" in reply:
            raise InvocationError(reply["error"])
        return reply["result"]

    def refresh(self) -> None:
        """Read the process's peak now: work a reply has not reported (a thread still running) counts too."""
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return
        self.peak_kb = max(self.peak_kb, hwm)

    def stop(self) -> None:
        self.refresh()
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._stderr.close()


@dataclass
class Figures:
    """A function's workers and the peak (MB) it had reached at the end of each phase."""

    workers: list[Worker] = field(default_factory=list)
    by_phase: dict[str, float] = field(default_factory=dict)

    @property
    def init_mb(self) -> float:
        return max(w.init_kb for w in self.workers) / 1024

    @property
    def peak_mb(self) -> float:
        return max(w.peak_kb for w in self.workers) / 1024


class Workers:
    """Takes over the stack's cold starts: every new instance of a function is a worker process."""

    def __init__(self, runtime: Any, logs: Path) -> None:
        from arbiter_local.runtime import FunctionInstance

        self.runtime = runtime
        self.logs = logs
        self.figures: dict[str, Figures] = defaultdict(Figures)
        self._lock = threading.Lock()
        environ = {k: os.environ[k] for k in os.environ}  # this process's, without the runtime's overlay

        def load(spec: Any, number: int) -> Any:
            environment = {
                **environ,
                **runtime.environment_of(spec),
                "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            }
            environment.pop("PYTHONDONTWRITEBYTECODE", None)
            worker = Worker(spec, environment, logs / f"{spec.logical_id}-{number}.log")
            with self._lock:
                self.figures[spec.logical_id].workers.append(worker)
            return FunctionInstance(spec, number, module=None, handler=worker)  # type: ignore[arg-type]

        runtime._load = load  # the pools the runtime creates from now on load workers
        runtime._pools.clear()

    def mark(self, phase: str) -> None:
        """Note every function's peak so far, at the end of `phase`."""
        with self._lock:
            for figures in self.figures.values():
                for worker in figures.workers:
                    worker.refresh()
                figures.by_phase[phase] = figures.peak_mb

    def idle(self) -> bool:
        with self.runtime._pools_lock:
            return all(pool.busy == 0 for pool in self.runtime._pools.values())

    def stop(self) -> None:
        for figures in self.figures.values():
            for worker in figures.workers:
                worker.stop()


# --------------------------------------------------------------------------------------------- the workload
class Files(BaseHTTPRequestHandler):
    """Serves the bench's pages (GET) and takes webhook deliveries (POST)."""

    pages: dict[str, bytes] = {}
    deliveries = 0

    def do_GET(self) -> None:
        body = self.pages.get(self.path.lstrip("/"))
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).deliveries += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def file_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="bench-files")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def heavy_pages() -> dict[str, tuple[str, bytes]]:
    """The heaviest pages a case may carry, by name: (content type, bytes); each within MAX_PAGE_BYTES."""
    from PIL import Image, ImageDraw

    from arbiter.domain.document import MAX_PAGE_BYTES
    from arbiter.services.page_inspection import MAX_PIXELS

    def scan(width: int, height: int) -> Image.Image:
        """A colour scan of a printed page: white paper, lines of dark 'text', a coloured stamp."""
        page = Image.new("RGB", (width, height), (250, 250, 247))
        draw = ImageDraw.Draw(page)
        line = max(12, height // 120)
        for y in range(height // 12, height - height // 12, line * 2):
            x = width // 12
            while x < width - width // 12:
                word = 3 * line + (x * 7919 + y * 104729) % (5 * line)
                draw.rectangle((x, y, min(x + word, width - width // 12), y + line), fill=(30, 30, 40))
                x += word + line
        draw.ellipse(
            (width // 2, height // 2, width // 2 + width // 5, height // 2 + width // 5),
            outline=(40, 60, 200),
            width=line,
        )
        return page

    def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
        out = io.BytesIO()
        image.save(out, format=fmt, **options)
        return out.getvalue()

    photo = Image.effect_noise((4000, 3000), 64).convert(
        "RGB"
    )  # a 12 MP phone photo: noise, as bench/documents
    a4 = scan(4960, 7016)  # A4 at 600 dpi: 34.8 MP
    side = math.isqrt(MAX_PIXELS) - 1  # the largest square page ingestion accepts
    pages = {
        "photo-12mp.jpg": ("image/jpeg", encoded(photo, "JPEG", quality=90)),
        "scan-a4-600dpi.png": ("image/png", encoded(a4, "PNG", optimize=False)),
        "scan-a4-600dpi.pdf": ("application/pdf", encoded(a4, "PDF", resolution=600.0, quality=85)),
        "limit-60mp.png": ("image/png", encoded(scan(side, side), "PNG")),
    }
    for name, (_, data) in pages.items():
        assert len(data) <= MAX_PAGE_BYTES, f"{name} is {len(data)} bytes, over the page limit"
    return pages


class Workload:
    """Drives the stack the way integrators, reviewers, schedules and the state machines do."""

    def __init__(self, stack: Any, workers: Workers, files_url: str) -> None:
        cost = _module("bench_cost_run", ROOT / "bench" / "cost" / "run.py")
        self.cost = cost
        self.stack = stack
        self.workers = workers
        self.files_url = files_url
        self.bench = cost.Bench(stack, cost.Meter([]))
        self.api = self.bench.api
        self.reviewer = self.bench.reviewer
        self.pages = heavy_pages()

    def quiesce(self) -> None:
        """Until nothing has been invoked for 2 s and no instance is busy."""
        runtime = self.stack.runtime
        seen, since = runtime.invocation_count, time.monotonic()
        while time.monotonic() - since < 2.0 or not self.workers.idle():
            time.sleep(0.2)
            if runtime.invocation_count != seen or not self.workers.idle():
                seen, since = runtime.invocation_count, time.monotonic()

    def paths(self, cases: int) -> None:
        answer = self.api.post(
            "/v1/webhooks",
            json={"url": f"{self.files_url}/hook", "event_types": ["case.decided", "case.awaiting_review"]},
        )
        assert answer.status_code == 201, answer.text
        for path in self.cost.PATHS:
            _, problems = self.bench.run_path(path, cases)
            print(f"  {path.name}: {cases} cases{'; ' + problems[0] if problems else ''}", flush=True)
        self.quiesce()
        print(f"  webhook deliveries received: {Files.deliveries}")

    def documents(self, names: tuple[str, ...]) -> None:
        """A case carrying `names` twice: as remote pages (the workflow's ingest step) and as uploads (ingestion)."""
        pages = {name: page for name, page in self.pages.items() if name in names}
        Files.pages.update({name: data for name, (_, data) in pages.items()})
        sizes = ", ".join(f"{name} {len(data) / 2**20:.1f} MB" for name, (_, data) in pages.items())
        print(f"  pages: {sizes}", flush=True)
        person = {
            "type": "individual",
            "id": f"bench-memory-{time.time_ns()}",
            "individual": {"first_name": "Page", "last_name": "Heavy", "email": "pages@bench.example"},
        }
        remote = [
            {"id": f"remote-{n}", "type": "passport", "pages": [{"uri": f"{self.files_url}/{name}"}]}
            for n, name in enumerate(pages)
        ]
        created = self.api.post(
            "/v1/cases",
            json={"workflow": "manual-review", "entity": person, "documents": remote, "submit": False},
        )
        assert created.status_code == 202, created.text
        case_id = created.json()["id"]
        for n, (name, (content_type, data)) in enumerate(pages.items()):
            declared = self.api.post(
                f"/v1/cases/{case_id}/documents",
                json={"id": f"upload-{n}", "type": "passport", "page_count": 1, "content_type": content_type},
            )
            assert declared.status_code == 201, declared.text
            upload = declared.json()["uploads"][0]
            posted = httpx.post(
                upload["url"], data=upload["fields"], files={"file": (name, data)}, timeout=120
            )
            assert posted.status_code < 300, posted.text
            self.quiesce()
        submitted = self.api.post(f"/v1/cases/{case_id}/events", json={"name": "submitted"})
        assert submitted.status_code == 200, submitted.text
        self.bench.wait(lambda: self.bench.settled_state(case_id), f"{case_id} to be ingested", timeout=300)
        self.quiesce()
        listed = self.api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        statuses = sorted(
            p["status"] + (f" ({p['reason']})" if p.get("reason") else "") for d in listed for p in d["pages"]
        )
        print(f"  case {case_id}: {len(listed)} documents, pages {statuses}")
        # What a reviewer opens: the queue, the case with its workflow, each page and its thumbnail.
        assert self.reviewer.get("/v1/review/cases", params={"state": "manual_review"}).status_code == 200
        assert self.reviewer.get(f"/v1/review/cases/{case_id}").status_code == 200
        for document in listed:
            self.reviewer.get(f"/v1/review/cases/{case_id}/documents/{document['id']}/pages/0")
        # The evidence bundle copies every page into a zip and draws the thumbnails into its report.
        started = time.monotonic()
        bundle = self.reviewer.get(f"/v1/review/cases/{case_id}/evidence", timeout=300)
        assert bundle.status_code == 200, bundle.text
        took = time.monotonic() - started
        print(f"  evidence bundle: {bundle.json()['size'] / 2**20:.1f} MB built in {took:.1f} s", flush=True)
        self.quiesce()

    def scheduled(self) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "version": "0",
            "id": "bench",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": now,
            "region": "us-east-1",
            "resources": [],
            "detail": {},
        }
        runtime = self.stack.runtime
        for logical in ("DocumentRetentionFunction", "ReconcileCasesFunction"):
            runtime.invoke(runtime.by_logical_id(logical).name, event)
        # The digest of today (the schedule's is of yesterday, when this stack had no cases): every case above.
        today = {"date": dt.datetime.now(dt.UTC).date().isoformat()}
        runtime.invoke(runtime.by_logical_id("AuditDigestFunction").name, today)
        self.quiesce()

    def transactions(self, count: int = 200) -> None:
        """Transactions decided one by one and in a batch (the queue's consumer decides those), some of them over
        the default scenarios' thresholds so alerts open and grow."""
        at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)

        def tx(n: int) -> dict[str, Any]:
            return {
                "id": f"mem-tx-{n}",
                "customer": {"id": f"mem-cust-{n % 7}"},
                "amount": 9_800.0 if n % 5 == 0 else 120.0 + n,
                "currency": "EUR",
                "direction": "outbound",
                "type": "transfer",
                "counterparty": {"name": f"Party {n % 11}", "account": f"DE{n % 11:020d}", "country": "DE"},
                "time": (at + dt.timedelta(seconds=n)).isoformat(),
                "channel": "api",
                "metadata": {},
            }

        for n in range(20):
            answer = self.api.post("/v1/transactions", json=tx(n))
            assert answer.status_code in (200, 201), answer.text
        batch = [tx(n) for n in range(20, count)]
        answer = self.api.post("/v1/transactions/batch", json={"transactions": batch})
        assert answer.status_code == 202, answer.text
        last = batch[-1]["id"]
        deadline = time.monotonic() + 300
        while self.api.get(f"/v1/transactions/{last}").status_code != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the batch was not decided within 5 minutes")
            time.sleep(0.5)
        self.quiesce()

    def backtest(self, transactions: int, earlier: int) -> None:
        """The heaviest monitoring backtest job: `transactions` in its range (the job's bound) and `earlier` more
        before them (its customers' histories to replay: at most 50,000 read in all), stored straight through the
        DynamoDB adapter (deciding them through the API would take hours here), then run by the
        transaction-backtests state machine as an admin starts it."""
        sys.path.insert(0, str(ROOT))
        from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
        from arbiter.domain.monitoring import changes_for
        from arbiter.domain.transactions import DecidedTransaction, MonitoringRuleSet, Transaction
        from bench.monitoring.run import stream

        sent = stream(1, 1, 99)[0]
        sent = {**sent, "id": "mem-bt-first", "customer": {"id": "mem-bt-installer"}}
        sent.pop("customer_id")
        first = self.api.post("/v1/transactions", json=sent)
        assert first.status_code in (200, 201), first.text  # installs the default scenarios (version 1)
        store = DynamoTransactionStore(self.stack.client("dynamodb"), self.stack.physical_id("ArbiterTable"))
        rules = MonitoringRuleSet(id="transaction-monitoring", version=1)
        total = transactions + earlier
        payloads = stream(500, total, 23)
        shift = (
            dt.datetime.now(dt.UTC) - dt.timedelta(hours=1) - dt.datetime.fromisoformat(payloads[-1]["time"])
        )
        started = time.perf_counter()
        for payload in payloads:
            tx = Transaction.model_validate(payload | {"id": f"mem-bt-{payload['id']}"})
            tx = tx.model_copy(update={"time": tx.time + shift})
            decided = DecidedTransaction(
                tenant_id=self.bench.tenant_id,
                transaction=tx,
                decision="allow",
                score=0,
                level="low",
                rule_set=rules,
                decided_at=tx.time + dt.timedelta(seconds=1),
            )
            store.record(decided, changes_for(tx, store.history(self.bench.tenant_id, tx)), None, [])
        print(f"  {total:,} transactions stored in {time.perf_counter() - started:.0f} s", flush=True)
        start = dt.datetime.fromisoformat(payloads[earlier]["time"]) + shift
        job = self.reviewer.post(
            "/v1/admin/transactions/backtests",
            json={"version": 1, "start": start.isoformat(), "end": dt.datetime.now(dt.UTC).isoformat()},
        )
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 900
        while (answer := self.reviewer.get(job.headers["Location"]).json())["status"] in (
            "queued",
            "running",
        ):
            if time.monotonic() > deadline:
                raise SystemExit("the backtest job did not end within 15 minutes")
            time.sleep(1)
        assert answer["status"] == "succeeded", answer
        result = answer["result"]
        took = dt.datetime.fromisoformat(answer["finished_at"]) - dt.datetime.fromisoformat(
            answer["started_at"]
        )
        print(
            f"  backtest job: {result['transactions']:,} scored, {result['replayed']:,} replayed, "
            f"{result['reproduced']:,} reproduced, in {took.total_seconds():.0f} s",
            flush=True,
        )
        self.quiesce()

    def watchlist(self, names: int, scratch: Path) -> None:
        sys.path.insert(0, str(ROOT / "bench" / "screening"))
        from generate import write_list

        from arbiter_local.demo_watchlist import DEMO_WATCHLIST_KEY

        started = time.perf_counter()
        csv = scratch / "targets.simple.csv"
        entries, listed, _ = write_list(csv, 20261123, names)
        print(
            f"  list: {entries:,} entries, {listed:,} names, {csv.stat().st_size / 2**20:.0f} MB "
            f"(generated in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        bucket = self.stack.physical_id("DocumentsBucket")
        self.stack.client("s3").upload_file(str(csv), bucket, DEMO_WATCHLIST_KEY)
        path = self.cost.Path_("KYB, 1 owner", "kyb", self.cost._kyb("DE", 1), "approved")
        started = time.perf_counter()
        self.bench.run_path(path, 1)
        self.quiesce()
        print(f"  one KYB case screened against it in {time.perf_counter() - started:.0f} s")


# ------------------------------------------------------------------------------------------------- reporting
def template_memory() -> dict[str, int]:
    """Each function's MemorySize in template.yaml (Globals applied)."""
    from arbiter_local.cfn import load_template

    functions = load_template(ROOT / "template.yaml").of_type("AWS::Serverless::Function")
    return {name: int(function["Properties"]["MemorySize"]) for name, function in functions.items()}


def report(figures: dict[str, Figures], phases: list[str], baseline_mb: float, interpreter_mb: float) -> None:
    configured = template_memory()
    print(
        f"\nbaselines: a fresh interpreter {interpreter_mb:.0f} MB; import boto3 + one client {baseline_mb:.0f} MB "
        f"(peak resident memory, VmHWM)"
    )
    print(
        f"recommended = max({MINIMUM_MB}, peak x {HEADROOM} + {RUNTIME_OVERHEAD_MB} MB runtime, "
        f"rounded up to {STEP_MB} MB)"
    )
    header = (
        f"{'function':<28}{'inst':>5}{'init MB':>9}{'peak MB':>9}{'x base':>8}{'MemorySize':>11}"
        f"{'headroom':>10}{'recommended':>12}"
    )
    print(header)
    for name in sorted(configured):
        if name not in figures:
            print(f"{name:<28}  not invoked by the workload")
            continue
        f = figures[name]
        size = configured[name]
        headroom = size / (f.peak_mb + RUNTIME_OVERHEAD_MB)
        print(
            f"{name:<28}{len(f.workers):>5}{f.init_mb:>9.0f}{f.peak_mb:>9.0f}{f.peak_mb / baseline_mb:>7.2f}x"
            f"{size:>11}{headroom:>9.2f}x{recommended_mb(f.peak_mb):>12}"
        )
    print("headroom: MemorySize / (peak + runtime overhead)")
    for name in sorted(figures):
        if len(figures[name].workers) > 1:
            peaks = ", ".join(f"{w.peak_kb / 1024:.0f}" for w in figures[name].workers)
            print(f"  {name}: each instance's peak MB: {peaks}")
    print("\npeak MB at the end of each phase:")
    print(f"{'function':<28}" + "".join(f"{p:>11}" for p in phases))
    for name in sorted(figures):
        print(f"{name:<28}" + "".join(f"{figures[name].by_phase.get(p, 0):>11.0f}" for p in phases))


def write(
    figures: dict[str, Figures], baseline_mb: float, interpreter_mb: float, args: argparse.Namespace
) -> None:
    record = {
        "measured_by": "bench/memory/run.py",
        "date": dt.date.today().isoformat(),
        "workload": {"cases_per_path": args.cases, "watchlist_names": args.watchlist_names},
        "headroom": HEADROOM,
        "runtime_overhead_mb": RUNTIME_OVERHEAD_MB,
        "step_mb": STEP_MB,
        "minimum_mb": MINIMUM_MB,
        "baseline_mb": round(baseline_mb, 1),
        "interpreter_mb": round(interpreter_mb, 1),
        "functions": {
            name: {
                "init_mb": round(f.init_mb, 1),
                "peak_mb": round(f.peak_mb, 1),
                "recommended_mb": recommended_mb(f.peak_mb),
            }
            for name, f in sorted(figures.items())
        },
    }
    if set(args.phases.split(",")) != set(PHASES) and FIGURES.exists():
        # Some phases only: a function keeps its figure unless these phases took it higher (or it is new).
        kept = json.loads(FIGURES.read_text())
        record["workload"] = kept["workload"]
        merged = dict(kept["functions"])
        for name, figure in record["functions"].items():
            if name not in merged or figure["peak_mb"] > merged[name]["peak_mb"]:
                merged[name] = figure
        record["functions"] = dict(sorted(merged.items()))
    FIGURES.write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nwrote {FIGURES.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2, help="cases per bench/cost path (default 2)")
    parser.add_argument(
        "--watchlist-names",
        type=int,
        default=1_000_000,
        help="names in the generated list (default 1,000,000)",
    )
    parser.add_argument(
        "--backtest-transactions",
        type=int,
        default=10_000,
        help="transactions in the backtest job's range (default 10,000: a job's bound)",
    )
    parser.add_argument(
        "--backtest-earlier",
        type=int,
        default=39_000,
        help="transactions stored before the range, replayed as the customers' history (default 39,000: with "
        "the range's, just under a job's bound of 50,000 read)",
    )
    parser.add_argument(
        "--write", action="store_true", help="record the figures in bench/memory/figures.json"
    )
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"which phases to run (default {','.join(PHASES)})"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    from arbiter_local.stack import LocalStack, StackConfig
    from tests.support.ports import free_port

    interpreter_mb = peak_of(INTERPRETER)
    baseline_mb = peak_of(BASELINE)
    stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
    stack.start()
    phases: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch, file_server() as files_url:
        workers = Workers(stack.runtime, Path(scratch))
        try:
            workload = Workload(stack, workers, files_url)
            steps = [
                ("paths", lambda: workload.paths(args.cases)),
                ("documents", lambda: workload.documents(REALISTIC_PAGES)),
                ("page-limit", lambda: workload.documents(LIMIT_PAGES)),
                ("scheduled", workload.scheduled),
                ("transactions", workload.transactions),
                ("backtest", lambda: workload.backtest(args.backtest_transactions, args.backtest_earlier)),
                ("watchlist", lambda: workload.watchlist(args.watchlist_names, Path(scratch))),
            ]
            for phase, step in [s for s in steps if s[0] in args.phases.split(",")]:
                print(f"-- {phase}", flush=True)
                started = time.perf_counter()
                step()
                workers.mark(phase)
                phases.append(phase)
                print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        finally:
            stack.stop()
            workers.stop()
        baseline_mb = (baseline_mb + peak_of(BASELINE)) / 2  # before and after the run: a busy machine alike
        report(workers.figures, phases, baseline_mb, interpreter_mb)
        if args.write:
            write(workers.figures, baseline_mb, interpreter_mb, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
