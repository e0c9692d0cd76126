"""The webhook sender against real local HTTP servers: what counts as an answer, and what never goes out."""

from __future__ import annotations

import pytest

from arbiter.adapters.webhook_delivery import EgressWebhookSender
from arbiter.egress import AllowList, EgressClient, EgressPolicy
from tests.support.local_http import LocalServer, Reply


@pytest.fixture
def server():
    replies = {
        "/ok": lambda r: Reply(204),
        "/big": lambda r: Reply(500, body=b"x" * 5000),
        "/moved": lambda r: Reply(302, headers={"Location": "/ok"}),
        "/slow": lambda r: Reply(200, stall_seconds=5),
    }
    local = LocalServer(replies)
    yield local
    local.close()


def sender(allow: str = "127.0.0.1", timeout: float = 15.0) -> EgressWebhookSender:
    return EgressWebhookSender(
        EgressClient(EgressPolicy(allow=AllowList.parse(allow))), timeout_seconds=timeout
    )


def test_the_body_and_headers_arrive_as_given(server):
    result = sender().send(
        server.url("/ok"), b'{"a":1}', {"webhook-id": "msg_1", "content-type": "application/json"}
    )
    assert (result.status_code, result.error) == (204, None)
    seen = server.requests[-1]
    assert seen.method == "POST"
    assert seen.body == b'{"a":1}'
    assert seen.headers["webhook-id"] == "msg_1"


def test_only_the_first_kilobyte_of_an_answer_is_kept(server):
    result = sender().send(server.url("/big"), b"{}", {})
    assert result.status_code == 500
    assert result.excerpt == "x" * 1024


def test_redirects_are_not_followed(server):
    result = sender().send(server.url("/moved"), b"{}", {})
    assert result.status_code is None
    assert "redirects are not followed" in result.error
    assert [r.path for r in server.requests] == ["/moved"]


def test_an_answer_slower_than_the_limit_is_a_timeout(server):
    result = sender(timeout=0.5).send(server.url("/slow"), b"{}", {})
    assert result.status_code is None
    assert result.error.startswith("EgressTimeout")
    assert result.latency_ms < 5000


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9/hook", "http://10.0.0.1/hook"]
)
def test_internal_addresses_are_refused_without_a_connection(url):
    result = sender(allow="").send(url, b"{}", {})
    assert result.status_code is None
    assert result.error.startswith("EgressRefused")
