"""Making an AWS service refuse (or delay) a function's calls for a while, to test what the product does then.

The functions running on the local stack share this process's boto3 clients (`arbiter.bootstrap.aws_client`): a
handler registered on such a client's `before-parameter-build` event raises the error the service would answer, before any
request leaves. Only calls `matching` the test's own parameters are refused, so other work in the stack is not.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from arbiter.bootstrap import aws_client


@dataclass
class Refusals:
    """How many calls are still to be refused, and how many were."""

    remaining: int
    refused: int = 0


@contextlib.contextmanager
def refused_calls(
    service: str,
    operation: str,
    *,
    times: int,
    matching: Callable[[dict[str, Any]], bool] = lambda _params: True,
    code: str = "ThrottlingException",
    region: str = "us-east-1",
) -> Iterator[Refusals]:
    """The next `times` calls of `operation` whose parameters match are answered with the error `code`."""
    client = aws_client(service, region)
    # before-parameter-build hands the handler the call's own parameters, before anything is sent.
    event = f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    refusals = Refusals(remaining=times)

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if refusals.remaining > 0 and matching(params):
            refusals.remaining -= 1
            refusals.refused += 1
            raise ClientError({"Error": {"Code": code, "Message": "refused by the test"}}, operation)

    client.meta.events.register(event, refuse)
    try:
        yield refusals
    finally:
        client.meta.events.unregister(event, refuse)


@contextlib.contextmanager
def delayed_calls(
    service: str,
    operation: str,
    *,
    seconds: float,
    times: int,
    matching: Callable[[dict[str, Any]], bool] = lambda _params: True,
    region: str = "us-east-1",
) -> Iterator[Refusals]:
    """The next `times` calls of `operation` whose parameters match wait `seconds` before they are sent (a slow
    vendor, or a slow service); `refused` counts the calls delayed."""
    client = aws_client(service, region)
    event = f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    delays = Refusals(remaining=times)
    lock = threading.Lock()

    def delay(params: dict[str, Any], **_: Any) -> None:
        with lock:
            chosen = delays.remaining > 0 and matching(params)
            if chosen:
                delays.remaining -= 1
                delays.refused += 1
        if chosen:
            time.sleep(seconds)

    client.meta.events.register(event, delay)
    try:
        yield delays
    finally:
        client.meta.events.unregister(event, delay)
