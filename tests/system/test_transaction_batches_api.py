"""Batches over HTTP on the local stack: accepted at once (202), decided from the FIFO queue by the scoring
function through the stack's SQS poller, counted once per id across the batch and single paths; a bad item or
too many is a 422 naming it with nothing queued; a message that cannot be decided ends in the dead-letter queue
without holding back other customers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx

from arbiter.domain.transactions import QueuedTransaction
from tests.support.tenants import make_tenant
from tests.system.test_transactions_api import BASE, customer_count
from tests.waiting import wait_for


def item(number: int, customer: str, amount: float = 100.0, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"btx-{number}",
        "customer": {"id": customer},
        "amount": amount,
        "currency": "EUR",
        "direction": "outbound",
        "type": "transfer",
        "counterparty": {"name": f"Shop {number % 4}", "account": "", "country": "DE"},
        "time": (BASE + dt.timedelta(minutes=number)).isoformat().replace("+00:00", "Z"),
        "channel": "",  # Ballerine-style: empty strings for unused fields
        "unknown_field": "ignored",
        **fields,
    }


def queue_url(stack: Any, logical_id: str = "TransactionsQueue") -> str:
    return str(stack.physical_id(logical_id))


def queued_count(stack: Any, logical_id: str = "TransactionsQueue") -> int:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(stack, logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def decided(api: httpx.Client, transaction_id: str) -> dict[str, Any] | None:
    response = api.get(f"/v1/transactions/{transaction_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def each_decided(api: httpx.Client, ids: list[str]) -> Callable[[], dict[str, dict[str, Any]] | None]:
    """A check for `wait_for`: every transaction's view, once all are decided. The views found are kept, so a poll
    asks only for those not decided yet; one the key's rate refuses (429, as API Gateway throttles a key) is asked
    again at the next poll, as a client waits when throttled."""
    found: dict[str, dict[str, Any]] = {}

    def check() -> dict[str, dict[str, Any]] | None:
        for transaction_id in ids:
            if transaction_id in found:
                continue
            response = api.get(f"/v1/transactions/{transaction_id}")
            if response.status_code in (404, 429):
                return None
            assert response.status_code == 200, response.text
            found[transaction_id] = response.json()
        return found

    return check


def test_a_batch_of_50_for_3_customers_is_accepted_then_every_transaction_decided_and_counted_once(tenant):
    api = tenant.api()
    customers = ["alpha", "beta", "gamma"]
    batch = [item(n, customers[n % 3], amount=100 + n) for n in range(50)]
    # One of them was already decided alone: it stays one transaction.
    alone = api.post("/v1/transactions", json=batch[0])
    assert alone.status_code == 200, alone.text

    response = api.post("/v1/transactions/batch", json={"transactions": batch})
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["accepted"] == 50
    assert answer["batch_id"].startswith("batch_")

    ids = [t["id"] for t in batch]
    views = wait_for(
        each_decided(api, ids), timeout=60, interval=0.2, what="every transaction of the batch decided"
    )
    assert {v["decision"]["decision"] for v in views.values()} <= {"allow", "review", "block"}
    assert views["btx-0"]["decision"] == alone.json()
    # Each customer's history counted each of its transactions once (btx-0 alone and in the batch: once).
    assert customer_count(tenant, "alpha") == 17
    assert customer_count(tenant, "beta") == 17
    assert customer_count(tenant, "gamma") == 16
    # Sent again, alone or as a batch: nothing is counted again.
    again = api.post("/v1/transactions/batch", json={"transactions": batch[:10]})
    assert again.status_code == 202, again.text
    assert api.post("/v1/transactions", json=batch[1]).json() == views["btx-1"]["decision"]
    wait_for(lambda: queued_count(tenant.stack) == 0, timeout=30, what="the repeated batch consumed")
    assert customer_count(tenant, "alpha") == 17


def test_a_bad_item_is_a_422_naming_it_and_nothing_is_queued_or_decided(tenant):
    api = tenant.api()
    batch = [item(100 + n, "delta") for n in range(5)]
    batch[3]["amount"] = "lots"
    response = api.post("/v1/transactions/batch", json={"transactions": batch})
    assert response.status_code == 422, response.text
    assert "transactions[3].amount" in response.text
    batch[3]["amount"] = 10
    batch[4]["id"] = batch[1]["id"]
    response = api.post("/v1/transactions/batch", json={"transactions": batch})
    assert response.status_code == 422, response.text
    assert response.json()["path"] == "transactions[4].id"
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    response = api.post(
        "/v1/transactions/batch", json={"transactions": [batch[0], item(200, "delta", time=future)]}
    )
    assert response.status_code == 422, response.text
    assert response.json()["path"] == "transactions[1].time"
    for body in ({}, {"transactions": []}, {"transactions": "all of them"}):
        assert api.post("/v1/transactions/batch", json=body).status_code == 422
    assert all(decided(api, t["id"]) is None for t in batch)
    assert customer_count(tenant, "delta") == 0


def test_more_than_1000_transactions_is_a_422(tenant):
    batch = [item(n, "epsilon") for n in range(1001)]
    response = tenant.api().post("/v1/transactions/batch", json={"transactions": batch})
    assert response.status_code == 422, response.text
    assert "transactions" in response.text
    assert decided(tenant.api(), "btx-0") is None


def test_a_message_that_cannot_be_decided_goes_to_the_dead_letter_queue_and_others_are_decided(tenant):
    stack = tenant.stack
    sqs = stack.client("sqs")
    poison = "not a queued transaction"
    good = QueuedTransaction.model_validate(
        {
            "tenant_id": tenant.id,
            "batch_id": "batch_poison",
            "transaction": {
                "id": "btx-after-poison",
                "customer_id": "zeta",
                "amount": "10",
                "currency": "EUR",
                "direction": "inbound",
                "type": "card",
                "time": BASE.isoformat(),
            },
        }
    )
    # In one SendMessageBatch, so the poller most likely receives both in one batch (a partial failure).
    sqs.send_message_batch(
        QueueUrl=queue_url(stack),
        Entries=[
            {
                "Id": "0",
                "MessageBody": poison,
                "MessageGroupId": f"poison-{tenant.id}",
                "MessageDeduplicationId": f"p-{tenant.id}",
            },
            {
                "Id": "1",
                "MessageBody": good.model_dump_json(),
                "MessageGroupId": good.group,
                "MessageDeduplicationId": good.deduplication_id,
            },
        ],
    )
    wait_for(lambda: decided(tenant.api(), "btx-after-poison"), timeout=30, what="the good message decided")

    def dead_lettered() -> list[dict[str, Any]]:
        messages = sqs.receive_message(
            QueueUrl=queue_url(stack, "UndecidedTransactionsQueue"), MaxNumberOfMessages=10
        )
        found = [m for m in messages.get("Messages", []) if m["Body"] == poison]
        for message in messages.get("Messages", []):
            sqs.change_message_visibility(
                QueueUrl=queue_url(stack, "UndecidedTransactionsQueue"),
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=0,
            )
        return found

    wait_for(dead_lettered, timeout=60, what="the poison message in the dead-letter queue")
    failures = [f for poller in stack.queue_pollers for f in poller.failures]
    assert failures, "the scoring function's failures were not reported"
    assert json.dumps(failures)  # what /health shows is JSON


def batch_status(api: httpx.Client, batch_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/transactions/batches/{batch_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_batch_status_converges_to_its_counts_with_the_failure_named_and_is_not_another_tenants(
    tenant, stack
):
    api = tenant.api()
    # omega's 25,000 transfers open one large-amount alert (the later ones join it); kappa-99 was decided alone
    # with another amount, so the batch's copy of it can never be decided.
    batch = [item(n, "omega", amount=25000) for n in range(3)]
    batch += [item(10 + n, f"kappa-{n}", amount=40 + n) for n in range(46)]
    bad = item(99, "kappa-99", amount=10)
    assert api.post("/v1/transactions", json=bad).status_code == 200
    batch.append({**bad, "amount": 11})
    response = api.post("/v1/transactions/batch", json={"transactions": batch})
    assert response.status_code == 202, response.text
    batch_id = response.json()["batch_id"]

    first = batch_status(api, batch_id)  # found at once, counting what is decided so far
    assert first["accepted"] == 50
    assert first["scored"] + first["failed"] <= 50
    status = wait_for(
        lambda: (s := batch_status(api, batch_id))["done"] and s, timeout=90, what="the batch's status done"
    )
    assert status["scored"] == 49
    assert status["failed"] == 1
    assert status["failures"][0]["transaction_id"] == bad["id"]
    assert "amount" in status["failures"][0]["reason"]
    assert status["decisions"]["allow"] == 46
    assert status["decisions"]["review"] + status["decisions"]["block"] == 3
    assert status["alerts_opened"] == 1
    assert status["repeats"] == 0
    assert decided(api, bad["id"])["amount"] == "10"  # the stored one untouched

    assert make_tenant(stack).api().get(f"/v1/transactions/batches/{batch_id}").status_code == 404
    assert api.get("/v1/transactions/batches/batch_unknown").status_code == 404
