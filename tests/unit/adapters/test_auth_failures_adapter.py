"""Failed-authentication counters in DynamoDB, against the local stack's moto: one item per source and window,
counted atomically, with the table's TTL attribute set to the window's end."""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import boto3
import pytest

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.auth_failures import DynamoAuthFailureCounter

WINDOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
EXPIRES = WINDOW + dt.timedelta(minutes=1)


@pytest.fixture
def counter(stack) -> DynamoAuthFailureCounter:
    return DynamoAuthFailureCounter(
        boto3.client("dynamodb", region_name="us-east-1"), stack.physical_id("ArbiterTable")
    )


@pytest.fixture
def source() -> str:
    return f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(3)}"  # a source of its own per test


def test_an_unknown_source_has_no_failures(counter, source):
    assert counter.count(source, WINDOW) == 0


def test_failures_are_counted_per_source_and_window(counter, source):
    assert [counter.record(source, WINDOW, expires_at=EXPIRES) for _ in range(3)] == [1, 2, 3]
    assert counter.count(source, WINDOW) == 3
    assert counter.count(source, WINDOW + dt.timedelta(minutes=1)) == 0
    assert counter.count(f"{source}-other", WINDOW) == 0


def test_concurrent_failures_are_all_counted(counter, source):
    threads = [
        threading.Thread(target=counter.record, args=(source, WINDOW), kwargs={"expires_at": EXPIRES})
        for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert counter.count(source, WINDOW) == 10


def test_the_counter_expires_with_its_window(stack, counter, source):
    counter.record(source, WINDOW, expires_at=EXPIRES)
    counter.record(source, WINDOW, expires_at=EXPIRES + dt.timedelta(hours=1))  # the first expiry is kept
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=stack.physical_id("ArbiterTable"),
        Key={"pk": {"S": keys.auth_failures_pk(source, WINDOW)}, "sk": {"S": keys.AUTH_FAILURES_SK}},
    )["Item"]
    assert item["pk"]["S"] == f"AUTHFAIL#{source}#2026-11-01T09:00:00Z"
    assert int(item["expires_at"]["N"]) == int(EXPIRES.timestamp())
    ttl = boto3.client("dynamodb", region_name="us-east-1").describe_time_to_live(
        TableName=stack.physical_id("ArbiterTable")
    )["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
