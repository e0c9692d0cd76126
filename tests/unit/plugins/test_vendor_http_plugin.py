"""The vendor HTTP plugin through the runner, against local vendor servers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from arbiter.egress import EgressClient
from arbiter.plugins import InvalidPluginConfig, PluginRegistry, PluginResult, run_checks, validate_configs
from arbiter.plugins.builtin import VendorHttpPlugin
from tests.support.fakes import InMemorySecrets
from tests.support.local_http import LocalServer, Reply, SeenRequest

Serve = Callable[..., LocalServer]
API_KEY = "vk_live_8b1d2f00c4"
SECRETS = {"secretsmanager:arbiter/test/vendor#api_key": API_KEY}
CONTEXT = {
    "case_id": "c-9",
    "tenant_id": "t-1",
    "entity": {
        "type": "business",
        "business": {
            "name": "Acme GmbH",
            "registration_number": "HRB 44123",
            "country_of_incorporation": "DE",
        },
    },
    "documents": [],
    "metadata": {},
}
SCHEMA = {
    "type": "object",
    "required": ["company", "status"],
    "properties": {"status": {"type": "string"}, "company": {"type": "object"}},
}


def vendor_json(body: Any, status: int = 200) -> Callable[[SeenRequest], Reply]:
    return lambda _r: Reply(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def config(server: LocalServer, **overrides: Any) -> dict[str, Any]:
    base = {
        "url": server.url("/v1/companies/{country}/search"),
        "method": "POST",
        "headers": {
            "X-Api-Key": {"secret": "secretsmanager:arbiter/test/vendor#api_key"},
            "X-Client": "arbiter",
        },
        "request": {
            "country": "entity.business.country_of_incorporation",
            "query.name": "entity.business.name",
            "query.number": "entity.business.registration_number",
        },
        "response": {
            "status": "status",
            "match_name": "company.name",
            "officers": "length(company.officers)",
        },
        "response_schema": SCHEMA,
        "flags": [
            {
                "when": "data.status != 'active'",
                "code": "company_not_active",
                "severity": "high",
                "message": "The registry does not list the company as active.",
            }
        ],
        "timeout_seconds": 1,
        "retry": {"attempts": 3, "backoff_seconds": 1, "jitter": False},
        "allow": ["127.0.0.1"],
    }
    return {**base, **overrides}


def run(server_config: dict[str, Any], sleeps: list[float] | None = None) -> PluginResult:
    results = run_checks(
        CONTEXT,
        [{"plugin": "vendor_http", "name": "registry_vendor", "config": server_config}],
        registry=PluginRegistry([VendorHttpPlugin(EgressClient())]),
        secrets=InMemorySecrets(SECRETS),
        sleep=(sleeps if sleeps is not None else []).append,
    )
    return results["registry_vendor"]


ACTIVE = {"status": "active", "company": {"name": "ACME GMBH", "officers": [{"n": 1}, {"n": 2}]}}


def test_a_good_answer_is_mapped_into_data(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json(ACTIVE)})
    result = run(config(server))
    assert result.status == "ok"
    assert result.data == {"status": "active", "match_name": "ACME GMBH", "officers": 2, "status_code": 200}
    assert result.flags == []
    seen = server.requests[0]
    assert seen.headers["x-api-key"] == API_KEY
    assert seen.headers["x-client"] == "arbiter"
    assert json.loads(seen.body) == {"query": {"name": "Acme GmbH", "number": "HRB 44123"}}


def test_flag_rules_read_the_mapped_data(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json({**ACTIVE, "status": "dissolved"})})
    result = run(config(server))
    assert [(f.code, f.severity) for f in result.flags] == [("company_not_active", "high")]


def test_get_requests_put_the_other_fields_in_the_query(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json(ACTIVE)})
    result = run(
        config(
            server,
            method="GET",
            request={"country": "entity.business.country_of_incorporation", "q": "entity.business.name"},
        )
    )
    assert result.status == "ok"
    assert server.requests[0].path == "/v1/companies/DE/search?q=Acme+GmbH"


def test_5xx_then_ok_is_retried_with_backoff(serve: Serve) -> None:
    answers = iter([Reply(503, body=b"busy"), Reply(502, body=b"bad gateway")])
    server = serve({"/v1/companies/DE/search": lambda r: next(answers, None) or vendor_json(ACTIVE)(r)})
    sleeps: list[float] = []
    result = run(config(server), sleeps)
    assert result.status == "ok"
    assert len(server.requests) == 3
    assert sleeps == [1.0, 2.0]


def test_4xx_is_not_retried(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json({"error": "bad request"}, status=400)})
    sleeps: list[float] = []
    result = run(config(server), sleeps)
    assert result.status == "error"
    assert result.error == 'CheckError: the vendor answered HTTP 400: {"error": "bad request"}'
    assert len(server.requests) == 1
    assert sleeps == []
    assert result.flags[-1].code == "check_failed"


def test_a_vendor_that_times_out_is_retried_then_recorded_as_an_error(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": lambda _r: Reply(200, body=b"{}", stall_seconds=30)})
    result = run(config(server, timeout_seconds=0.3, retry={"attempts": 2, "jitter": False}))
    assert result.status == "error"
    assert result.error is not None
    assert result.error.startswith("TransientCheckError: timed out")
    assert result.error.endswith("(after 2 attempts)")
    assert len(server.requests) == 2


def test_garbage_is_retried_then_recorded(serve: Serve) -> None:
    server = serve(
        {
            "/v1/companies/DE/search": lambda _r: Reply(
                200, {"Content-Type": "application/json"}, b"<html>oops"
            )
        }
    )
    result = run(config(server))
    assert result.status == "error"
    assert "not JSON: <html>oops (after 3 attempts)" in (result.error or "")
    assert len(server.requests) == 3


def test_a_schema_mismatch_is_called_out_and_not_retried(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json({"status": 3, "company": {}})})
    result = run(config(server))
    assert result.status == "error"
    assert result.error == (
        "ResponseSchemaMismatch: the vendor's response does not match the configured schema at data.status: "
        "data.status must be string"
    )
    assert len(server.requests) == 1


def test_a_missing_url_value_skips_the_check(serve: Serve) -> None:
    server = serve({})
    result = run(
        config(server, request={"country": "entity.business.address.country", "q": "entity.business.name"})
    )
    assert result.status == "skipped"
    assert result.data["reason"] == "the case has no value for country"
    assert server.requests == []


def test_the_api_key_never_shows_even_when_the_vendor_echoes_it(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(
        {
            "/v1/companies/DE/search": lambda r: Reply(
                401, body=f"invalid key {r.headers['x-api-key']}".encode()
            )
        }
    )
    with caplog.at_level(logging.DEBUG):
        result = run(config(server, retry={"attempts": 2, "jitter": False, "on_status": [401]}))
    assert result.status == "error"
    assert "invalid key ***" in (result.error or "")
    assert API_KEY not in json.dumps(result.to_json()) + caplog.text


def test_a_vendor_on_a_private_address_needs_the_allow_list(serve: Serve) -> None:
    server = serve({"/v1/companies/DE/search": vendor_json(ACTIVE)})
    result = run(config(server, allow=[]))
    assert result.status == "error"
    assert "loopback" in (result.error or "")
    assert server.requests == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"url": "ftp://vendor.example/x"}, "plugins[0].config.url"),
        ({"url": "https://vendor.example/{missing}"}, "plugins[0].config"),
        ({"request": {"name": "entity.[["}}, "plugins[0].config.request.name"),
        ({"response": {"x": "a.b.("}}, "plugins[0].config.response.x"),
        ({"response_schema": {"type": "nonsense"}}, "plugins[0].config.response_schema"),
        ({"headers": {"X-Key": {"secret": "plaintext"}}}, "plugins[0].config.headers.X-Key"),
        (
            {"flags": [{"when": "data.ok", "code": "Bad Code", "message": "m"}]},
            "plugins[0].config.flags[0].code",
        ),
        ({"retry": {"attempts": 20}}, "plugins[0].config.retry.attempts"),
    ],
)
def test_configs_are_validated_when_saved(change: dict[str, Any], path: str) -> None:
    entry = {"plugin": "vendor_http", "config": {"url": "https://vendor.example/v1", **change}}
    with pytest.raises(InvalidPluginConfig) as excinfo:
        validate_configs([entry], PluginRegistry([VendorHttpPlugin(EgressClient())]))
    assert excinfo.value.path is not None
    assert excinfo.value.path.startswith(path)
