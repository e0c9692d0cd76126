"""Secret references: their grammar, reading them into configs, and masking the values read."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from arbiter.domain.errors import InvalidInput
from arbiter.secrets import SecretRef, SecretScrubber, SecretUnavailable, parse_reference
from tests.support.fakes import InMemorySecrets


@pytest.mark.parametrize(
    ("reference", "service", "name", "key"),
    [
        ("secretsmanager:arbiter/prod/vendor", "secretsmanager", "arbiter/prod/vendor", None),
        ("secretsmanager:arbiter/prod/vendor#api_key", "secretsmanager", "arbiter/prod/vendor", "api_key"),
        (
            "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:vendor-AbCdEf#k",
            "secretsmanager",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:vendor-AbCdEf",
            "k",
        ),
        ("ssm:/arbiter/prod/vendor-key", "ssm", "/arbiter/prod/vendor-key", None),
        ("ssm:vendor.key#token", "ssm", "vendor.key", "token"),
    ],
)
def test_references_parse(reference: str, service: str, name: str, key: str | None) -> None:
    parsed = parse_reference(reference)
    assert (parsed.service, parsed.name, parsed.json_key) == (service, name, key)


@pytest.mark.parametrize(
    "reference", ["vault:x", "secretsmanager:", "ssm:bad name", "ssm:/x#", "plain-value", "ssm:a:b"]
)
def test_malformed_references_are_invalid(reference: str) -> None:
    with pytest.raises(InvalidInput):
        parse_reference(reference)


class VendorConfig(BaseModel):
    api_key: SecretRef


def test_saving_checks_the_form_only_and_never_reads() -> None:
    config = VendorConfig.model_validate({"api_key": {"secret": "ssm:/arbiter/key"}})
    assert not config.api_key.resolved
    with pytest.raises(SecretUnavailable, match="not resolved"):
        config.api_key.reveal()
    with pytest.raises(ValidationError) as excinfo:
        VendorConfig.model_validate({"api_key": {"secret": "env:KEY"}})
    assert excinfo.value.errors()[0]["loc"] == ("api_key", "secret")


def test_running_reads_the_value_which_never_shows_in_repr_or_dump() -> None:
    secrets = InMemorySecrets({"ssm:/arbiter/key": "s3cr3t-value"})
    config = VendorConfig.model_validate(
        {"api_key": {"secret": "ssm:/arbiter/key", "prefix": "Bearer "}}, context={"secrets": secrets}
    )
    assert config.api_key.reveal() == "Bearer s3cr3t-value"
    for shown in (repr(config), str(config), config.model_dump_json(), str(config.model_dump())):
        assert "s3cr3t-value" not in shown
    assert config.model_dump() == {"api_key": {"secret": "ssm:/arbiter/key", "prefix": "Bearer "}}


def test_a_missing_secret_fails_validation_with_the_reference_only() -> None:
    with pytest.raises(SecretUnavailable, match="ssm:/nope") as excinfo:
        VendorConfig.model_validate(
            {"api_key": {"secret": "ssm:/nope"}}, context={"secrets": InMemorySecrets()}
        )
    assert not excinfo.value.transient


def test_scrubber_masks_values_it_handed_out() -> None:
    scrubber = SecretScrubber(InMemorySecrets({"ssm:/a": "tok-ABCDEF", "ssm:/b": "xy"}))
    assert scrubber.resolve("ssm:/a") == "tok-ABCDEF"
    scrubber.resolve("ssm:/b")
    assert scrubber.scrub_text("401: bad key tok-ABCDEF") == "401: bad key ***"
    data = {"echo": ["tok-ABCDEF", {"tok-ABCDEF": 1}], "n": 3, "short": "xy"}
    assert scrubber.scrub(data) == {"echo": ["***", {"***": 1}], "n": 3, "short": "xy"}
