"""Webhook receivers for system tests (real HTTP servers in the test process) and subscribing to them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from standardwebhooks import Webhook

from tests.support.local_http import LocalServer, Reply
from tests.support.tenants import TenantFixture


class Receiver:
    """A webhook receiver that verifies every request with standardwebhooks and answers as told."""

    def __init__(self, secret: str | None = None, answers: list[int] | None = None) -> None:
        self.secret = secret
        self.answers = list(answers or [])
        self.verified: list[dict] = []
        self.rejected: list[str] = []
        self._lock = threading.Lock()
        self.server = LocalServer({"/hook": self._handle})

    @property
    def url(self) -> str:
        return self.server.url("/hook")

    @property
    def requests(self):
        return self.server.requests

    def _handle(self, request) -> Reply:
        with self._lock:
            status = self.answers.pop(0) if self.answers else 200
        if self.secret:
            try:
                self.verified.append(Webhook(self.secret).verify(request.body, request.headers))
            except Exception as exc:
                self.rejected.append(repr(exc))
                return Reply(400, body=b"bad signature")
        return Reply(status, body=b'{"received": true}')

    def close(self) -> None:
        self.server.close()


def subscribe(
    tenant: TenantFixture, url: str, event_types: Sequence[str] = ("case.decided",), **extra: Any
) -> dict[str, Any]:
    """Subscribe `url` to the tenant's events through the webhooks API: the subscription, with its secret."""
    response = tenant.api().post("/v1/webhooks", json={"url": url, "event_types": list(event_types), **extra})
    assert response.status_code == 201, response.text
    return response.json()
