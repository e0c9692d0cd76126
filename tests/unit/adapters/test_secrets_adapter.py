"""The powertools-backed secret resolver against moto's Secrets Manager and SSM."""

from __future__ import annotations

import json
import secrets as secrets_module
import sys

import boto3
import pytest

from arbiter.adapters.secrets import PowertoolsSecretResolver
from arbiter.secrets import SecretUnavailable

PREFIX = ""  # set per test by the fixture


@pytest.fixture
def resolver(stack, monkeypatch) -> PowertoolsSecretResolver:
    # Against the local stack's moto; each test has its own names (the server is shared).
    prefix = f"arbiter/{secrets_module.token_hex(4)}"
    monkeypatch.setattr(sys.modules[__name__], "PREFIX", prefix)
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    vendor = json.dumps({"api_key": "k-98765", "n": 7})
    secrets.create_secret(Name=f"{prefix}/vendor", SecretString=vendor)
    secrets.create_secret(Name=f"{prefix}/plain", SecretString="plain-token-1")
    ssm.put_parameter(Name=f"/{prefix}/key", Value="ssm-token-2", Type="SecureString")
    return PowertoolsSecretResolver(secrets_client=secrets, ssm_client=ssm, max_age_seconds=60)


def test_reads_secrets_manager_strings_and_json_keys(resolver: PowertoolsSecretResolver) -> None:
    assert resolver.resolve(f"secretsmanager:{PREFIX}/plain") == "plain-token-1"
    assert resolver.resolve(f"secretsmanager:{PREFIX}/vendor#api_key") == "k-98765"
    assert resolver.resolve(f"secretsmanager:{PREFIX}/vendor#n") == "7"


def test_reads_secure_ssm_parameters(resolver: PowertoolsSecretResolver) -> None:
    assert resolver.resolve(f"ssm:/{PREFIX}/key") == "ssm-token-2"


def test_missing_secrets_are_unavailable_and_not_worth_a_retry(resolver: PowertoolsSecretResolver) -> None:
    with pytest.raises(SecretUnavailable, match="ResourceNotFoundException") as excinfo:
        resolver.resolve(f"secretsmanager:{PREFIX}/absent")
    assert not excinfo.value.transient
    with pytest.raises(SecretUnavailable, match="ParameterNotFound"):
        resolver.resolve(f"ssm:/{PREFIX}/absent")


def test_shape_errors_never_quote_the_value(resolver: PowertoolsSecretResolver) -> None:
    with pytest.raises(SecretUnavailable) as not_json:
        resolver.resolve(f"secretsmanager:{PREFIX}/plain#api_key")
    with pytest.raises(SecretUnavailable) as no_key:
        resolver.resolve(f"secretsmanager:{PREFIX}/vendor#other")
    for error in (not_json.value, no_key.value):
        text = json.dumps(error.to_dict()) + str(error)
        assert "plain-token-1" not in text
        assert "k-98765" not in text


def test_values_are_cached_between_reads(resolver: PowertoolsSecretResolver) -> None:
    assert resolver.resolve(f"ssm:/{PREFIX}/key") == "ssm-token-2"
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=f"/{PREFIX}/key", Value="rotated", Type="SecureString", Overwrite=True
    )
    assert resolver.resolve(f"ssm:/{PREFIX}/key") == "ssm-token-2"
