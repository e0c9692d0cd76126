"""The queue batch transactions wait in before they are decided (an SQS FIFO queue)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arbiter.domain.errors import TransientError
from arbiter.domain.transactions import QueuedTransaction

__all__ = ["SqsTransactionQueue"]

#: SendMessageBatch takes at most 10 entries (and 256 KB: ten transactions of at most 16 KB of metadata fit).
SEND_BATCH_SIZE = 10
#: Entries SQS refused for a passing reason are sent again this many times.
RESENDS = 2


class SqsTransactionQueue:
    """Implements `arbiter.services.transaction_batches.TransactionQueue`."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def enqueue(self, messages: Sequence[QueuedTransaction]) -> None:
        """Send every message, ten at a time, in order; TransientError naming what SQS still refused."""
        for start in range(0, len(messages), SEND_BATCH_SIZE):
            entries = {
                str(number): {
                    "Id": str(number),
                    "MessageBody": message.model_dump_json(),
                    "MessageGroupId": message.group,
                    "MessageDeduplicationId": message.deduplication_id,
                }
                for number, message in enumerate(messages[start : start + SEND_BATCH_SIZE], start)
            }
            for _ in range(1 + RESENDS):
                response = self._client.send_message_batch(QueueUrl=self._url, Entries=list(entries.values()))
                failed = response.get("Failed", [])
                entries = {f["Id"]: entries[f["Id"]] for f in failed if not f.get("SenderFault")}
                if any(f.get("SenderFault") for f in failed):
                    raise TransientError(
                        "the queue refused transactions: "
                        + "; ".join(f.get("Message", f["Code"]) for f in failed),
                        refused=[int(f["Id"]) for f in failed],
                    )
                if not entries:
                    break
            if entries:
                # Sending the batch again is safe: the queue drops what it already has, decisions are per id.
                raise TransientError(
                    f"the queue did not take {len(entries)} transactions; send the batch again",
                    refused=sorted(int(n) for n in entries),
                )
