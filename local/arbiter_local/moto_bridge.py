"""Where moto needs Docker or stops short, call the in-process Lambda runtime instead.

- Lambda invocations (from Step Functions tasks, S3 notifications, SQS mappings, `lambda.invoke`): moto
  5.2.5 runs `LambdaFunction._invoke_lambda(self, event) -> (result_json, errored, logs)` in a Docker
  container; here it calls the handler in this process.
- EventBridge rules: moto delivers to SQS, logs, buses and API destinations but raises NotImplementedError
  for Lambda and Step Functions targets; those are delivered here, asynchronously as EventBridge does, with
  a few retries for Lambda targets.
- DynamoDB writes: moto applies a transaction item by item and rolls back by restoring what it backed up (here
  the touched items, `moto_memory`), so two concurrent transactions can both pass their conditions or undo each
  other. DynamoDB is atomic per item and per transaction; here every write (and every read, which can mutate
  moto's table) is serialised, which gives the same guarantees.
- DynamoDB stream records: moto json-encodes the records it hands to a Lambda with binary attributes as raw
  bytes and fails the write that produced them; Lambda receives binary attributes base64-encoded, as here.
  moto also calls the function inside the write, while the writer waits; Lambda reads a stream on its own, one
  batch at a time per shard, in order, and retries a batch that failed (an error, or the records a
  `batchItemFailures` answer names) from its first failed record before going on, then gives it to the
  mapping's on-failure destination. Here each function's stream batches go to a queue of their own, delivered in
  order by one thread, a failed batch retried with backoff (`stream_retries` times, up to
  `STREAM_BACKOFF_MAX_S` apart) and then recorded in `delivery_errors`, as the destination would keep it.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from moto.awslambda import models as lambda_models
from moto.awslambda.models import LambdaFunction
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.events.models import EventPattern, EventTemplateParser, Rule
from moto.utilities.arns import parse_arn

from arbiter_local.moto_memory import MotoMemory
from arbiter_local.moto_queries import MotoQueries
from arbiter_local.moto_queues import MotoQueues
from arbiter_local.runtime import InvocationError, LambdaRuntime

__all__ = ["MotoBridge"]

log = logging.getLogger("arbiter_local")

StartExecution = Callable[[str, str, str], None]

_DYNAMODB_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
    # Reads too: moto's GetItem of a missing key inserts an empty entry in the table's dict, and its queries
    # iterate that dict, so an unserialised read can break a concurrent transaction's copy of the table
    # ("dictionary changed size during iteration") or be broken by a write.
    "get_item",
    "query",
    "scan",
    "batch_get_item",
    "transact_get_items",
)
_dynamodb_lock = threading.RLock()


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _dynamodb_lock:
            return method(*args, **kwargs)

    locked.__wrapped__ = method  # type: ignore[attr-defined]
    return locked


class MotoBridge:
    """Installs the patches for one runtime; `uninstall` restores moto."""

    def __init__(
        self,
        runtime: LambdaRuntime,
        start_execution: StartExecution,
        *,
        retries: int = 2,
        stream_retries: int = 8,
        stream_backoff_s: float = 0.2,
    ) -> None:
        self.runtime = runtime
        self.start_execution = start_execution
        self.retries = retries
        self.stream_retries = stream_retries
        self.stream_backoff_s = stream_backoff_s
        self._streams: dict[str, queue.Queue[list[dict[str, Any]] | None]] = {}
        self._streams_lock = threading.Lock()
        self.delivery_errors: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="eventbridge")
        self._saved: dict[str, Any] = {}
        self._memory = MotoMemory()
        self._queries = MotoQueries()
        self._queues = MotoQueues()
        self._pending = 0
        self._idle = threading.Condition()

    def install(self) -> None:
        """Patch moto's Lambda invocation and EventBridge rule delivery."""
        self._saved = {
            "invoke": LambdaFunction._invoke_lambda,
            "targets": Rule.send_to_targets,
            "transact": DynamoHandler.transact_write_items,
            "json": lambda_models.json,
        }
        lambda_models.json = _StreamRecordJson()  # type: ignore[assignment]
        self._memory.install()  # before the serialisation below wraps what it patches
        self._queries.install()
        self._queues.install()
        DynamoHandler.transact_write_items = _idempotent_transactions(DynamoHandler.transact_write_items)  # type: ignore[method-assign]
        for name in _DYNAMODB_WRITES:
            self._saved[f"dynamodb.{name}"] = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
        bridge = self

        def _invoke_lambda(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
            payload = _filtered(bridge.runtime.functions.get(function.function_name), payload)
            if payload is None:  # no record passed the FilterCriteria: Lambda does not invoke
                return "null", False, ""
            if _stream_records(payload):  # read from the stream apart from the write, as Lambda does
                bridge._enqueue_stream(function.function_name, _stream_records(payload))
                return "{}", False, ""
            try:
                return json.dumps(bridge.runtime.invoke(function.function_name, payload)), False, ""
            except InvocationError as exc:
                return json.dumps(exc.payload), True, "".join(exc.payload.get("stackTrace", []))

        original_targets = self._saved["targets"]

        def send_to_targets(rule: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
            if not rule.event_pattern.matches_event(original_event):  # type: ignore[arg-type]  # moto's TypedDict
                return
            ours = [t for t in rule.targets if parse_arn(t["Arn"]).service in ("lambda", "states")]
            if ours:
                event = _as_delivered(original_event)
                for target in ours:
                    bridge._submit(target, event)
            rest = [t for t in rule.targets if t not in ours]
            if rest:
                shallow = copy.copy(rule)
                shallow.targets = rest
                original_targets(shallow, original_event, transform_input)

        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[assignment]
        Rule.send_to_targets = send_to_targets  # type: ignore[assignment]

    def uninstall(self) -> None:
        """Restore moto's own behaviour and stop the delivery threads."""
        if self._saved:
            LambdaFunction._invoke_lambda = self._saved["invoke"]  # type: ignore[method-assign]
            Rule.send_to_targets = self._saved["targets"]  # type: ignore[method-assign]
            DynamoHandler.transact_write_items = self._saved["transact"]  # type: ignore[method-assign]
            lambda_models.json = self._saved["json"]
            for name in _DYNAMODB_WRITES:
                setattr(DynamoDBBackend, name, self._saved[f"dynamodb.{name}"])
            self._memory.uninstall()
            self._queries.uninstall()
            self._queues.uninstall()
            self._saved = {}
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._streams_lock:
            for batches in self._streams.values():
                batches.put(None)  # each stream's reader stops after what it holds
            self._streams.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no event delivery is in flight (True) or `timeout` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

    def _enqueue_stream(self, function_name: str, records: list[dict[str, Any]]) -> None:
        with self._streams_lock:
            batches = self._streams.get(function_name)
            if batches is None:
                batches = self._streams[function_name] = queue.Queue()
                threading.Thread(
                    target=self._read_stream,
                    args=(function_name, batches),
                    name=f"stream-{function_name}",
                    daemon=True,
                ).start()
        with self._idle:
            self._pending += 1
        batches.put(records)

    def _read_stream(self, function_name: str, batches: queue.Queue[list[dict[str, Any]] | None]) -> None:
        """One function's stream batches, in order; a failed batch is retried before the next one is read."""
        while (records := batches.get()) is not None:
            try:
                self._deliver_stream(function_name, records)
            except Exception as exc:  # a delivery thread must never die silently
                self.delivery_errors.append(f"{function_name}: {exc!r}")
                log.exception("stream delivery to %s failed", function_name)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver_stream(self, function_name: str, records: list[dict[str, Any]]) -> None:
        for attempt in range(self.stream_retries + 1):
            if attempt:
                time.sleep(min(STREAM_BACKOFF_MAX_S, self.stream_backoff_s * 2 ** (attempt - 1)))
            try:
                result = self.runtime.invoke(function_name, {"Records": records})
            except InvocationError as exc:
                log.info("stream batch for %s failed: %s", function_name, exc.payload.get("errorMessage"))
                continue
            records = _failed_stream_records(records, result)
            if not records:
                return
        message = f"{function_name}: {len(records)} stream record(s) not processed after {self.stream_retries} retries"
        self.delivery_errors.append(message)
        log.warning(message)

    def _submit(self, target: dict[str, Any], event: dict[str, Any]) -> None:
        with self._idle:
            self._pending += 1
        self._pool.submit(self._deliver, target, _transformed(target, event))

    def _deliver(self, target: dict[str, Any], payload: Any) -> None:
        arn = target["Arn"]
        try:
            if parse_arn(arn).service == "states":
                self.start_execution(arn, f"event-{uuid.uuid4()}", json.dumps(payload))
                return
            for attempt in range(self.retries + 1):
                try:
                    self.runtime.invoke(arn, payload)
                    return
                except InvocationError as exc:
                    if attempt == self.retries:
                        message = f"{arn}: {exc.payload.get('errorType')}: {exc.payload.get('errorMessage')}"
                        self.delivery_errors.append(message)
                        log.warning("event delivery failed after %d attempts: %s", attempt + 1, message)
        except Exception as exc:  # a delivery thread must never die silently
            self.delivery_errors.append(f"{arn}: {exc!r}")
            log.exception("event delivery to %s failed", arn)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()


#: The longest wait between two retries of a failed stream batch (Lambda backs off further; tests wait less).
STREAM_BACKOFF_MAX_S = 2.0


def _stream_records(payload: Any) -> list[dict[str, Any]]:
    """The records of a DynamoDB stream batch (none: the payload is not one)."""
    records = payload.get("Records") if isinstance(payload, dict) else None
    if not records or not isinstance(records[0], dict) or records[0].get("eventSource") != "aws:dynamodb":
        return []
    return list(records)


def _failed_stream_records(records: list[dict[str, Any]], result: Any) -> list[dict[str, Any]]:
    """The records of a stream batch to deliver again: from the first one its `batchItemFailures` names."""
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return []
    named = {str(f.get("itemIdentifier")) for f in failures}
    sequences = [str(r.get("dynamodb", {}).get("SequenceNumber")) for r in records]
    first = next((i for i, sequence in enumerate(sequences) if sequence in named), None)
    return list(records[first:]) if first is not None else list(records)


def _as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge hands it to targets: ISO time, no moto bookkeeping fields."""
    delivered = {k: v for k, v in event.items() if k != "ingestion-time"}
    when = delivered.get("time")
    if isinstance(when, int | float):
        delivered["time"] = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def _transformed(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """Apply the target's Input, InputPath or InputTransformer, as EventBridge does."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        value: Any = event
        for part in target["InputPath"].lstrip("$").strip(".").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return value
    transformer = target.get("InputTransformer")
    if transformer:
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event,  # type: ignore[arg-type]  # moto's TypedDict of an event: this one
        )
        return rendered
    return event


@functools.cache
def _patterns(filters: tuple[str, ...]) -> list[EventPattern]:
    """Parsed once per function: the filter runs on every write to a streamed table."""
    return [EventPattern.load(raw) for raw in filters]


def _filtered(spec: Any, payload: Any) -> Any:
    """A stream batch reduced to the records its FilterCriteria let through (None: nothing left)."""
    if spec is None or not spec.stream_filters or not isinstance(payload, dict) or "Records" not in payload:
        return payload
    patterns = _patterns(spec.stream_filters)
    kept = [r for r in payload["Records"] if any(p.matches_event(r) for p in patterns)]
    return {**payload, "Records": kept} if kept else None


class _StreamRecordJson:
    """The `json` module as moto's Lambda backend uses it, with bytes (a binary attribute in a stream record)
    encoded in base64, as DynamoDB Streams delivers them to Lambda."""

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)

    @staticmethod
    def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _base64_bytes)
        return json.dumps(obj, *args, **kwargs)


