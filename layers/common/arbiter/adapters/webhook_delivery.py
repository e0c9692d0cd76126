"""The webhook delivery ports outside the domain: the state machine that paces attempts, and the HTTP POST."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from arbiter.domain.webhooks import RESPONSE_EXCERPT_BYTES, SUCCESS_TIMEOUT_SECONDS, Delivery
from arbiter.egress import EgressClient, EgressError, EgressLimits, TooManyRedirects
from arbiter.services.webhook_delivery import SendResult

__all__ = ["EgressWebhookSender", "StepFunctionsDeliveryScheduler"]


class StepFunctionsDeliveryScheduler:
    """One execution of the webhook-delivery state machine per delivery and round (its name)."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, delivery: Delivery, wait_seconds: int) -> None:
        """Start the round, first waiting `wait_seconds`; a second start of the same round is a no-op."""
        payload = {
            "tenant_id": delivery.tenant_id,
            "delivery_id": delivery.id,
            "round": delivery.round,
            "wait_seconds": wait_seconds,
        }
        try:
            self._client.start_execution(
                stateMachineArn=self._arn, name=f"{delivery.id}-{delivery.round}", input=json.dumps(payload)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise


class EgressWebhookSender:
    """POSTs through the egress client: vetted addresses, no redirects, 15 s for the whole exchange."""

    def __init__(self, client: EgressClient, timeout_seconds: float = SUCCESS_TIMEOUT_SECONDS) -> None:
        self._client = client
        self._limits = EgressLimits(
            connect_timeout_seconds=min(5.0, timeout_seconds),
            read_timeout_seconds=timeout_seconds,
            total_timeout_seconds=timeout_seconds,
            max_bytes=RESPONSE_EXCERPT_BYTES,
            max_redirects=0,
        )

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.monotonic()
        try:
            response = self._client.fetch(
                url, method="POST", content=body, headers=headers, limits=self._limits, truncate=True
            )
        except TooManyRedirects as exc:
            return SendResult(None, _since(started), f"redirects are not followed: {exc.message}")
        except EgressError as exc:
            return SendResult(None, _since(started), f"{type(exc).__name__}: {exc.message}")
        excerpt = response.content[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
        return SendResult(response.status_code, response.elapsed_ms, None, excerpt)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
