"""What a case costs on AWS, per path, measured on the local stack running the real state machines.

For each path (auto-approve, auto-reject, manual review, revision) it runs a batch of cases through the
API and counts, per case (a KYB case's owners' KYC cases included): Standard state transitions (every state
entered, from the execution histories), Express runs and their duration (billed as 64 MB), Lambda invocations and GB-seconds (memory from template.yaml, duration as
measured here), DynamoDB read and write request units (from the items' sizes), events put on the bus, S3
requests and API requests; then prices them at AWS list prices (PRICES below, us-east-1), a GB-second at the
price of the function's architecture in template.yaml.

    python bench/cost/run.py [--cases 10]

Goals per 1,000 cases (each path's `goal`): auto-approved KYB with one owner $0.05, with three $0.08,
auto-rejected $0.04, manual review $0.10, a revision round trip $0.20. Durations measured in one
process on this machine stand in for Lambda's; they are the least exact figure here, and at these sizes the
smallest part of the bill. The functions' invocations run one at a time (`OneInvocationAtATime`), as each has a CPU
of its own in Lambda: a case's overlapping branches (the checks Map, the Owners Map) no longer bill each other's
time; `--overlapping` measures as before (README.md, "One invocation at a time"). Each path runs in a process and a
local stack of its own (`--one-stack`: all in one, as before; moto's index reads slow with the table's size).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import math
import re
import secrets
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.client
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "local")]


# AWS list prices, us-east-1 (checked 2025): the only place the bench's dollars come from.
PRICES = {
    "sfn_transition": 0.025 / 1000,  # Step Functions Standard, per state transition
    "sfn_express_request": 1.00 / 1_000_000,  # Step Functions Express, per execution
    # Express duration, per GB-second, billed in 64 MB and 100 ms steps: a run of these workflows holds well under
    # 64 MB of state, so each is billed as 64 MB for its duration rounded up to 100 ms.
    "sfn_express_gb_second": 0.00001667,
    "lambda_request": 0.20 / 1_000_000,  # per invocation
    "lambda_gb_second_x86_64": 0.0000166667,  # per GB-second, by the function's Architectures
    "lambda_gb_second_arm64": 0.0000133334,
    "ddb_write_unit": 0.625 / 1_000_000,  # on-demand, per write request unit
    "ddb_read_unit": 0.125 / 1_000_000,  # on-demand, per read request unit
    "event": 1.00 / 1_000_000,  # EventBridge custom events, per 64 KB chunk
    "s3_write": 0.005 / 1000,  # PUT, COPY, POST, LIST
    "s3_read": 0.0004 / 1000,  # GET and others
    "api_request": 3.50 / 1_000_000,  # API Gateway REST API
}
S3_WRITES = {"PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2", "CreateMultipartUpload"}


def _size(value: Any) -> int:
    """Bytes of an item (or a list of items) as DynamoDB sizes them: attribute names plus values (the adapters' own
    measure, `item_size`)."""
    from arbiter.adapters.dynamodb.items import item_size

    if isinstance(value, list):
        return sum(_size(item) for item in value)
    return item_size(value)


def _event_size(entry: dict[str, Any]) -> int:
    return len(json.dumps(entry, separators=(",", ":"), default=str).encode())


def _caller() -> str:
    """The innermost Arbiter frames (outside the adapters' plumbing) that led to a write, for --trace."""
    frames = [
        f"{Path(f.filename).stem}.{f.name}"
        for f in traceback.extract_stack()
        if "/arbiter/" in f.filename and "/adapters/dynamodb/items.py" not in f.filename
    ]
    return " < ".join(reversed(frames[-3:]))


def _kind(item: dict[str, Any]) -> str:
    """What an item is, from its key (see arbiter/adapters/dynamodb/keys.py), for the write-unit breakdown."""
    pk, sk = str(item.get("pk", {}).get("S", "")), str(item.get("sk", {}).get("S", ""))
    for marker, kind in (
        ("#TXDAY#", "day lists"),
        ("#SEARCH", "search terms"),
        ("#COUNTS", "state counters"),
        ("#DELIVERY#", "deliveries"),
        ("#MONITORED", "monitored index"),
    ):
        if marker in pk:
            return kind
    for prefix, kind in (
        ("CASE", "case"),
        ("AUDIT#", "audit"),
        ("EVENT#", "outbox"),
        ("CHECK#", "check results"),
        ("CHECKS#", "check results"),
        ("RUN#", "run claim"),
    ):
        if sk.startswith(prefix):
            return kind
    return sk.split("#")[0].lower() or "other"


@dataclass
class Index:
    """A global secondary index of the table as template.yaml declares it."""

    name: str
    partition: str
    sort: str
    projection: str
    attributes: tuple[str, ...] = ()

    def key_of(self, entry: dict[str, Any]) -> tuple[Any, Any]:
        return entry[self.partition], entry[self.sort]

    def entry(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The index entry a put of `item` writes (None when the item is not in this sparse index)."""
        if self.partition not in item or self.sort not in item:
            return None
        if self.projection == "ALL":
            return item
        kept = {"pk", "sk", self.partition, self.sort, *self.attributes}
        return {k: v for k, v in item.items() if k in kept}


def function_architectures() -> dict[str, str]:
    """Each function's architecture (template.yaml, Globals applied): what its GB-seconds are priced at."""
    from arbiter_local.cfn import load_template

    functions = load_template(ROOT / "template.yaml").of_type("AWS::Serverless::Function")
    return {name: function["Properties"]["Architectures"][0] for name, function in functions.items()}


def table_indexes(logical_id: str = "ArbiterTable") -> list[Index]:
    from arbiter_local.cfn import load_template

    table = load_template(ROOT / "template.yaml").resources[logical_id]["Properties"]
    indexes = []
    for gsi in table.get("GlobalSecondaryIndexes", []):
        keys = {k["KeyType"]: k["AttributeName"] for k in gsi["KeySchema"]}
        projection = gsi["Projection"]
        indexes.append(
            Index(
                gsi["IndexName"],
                keys["HASH"],
                keys["RANGE"],
                projection["ProjectionType"],
                tuple(projection.get("NonKeyAttributes", [])),
            )
        )
    return indexes


@dataclass
class Usage:
    transitions: int = 0
    express_runs: int = 0
    express_gb_seconds: float = 0.0
    lambda_calls: int = 0
    gb_seconds: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    events: int = 0
    s3_writes: int = 0
    s3_reads: int = 0
    api_requests: int = 0
    by_function: Counter[str] = field(default_factory=Counter)
    gb_seconds_by_function: Counter[str] = field(default_factory=Counter)
    gb_seconds_by_architecture: Counter[str] = field(default_factory=Counter)
    writes_by_kind: Counter[str] = field(default_factory=Counter)

    def dollars(self) -> dict[str, float]:
        return {
            "Step Functions": self.transitions * PRICES["sfn_transition"]
            + self.express_runs * PRICES["sfn_express_request"]
            + self.express_gb_seconds * PRICES["sfn_express_gb_second"],
            "Lambda": self.lambda_calls * PRICES["lambda_request"]
            + sum(s * PRICES[f"lambda_gb_second_{a}"] for a, s in self.gb_seconds_by_architecture.items()),
            "DynamoDB": self.write_units * PRICES["ddb_write_unit"]
            + self.read_units * PRICES["ddb_read_unit"],
            "EventBridge": self.events * PRICES["event"],
            "S3": self.s3_writes * PRICES["s3_write"] + self.s3_reads * PRICES["s3_read"],
            "API Gateway": self.api_requests * PRICES["api_request"],
        }


class Meter:
    """Counts the AWS calls the functions make (the bench's own calls are left out)."""

    def __init__(self, indexes: list[Index]) -> None:
        self.usage = Usage()
        self.excluded: set[int] = set()
        self.indexes = indexes
        self.trace = False  # --trace: print each write and read with the Arbiter code that made it
        self.bodies: Path | None = None  # --bodies: where each case body written is kept (case_dictionary.py)
        self._indexed: dict[
            tuple[str, str], dict[str, tuple[Any, Any]]
        ] = {}  # item -> index -> its key there
        self._lock = threading.Lock()
        self._original: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def install(self) -> None:
        meter, original = self, self._original

        def _make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            response = original(client, operation, params)
            if id(client) not in meter.excluded:
                meter.record(client.meta.service_model.service_name, operation, params, response)
            return response

        botocore.client.BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]

    def uninstall(self) -> None:
        botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def record(self, service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        u = self.usage
        with self._lock:
            if service == "dynamodb":
                self._dynamodb(operation, params, response)
            elif service in ("events", "eventbridge") and operation == "PutEvents":
                u.events += sum(max(1, math.ceil(_event_size(e) / 65536)) for e in params.get("Entries", []))
                if self.trace:
                    print(
                        f"      event {', '.join(e.get('DetailType', '?') for e in params.get('Entries', []))}"
                    )
            elif service == "s3":
                if operation in S3_WRITES:
                    u.s3_writes += 1
                else:
                    u.s3_reads += 1

    def _dynamodb(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        u = self.usage
        read_factor = 1.0 if params.get("ConsistentRead") else 0.5
        if operation == "PutItem":
            self._put(params["Item"], 1)
        elif operation in ("UpdateItem", "DeleteItem"):
            # The stored item's size decides; the attributes returned (ALL_NEW when asked) are the best view.
            item = response.get("Attributes") or params.get("Key", {})
            self._write(item, max(1, math.ceil(_size(item) / 1024)))
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                if kind == "Put":
                    self._put(body["Item"], 2)  # transactions cost twice
                else:
                    key = body.get("Key") or {}
                    self._write(
                        key, 2 * (1 if kind == "ConditionCheck" else max(1, math.ceil(_size(key) / 1024)))
                    )
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        self._put(request["PutRequest"]["Item"], 1)
                    else:
                        key = request["DeleteRequest"]["Key"]
                        self._write(key, max(1, math.ceil(_size(key) / 1024)))
        else:
            units = 0.0
            if operation == "GetItem":
                units = read_factor * max(1, math.ceil(_size(response.get("Item", {})) / 4096))
            elif operation in ("Query", "Scan"):
                units = read_factor * max(1, math.ceil(_size(response.get("Items", [])) / 4096))
            elif operation == "BatchGetItem":
                for items in response.get("Responses", {}).values():
                    units += sum(read_factor * max(1, math.ceil(_size(i) / 4096)) for i in items)
            elif operation == "TransactGetItems":
                for item in response.get("Responses", []):
                    units += 2 * max(1, math.ceil(_size(item.get("Item", {})) / 4096))
            u.read_units += units
            if self.trace and units:
                print(f"      {units:>4} RRU {operation:<15}          {_caller()}")

    def _keep_body(self, packed: bytes | str) -> None:
        from arbiter.adapters.dynamodb.packing import unpack

        assert self.bodies is not None
        raw = unpack(packed if isinstance(packed, bytes) else base64.b64decode(packed))
        (self.bodies / f"{len(list(self.bodies.iterdir())):05d}.json").write_bytes(raw)

    def _write(self, item: dict[str, Any], units: float) -> None:
        self.usage.write_units += units
        self.usage.writes_by_kind[_kind(item)] += units
        if self.bodies is not None and _kind(item) == "case" and "body" in item:
            self._keep_body(item["body"]["B"])
        if self.trace:
            print(f"      {units:>4} WRU {_kind(item):<15} {_size(item):>6} B  {_caller()}")

    def _put(self, item: dict[str, Any], factor: int) -> None:
        """A put of the whole item, and what it writes in every index the item is (or was) in: an entry whose
        keys and projected attributes are unchanged is not written; one that changed is written at the size of
        its projection; a moved index key deletes the old entry too."""
        self._write(item, factor * math.ceil(_size(item) / 1024))
        key = (str(item.get("pk")), str(item.get("sk")))
        before = self._indexed.get(key, {})
        now: dict[str, dict[str, Any]] = {}
        for index in self.indexes:
            entry = index.entry(item)
            old = before.get(index.name)
            if entry is not None:
                now[index.name] = entry
                if entry == old:
                    continue
                units = math.ceil(_size(entry) / 1024)
                if old is not None and index.key_of(old) != index.key_of(entry):
                    units += 1  # the entry under the old key is deleted
                self._write_index(index, units)
            elif old is not None:
                self._write_index(index, 1)
        self._indexed[key] = now

    def _write_index(self, index: Index, units: int) -> None:
        self.usage.write_units += units
        self.usage.writes_by_kind[f"index {index.name}"] += units
        if self.trace:
            print(f"      {units:>4} WRU index {index.name:<9} {_caller()}")

    @contextmanager
    def measuring(self) -> Iterator[Usage]:
        """What is used inside the block: after it, the usage yielded no longer grows."""
        self.usage = Usage()
        try:
            yield self.usage
        finally:
            self.usage = Usage()  # what comes after is counted apart (and then dropped)


class OneInvocationAtATime:
    """Runs the functions' invocations one at a time, as if each had a CPU of its own (`--overlapping` turns it off).

    In Lambda every invocation has its own CPU; here all of them share one process and one interpreter lock with the
    moto server that answers their calls. Cases already run one at a time, but inside a case the automation
    machine's branches overlap (the checks Map runs its five checks at once, the Owners Map its owners), and then
    each branch is billed for the others' time and for the moto server's answers to them: with the checks Map
    limited to one branch at a time, the same warm `PluginsFunction` checks took 18-53 ms instead of 100-200, the
    `ScreeningFunction` check 45-66 instead of 200-320 (bench/cost/README.md, "One invocation at a time").

    An invocation holds the turn while it runs (its DynamoDB and S3 reads included), and so do the threads it starts
    (a check runner's). It gives the turn up while one of them waits on a call that may run another function before
    answering (Lambda Invoke, Step Functions, EventBridge, SQS, S3 writes and their notifications): the other
    invocation runs, and its time is billed to the caller too, as Lambda bills a caller that waits. The time the
    caller then waits to get its turn back (another branch was running) is not billed to it. An invocation that
    does not get a turn within a minute runs anyway and is counted (`overlapped`).
    """

    RELEASING_SERVICES = frozenset({"lambda", "stepfunctions", "events", "sqs", "sns"})

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.overlapped = 0
        self._turn = threading.Condition()
        self._holder: object | None = None
        self._away: Counter[object] = Counter()  # calls out per invocation (it gave its turn up for them)
        self._waited: Counter[object] = Counter()  # seconds each invocation waited to get its turn back
        self._local = threading.local()  # `invocation`: the token of the invocation this thread works for
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        from arbiter_local.runtime import LambdaRuntime

        serial, invoke = self, LambdaRuntime.invoke
        make_api_call, start = botocore.client.BaseClient._make_api_call, threading.Thread.start
        self._saved = {"invoke": invoke, "call": make_api_call, "start": start}

        def serial_invoke(runtime: Any, name_or_arn: str, event: Any) -> Any:
            if getattr(serial._local, "invocation", None) is not None:  # within an invocation's own thread
                return invoke(runtime, name_or_arn, event)
            token = object()
            with serial._turn:
                if not serial._turn.wait_for(lambda: serial._holder is None, timeout=60):
                    serial.overlapped += 1
                    token = None
                else:
                    serial._holder = token
            serial._local.invocation = token
            name = runtime.resolve(name_or_arn).name
            try:
                return invoke(runtime, name_or_arn, event)
            finally:
                serial._local.invocation = None
                with serial._turn:
                    serial._unbill(runtime, name, serial._waited.pop(token, 0.0))
                    if token is not None and serial._holder is token:
                        serial._holder = None
                    serial._turn.notify_all()

        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            token = getattr(serial._local, "invocation", None)
            releasing = service in serial.RELEASING_SERVICES or (service == "s3" and operation in S3_WRITES)
            if not releasing or token is None:
                return make_api_call(client, operation, params)
            with serial._turn:
                serial._away[token] += 1
                if serial._holder is token:
                    serial._holder = None
                    serial._turn.notify_all()
            try:
                return make_api_call(client, operation, params)
            finally:
                with serial._turn:
                    serial._away[token] -= 1
                    if not serial._away[token]:
                        del serial._away[token]
                        started = time.perf_counter()
                        if serial._turn.wait_for(lambda: serial._holder is None, timeout=60):
                            serial._holder = token
                        serial._waited[token] += time.perf_counter() - started

        def inheriting_start(thread: threading.Thread) -> None:
            token = getattr(serial._local, "invocation", None)
            if token is not None:
                run = thread.run

                def run_for_invocation() -> None:
                    serial._local.invocation = token
                    run()

                thread.run = run_for_invocation  # type: ignore[method-assign]
            start(thread)

        LambdaRuntime.invoke = serial_invoke  # type: ignore[method-assign]
        botocore.client.BaseClient._make_api_call = call  # type: ignore[method-assign]
        threading.Thread.start = inheriting_start  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from arbiter_local.runtime import LambdaRuntime

        if self._saved:
            LambdaRuntime.invoke = self._saved["invoke"]  # type: ignore[method-assign]
            botocore.client.BaseClient._make_api_call = self._saved["call"]  # type: ignore[method-assign]
            threading.Thread.start = self._saved["start"]  # type: ignore[method-assign]

    @staticmethod
    def _unbill(runtime: Any, function: str, waited_s: float) -> None:
        """Take the time spent waiting for a turn off the invocation's record (the newest of its function: no other
        invocation of it records one while this one has the turn)."""
        if not waited_s:
            return
        for record in reversed(runtime.invocations):
            if record.function == function:
                record.duration_ms = max(0.0, record.duration_ms - waited_s * 1000)
                return


@dataclass
class Path_:
    name: str
    workflow: str
    entity: Callable[[int], dict[str, Any]]
    expect: str  # the state the automated part must reach by itself, or "manual_review"
    review: list[tuple[str, str]] = field(default_factory=list)  # decisions a reviewer makes, in order
    goal: float | None = None  # dollars per 1,000 cases


#: A number of this run in the made-up names: the case dictionary (packing.py) is built from a run's case bodies,
#: and a case named as one of those packs smaller than any real case does (runs before this one named their first
#: case as the dictionary's, "Bench Trading 0 GmbH": its decided body packed 70 bytes smaller than the second's).
#: Joined to a word, not a word of its own: a name's words are its search terms, each an item written.
RUN = f"{secrets.randbelow(10**4):04d}"


def _kyb(country: str, owners: int) -> Callable[[int], dict[str, Any]]:
    def entity(i: int) -> dict[str, Any]:
        return {
            "type": "business",
            "id": f"bench-{country}-{i}-{time.time_ns()}",
            "business": {
                "name": f"Bench{RUN}{i} Trading GmbH",
                "registration_number": f"HRB {RUN}{i}",
                "country_of_incorporation": country,
                "website": "https://bench.example",
                "email": "ops@bench.example",
                "ubos": [
                    {
                        "first_name": f"Owner{k}",
                        "last_name": f"Bench{RUN}{i}",
                        "date_of_birth": "1980-01-01",
                        "nationality": country,
                        "ownership_percent": round(100 / owners, 2),
                    }
                    for k in range(owners)
                ],
            },
        }

    return entity


def _person(i: int) -> dict[str, Any]:
    return {
        "type": "individual",
        "id": f"bench-person-{i}-{time.time_ns()}",
        "individual": {"first_name": "Bench", "last_name": f"Person{RUN}{i}", "email": "p@bench.example"},
    }


PATHS = [
    Path_("auto-approve (KYB, 1 owner)", "kyb", _kyb("DE", 1), "approved", goal=0.05),
    Path_("auto-approve (KYB, 2 owners)", "kyb", _kyb("DE", 2), "approved"),
    Path_("auto-approve (KYB, 3 owners)", "kyb", _kyb("DE", 3), "approved", goal=0.08),
    Path_("auto-reject (KYB, high-risk country)", "kyb", _kyb("IR", 0), "rejected", goal=0.04),
    Path_(
        "manual review (manual-review)", "manual-review", _person, "manual_review", [("approve", "ok")], 0.10
    ),
    Path_(
        "revision (manual-review)",
        "manual-review",
        _person,
        "manual_review",
        [("revision", "blurry"), ("resubmit", ""), ("approve", "ok")],
        0.20,
    ),
]


class Bench:
    def __init__(self, stack: Any, meter: Meter) -> None:
        self.stack = stack
        self.meter = meter
        self.api = httpx.Client(
            base_url=stack.api_url, headers={"X-API-Key": stack.seeded["api_key"]}, timeout=60
        )
        cognito = self._client("cognito-idp")
        token = cognito.initiate_auth(
            ClientId=stack.physical_id("ReviewerPoolClient"),
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "admin@arbiter.local", "PASSWORD": stack.seeded["password"]},
        )["AuthenticationResult"]["IdToken"]
        self.reviewer = httpx.Client(
            base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.sfn = self._client("stepfunctions")
        self.architectures = function_architectures()
        from arbiter.adapters.dynamodb.cases import DynamoCaseRepository

        # The bench watches cases in the table directly: polling through the API would be billed as traffic.
        self.tenant_id = stack.seeded["tenant_id"]
        self.cases = DynamoCaseRepository(self._client("dynamodb"), stack.physical_id("ArbiterTable"))

    def _client(self, service: str) -> Any:
        client = self.stack.client(service)
        self.meter.excluded.add(id(client))
        return client

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 120, soft: bool = False) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.1)
        if soft:
            return None
        raise SystemExit(f"bench/cost: timed out waiting for {what}")

    def state(self, case_id: str) -> str:
        return str(self.cases.get(self.tenant_id, case_id).state.value)

    def waiting_for_resubmission(self, case_id: str) -> bool:
        case = self.cases.get(self.tenant_id, case_id)
        return case.state.value == "revision_requested" and "resubmission" in case.task_tokens

    def settled_state(self, case_id: str) -> str | None:
        """The case's state once its automated part is over (None while it runs)."""
        state = self.state(case_id)
        return None if state in ("processing", "collecting") else state

    def run_path(self, path: Path_, cases: int) -> tuple[Usage, list[str]]:
        runtime = self.stack.runtime
        problems: list[str] = []
        with self.meter.measuring() as usage:
            before = runtime.invocation_count
            ids = []
            # One case at a time, each one's asynchronous work finished before the next: in Lambda every
            # invocation has its own CPU, here they share one process, and overlapping them would bill each
            # for the others' time.
            for i in range(cases):
                response = self.api.post(
                    "/v1/cases", json={"workflow": path.workflow, "entity": path.entity(i)}
                )
                usage.api_requests += 1
                if response.status_code != 202:
                    raise SystemExit(f"bench/cost: {path.name}: {response.status_code} {response.text}")
                case_id = response.json()["id"]
                ids.append(case_id)
                problem = self.drive(path, case_id, usage)
                if problem:
                    problems.append(problem)
                self.quiesce()
            if problems:
                return usage, problems
            self.wait(
                lambda: all(e["status"] != "RUNNING" for e in self.executions(ids)), "executions to end"
            )
            self.quiesce()
            for execution in self.executions(ids):
                if execution["express"]:  # billed per run and duration, not per state
                    seconds = (execution["stopDate"] - execution["startDate"]).total_seconds()
                    usage.express_runs += 1
                    usage.express_gb_seconds += math.ceil(seconds * 10) / 10 * 64 / 1024
                    continue
                arn = execution["executionArn"]
                history = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
                usage.transitions += sum(1 for e in history if e["type"].endswith("StateEntered"))
            for record in runtime.invocations_since(before):
                spec = runtime.functions[record.function]
                usage.lambda_calls += 1
                gb_seconds = math.ceil(record.duration_ms) / 1000 * spec.memory_mb / 1024
                usage.gb_seconds += gb_seconds
                usage.by_function[spec.logical_id] += 1
                usage.gb_seconds_by_function[spec.logical_id] += gb_seconds
                usage.gb_seconds_by_architecture[self.architectures[spec.logical_id]] += gb_seconds
        return usage, problems

    def drive(self, path: Path_, case_id: str, usage: Usage) -> str | None:
        """Take the case down the path (a reviewer's decisions, a resubmission); what went wrong, if anything."""
        # A KYB case whose owners' cases wait for a reviewer stays in processing: not this path.
        reached = self.wait(lambda: self.settled_state(case_id), case_id, timeout=30, soft=True)
        reached = reached or "processing (waiting for its owners' cases)"
        if reached != path.expect:
            return f"{case_id} reached {reached}, not {path.expect}"
        for decision, reason in path.review:
            usage.api_requests += 1
            if decision == "resubmit":
                self.wait(lambda: self.waiting_for_resubmission(case_id), "the resubmission wait")
                answer = self.api.post(f"/v1/cases/{case_id}/events", json={"name": "resubmitted"})
                if answer.status_code != 200:
                    raise SystemExit(f"bench/cost: resubmission refused: {answer.text}")
                self.wait(lambda: self.state(case_id) == "manual_review", "review again")
                continue
            answer = self.reviewer.post(
                f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": reason}
            )
            if answer.status_code != 200:
                raise SystemExit(f"bench/cost: decision refused: {answer.text}")
        return None

    def executions(self, ids: list[str]) -> list[dict[str, Any]]:
        """Every execution of these cases and their owners' cases (named `<case>`, `<case>-a<n>`, `<case>-w<n>`),
        with `express` telling the automation machine's runs from the Standard executions."""
        names: set[str] = set()
        pending = list(ids)
        while pending:
            case = self.cases.get(self.tenant_id, pending.pop())
            names.add(case.id)
            pending += case.child_case_ids
        own = re.compile(r"^(?P<case>.+?)(-[aw]\d+)?$")
        found: list[dict[str, Any]] = []
        for machine in self.sfn.list_state_machines()["stateMachines"]:
            express = (
                self.sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["type"]
                == "EXPRESS"
            )
            pages = self.sfn.get_paginator("list_executions").paginate(
                stateMachineArn=machine["stateMachineArn"]
            )
            for execution in (e for page in pages for e in page["executions"]):
                matched = own.match(execution["name"])
                if matched and matched.group("case") in names:
                    found.append({**execution, "express": express})
        return found

    def quiesce(self) -> None:
        """Wait until the asynchronous work (the outbox publisher, bus deliveries) has stopped."""
        runtime = self.stack.runtime
        seen, stable_since = runtime.invocation_count, time.monotonic()
        while time.monotonic() - stable_since < 1.5:
            time.sleep(0.2)
            if runtime.invocation_count != seen:
                seen, stable_since = runtime.invocation_count, time.monotonic()


def report(path: Path_, usage: Usage, cases: int, problems: list[str]) -> float | None:
    print(f"\n== {path.name}: {cases} cases")
    if problems:
        print(f"   path not reached for {len(problems)} of {cases} cases (first: {problems[0]}); not priced")
        return None
    per = cases
    print(
        f"   per case: {usage.transitions / per:.1f} Standard transitions, {usage.express_runs / per:.1f} Express "
        f"runs ({usage.express_gb_seconds / per:.4f} GB-s), {usage.lambda_calls / per:.1f} Lambda "
        f"invocations ({usage.gb_seconds / per:.3f} GB-s), DynamoDB {usage.write_units / per:.1f} WRU + "
        f"{usage.read_units / per:.1f} RRU, {usage.events / per:.1f} events, "
        f"S3 {usage.s3_writes / per:.1f} writes + {usage.s3_reads / per:.1f} reads, "
        f"{usage.api_requests / per:.1f} API requests"
    )
    print(
        "   invocations (GB-s): "
        + ", ".join(
            f"{name} {n / per:.1f} ({usage.gb_seconds_by_function[name] / per:.3f})"
            for name, n in sorted(usage.by_function.items())
        )
    )
    print(
        "   write units: "
        + ", ".join(
            f"{kind} {n / per:.1f}" for kind, n in sorted(usage.writes_by_kind.items(), key=lambda x: -x[1])
        )
    )
    dollars = usage.dollars()
    total = sum(dollars.values()) / per * 1000
    parts = ", ".join(f"{k} ${v / per * 1000:.4f}" for k, v in dollars.items())
    print(f"   per 1,000 cases: ${total:.4f}  ({parts})")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10, help="cases per path (default 10)")
    parser.add_argument("--only", default="", help="run only the paths whose name contains this text")
    parser.add_argument(
        "--cold",
        dest="warm",
        action="store_false",
        help="count the first case's cold starts too (by default one case per path runs first, uncounted)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print each DynamoDB write and read with the Arbiter code that made it",
    )
    parser.add_argument(
        "--overlapping",
        dest="one_at_a_time",
        action="store_false",
        help="let a case's invocations overlap in this one process (each then billed for the others' time: "
        "the method before OneInvocationAtATime)",
    )
    parser.add_argument(
        "--bodies",
        type=Path,
        help="keep each case body written, as JSON, in this directory (bench/cost/case_dictionary.py reads them)",
    )
    parser.add_argument(
        "--one-stack",
        dest="isolated",
        action="store_false",
        help="run every path in one local stack (moto reads every item of the table to answer a Query on an index, "
        "so each path's reads then slow with the cases the paths before it stored: the method before --isolated)",
    )
    parser.add_argument("--isolated", action="store_true", default=True, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    chosen = [p for p in PATHS if args.only in p.name]
    if args.isolated and len(chosen) > 1:
        return _each_in_a_stack_of_its_own(chosen)

    from arbiter_local.stack import LocalStack, StackConfig
    from tests.support.ports import free_port

    meter = Meter(table_indexes())
    meter.trace = args.trace
    if args.bodies is not None:
        args.bodies.mkdir(parents=True, exist_ok=True)
        meter.bodies = args.bodies
    stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
    stack.start()
    meter.install()
    serial = OneInvocationAtATime(stack.runtime)
    if args.one_at_a_time:
        serial.install()
    try:
        bench = Bench(stack, meter)
        architectures = ", ".join(sorted(set(bench.architectures.values())))
        print(
            f"bench/cost: {args.cases} cases per path on the local stack; "
            f"prices: us-east-1 list (PRICES), Lambda on {architectures}; invocations "
            + ("one at a time" if args.one_at_a_time else "overlapping")
        )
        priced = []
        for path in chosen:
            print(f"-- {path.name}", flush=True)
            if args.warm:
                bench.run_path(path, 1)  # not counted: the functions' cold starts, paid once per container
            usage, problems = bench.run_path(path, args.cases)
            total = report(path, usage, args.cases, problems)
            if total is not None:
                priced.append((path, total))
        print()
        for path, total in priced:
            goal = (
                ""
                if path.goal is None
                else f" ({'meets' if total <= path.goal else 'misses'} ${path.goal:.2f})"
            )
            print(f"{path.name}: ${total:.4f} per 1,000{goal}")
        if not priced:
            print("no path was reached: see the lines above")
        if serial.overlapped:
            print(f"{serial.overlapped} invocations waited a minute for the others and ran overlapping them")
    finally:
        serial.uninstall()
        meter.uninstall()
        stack.stop()
    return 0


def _each_in_a_stack_of_its_own(paths: list[Path_]) -> int:
    """Run this bench once per path, each in a process and a local stack of its own, with the same arguments, and
    print their reports, then their verdicts together. Why: moto answers a Query on an index by reading every item
    of the table, so in one stack a path's functions measure slower the more cases the paths before it stored (the
    three-owner path's GB-seconds 0.31-0.39 alone, 0.47 after the one- and two-owner paths); DynamoDB's do not."""
    verdicts: list[str] = []
    for path in paths:
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--only", path.name],  # the last --only counts
            capture_output=True,
            text=True,
            check=False,
        )
        lines = child.stdout.splitlines()
        verdict = [line for line in lines if line.startswith(f"{path.name}: $")]
        print("\n".join(line for line in lines if line not in verdict and line.strip()), flush=True)
        verdicts += verdict or [f"{path.name}: not measured (exit {child.returncode}) {child.stderr[-500:]}"]
    print()
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
