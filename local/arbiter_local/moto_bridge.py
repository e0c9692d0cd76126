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
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import logging
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

    def __init__(self, runtime: LambdaRuntime, start_execution: StartExecution, *, retries: int = 2) -> None:
        self.runtime = runtime
        self.start_execution = start_execution
        self.retries = retries
        self.delivery_errors: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="eventbridge")
        self._saved: dict[str, Any] = {}
        self._memory = MotoMemory()
        self._queries = MotoQueries()
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
            try:
                result = bridge.runtime.invoke(function.function_name, payload)
                return json.dumps(result), False, ""
            except InvocationError as exc:
                return json.dumps(exc.payload), True, "".join(exc.payload.get("stackTrace", []))

        original_targets = self._saved["targets"]

        def send_to_targets(rule: Rule, original_event: dict[str, Any], transform_input: bool = True) -> None:
            if not rule.event_pattern.matches_event(original_event):
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

        LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
        Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]

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
            self._saved = {}
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no event delivery is in flight (True) or `timeout` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)

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
            event=event,
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
    keeps it across its retries) returns the first success instead of applying the writes again. moto ignores
    the token, so a retried conditional write would fail against its own first attempt."""
    done: dict[str, tuple[float, Any]] = {}
    lock = threading.Lock()

    def transact_write_items(handler: Any) -> Any:
        token = handler.body.get("ClientRequestToken")
        now = time.monotonic()
        if token:
            with lock:
                for old in [t for t, (at, _) in done.items() if now - at > _TOKEN_LIFETIME_S]:
                    del done[old]
                if token in done:
                    return done[token][1]
        result = method(handler)
        if token:
            with lock:
                done[token] = (now, result)
        return result

    transact_write_items.__wrapped__ = method  # type: ignore[attr-defined]
    return transact_write_items
