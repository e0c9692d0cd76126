"""Sending to a moto FIFO queue skips the per-message counts, and the queue answers as before: deduplication,
ordering within a group, and the counts GetQueueAttributes reports."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Queue

from arbiter_local.moto_queues import MotoQueues


@pytest.fixture
def queues() -> Any:
    patches = MotoQueues()
    with mock_aws():
        patches.install()
        try:
            yield boto3.client("sqs", region_name="us-east-1")
        finally:
            patches.uninstall()


def counts(client: Any, url: str) -> dict[str, str]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    return client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]


def test_a_fifo_queue_deduplicates_orders_and_counts_as_before(queues: Any) -> None:
    url = queues.create_queue(QueueName="tx.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for batch in range(3):
        entries = [
            {
                "Id": str(n),
                "MessageBody": f"m{batch}-{n}",
                "MessageGroupId": f"g{n % 2}",
                "MessageDeduplicationId": f"d{batch}-{n}",
            }
            for n in range(10)
        ]
        assert len(queues.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 10
    again = queues.send_message(
        QueueUrl=url, MessageBody="m0-0 again", MessageGroupId="g0", MessageDeduplicationId="d0-0"
    )
    assert again["MessageId"]
    assert counts(queues, url) == {
        "ApproximateNumberOfMessages": "30",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }

    received = queues.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    bodies = [m["Body"] for m in received]
    assert "m0-0 again" not in bodies
    group0 = [b for b in bodies if int(b.split("-")[1]) % 2 == 0]
    assert group0 == sorted(group0, key=lambda b: (b[1], int(b.split("-")[1])))
    assert counts(queues, url) == {
        "ApproximateNumberOfMessages": str(30 - len(received)),
        "ApproximateNumberOfMessagesNotVisible": str(len(received)),
    }


def test_a_fifo_message_without_a_deduplication_id_is_still_refused(queues: Any) -> None:
    url = queues.create_queue(QueueName="strict.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(queues.exceptions.ClientError, match="ContentBasedDeduplication"):
        queues.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")


def test_uninstall_restores_moto_s_own_counts() -> None:
    before = Queue.__dict__["approximate_number_of_messages"]
    patches = MotoQueues()
    patches.install()
    assert Queue.__dict__["approximate_number_of_messages"] is not before
    patches.uninstall()
    assert Queue.__dict__["approximate_number_of_messages"] is before
