"""Sending to and receiving from a queue in moto without counting the queue's messages for each message.

moto checks a FIFO message against the queue's `ContentBasedDeduplication` by building the queue's whole
attribute set, several times per message (to validate it, again in a batch, to send it and to add it), and checks
each message it receives against the queue's retention period the same way. That set includes the approximate
counts of messages, visible, delayed and in flight, each a pass over every message in the queue that reads the
clock for each one. Sending or receiving n messages through a queue holding n is thus quadratic: 2,000 messages
sent in batches of 10 took 387 s in moto alone (3.1 s with this); with 10,000 queued, receiving and deleting ten
messages took 12 s (0.25 s with this), and 10,000 queued transactions were decided at about one a second. While
SendMessage, SendMessageBatch or ReceiveMessage runs here, those counts answer 0 without the pass: nothing on those
paths reads them (the local stack creates no moto event source mapping for queues, whose inline invocation would:
`queue_pollers`). Everything else, GetQueueAttributes included, counts as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from moto.sqs.models import Queue, SQSBackend

__all__ = ["MotoQueues"]

_uncounted: ContextVar[bool] = ContextVar("moto_uncounted", default=False)
_UNCOUNTED = ("send_message", "send_message_batch", "receive_message")
_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)


def _uncounted_while(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def uncounted(*args: Any, **kwargs: Any) -> Any:
        token = _uncounted.set(True)
        try:
            return method(*args, **kwargs)
        finally:
            _uncounted.reset(token)

    return uncounted


def _zero_while_uncounted(count: property) -> property:
    def value(queue: Queue) -> int:
        return 0 if _uncounted.get() else int(count.fget(queue))  # type: ignore[misc]

    return property(value)


class MotoQueues:
    """Installs the sending and receiving paths; `uninstall` restores moto."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        if self._saved:
            return
        self._saved = {name: Queue.__dict__[name] for name in _COUNTS}
        for name in _UNCOUNTED:
            self._saved[name] = getattr(SQSBackend, name)
            setattr(SQSBackend, name, _uncounted_while(self._saved[name]))
        for name in _COUNTS:
            setattr(Queue, name, _zero_while_uncounted(self._saved[name]))

    def uninstall(self) -> None:
        if not self._saved:
            return
        for name in _COUNTS:
            setattr(Queue, name, self._saved[name])
        for name in _UNCOUNTED:
            setattr(SQSBackend, name, self._saved[name])
        self._saved = {}
