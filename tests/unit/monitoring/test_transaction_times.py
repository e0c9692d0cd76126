"""A transaction's time as the domain model parses it: from a queued batch's message or a stored decision, ISO 8601
times get the standard library's zones (pydantic's own zone object makes every comparison and subtraction on the
time several times slower, and a decision does several); the instant, its offset and its JSON stay what they were,
and what pydantic alone accepts or refuses, it still does."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from arbiter.domain.transactions import (
    Alert,
    DecidedTransaction,
    MonitoringRuleSet,
    QueuedTransaction,
    Transaction,
)

PYDANTIC_ALONE = TypeAdapter(dt.datetime)


def body(time: object) -> dict[str, object]:
    return {
        "id": "tx-1",
        "customer_id": "acme-1",
        "amount": "9800.00",
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "time": time,
    }


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-12-06T10:00:00Z", dt.timedelta(0)),
        ("2026-12-06T10:00:00+00:00", dt.timedelta(0)),
        ("2026-12-06T12:00:00.250000+02:00", dt.timedelta(hours=2)),
        ("2026-12-06T05:30:00-04:30", dt.timedelta(hours=-4, minutes=-30)),
    ],
)
def test_an_iso_time_gets_a_standard_zone_with_its_instant_and_offset(text, offset):
    parsed = Transaction.model_validate(body(text)).time
    assert type(parsed.tzinfo) is dt.timezone
    assert parsed.utcoffset() == offset
    assert parsed == PYDANTIC_ALONE.validate_python(text)
    assert parsed.isoformat() == PYDANTIC_ALONE.validate_python(text).isoformat()


def test_a_queued_message_and_a_stored_decision_read_back_the_same_time_and_json():
    tx = Transaction.model_validate(body("2026-12-06T10:00:00Z"))
    message = QueuedTransaction(tenant_id="acme", batch_id="batch_1", transaction=tx).model_dump_json()
    read = QueuedTransaction.model_validate_json(message)
    assert read.transaction.time.tzinfo is dt.UTC
    assert read.model_dump_json() == message
    decided = DecidedTransaction(
        tenant_id="acme",
        transaction=tx,
        decision="allow",
        score=0.0,
        level="low",
        rule_set=MonitoringRuleSet(id="transaction-monitoring", version=1),
        decided_at=dt.datetime(2026, 12, 6, 10, 0, 1, tzinfo=dt.UTC),
    )
    stored = decided.model_dump_json()
    again = DecidedTransaction.model_validate_json(stored)
    assert again.transaction.time.tzinfo is dt.UTC
    assert again.decided_at.tzinfo is dt.UTC
    assert again == decided
    assert again.model_dump_json() == stored
    assert '"time":"2026-12-06T10:00:00Z"' in stored


def test_a_stored_alerts_times_read_back_with_standard_zones():
    at = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    alert = Alert(
        id="alert_1",
        tenant_id="acme",
        customer_id="acme-1",
        transaction_id="tx-1",
        decision="review",
        severity="high",
        score=60.0,
        rule_set=MonitoringRuleSet(id="transaction-monitoring", version=1),
        created_at=at,
        last_seen_at=at + dt.timedelta(hours=1),
    ).closed("false_positive", "known payee", "reviewer-1", at + dt.timedelta(days=1))
    stored = alert.model_dump_json()
    again = Alert.model_validate_json(stored)
    assert [again.created_at.tzinfo, again.last_seen_at.tzinfo, again.closed_at.tzinfo] == [dt.UTC] * 3
    assert again.escalated_at is None
    assert again == alert
    assert again.model_dump_json() == stored


@pytest.mark.parametrize("value", [1765015200, "1765015200", "2026-12-06 10:00:00Z"])
def test_what_pydantic_parses_another_way_is_still_the_same_instant(value):
    assert Transaction.model_validate(body(value)).time == PYDANTIC_ALONE.validate_python(value)


@pytest.mark.parametrize("value", ["not a time", "2026-13-01T00:00:00Z", "", None, [2026]])
def test_what_pydantic_refuses_is_still_refused_naming_the_time(value):
    with pytest.raises(ValidationError) as refused:
        Transaction.model_validate(body(value))
    assert [error["loc"] for error in refused.value.errors()] == [("time",)]


def test_times_of_both_kinds_compare_and_subtract_as_instants():
    ours = Transaction.model_validate(body("2026-12-06T12:00:00+02:00")).time
    theirs = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    assert ours == theirs
    assert ours - theirs == dt.timedelta(0)
