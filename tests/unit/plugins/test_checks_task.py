"""Running a workflow's checks end to end: settings, adapters on moto, built-in checks and a local vendor."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable

import boto3
import pytest

from arbiter.bootstrap import Dependencies
from arbiter.settings import Settings, SettingsError
from tests.support.local_http import LocalServer, Reply

Serve = Callable[..., LocalServer]

CASE = {
    "case_id": "case-42",
    "tenant_id": "tenant-1",
    "entity": {
        "type": "business",
        "business": {
            "name": "Acme GmbH",
            "country_of_incorporation": "DE",
            "vat_number": "DE136695976",
            "email": "info@acme.example",
            "ubos": [
                {
                    "first_name": "Ann",
                    "last_name": "Lee",
                    "ownership_percent": 100,
                    "date_of_birth": "1980-01-01",
                    "nationality": "DE",
                }
            ],
        },
    },
    "documents": [],
    "metadata": {"channel": "api"},
}


BASE = {
    "AWS_REGION": "us-east-1",
    "TABLE_NAME": "arbiter",
    "EVENT_BUS_NAME": "arbiter-decisions",
    "STATE_MACHINE_ARN_PREFIX": "arn:aws:states:us-east-1:123456789012:stateMachine:arbiter-",
}


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_environ(
        {**BASE, "ALLOWED_EGRESS_HOSTS": "127.0.0.1,localhost", "PLUGINS_MAX_CONCURRENCY": "4"}
    )
    assert settings.allowed_egress_hosts == ("127.0.0.1", "localhost")
    assert settings.plugins_max_concurrency == 4
    defaults = Settings.from_environ(BASE)
    assert (defaults.plugins_max_concurrency, defaults.secrets_max_age_seconds) == (8, 300)


@pytest.mark.parametrize(
    ("variable", "value"), [("PLUGINS_MAX_CONCURRENCY", "lots"), ("SECRETS_MAX_AGE_SECONDS", "-1")]
)
def test_malformed_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({**BASE, variable: value})


def checks_of(stack, allowed: str = "") -> Dependencies:
    table = stack.physical_id("ArbiterTable")
    return Dependencies(Settings.from_environ({**BASE, "TABLE_NAME": table, "ALLOWED_EGRESS_HOSTS": allowed}))


@pytest.fixture
def aws(stack):
    """The local stack's moto (shared by the session): the secret may already be there from another test."""
    client = boto3.client("secretsmanager", region_name="us-east-1")
    with contextlib.suppress(client.exceptions.ResourceExistsException):
        client.create_secret(Name="arbiter/test/registry", SecretString=json.dumps({"key": "rk-4455667788"}))
    return stack


def test_a_case_runs_through_the_built_in_checks(serve: Serve, aws) -> None:
    vendor = serve(
        {
            "/lookup": lambda r: Reply(
                200,
                {"Content-Type": "application/json"},
                json.dumps({"active": r.headers.get("authorization") == "Bearer rk-4455667788"}).encode(),
            )
        }
    )
    run = dataclasses.replace(checks_of(aws, "127.0.0.1").checks, sleep=lambda _s: None)
    plugins = [
        {"plugin": "identifiers"},
        {"plugin": "ownership"},
        {"plugin": "contact"},
        {"plugin": "website"},
        {
            "plugin": "vendor_http",
            "name": "registry",
            "config": {
                "url": vendor.url("/lookup"),
                "headers": {
                    "Authorization": {
                        "secret": "secretsmanager:arbiter/test/registry#key",
                        "prefix": "Bearer ",
                    }
                },
                "request": {"name": "entity.business.name"},
                "response": {"active": "active"},
                "flags": [{"when": "!data.active", "code": "registry_inactive", "message": "Inactive."}],
            },
        },
        {"plugin": "sanctions"},
    ]
    checks = run(CASE, plugins)
    assert list(checks) == ["identifiers", "ownership", "contact", "website", "registry", "sanctions"]
    assert checks["identifiers"]["status"] == "ok"
    assert checks["ownership"]["flags"] == []
    assert checks["website"]["status"] == "skipped"
    assert checks["registry"]["data"] == {"active": True, "status_code": 200}
    assert checks["sanctions"]["status"] == "error"
    assert [name for name, r in checks.items() if r["status"] == "error"] == ["sanctions"]
    assert "rk-4455667788" not in json.dumps(checks)
    assert len(json.dumps(checks)) < 256 * 1024


def test_no_checks_configured_means_no_results(aws) -> None:
    assert checks_of(aws).checks(CASE, []) == {}
