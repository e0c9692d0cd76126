"""Transaction monitoring through the local stack's real path: batches through the API, the FIFO queue, the
scoring function; latency per transaction beside a no-op handler on the same path in the same run; what a million
transactions cost at list prices, counted from the calls as bench/cost counts them.

    .venv/bin/python bench/monitoring/run.py --stack                        # 10,000 transactions, 500 customers
    .venv/bin/python bench/monitoring/run.py --stack --transactions 2000 --noop-transactions 1000

Phase "scoring": the generated stream (bench/monitoring/run.py's) is sent as batches of 1,000 to
`POST /v1/transactions/batch`; the stack's poller hands the queue's messages to ScoreTransactionsFunction, ten at a
time, as Lambda's event source mapping does. A transaction's latency is its `decided_at` less the time its batch
request was sent. Then every transaction is read back from the table and its decision compared with the same stream
decided in process (the tests' in-memory store: one customer's transactions depend only on its own history, and
the queue keeps each customer's order), and each batch's status must be done with every transaction scored once.

Phase "no-op": other transactions through the same API and queue, the poller's function replaced by a handler that
only notes when each message reached it: what the path costs without the scoring.

Phase "synchronous": `--sync` transactions sent one at a time to `POST /v1/transactions`, each answer's decision
compared with the in-process one, alternating with as many requests the API function does not see (a no-op answers
in its place, behind the same gateway, API key and usage plan): the endpoint's latency beside the path's own.

Cost: DynamoDB write and read units (bench/cost's Meter: item sizes, transactions twice, index entries at their
projection), SQS requests (FIFO, per 64 KB: sends, receives that returned messages, deletes), Lambda invocations
and GB-seconds of both functions (template memory times measured duration), API requests (one per 1,000), events
published on the bus. The bench reads the table with its own client, which is not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "local"), str(ROOT)]

from bench.cost.run import PRICES, Meter, function_architectures, table_indexes  # noqa: E402

SQS_FIFO_REQUEST = 0.50 / 1_000_000  # per request (64 KB chunk), FIFO queues
BATCH = 1000


def api_shape(payload: dict[str, Any]) -> dict[str, Any]:
    shaped = {k: v for k, v in payload.items() if k != "customer_id"}
    return {**shaped, "customer": {"id": payload["customer_id"]}}


def percentiles(values: list[float], unit: str = "s") -> str:
    if not values:
        return "none"
    scale, digits = (1000, 0) if unit == "ms" else (1, 2)
    ordered = [v * scale for v in sorted(values)]

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {at(0.50):7.{digits}f} {unit}  p90 {at(0.90):7.{digits}f} {unit}  p99 {at(0.99):7.{digits}f} {unit}"
        f"  max {ordered[-1]:7.{digits}f} {unit}  (mean {statistics.fmean(ordered):.{digits}f} {unit})"
    )


class SqsCounter:
    """SQS requests of the functions and the poller (Lambda's event source mapping bills the same ones)."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.messages_received = 0

    def record(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        if operation == "SendMessageBatch":
            size = sum(len(e["MessageBody"].encode()) for e in params["Entries"])
            self.requests[operation] += max(1, math.ceil(size / 65536))
        elif operation == "ReceiveMessage":
            received = response.get("Messages", [])
            if received:  # empty long polls are the mapping's fixed cost, whatever the volume
                self.messages_received += len(received)
                size = sum(len(m["Body"].encode()) for m in received)
                self.requests[operation] += max(1, math.ceil(size / 65536))
        elif operation in ("DeleteMessageBatch", "DeleteMessage", "SendMessage", "ChangeMessageVisibility"):
            self.requests[operation] += 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument(
        "--noop-transactions", type=int, default=None, help="default: as many as --transactions"
    )
    parser.add_argument(
        "--sync", type=int, default=300, help="transactions sent one at a time to POST /v1/transactions"
    )
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds the scoring may take")
    args = parser.parse_args(argv)
    noop_count = args.transactions if args.noop_transactions is None else args.noop_transactions
    logging.disable(logging.WARNING)

    from arbiter.adapters.dynamodb.transaction_batches import DynamoTransactionBatches
    from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
    from arbiter.domain.principal import Principal
    from arbiter.domain.transaction_batches import batch_status
    from arbiter.domain.transactions import Transaction
    from arbiter.services.transactions import decide_transaction
    from arbiter_local.stack import LocalStack, StackConfig
    from bench.monitoring.run import START, stream
    from tests.support.ports import free_port
    from tests.unit.transaction_fakes import MonitoringDeps

    payloads = stream(args.customers, args.transactions + noop_count + 2 * args.sync, args.seed)
    scored_payloads = payloads[: args.transactions]
    noop_payloads = payloads[args.transactions : args.transactions + noop_count]
    sync_payloads = payloads[
        args.transactions + noop_count :
    ]  # the latest: after the batches' in every history
    for p in noop_payloads:
        p["id"] = "noop-" + p["id"]
    for p in sync_payloads[1::2]:
        p["id"] = "sync-noop-" + p["id"]

    # What the stack must decide: the same stream in process.
    expected: dict[str, str] = {}
    local = MonitoringDeps(clock=START + dt.timedelta(days=91))
    key = Principal(kind="integrator", tenant_id="bench", id="key_1")
    for payload in scored_payloads:
        expected[payload["id"]] = decide_transaction(local, key, Transaction.model_validate(payload)).decision
    expected_alerts = len(local.transactions.alerts)
    sync_expected = {
        p["id"]: decide_transaction(local, key, Transaction.model_validate(p)).decision
        for p in sync_payloads[::2]
    }

    meter = Meter(table_indexes())
    sqs = SqsCounter()
    original_record = meter.record

    def record(service: str, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        original_record(service, operation, params, response)
        if service == "sqs":
            with lock:
                sqs.record(operation, params, response)

    lock = threading.Lock()
    meter.record = record  # type: ignore[method-assign]
    stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
    stack.start()
    meter.install()
    try:
        tenant_id = stack.seeded["tenant_id"]
        api = httpx.Client(
            base_url=stack.api_url, headers={"X-API-Key": stack.seeded["api_key"]}, timeout=900
        )
        dynamodb = stack.client("dynamodb")
        meter.excluded.add(id(dynamodb))
        table = stack.physical_id("ArbiterTable")
        store = DynamoTransactionStore(dynamodb, table)
        batches = DynamoTransactionBatches(dynamodb, table)
        architectures = function_architectures()

        # Warm up (not counted): the default scenarios installed, both functions loaded.
        warm = api.post(
            "/v1/transactions/batch", json={"transactions": [api_shape(noop_payloads[0] | {"id": "warm"})]}
        )
        assert warm.status_code == 202, warm.text
        deadline = time.monotonic() + 120
        while store.get(tenant_id, "warm") is None:
            if time.monotonic() > deadline:
                raise SystemExit("the warm-up transaction was not decided")
            time.sleep(0.5)

        # ------------------------------------------------------------------------------------- scoring
        print(
            f"bench/monitoring --stack: {args.transactions:,} transactions of {args.customers:,} customers "
            f"(+ {noop_count:,} through a no-op handler), batches of {BATCH:,}",
            flush=True,
        )
        before_calls = stack.runtime.invocation_count
        sent_at: dict[str, float] = {}
        batch_ids: list[str] = []
        accept_s: list[float] = []
        started = time.time()
        with meter.measuring() as usage:
            for start in range(0, len(scored_payloads), BATCH):
                chunk = scored_payloads[start : start + BATCH]
                at = time.time()
                response = api.post(
                    "/v1/transactions/batch", json={"transactions": [api_shape(p) for p in chunk]}
                )
                accept_s.append(time.time() - at)
                if response.status_code != 202:
                    raise SystemExit(f"batch refused: {response.status_code} {response.text[:500]}")
                batch_ids.append(response.json()["batch_id"])
                for p in chunk:
                    sent_at[p["id"]] = at
                print(f"  batch {len(batch_ids)} accepted in {accept_s[-1]:.1f} s", flush=True)
            deadline = time.monotonic() + args.timeout
            # One batch looked at a time, the first not done, every 15 s: a batch's status reads an index, which
            # moto answers by scanning the whole table, under the lock every function's DynamoDB call waits for.
            waiting = list(batch_ids)
            while waiting:
                status = batch_status(
                    batches.get(tenant_id, waiting[0]), batches.entries(tenant_id, waiting[0])
                )  # type: ignore[arg-type]
                if status.done:
                    waiting.pop(0)
                    print(f"  {len(batch_ids) - len(waiting)} of {len(batch_ids)} batches done", flush=True)
                    continue
                if time.monotonic() > deadline:
                    raise SystemExit(f"not done in {args.timeout:.0f} s: {len(waiting)} batches left")
                time.sleep(15)
            statuses = [
                batch_status(batches.get(tenant_id, b), batches.entries(tenant_id, b))  # type: ignore[arg-type]
                for b in batch_ids
            ]
            elapsed = time.time() - started
            records = stack.runtime.invocations_since(before_calls)
        scored_usage, scored_sqs = usage, Counter(sqs.requests)

        decided = {}
        ids = list(expected)
        for n in range(0, len(ids), 100):
            decided.update({d.transaction.id: d for d in store.get_many(tenant_id, ids[n : n + 100])})
        latencies = [decided[i].decided_at.timestamp() - sent_at[i] for i in ids if i in decided]
        wrong = [i for i in ids if i not in decided or decided[i].decision != expected[i]]
        scored = sum(s.scored for s in statuses)
        failed = sum(s.failed for s in statuses)
        opened = sum(s.alerts_opened for s in statuses)
        per_function: dict[str, list[float]] = {}
        for r in records:
            per_function.setdefault(stack.runtime.functions[r.function].logical_id, []).append(r.duration_ms)

        # ------------------------------------------------------------------------------------- no-op
        noted: dict[str, float] = {}

        def noop(function: str, event: dict[str, Any]) -> dict[str, Any]:
            now = time.time()
            for message in event["Records"]:
                noted[json.loads(message["body"])["transaction"]["id"]] = now
            return {"batchItemFailures": []}

        pollers = list(stack.queue_pollers)
        originals = [p._invoke for p in pollers]
        for poller in pollers:
            poller._invoke = noop
        noop_sent: dict[str, float] = {}
        noop_accept: list[float] = []
        try:
            for start in range(0, len(noop_payloads), BATCH):
                chunk = noop_payloads[start : start + BATCH]
                at = time.time()
                response = api.post(
                    "/v1/transactions/batch", json={"transactions": [api_shape(p) for p in chunk]}
                )
                noop_accept.append(time.time() - at)
                assert response.status_code == 202, response.text
                for p in chunk:
                    noop_sent[p["id"]] = at
            deadline = time.monotonic() + args.timeout
            while len(noted) < len(noop_payloads) and time.monotonic() < deadline:
                time.sleep(1)
        finally:
            for poller, original in zip(pollers, originals, strict=True):
                poller._invoke = original
        noop_latencies = [noted[i] - noop_sent[i] for i in noop_sent if i in noted]

        # ------------------------------------------------------------------------------------- synchronous
        # One at a time, alternating: a transaction decided by `POST /v1/transactions`, then one answered by a
        # no-op in the function's place (the same gateway, API key and usage plan): the decision's own latency.
        invoke = stack.runtime.invoke

        api_function = stack.runtime.by_logical_id("RunWorkflowFunction").name

        def noop_api(name_or_arn: str, event: Any) -> Any:
            if stack.runtime.resolve(name_or_arn).name == api_function:  # not the authorizer
                return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}
            return invoke(name_or_arn, event)

        sync_latencies: list[float] = []
        sync_noop_latencies: list[float] = []
        sync_wrong: list[str] = []
        throttled = 0
        for number, payload in enumerate(sync_payloads):
            real = number % 2 == 0
            stack.runtime.invoke = invoke if real else noop_api  # type: ignore[method-assign]
            try:
                while True:
                    at = time.perf_counter()
                    response = api.post("/v1/transactions", json=api_shape(payload))
                    if response.status_code != 429:
                        break
                    # The key's usage plan throttled it (a no-op answers faster than its rate): its policy, not the
                    # endpoint's latency. Sent again once the bucket has refilled; not timed.
                    throttled += 1
                    time.sleep(0.5)
                (sync_latencies if real else sync_noop_latencies).append(time.perf_counter() - at)
            finally:
                stack.runtime.invoke = invoke  # type: ignore[method-assign]
            if response.status_code != 200:
                raise SystemExit(f"POST /v1/transactions: {response.status_code} {response.text[:300]}")
            if real and response.json()["decision"] != sync_expected[payload["id"]]:
                sync_wrong.append(payload["id"])

        # ------------------------------------------------------------------------------------- report
        n = args.transactions
        print(f"\nscoring: {n:,} transactions in {elapsed:.0f} s ({n / elapsed:.1f}/s on this machine)")
        print(
            f"  every one decided once: {scored:,} scored, {failed} failed, {len(wrong)} not as expected"
            f"{' (first: ' + wrong[0] + ')' if wrong else ''}"
        )
        print(
            f"  decisions: {dict(Counter(d.decision for d in decided.values()))}; alerts opened {opened:,} "
            f"(expected {expected_alerts:,})"
        )
        print(f"  batch accepted (POST, 1,000 each): {percentiles(accept_s)}")
        print(f"  sent → decided, per transaction:   {percentiles(latencies)}")
        print(f"no-op: {len(noop_latencies):,} of {noop_count:,} through the same API and queue")
        print(f"  batch accepted (POST, 1,000 each): {percentiles(noop_accept)}")
        print(f"  sent → handled, per transaction:   {percentiles(noop_latencies)}")
        print(
            f"synchronous: {len(sync_latencies):,} decided one at a time, {len(sync_wrong)} not as expected; "
            f"{len(sync_noop_latencies):,} no-op requests alternating with them "
            f"({throttled} throttled by the key's usage plan and sent again, not timed)"
        )
        print(f"  POST /v1/transactions, decided:  {percentiles(sync_latencies, 'ms')}")
        print(f"  the same request, no-op handler: {percentiles(sync_noop_latencies, 'ms')}")
        for function, durations in sorted(per_function.items()):
            print(
                f"  {function}: {len(durations):,} invocations, median {statistics.median(durations):.0f} ms"
            )

        # Cost per million.
        gb_seconds: Counter[str] = Counter()
        for r in records:
            spec = stack.runtime.functions[r.function]
            if spec.logical_id == "ScoreTransactionsFunction" or spec.logical_id == "RunWorkflowFunction":
                gb_seconds[architectures[spec.logical_id]] += (
                    math.ceil(r.duration_ms) / 1000 * spec.memory_mb / 1024
                )
        lambda_calls = sum(
            1
            for r in records
            if stack.runtime.functions[r.function].logical_id
            in ("ScoreTransactionsFunction", "RunWorkflowFunction")
        )
        per_million = 1_000_000 / n
        dollars = {
            "DynamoDB writes": scored_usage.write_units * PRICES["ddb_write_unit"],
            "DynamoDB reads": scored_usage.read_units * PRICES["ddb_read_unit"],
            "SQS": sum(scored_sqs.values()) * SQS_FIFO_REQUEST,
            "Lambda requests": lambda_calls * PRICES["lambda_request"],
            "Lambda GB-s": sum(s * PRICES[f"lambda_gb_second_{a}"] for a, s in gb_seconds.items()),
            "API Gateway": len(batch_ids) * PRICES["api_request"],
            "EventBridge": scored_usage.events * PRICES["event"],
        }
        print(f"\ncost per million transactions (us-east-1 list prices), from {n:,}:")
        print(
            f"  DynamoDB: {scored_usage.write_units / n:.2f} WRU and {scored_usage.read_units / n:.2f} RRU per transaction"
        )
        for kind, units in scored_usage.writes_by_kind.most_common():
            print(f"    {kind:<22} {units / n:6.2f} WRU per transaction")
        print(f"  SQS: {sum(scored_sqs.values()) / n:.2f} requests per transaction {dict(scored_sqs)}")
        print(
            f"  Lambda: {lambda_calls / n:.3f} invocations and {sum(gb_seconds.values()) / n * 1000:.2f} GB-ms per transaction"
        )
        for name, value in dollars.items():
            print(f"  {name:<16} ${value * per_million:8.3f}")
        print(f"  total            ${sum(dollars.values()) * per_million:8.3f} per million")
    finally:
        meter.uninstall()
        stack.stop()
    return 0
