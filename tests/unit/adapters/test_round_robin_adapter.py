"""Round-robin turns in DynamoDB, against the local stack's moto: turns count up per tenant and queue, an event
that claims a turn twice (the bus delivered it twice) gets the same turn and the counter moves once, and cases
entering review at once each get a turn of their own."""

from __future__ import annotations

import secrets
import threading

import boto3
import pytest

from arbiter.adapters.dynamodb.round_robin import DynamoRoundRobin


@pytest.fixture
def counter(stack) -> DynamoRoundRobin:
    return DynamoRoundRobin(
        boto3.client("dynamodb", region_name="us-east-1"), stack.physical_id("ArbiterTable")
    )


@pytest.fixture
def tenant_id() -> str:
    return f"rr-{secrets.token_hex(4)}"  # a counter of its own per test


def test_turns_count_up_per_tenant_and_queue(counter, tenant_id):
    assert [counter.next_turn(tenant_id, "kyc", f"event-{n}") for n in range(3)] == [1, 2, 3]
    assert counter.next_turn(tenant_id, "kyb", "event-0") == 1
    assert counter.next_turn(f"{tenant_id}-other", "kyc", "event-9") == 1


def test_the_same_event_claims_its_turn_once(counter, tenant_id):
    assert counter.next_turn(tenant_id, "kyc", "event-a") == 1
    assert counter.next_turn(tenant_id, "kyc", "event-a") == 1
    assert counter.next_turn(tenant_id, "kyc", "event-b") == 2


def _at_once(calls: list) -> list[int]:
    results: list[int] = [0] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_copies_of_an_event_at_once_take_one_turn(counter, tenant_id):
    got = _at_once([lambda: counter.next_turn(tenant_id, "kyc", "event-twice")] * 4)
    assert got == [1, 1, 1, 1]
    assert counter.next_turn(tenant_id, "kyc", "event-next") == 2


def test_different_cases_at_once_get_different_turns(counter, tenant_id):
    got = _at_once([lambda n=n: counter.next_turn(tenant_id, "kyc", f"event-{n}") for n in range(5)])
    assert sorted(got) == [1, 2, 3, 4, 5]
