"""Subscriptions, deliveries, the retry schedule and the signatures."""

import datetime as dt
import hashlib
import hmac

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from arbiter.domain.webhook_signing import ballerine_headers, standard_headers
from arbiter.domain.webhooks import (
    RETRY_SCHEDULE_SECONDS,
    Attempt,
    Delivery,
    DeliveryStatus,
    SigningSecret,
    Subscription,
    delivery_id_for,
    generate_secret,
    parse_schedule,
    wait_before_attempt,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def subscription(**changes):
    values = {
        "id": "wh_1",
        "tenant_id": "acme",
        "url": "https://hooks.example/arbiter",
        "event_types": ["case.decided"],
        "secrets": [SigningSecret(value=generate_secret(), created_at=NOW)],
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Subscription(**{**values, **changes})


def test_the_schedule_is_immediately_5s_5min_30min_2h_5h_10h_10h():
    assert RETRY_SCHEDULE_SECONDS == (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
    assert [wait_before_attempt(RETRY_SCHEDULE_SECONDS, i) for i in range(9)] == [
        *RETRY_SCHEDULE_SECONDS,
        None,
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", RETRY_SCHEDULE_SECONDS), (None, RETRY_SCHEDULE_SECONDS), ("0,1, 2", (0, 1, 2))],
)
def test_a_schedule_setting_is_parsed(text, expected):
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["0,-1", "soon", ",,,x"])
def test_a_bad_schedule_setting_is_refused(text):
    with pytest.raises(ValueError, match="comma-separated list of seconds"):
        parse_schedule(text)


def test_a_delivery_id_is_stable_per_event_and_subscription():
    assert delivery_id_for("wh_1", "ev-1") == delivery_id_for("wh_1", "ev-1")
    assert delivery_id_for("wh_1", "ev-1") != delivery_id_for("wh_2", "ev-1")
    assert delivery_id_for("wh_1", "ev-1").startswith("msg_")


def test_standard_headers_verify_with_the_standardwebhooks_package():
    secret = generate_secret()
    body = '{"type":"case.decided","timestamp":"2026-11-30T12:00:00Z","data":{}}'
    now = dt.datetime.now(dt.UTC)
    headers = standard_headers("msg_1", now, body, [secret])
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert Webhook(secret).verify(body, headers)["type"] == "case.decided"
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("decided", "created"), headers)


def test_a_rotation_signs_with_both_secrets_until_the_overlap_ends():
    sub = subscription()
    old = sub.secrets[0].value
    new = sub.rotate(NOW, dt.timedelta(hours=1))
    assert sub.signing_secrets(NOW + dt.timedelta(minutes=59)) == [new, old]
    assert sub.signing_secrets(NOW + dt.timedelta(hours=1)) == [new]
    headers = standard_headers("msg_1", dt.datetime.now(dt.UTC), "{}", sub.signing_secrets(NOW))
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify("{}", headers)
    # A second rotation during the overlap never extends an old secret's life.
    newest = sub.rotate(NOW + dt.timedelta(minutes=30), dt.timedelta(hours=2))
    ends = {s.value: s.expires_at for s in sub.secrets}
    assert ends[old] == NOW + dt.timedelta(hours=1)
    assert ends[new] == NOW + dt.timedelta(minutes=150)
    assert ends[newest] is None


def test_a_subscription_without_secrets_cannot_sign():
    with pytest.raises(ValueError, match="signing secret"):
        standard_headers("msg_1", NOW, "{}", [])


def test_ballerine_signature_is_hex_hmac_sha256_of_the_exact_body():
    body = b'{"eventName":"workflow.completed"}'
    headers = ballerine_headers(body, "s3cret")
    assert headers["x-hmac-signature"] == hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert "x-authorization" not in headers


def test_what_a_subscription_wants():
    standard = subscription(event_types=["case.decided", "document.uploaded"])
    assert standard.wants("case.decided", "c1")
    assert not standard.wants("case.created", "c1")
    ballerine = subscription(format="ballerine", event_types=["workflow.completed"], case_id="c1")
    assert ballerine.wants("case.decided", "c1")
    assert not ballerine.wants("case.decided", "c2")  # another case's event
    assert not ballerine.wants("case.status_changed", "c1")  # workflow.state.changed not asked for
    assert not ballerine.wants("plugin.failed", "c1")  # no Ballerine name
    standard.disable("the receiver answered 410 Gone", NOW)
    assert not standard.wants("case.decided", "c1")


def attempt(success, number=1, status=200):
    return Attempt(
        delivery_id="msg_1", round=0, number=number, at=NOW, success=success, status_code=status, latency_ms=5
    )


def test_a_delivery_moves_pending_then_succeeded_or_failed_and_a_replay_starts_a_round():
    delivery = Delivery(
        id="msg_1",
        tenant_id="acme",
        subscription_id="wh_1",
        url="https://h.example",
        format="standard",
        event_type="case.decided",
        body="{}",
        created_at=NOW,
        updated_at=NOW,
    )
    delivery.record(attempt(False, status=503), next_wait=5)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == NOW + dt.timedelta(seconds=5)
    delivery.record(attempt(False, 2, 503), next_wait=None)
    assert delivery.status == DeliveryStatus.FAILED
    assert (delivery.attempts, delivery.total_attempts) == (2, 2)
    delivery.replay(NOW)
    assert (delivery.status, delivery.round, delivery.attempts) == (DeliveryStatus.PENDING, 1, 0)
    delivery.record(attempt(True), next_wait=5)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.total_attempts == 3
