"""The SQS FIFO transaction queue against moto: ten messages a request, in order, one group per customer, one
message per transaction id (a repeat within the deduplication window is dropped)."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from arbiter.adapters.sqs import SqsTransactionQueue
from arbiter.domain.errors import TransientError
from arbiter.domain.transactions import QueuedTransaction, Transaction


def queued(number: int, customer: str = "cust-1") -> QueuedTransaction:
    return QueuedTransaction(
        tenant_id="acme",
        batch_id="batch_1",
        transaction=Transaction(
            id=f"tx-{number}",
            customer_id=customer,
            amount=Decimal("10.50"),
            currency="EUR",
            direction="outbound",
            type="transfer",
            time=dt.datetime(2026, 12, 6, 10, number % 60, tzinfo=dt.UTC),
        ),
    )


@pytest.fixture
def sqs(stack: Any) -> Any:
    # A client of its own: the stack's is shared (its queue pollers use it), and these tests hook into theirs.
    return boto3.client("sqs", region_name="us-east-1", endpoint_url=stack.moto_url)


@pytest.fixture
def offline_sqs() -> Any:
    """A client whose answers the test gives (Stubber): it never reaches a network."""
    return boto3.client("sqs", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    name = f"test-transactions-{secrets.token_hex(4)}.fifo"
    url: str = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    return url


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not messages:
            return found
        found += messages
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
        )


def test_a_batch_is_sent_ten_at_a_time_in_order_and_read_back_whole(sqs, queue_url):
    requests: list[int] = []
    sqs.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: requests.append(len(params["Entries"])),
    )
    messages = [queued(n, customer=f"cust-{n % 2}") for n in range(23)]
    SqsTransactionQueue(sqs, queue_url).enqueue(messages)
    assert requests == [10, 10, 3]
    bodies = received(sqs, queue_url)
    assert [QueuedTransaction.model_validate_json(m["Body"]) for m in bodies] == messages
    for message, sent in zip(bodies, messages, strict=True):
        assert message["Attributes"]["MessageGroupId"] == sent.group
        assert message["Attributes"]["MessageDeduplicationId"] == sent.deduplication_id


def test_the_same_transaction_queued_twice_is_one_message(sqs, queue_url):
    queue = SqsTransactionQueue(sqs, queue_url)
    queue.enqueue([queued(1), queued(2)])
    queue.enqueue([queued(2), queued(3)])
    assert [
        QueuedTransaction.model_validate_json(m["Body"]).transaction.id for m in received(sqs, queue_url)
    ] == [
        "tx-1",
        "tx-2",
        "tx-3",
    ]


def _answers(sqs: Any, *failed: list[dict[str, Any]]) -> Stubber:
    """SQS answering each SendMessageBatch with the next of `failed` (entries SQS did not take)."""
    stubber = Stubber(sqs)
    for entries in failed:
        stubber.add_response("send_message_batch", {"Successful": [], "Failed": entries})
    stubber.activate()
    return stubber


def _failure(number: int, sender: bool = False) -> dict[str, Any]:
    return {
        "Id": str(number),
        "SenderFault": sender,
        "Code": "InternalError",
        "Message": f"entry {number} refused",
    }


def test_entries_refused_for_a_passing_reason_are_sent_again(offline_sqs):
    sqs = offline_sqs
    stubber = _answers(sqs, [_failure(1)], [])
    SqsTransactionQueue(sqs, "https://queue.local/q.fifo").enqueue([queued(0), queued(1)])
    stubber.assert_no_pending_responses()


def test_entries_still_refused_after_the_resends_are_an_error_naming_them(offline_sqs):
    sqs = offline_sqs
    _answers(sqs, [_failure(1)], [_failure(1)], [_failure(1)])
    with pytest.raises(TransientError) as refused:
        SqsTransactionQueue(sqs, "https://queue.local/q.fifo").enqueue([queued(0), queued(1)])
    assert refused.value.context["refused"] == [1]


def test_entries_refused_as_the_senders_fault_are_an_error_at_once(offline_sqs):
    sqs = offline_sqs
    stubber = _answers(sqs, [_failure(0, sender=True)])
    with pytest.raises(TransientError) as refused:
        SqsTransactionQueue(sqs, "https://queue.local/q.fifo").enqueue([queued(0)])
    assert refused.value.context["refused"] == [0]
    stubber.assert_no_pending_responses()
