"""Webhook use cases on in-memory fakes: fan-out, the attempt step, replay, URL checks."""

import datetime as dt
import json

import pytest
from standardwebhooks import Webhook

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.events import CaseDecided, EventActor, WebhookDeliveryFailed
from arbiter.domain.webhooks import DeliveryStatus
from arbiter.egress import AllowList
from arbiter.services import webhooks
from arbiter.services.webhook_delivery import attempt_delivery, deliver_event
from tests import builders
from tests.unit.fakes import Clock, FakeDependencies, InMemoryCases, InMemoryTenants
from tests.unit.webhook_fakes import InMemoryWebhooks, RecordingScheduler, ScriptedSender

SCHEDULE = (0, 5, 300)


def public_resolver(host, port):
    return {"hooks.example": ["93.184.216.34"], "inside.example": ["10.1.2.3"]}.get(host) or _unresolvable(
        host
    )


def _unresolvable(host):
    raise OSError(f"{host}: name or service not known")


def make_deps(*answers):
    tenants = InMemoryTenants()
    tenants.add(builders.tenant("acme", webhook_shared_secret="shared"))
    return FakeDependencies(
        webhooks=InMemoryWebhooks(),
        scheduler=RecordingScheduler(),
        sender=ScriptedSender(*answers),
        tenants=tenants,
        cases=InMemoryCases(),
        allow=AllowList.parse(""),
        resolve=public_resolver,
        schedule=SCHEDULE,
        clock=Clock(dt.datetime.now(dt.UTC)),  # receivers verify timestamps against their own clock
    )


def decided_event(case_id="c-1"):
    return CaseDecided(
        time=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC),
        tenant_id="acme",
        case_id=case_id,
        workflow_id="kyc",
        workflow_version=1,
        entity_type="individual",
        outcome="approved",
        reason="fine",
        automatic=False,
        actor=EventActor(type="reviewer", id="r-1"),
    ).envelope()


def subscribe(deps, event_types=("case.decided",)):
    return webhooks.create_subscription(
        deps, builders.integrator(), url="https://hooks.example/in", event_types=list(event_types)
    )


def run_to_the_end(deps, tenant_id, delivery_id):
    """What the state machine does after the first attempt: attempt until done; returns the waits asked for."""
    delivery = deps.webhooks.get_delivery(tenant_id, delivery_id)
    started = [s for s in deps.scheduler.started if s[:2] == (delivery_id, delivery.round)]
    if delivery.status != DeliveryStatus.PENDING:
        assert started == [], "a finished delivery must not start the state machine"
        return []
    waits = [started[0][2]]
    while True:
        step = attempt_delivery(deps, tenant_id, delivery_id, delivery.round)
        if step["done"]:
            return waits
        waits.append(step["wait_seconds"])


def test_an_event_becomes_one_delivery_per_wanting_subscription_attempted_at_once():
    deps = make_deps()
    wanted, _ = subscribe(deps)
    subscribe(deps, ["case.created"])
    event = decided_event()
    first = deliver_event(deps, event)
    assert len(first) == 1
    delivery = deps.webhooks.get_delivery("acme", first[0])
    assert delivery.subscription_id == wanted.id
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert json.loads(delivery.body) == {"type": "case.decided", "timestamp": event["time"], "data": event}
    assert len(deps.sender.sent) == 1
    assert deps.scheduler.started == []  # answered at once: no state machine
    # The bus may deliver the event again: same delivery, nothing sent twice.
    assert deliver_event(deps, event) == first
    assert len(deps.sender.sent) == 1


def test_a_failed_first_attempt_hands_the_delivery_to_the_state_machine_with_the_next_wait():
    deps = make_deps(503)
    subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    assert deps.scheduler.started == [(delivery_id, 0, 5)]
    assert deps.webhooks.get_delivery("acme", delivery_id).attempts == 1


