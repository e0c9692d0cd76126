"""SQS event sources on the local stack: a poller per mapping, as Lambda's own.

moto's mapping invokes the function inside `SendMessage` (the sender waits for the function), one message per
invocation, and ignores `batchItemFailures`. Lambda instead polls the queue: it receives up to `BatchSize`
messages (one FIFO group's messages in order, no other batch of that group while they are in flight), invokes
the function once with all of them, deletes those that succeeded (all, unless the function raised or named some
in `batchItemFailures` under ReportBatchItemFailures) and leaves the others to become visible again, so they are
received again until the queue's `maxReceiveCount` moves them to its dead-letter queue.

One difference, on purpose: a failed message is made visible again after `retry_after_s` (default 0) rather
than after the queue's visibility timeout (minutes), so a retry, and the dead-letter path, are seen in seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from arbiter_local.provision import QueueMapping
from arbiter_local.runtime import InvocationError

__all__ = ["QueuePoller", "sqs_event"]

log = logging.getLogger("arbiter_local")

Invoke = Callable[[str, Any], Any]
#: How long one ReceiveMessage waits for messages (long polling), so `stop` is prompt.
WAIT_S = 1


def sqs_event(mapping: QueueMapping, messages: list[dict[str, Any]], region: str) -> dict[str, Any]:
    """The event Lambda hands a function for `messages` (ReceiveMessage's shape) from the mapping's queue."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType"),
                    }
                    for name, value in m.get("MessageAttributes", {}).items()
                },
                "md5OfBody": m.get("MD5OfBody"),
                "eventSource": "aws:sqs",
                "eventSourceARN": mapping.queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_message_ids(mapping: QueueMapping, messages: list[dict[str, Any]], result: Any) -> set[str]:
    """The messages to leave in the queue after the function answered `result` (it did not raise)."""
    if not mapping.report_item_failures or not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    known = {m["MessageId"] for m in messages}
    named = {str(f.get("itemIdentifier")) for f in failures if isinstance(f, dict)}
    # Lambda takes an answer naming a message it did not send (or naming none) as the whole batch failing.
    if any(not f.get("itemIdentifier") for f in failures if isinstance(f, dict)) or not named <= known:
        return known
    return named


class QueuePoller:
    """Receives from one mapping's queue and invokes its function until stopped."""

    def __init__(
        self, mapping: QueueMapping, sqs: Any, invoke: Invoke, *, region: str, retry_after_s: int = 0
    ) -> None:
        self.mapping = mapping
        self.retry_after_s = retry_after_s
        #: Batches the function failed (raised, or reported items), newest last: what the stack's /health shows.
        self.failures: list[dict[str, Any]] = []
        self._sqs = sqs
        self._invoke = invoke
        self._region = region
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"sqs-poller-{self.mapping.queue_arn.rsplit(':', 1)[-1]}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=WAIT_S + 10)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once(wait_s=WAIT_S)
            except Exception:  # the queue gone with the stack: stop quietly
                if self._stopping.is_set():
                    return
                log.exception("polling %s failed", self.mapping.queue_url)
                time.sleep(0.5)

    def poll_once(self, wait_s: int = 0) -> int:
        """Receive one batch and deliver it; how many messages were received."""
        messages = self._sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=self.mapping.batch_size,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            self._deliver(messages)
        return len(messages)

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        try:
            result = self._invoke(self.mapping.function, sqs_event(self.mapping, messages, self._region))
            failed = failed_message_ids(self.mapping, messages, result)
        except InvocationError as exc:
            failed = {m["MessageId"] for m in messages}
            self.failures.append(
                {"queue": self.mapping.queue_arn, "error": exc.payload, "count": len(failed)}
            )
        else:
            if failed:
                self.failures.append({"queue": self.mapping.queue_arn, "reported": sorted(failed)})
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(done[start : start + 10])
                ],
            )
        for message in messages:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self.mapping.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_after_s,
                )
