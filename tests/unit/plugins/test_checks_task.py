"""Running a workflow's checks end to end: settings, adapters on moto, built-in checks and a local vendor."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable

import boto3
import pytest

from arbiter.domain.errors import InvalidInput
from arbiter.plugins.bootstrap import PluginsSettings, build_dependencies
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


def test_settings_come_from_the_environment() -> None:
    settings = PluginsSettings.from_env(
        {"ALLOWED_EGRESS_HOSTS": "127.0.0.1,localhost", "PLUGINS_MAX_CONCURRENCY": "4"}
    )
    assert settings.allowed_egress_hosts == "127.0.0.1,localhost"
    assert settings.max_concurrency == 4
    assert PluginsSettings.from_env({}) == PluginsSettings()


@pytest.mark.parametrize(
    ("variable", "value"), [("PLUGINS_MAX_CONCURRENCY", "lots"), ("SECRETS_MAX_AGE_SECONDS", "-1")]
)
def test_malformed_settings_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        PluginsSettings.from_env({variable: value})
    assert excinfo.value.path == variable


@pytest.fixture
def aws(stack) -> boto3.session.Session:
    # The local stack's moto (shared by the session): the secret may already be there from another test.
    session = boto3.session.Session(region_name="us-east-1")
    with contextlib.suppress(session.client("secretsmanager").exceptions.ResourceExistsException):
        session.client("secretsmanager").create_secret(
            Name="arbiter/test/registry", SecretString=json.dumps({"key": "rk-4455667788"})
        )
    return session


def test_a_case_runs_through_the_built_in_checks(serve: Serve, aws: boto3.session.Session) -> None:
    vendor = serve(
        {
            "/lookup": lambda r: Reply(
                200,
                {"Content-Type": "application/json"},
                json.dumps({"active": r.headers.get("authorization") == "Bearer rk-4455667788"}).encode(),
            )
        }
    )
    deps = build_dependencies(PluginsSettings(allowed_egress_hosts="127.0.0.1"), session=aws)
    run = dataclasses.replace(deps, sleep=lambda _s: None)
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


def test_no_checks_configured_means_no_results(aws: boto3.session.Session) -> None:
    assert build_dependencies(PluginsSettings(), session=aws)(CASE, []) == {}
