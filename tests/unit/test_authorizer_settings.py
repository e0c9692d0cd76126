"""The authorizer's settings: failures per minute, how long verified keys are remembered, the shared usage key."""

import datetime as dt

import pytest

from arbiter import bootstrap
from arbiter.settings import Settings, SettingsError

BASE = {
    "AWS_REGION": "eu-west-1",
    "TABLE_NAME": "arbiter",
    "EVENT_BUS_NAME": "arbiter-decisions",
    "STATE_MACHINE_ARN_PREFIX": "arn:aws:states:eu-west-1:111122223333:stateMachine:arbiter-",
}


def test_the_template_parameters_set_the_limit_the_cache_and_the_shared_key():
    settings = Settings.from_environ(
        {
            **BASE,
            "AUTH_FAILURES_PER_MINUTE": "5",
            "AUTHORIZER_CACHE_SECONDS": "0",
            "SHARED_USAGE_KEY": "arbiter-prod-shared-usage-key",
        }
    )
    deps = bootstrap.Dependencies(settings)
    assert (deps.failure_limit.failures, deps.failure_limit.window) == (5, dt.timedelta(minutes=1))
    assert deps.verified_keys.ttl == dt.timedelta(0)
    assert deps.shared_usage_key == "arbiter-prod-shared-usage-key"
    assert deps.verified_keys is deps.verified_keys  # kept for the warm container


def test_defaults_are_twenty_failures_and_a_minute_of_memory():
    deps = bootstrap.Dependencies(Settings.from_environ(BASE))
    assert deps.failure_limit.failures == 20
    assert deps.verified_keys.ttl == dt.timedelta(seconds=60)


def test_without_the_shared_key_the_authorizer_fails_naming_the_variable():
    with pytest.raises(SettingsError, match="SHARED_USAGE_KEY"):
        _ = bootstrap.Dependencies(Settings.from_environ(BASE)).shared_usage_key


@pytest.mark.parametrize(
    ("variable", "value"), [("AUTH_FAILURES_PER_MINUTE", "0"), ("AUTHORIZER_CACHE_SECONDS", "-1")]
)
def test_out_of_range_values_are_refused_naming_the_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({**BASE, variable: value})