def test_more_new_deliveries_than_run_inline_start_in_the_state_machine():
    from arbiter.services.webhook_delivery import INLINE_ATTEMPTS

    deps = make_deps()
    for _ in range(INLINE_ATTEMPTS + 2):
        subscribe(deps)
    ids = deliver_event(deps, decided_event())
    assert len(ids) == INLINE_ATTEMPTS + 2
    assert len(deps.sender.sent) == INLINE_ATTEMPTS
    assert len(deps.scheduler.started) == 2
    assert {s[2] for s in deps.scheduler.started} == {0}


def test_attempts_follow_the_schedule_then_fail_with_an_event():
    deps = make_deps(500, 502, "ConnectFailed: refused")
    _subscription, secret = subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    waits = run_to_the_end(deps, "acme", delivery_id)
    assert waits == [5, 300]  # before attempts 2 and 3
    delivery = deps.webhooks.get_delivery("acme", delivery_id)
    assert delivery.status == DeliveryStatus.FAILED
    assert [a.status_code for a in deps.webhooks.attempts("acme", delivery_id)] == [500, 502, None]
    (event,) = deps.webhooks.events
    assert isinstance(event, WebhookDeliveryFailed)
    assert (event.delivery_id, event.attempts, event.last_error) == (delivery_id, 3, "ConnectFailed: refused")
    # Every attempt carried the same id and a signature the subscriber's secret verifies.
    for _url, body, headers in deps.sender.sent:
        assert headers["webhook-id"] == delivery_id
        Webhook(secret).verify(body, headers)


def test_success_ends_the_delivery_without_an_event():
    deps = make_deps(503)
    subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    assert run_to_the_end(deps, "acme", delivery_id) == [5]
    assert deps.webhooks.get_delivery("acme", delivery_id).status == DeliveryStatus.SUCCEEDED
    assert deps.webhooks.events == []


def test_410_disables_the_subscription_and_cancels_the_delivery():
    deps = make_deps(410)
    subscription, _ = subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    assert run_to_the_end(deps, "acme", delivery_id) == []
    stored = deps.webhooks.get_subscription("acme", subscription.id)
    assert stored.enabled is False
    assert "410" in stored.disabled_reason
    assert deps.webhooks.get_delivery("acme", delivery_id).status == DeliveryStatus.CANCELLED
    assert deliver_event(deps, decided_event("c-2")) == []


def test_a_deleted_subscription_cancels_its_pending_delivery_without_sending():
    deps = make_deps(500)
    subscription, _ = subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    webhooks.delete_subscription(deps, builders.integrator(), subscription.id)
    assert attempt_delivery(deps, "acme", delivery_id, 0)["done"] is True
    assert len(deps.sender.sent) == 1  # the first attempt only
    assert deps.webhooks.get_delivery("acme", delivery_id).status == DeliveryStatus.CANCELLED


def test_a_stale_round_sends_nothing():
    deps = make_deps(500)
    subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    assert attempt_delivery(deps, "acme", delivery_id, 7) == {
        "done": True,
        "status": "pending",
        "wait_seconds": 0,
    }
    assert len(deps.sender.sent) == 1


def test_replay_is_refused_while_pending_and_starts_a_new_round_after():
    deps = make_deps(500, 500, 500)
    subscribe(deps)
    (delivery_id,) = deliver_event(deps, decided_event())
    with pytest.raises(Conflict):
        webhooks.replay(deps, builders.integrator(), delivery_id)
    run_to_the_end(deps, "acme", delivery_id)
    replayed = webhooks.replay(deps, builders.integrator(), delivery_id)
    assert (replayed.round, replayed.status) == (1, DeliveryStatus.PENDING)
    assert deps.scheduler.started == [(delivery_id, 0, 5), (delivery_id, 1, 0)]
    with pytest.raises(NotFound):
        webhooks.replay(deps, builders.integrator("other"), delivery_id)


def test_a_ballerine_subscription_without_the_tenants_secret_records_an_unsigned_failure():
    deps = make_deps()
    deps.tenants.update(builders.tenant("acme"))
    subscription, _ = webhooks.create_subscription(
        deps,
        builders.integrator(),
        url="https://hooks.example/b",
        event_types=["workflow.completed"],
        format="ballerine",
    )
    _delivery, attempt = webhooks.send_test(deps, builders.integrator(), subscription.id)
    assert attempt.success is False
    assert "shared secret" in attempt.error
    assert deps.sender.sent == []