def _base64_bytes(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_TOKEN_LIFETIME_S = 600  # DynamoDB honours a ClientRequestToken for ten minutes


def _idempotent_transactions(method: Callable[..., Any]) -> Callable[..., Any]:
    """TransactWriteItems as DynamoDB runs it: a retry with the same ClientRequestToken (the SDK sends one and
    keeps it across its retries) returns the first success instead of applying the writes again, and a retry
    that arrives while the first is still being applied (the SDK gave up waiting on a busy stack) waits for it.
    moto ignores the token, so a retried conditional write would fail against its own first attempt."""
    done: dict[str, tuple[float, Any]] = {}
    running: dict[str, threading.Event] = {}
    lock = threading.Lock()

    def transact_write_items(handler: Any) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return method(handler)
        while True:
            now = time.monotonic()
            with lock:
                for old in [t for t, (at, _) in done.items() if now - at > _TOKEN_LIFETIME_S]:
                    del done[old]
                if token in done:
                    return done[token][1]
                first = running.get(token)
                if first is None:
                    running[token] = threading.Event()
                    break
            first.wait(
                timeout=_TOKEN_LIFETIME_S
            )  # then look again: its result, or it failed and this one runs
        try:
            result = method(handler)
            with lock:
                done[token] = (time.monotonic(), result)
            return result
        finally:
            with lock:
                running.pop(token).set()

    transact_write_items.__wrapped__ = method  # type: ignore[attr-defined]
    return transact_write_items
