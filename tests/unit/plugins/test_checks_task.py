"""The plugins task logic end to end: settings, adapters on moto, built-in checks and a local vendor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from arbiter.domain.errors import InvalidInput
from arbiter.plugins import run_checks_task
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
def aws() -> Iterator[boto3.session.Session]:
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        session.client("secretsmanager").create_secret(
            Name="arbiter/test/registry", SecretString=json.dumps({"key": "rk-4455667788"})
        )
        yield session


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
    event = {
        "task": "run_checks",
        "case": {**CASE, "extra": "ignored"},
        "plugins": [
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
        ],
    }
    output = run_checks_task(event, deps, sleep=lambda _s: None)
    checks = output["checks"]
    assert output["case_id"] == "case-42"
    assert list(checks) == ["identifiers", "ownership", "contact", "website", "registry", "sanctions"]
    assert checks["identifiers"]["status"] == "ok"
    assert checks["ownership"]["flags"] == []
    assert checks["website"]["status"] == "skipped"
    assert checks["registry"]["data"] == {"active": True, "status_code": 200}
    assert checks["sanctions"]["status"] == "error"
    assert output["failed_checks"] == ["sanctions"]
    assert output["needs_review"] is True
    assert "rk-4455667788" not in json.dumps(output)
    assert len(json.dumps(output)) < 256 * 1024


def test_an_input_without_a_case_is_refused(aws: boto3.session.Session) -> None:
    deps = build_dependencies(PluginsSettings(), session=aws)
    with pytest.raises(InvalidInput) as excinfo:
        run_checks_task({"case": {"case_id": "x"}}, deps)
    assert excinfo.value.path == "case.tenant_id"


def test_no_checks_configured_means_nothing_to_review(aws: boto3.session.Session) -> None:
    output = run_checks_task({"case": CASE}, build_dependencies(PluginsSettings(), session=aws))
    assert output == {"case_id": "case-42", "checks": {}, "failed_checks": [], "needs_review": False}
