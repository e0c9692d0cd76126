"""Making an AWS service refuse a function's calls for a while, to test what the product does when it does.

The functions running on the local stack share this process's boto3 clients (`arbiter.bootstrap.aws_client`): a
handler registered on such a client's `before-parameter-build` event raises the error the service would answer, before any
request leaves. Only calls `matching` the test's own parameters are refused, so other work in the stack is not.
"""

from __future__ import annotations

import contextlib
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
