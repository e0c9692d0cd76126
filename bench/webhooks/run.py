"""Webhooks bench: deliveries per second from the bus to a local receiver, and the cost per 1,000 deliveries.

Run with `make bench-webhooks` (BENCH_ARGS="--deliveries 500" for more). It starts the local stack (moto, the
template's functions in this process, the real delivery state machine), subscribes a local receiver that
verifies every signature with `standardwebhooks`, puts events on the bus and times them until the receiver has
them all. The baseline, measured in the same run, is the same number of signed POSTs sent one after another
straight from the sender (no bus, no state machine, no table): the floor the platform adds to.

The first attempt is made by the function the bus invokes; only deliveries whose first attempt fails start
the state machine, so a run where the receiver answers measures the common case; the cost of a delivery that
fails all eight attempts is printed beside it.

Costs use AWS list prices (us-east-1, x86) with the durations and the state transitions measured here; on the
local stack every AWS call goes to moto over HTTP, so durations are longer than in Lambda (costs are then an
upper bound).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import secrets
import socket
import statistics
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "local")]

from standardwebhooks import Webhook  # noqa: E402

# AWS list prices, us-east-1, x86 (per unit).
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = 0.0000166667
STATE_TRANSITION = 0.025 / 1_000  # Step Functions Standard
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000  # on-demand
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
# DynamoDB units of one successful delivery in this design (items under 1 KB of index keys; bodies < 4 KB):
# query the subscriptions (0.5), read the case (1), put the delivery (1 + 2 index copies), then record the first
# attempt: a transaction of 2 puts (2 x 2) whose delivery item is copied to 2 indexes (2).
READS_PER_DELIVERY = 1.5
WRITES_PER_DELIVERY = 3 + 6


class Receiver:
    """Counts verified deliveries by webhook-id; answers 204."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.ids: set[str] = set()
        self.bad = 0
        self.done = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    ok = True
                except Exception:
                    ok = False
                with receiver.done:
                    if ok:
                        receiver.ids.add(headers["webhook-id"])
                    else:
                        receiver.bad += 1
                    receiver.done.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.done:
            return self.done.wait_for(lambda: len(self.ids) >= count, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def envelope(tenant_id: str, index: int) -> dict:
    return {
        "type": "case.created",
        "schema_version": 1,
        "id": str(uuid.uuid4()),
        "time": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "tenant_id": tenant_id,
        "case_id": f"case_bench{index:06d}",
        "workflow_id": "kyc",
        "workflow_version": 1,
        "entity_id": f"bench-{index}",
        "entity_type": "individual",
        "correlation_id": None,
        "parent_case_id": None,
        "state": "processing",
        "source": "api",
    }


def baseline(receiver: Receiver, count: int) -> float:
    """Signed POSTs one after another from the sender itself: deliveries per second."""
    from arbiter.adapters.webhook_delivery import EgressWebhookSender
    from arbiter.domain.webhook_signing import standard_headers
    from arbiter.egress import AllowList, EgressClient, EgressPolicy

    sender = EgressWebhookSender(EgressClient(EgressPolicy(allow=AllowList.parse("127.0.0.1"))))
    started = time.perf_counter()
    for index in range(count):
        body = json.dumps({"type": "case.created", "timestamp": "now", "data": {"i": index}})
        delivery_id = f"msg_baseline{index:08d}"
        result = sender.send(
            receiver.url,
            body.encode(),
            standard_headers(delivery_id, dt.datetime.now(dt.UTC), body, [receiver.secret]),
        )
        assert result.status_code == 204, result
    return count / (time.perf_counter() - started)


def cost_per_thousand(lambda_ms: float, calls: float, memory_mb: int, transitions: float) -> dict[str, float]:
    billed_ms = max(1.0, round(lambda_ms + 0.5))
    per_call = LAMBDA_REQUEST + LAMBDA_GB_SECOND * (memory_mb / 1024) * (billed_ms / 1000)
    return {
        "lambda": 1000 * calls * per_call,
        "step_functions": 1000 * transitions * STATE_TRANSITION,
        "dynamodb": 1000
        * (READS_PER_DELIVERY * DYNAMODB_READ_UNIT + WRITES_PER_DELIVERY * DYNAMODB_WRITE_UNIT),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from arbiter_local.stack import LOCAL_PARAMETERS, LocalStack, StackConfig

    stack = LocalStack(
        StackConfig(
            api_port=free_port(), moto_port=free_port(), parameters=dict(LOCAL_PARAMETERS), seed=False
        ),
        progress=lambda _: None,
    )
    stack.start()
    try:
        run(stack, args)
    finally:
        stack.stop()


def run(stack, args) -> None:
    import httpx

    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenant_id = f"bench-{secrets.token_hex(3)}"
    tenants.create_tenant(repository, tenant_id, "Bench")
    key = tenants.issue_api_key(repository, tenant_id)
    receiver = Receiver()
    api = httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    created = api.post("/v1/webhooks", json={"url": receiver.url, "event_types": ["case.created"]}).json()
    receiver.secret = created["secret"]

    count = args.deliveries
    direct = baseline(receiver, count)
    receiver.ids.clear()

    events = stack.client("events")
    bus = stack.physical_id("EventBus")
    mark = stack.runtime.invocation_count
    started = time.perf_counter()
    for first in range(0, count, 10):
        entries = [
            {
                "Source": "arbiter",
                "DetailType": "case.created",
                "Detail": json.dumps(envelope(tenant_id, i)),
                "EventBusName": bus,
            }
            for i in range(first, min(first + 10, count))
        ]
        events.put_events(Entries=entries)
    complete = receiver.wait_for(count, args.timeout)
    elapsed = time.perf_counter() - started
    if not complete:
        print(f"only {len(receiver.ids)} of {count} deliveries arrived within {args.timeout:.0f} s")
    pipeline = len(receiver.ids) / elapsed
    stack.bridge.wait_idle(args.timeout)  # the last calls record their durations as they return

    webhooks_function = stack.runtime.by_logical_id("WebhooksFunction")
    calls = [i for i in stack.runtime.invocations_since(mark) if i.function == webhooks_function.name]
    mean_ms = statistics.fmean(i.duration_ms for i in calls) if calls else 0.0
    sfn = stack.client("stepfunctions")
    machine = stack.physical_id("WebhookDeliveryStateMachine")
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    transitions = sum(
        sum(
            1
            for e in sfn.get_execution_history(executionArn=x["executionArn"])["events"]
            if e["type"].endswith("StateEntered")
        )
        for x in executions
    )
    per_delivery_transitions = transitions / count if count else 0.0

    print(
        f"deliveries: {count} (case.created events put on the bus, one subscription, verified by the receiver)"
    )
    print(
        f"  bus -> function -> receiver     : {pipeline:8.1f} deliveries/s ({elapsed:.2f} s, {receiver.bad} bad signatures)"
    )
    print(f"  baseline, signed POSTs in a loop : {direct:8.1f} deliveries/s")
    print(f"  ratio pipeline / baseline        : {pipeline / direct:8.2f}")
    print(
        f"webhooks function: {len(calls)} calls for {count} deliveries, mean {mean_ms:.1f} ms (local: AWS calls go to moto)"
    )
    print(
        f"state machine: {len(executions)} executions, {per_delivery_transitions:.2f} transitions per delivery"
    )

    memory = webhooks_function.memory_mb
    calls_per_delivery = len(calls) / count if count else 2.0
    ours = cost_per_thousand(mean_ms, calls_per_delivery, memory, per_delivery_transitions)
    one_call = cost_per_thousand(mean_ms, 1.0, memory, 0.0)
    print(
        f"\ncost per 1,000 successful deliveries (USD, list prices, {memory} MB, {mean_ms:.0f} ms per call):"
    )
    print(f"  {'':28} {'lambda':>9} {'step fn':>9} {'dynamodb':>9} {'total':>9}")
    for name, cost in (
        ("chosen: inline, then machine", ours),
        ("one Lambda call per attempt", {**one_call, "dynamodb": 0.0}),
    ):
        total = sum(cost.values())
        print(
            f"  {name:28} {cost['lambda']:9.4f} {cost['step_functions']:9.4f} {cost['dynamodb']:9.4f} {total:9.4f}"
        )
    # All 8 attempts fail: the first in the event's call, then 7 rounds of Wait, Attempt, Done? and the end.
    failing = cost_per_thousand(mean_ms, 1 + 8, memory, 7 * 3 + 1)
    print(
        f"  a delivery failing all 8 attempts (per 1,000): {sum(failing.values()):.4f} "
        f"(Step Functions {failing['step_functions']:.4f})"
    )


if __name__ == "__main__":
    main()
