"""The webhooks function's settings: the retry schedule and the secret overlap, checked when it starts."""

import datetime as dt

import pytest

from arbiter import bootstrap
from arbiter.domain.webhooks import RETRY_SCHEDULE_SECONDS
from arbiter.settings import Settings, SettingsError

BASE = {
    "AWS_REGION": "eu-west-1",
    "TABLE_NAME": "arbiter",
    "EVENT_BUS_NAME": "arbiter-decisions",
    "STATE_MACHINE_ARN_PREFIX": "arn:aws:states:eu-west-1:111122223333:stateMachine:arbiter-",
}


def test_defaults_are_the_standard_schedule_and_a_day_of_overlap():
    deps = bootstrap.Dependencies(Settings.from_environ(BASE))
    assert deps.schedule == RETRY_SCHEDULE_SECONDS
    assert deps.rotation_overlap == dt.timedelta(hours=24)
    assert deps.scheduler._arn.endswith(":stateMachine:arbiter-webhook-delivery")


def test_the_template_parameter_shortens_the_schedule():
    settings = Settings.from_environ(
        {**BASE, "WEBHOOK_RETRY_SCHEDULE": "0,1,1", "ALLOWED_EGRESS_HOSTS": "127.0.0.1"}
    )
    deps = bootstrap.Dependencies(settings)
    assert deps.schedule == (0, 1, 1)
    assert deps.allow.networks


def test_a_bad_schedule_fails_at_start_naming_the_variable():
    with pytest.raises(SettingsError, match="WEBHOOK_RETRY_SCHEDULE"):
        Settings.from_environ({**BASE, "WEBHOOK_RETRY_SCHEDULE": "0,soon"})


def test_a_negative_overlap_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET_OVERLAP_SECONDS"):
        Settings.from_environ({**BASE, "WEBHOOK_SECRET_OVERLAP_SECONDS": "-5"})