@pytest.mark.parametrize(
    ("url", "allow", "message"),
    [
        ("https://inside.example/h", "", "private address"),
        ("https://nowhere.example/h", "", "does not resolve"),
        ("http://169.254.169.254/", "", "cloud metadata"),
        ("http://[::1]:8080/", "", "loopback"),
        ("gopher://hooks.example/", "", "http or https"),
    ],
)
def test_urls_are_checked_with_the_egress_rules(url, allow, message):
    with pytest.raises(InvalidInput, match=message) as raised:
        webhooks.check_webhook_url(url, AllowList.parse(allow), public_resolver)
    assert raised.value.path == "url"


@pytest.mark.parametrize(
    ("url", "allow"),
    [
        ("https://hooks.example/h", ""),
        ("https://inside.example/h", "10.0.0.0/8"),
        ("http://localhost:9/h", "localhost"),
    ],
)
def test_allowed_urls_pass(url, allow):
    assert webhooks.check_webhook_url(url, AllowList.parse(allow), public_resolver) == url


def test_signing_secrets_are_stored_sealed_and_opened_only_to_sign():
    deps = make_deps()
    subscription, secret = subscribe(deps)
    (stored,) = deps.webhooks.subscriptions.values()
    assert [s.value.startswith("kms:v1:") for s in stored.secrets] == [True]
    assert secret not in stored.model_dump_json()
    assert secret not in deps.webhooks.get_subscription("acme", subscription.id).model_dump_json()
    assert deps.tenants.tenants["acme"].settings.webhook_shared_secret.startswith("kms:v1:")

    deliver_event(deps, decided_event())
    (_url, body, headers) = deps.sender.sent[0]
    Webhook(secret).verify(body, headers)
    assert deps.secret_box.opened == 1


def test_a_rotation_keeps_every_secret_sealed_and_both_sign_during_the_overlap():
    deps = make_deps()
    subscription, old = subscribe(deps)
    _, new = webhooks.rotate_secret(deps, builders.integrator(), subscription.id, 3600)
    stored = deps.webhooks.subscriptions[("acme", subscription.id)]
    assert len(stored.secrets) == 2
    assert all(s.value.startswith("kms:v1:") for s in stored.secrets)
    _delivery, attempt = webhooks.send_test(deps, builders.integrator(), subscription.id)
    assert attempt.success is True
    (_url, body, headers) = deps.sender.sent[-1]
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


def test_a_secret_copied_from_another_tenant_does_not_sign():
    deps = make_deps()
    theirs, _ = webhooks.create_subscription(
        deps, builders.integrator("globex"), url="https://hooks.example/g", event_types=["case.decided"]
    )
    ours, _ = subscribe(deps)
    stolen = deps.webhooks.subscriptions[("globex", theirs.id)].secrets
    deps.webhooks.subscriptions[("acme", ours.id)].secrets = stolen
    _delivery, attempt = webhooks.send_test(deps, builders.integrator(), ours.id)
    assert attempt.success is False
    assert attempt.error.startswith("not signed: the secret cannot be opened")
    assert deps.sender.sent == []


def test_a_secret_stored_before_sealing_still_signs_and_is_sealed_on_the_next_write():
    deps = make_deps()
    subscription, _ = subscribe(deps)
    legacy = "whsec_" + "bGVnYWN5LXNlY3JldC1zdG9yZWQtaW4tY2xlYXItMDE="
    deps.webhooks.subscriptions[("acme", subscription.id)].secrets[
        0
    ].value = legacy  # as an older release stored it
    _delivery, attempt = webhooks.send_test(deps, builders.integrator(), subscription.id)
    assert attempt.success is True
    Webhook(legacy).verify(deps.sender.sent[-1][1], deps.sender.sent[-1][2])

    webhooks.update_subscription(deps, builders.integrator(), subscription.id, {"description": "resealed"})
    resealed = deps.webhooks.subscriptions[("acme", subscription.id)].secrets[0].value
    assert resealed.startswith("kms:v1:")
    assert (
        deps.secret_box.open(resealed, {"tenant_id": "acme", "purpose": "webhook-signing-secret"}) == legacy
    )


