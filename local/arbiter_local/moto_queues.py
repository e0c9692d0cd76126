"""Sending to a FIFO queue in moto without counting the queue's messages for each message sent.

moto checks a FIFO message against the queue's `ContentBasedDeduplication` by building the queue's whole
attribute set, several times per message (to validate it, again in a batch, to send it and to add it). That set
includes the approximate counts of messages, visible, delayed and in flight, each a pass over every message in the
queue that reads the clock for each one. Sending n messages to a queue is thus quadratic: 2,000 messages in batches
of 10 took 387 s in moto alone (3.1 s with this), and a batch of 1,000 transactions more than four minutes on the
local stack. While SendMessage or SendMessageBatch runs here, those counts answer 0 without the pass: nothing on
that path reads them (the local stack creates no moto event source mapping for queues, whose inline invocation
would: `queue_pollers`). Everything else, GetQueueAttributes included, counts as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from moto.sqs.models import Queue, SQSBackend

__all__ = ["MotoQueues"]

_sending: ContextVar[bool] = ContextVar("moto_sending", default=False)
_SENDS = ("send_message", "send_message_batch")
_COUNTS = (
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)


def _while_sending(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def sending(*args: Any, **kwargs: Any) -> Any:
        token = _sending.set(True)
        try:
            return method(*args, **kwargs)
        finally:
            _sending.reset(token)

    return sending


def _uncounted_while_sending(count: property) -> property:
    def value(queue: Queue) -> int:
        return 0 if _sending.get() else int(count.fget(queue))  # type: ignore[misc]

    return property(value)


class MotoQueues:
    """Installs the sending path; `uninstall` restores moto."""

    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}

    def install(self) -> None:
        if self._saved:
            return
        self._saved = {name: Queue.__dict__[name] for name in _COUNTS}
        for name in _SENDS:
            self._saved[name] = getattr(SQSBackend, name)
            setattr(SQSBackend, name, _while_sending(self._saved[name]))
        for name in _COUNTS:
            setattr(Queue, name, _uncounted_while_sending(self._saved[name]))

    def uninstall(self) -> None:
        if not self._saved:
            return
        for name in _COUNTS:
            setattr(Queue, name, self._saved[name])
        for name in _SENDS:
            setattr(SQSBackend, name, self._saved[name])
        self._saved = {}
