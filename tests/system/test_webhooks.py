"""Webhooks on the local stack: real receivers (HTTP servers in the test), the real delivery state machine."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from standardwebhooks import Webhook

from tests.support.local_http import LocalServer, Reply
from tests.system.test_review_api import case_in_review
from tests.waiting import wait_for


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


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        receiver = Receiver(**kwargs)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def subscribe(tenant, url, event_types=("case.decided",), **extra):
    response = tenant.api().post("/v1/webhooks", json={"url": url, "event_types": list(event_types), **extra})
    assert response.status_code == 201, response.text
    return response.json()


def with_secret(receiver: Receiver, secret: str) -> Receiver:
    receiver.secret = secret
    return receiver


def decide(tenant, case_id, decision="approve"):
    response = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": decision, "reason": "checked by hand"}
    )
    assert response.status_code == 200, response.text


def test_a_reviewers_decision_reaches_a_verifying_receiver(tenant, receivers):
    receiver = receivers()
    created = subscribe(tenant, receiver.url)
    assert created["secret"].startswith("whsec_")
    with_secret(receiver, created["secret"])
    case_id = case_in_review(tenant, entity_id="wh-1")
    decide(tenant, case_id)
    payload = wait_for(lambda: receiver.verified, what="a verified delivery")[0]
    assert receiver.rejected == []
    assert payload["type"] == "case.decided"
    assert payload["data"]["case_id"] == case_id
    assert payload["data"]["outcome"] == "approved"
    assert payload["data"]["actor"]["type"] == "reviewer"
    assert dt.datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
    deliveries = wait_for(
        lambda: [
            d
            for d in tenant.api().get(f"/v1/webhooks/{created['id']}/deliveries").json()["items"]
            if d["status"] == "succeeded"
        ],
        what="the delivery logged as succeeded",
    )
    assert deliveries[0]["id"] == receiver.requests[0].headers["webhook-id"]
    assert json.loads(deliveries[0]["body"]) == payload