def test_a_ballerine_delivery_is_signed_with_the_opened_shared_secret():
    import hashlib
    import hmac

    deps = make_deps()
    subscription, _ = webhooks.create_subscription(
        deps,
        builders.integrator(),
        url="https://hooks.example/b",
        event_types=["workflow.completed"],
        format="ballerine",
    )
    _delivery, attempt = webhooks.send_test(deps, builders.integrator(), subscription.id)
    assert attempt.success is True
    (_url, body, headers) = deps.sender.sent[-1]
    assert headers["x-hmac-signature"] == hmac.new(b"shared", body, hashlib.sha256).hexdigest()


def test_admins_manage_webhooks_and_plain_reviewers_may_not():
    from arbiter.domain.errors import NotAllowed

    deps = make_deps(200)
    admin = builders.reviewer("admin")
    subscription, _secret = webhooks.create_subscription(
        deps, admin, url="https://hooks.example/in", event_types=["case.decided"]
    )
    for role in ("viewer", "reviewer", "senior"):
        with pytest.raises(NotAllowed, match="admin"):
            webhooks.list_subscriptions(deps, builders.reviewer(role), None, 25)
        with pytest.raises(NotAllowed, match="admin"):
            webhooks.update_subscription(deps, builders.reviewer(role), subscription.id, {"enabled": False})
    assert deps.webhooks.get_subscription("acme", subscription.id).enabled is True
    with pytest.raises(NotFound):
        webhooks.get_subscription(deps, builders.reviewer("admin", tenant_id="other"), subscription.id)


def test_every_change_is_audited_with_who_and_what_and_outlives_the_subscription():
    deps = make_deps(200)
    admin = builders.reviewer("admin")
    subscription, secret = webhooks.create_subscription(
        deps, admin, url="https://hooks.example/in", event_types=["case.decided"]
    )
    webhooks.update_subscription(
        deps, builders.integrator(), subscription.id, {"event_types": ["case.created"], "enabled": False}
    )
    _rotated, new_secret = webhooks.rotate_secret(deps, admin, subscription.id, 60)
    webhooks.delete_subscription(deps, admin, subscription.id)
    trail = deps.webhooks.changes("acme", subscription.id)
    assert [(c.action, c.actor.type, c.actor.id, c.fields) for c in trail] == [
        ("created", "reviewer", "admin-1", []),
        ("changed", "integrator", "key_test", ["event_types", "enabled"]),
        ("secret_rotated", "reviewer", "admin-1", []),
        ("deleted", "reviewer", "admin-1", []),
    ]
    assert (trail[1].event_types, trail[1].enabled) == (["case.created"], False)
    dumped = "".join(c.model_dump_json() for c in trail)
    assert secret not in dumped
    assert new_secret not in dumped


def test_a_queued_test_is_attempted_once_by_the_state_machine_and_never_retried():
    deps = make_deps(503)
    admin = builders.reviewer("admin")
    subscription, _ = webhooks.create_subscription(
        deps, admin, url="https://hooks.example/in", event_types=["case.decided"]
    )
    queued = webhooks.queue_test(deps, admin, subscription.id)
    assert deps.scheduler.started == [(queued.id, 0, 0)]
    assert deps.sender.sent == []  # nothing sent by the caller: the state machine's step sends it
    step = attempt_delivery(deps, "acme", queued.id, 0)
    assert (step["done"], step["status"]) == (True, "failed")
    delivery, attempts = webhooks.subscription_delivery(deps, admin, subscription.id, queued.id)
    assert [a.status_code for a in attempts] == [503]
    assert delivery.event_type == "webhook.test"
    other, _ = webhooks.create_subscription(
        deps, admin, url="https://hooks.example/2", event_types=["case.decided"]
    )
    with pytest.raises(NotFound):
        webhooks.subscription_delivery(deps, admin, other.id, queued.id)
    with pytest.raises(NotFound):
        webhooks.redeliver(deps, admin, other.id, queued.id)
    assert webhooks.redeliver(deps, admin, subscription.id, queued.id).round == 1
