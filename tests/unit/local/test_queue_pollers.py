"""The local stack's SQS poller against moto's queues: Lambda's event shape, deletes what succeeded, leaves what
the function raised on or named in `batchItemFailures`, and the queue's redrive moves a message that keeps
failing to its dead-letter queue."""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest

from arbiter_local.provision import QueueMapping
from arbiter_local.queue_pollers import QueuePoller
from arbiter_local.runtime import InvocationError

MAX_RECEIVES = 3


@pytest.fixture
def sqs(stack: Any) -> Any:
    return boto3.client("sqs", region_name="us-east-1", endpoint_url=stack.moto_url)


def fifo_queue(sqs: Any) -> tuple[QueueMapping, str]:
    """A FIFO queue with a dead-letter queue (after MAX_RECEIVES receives): its mapping and the DLQ's URL."""
    suffix = secrets.token_hex(4)
    dlq = sqs.create_queue(QueueName=f"test-dlq-{suffix}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=f"test-source-{suffix}.fifo",
        Attributes={
            "FifoQueue": "true",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return QueueMapping(url, arn, "scorer", batch_size=10, report_item_failures=True), dlq


def send(sqs: Any, url: str, *bodies: str, group: str = "g1") -> None:
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": str(n),
                "MessageBody": b,
                "MessageGroupId": group,
                "MessageDeduplicationId": f"{group}-{b}",
            }
            for n, b in enumerate(bodies)
        ],
    )


def bodies(sqs: Any, url: str) -> list[str]:
    found = []
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
        "Messages", []
    )
    found += [m["Body"] for m in messages]
    return sorted(found)


class Function:
    """What the mapping invokes: records each event; fails the bodies in `failing` as told."""

    def __init__(self, failing: set[str] = frozenset(), raises: bool = False, answer: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.failing, self.raises, self.answer = failing, raises, answer

    def __call__(self, name: str, event: dict[str, Any]) -> Any:
        self.events.append(event)
        if self.raises:
            raise InvocationError({"errorType": "Boom", "errorMessage": "boom"})
        if self.answer is not None:
            return self.answer
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] in self.failing
            ]
        }


def test_the_function_gets_lambdas_sqs_event_and_what_succeeded_is_deleted(sqs):
    mapping, _dlq = fifo_queue(sqs)
    function = Function()
    send(sqs, mapping.queue_url, "a", "b", "c")
    assert QueuePoller(mapping, sqs, function, region="us-east-1").poll_once() == 3
    (event,) = function.events
    assert [r["body"] for r in event["Records"]] == ["a", "b", "c"]
    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == mapping.queue_arn
    assert record["attributes"]["MessageGroupId"] == "g1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert bodies(sqs, mapping.queue_url) == []


def test_only_the_messages_the_function_names_stay_in_the_queue(sqs):
    mapping, _dlq = fifo_queue(sqs)
    poller = QueuePoller(mapping, sqs, Function(failing={"b"}), region="us-east-1")
    send(sqs, mapping.queue_url, "a", "b", "c")
    poller.poll_once()
    assert bodies(sqs, mapping.queue_url) == ["b"]
    assert poller.failures[0]["reported"]


def test_a_function_that_raises_leaves_the_whole_batch(sqs):
    mapping, _dlq = fifo_queue(sqs)
    poller = QueuePoller(mapping, sqs, Function(raises=True), region="us-east-1")
    send(sqs, mapping.queue_url, "a", "b")
    poller.poll_once()
    assert bodies(sqs, mapping.queue_url) == ["a", "b"]
    assert poller.failures[0]["error"]["errorType"] == "Boom"


@pytest.mark.parametrize(
    "answer",
    [{"batchItemFailures": [{"itemIdentifier": "not-a-message-of-this-batch"}]}, {"batchItemFailures": [{}]}],
    ids=["unknown-id", "no-id"],
)
def test_an_answer_naming_no_message_of_the_batch_fails_it_whole(sqs, answer):
    mapping, _dlq = fifo_queue(sqs)
    send(sqs, mapping.queue_url, "a", "b")
    QueuePoller(mapping, sqs, Function(answer=answer), region="us-east-1").poll_once()
    assert bodies(sqs, mapping.queue_url) == ["a", "b"]


def test_without_report_batch_item_failures_an_answer_is_not_read(sqs):
    mapping, _dlq = fifo_queue(sqs)
    plain = QueueMapping(mapping.queue_url, mapping.queue_arn, "scorer", report_item_failures=False)
    send(sqs, mapping.queue_url, "a", "b")
    QueuePoller(plain, sqs, Function(failing={"a"}), region="us-east-1").poll_once()
    assert bodies(sqs, mapping.queue_url) == []


def test_a_message_that_keeps_failing_moves_to_the_dead_letter_queue(sqs):
    mapping, dlq = fifo_queue(sqs)
    function = Function(failing={"poison"})
    poller = QueuePoller(mapping, sqs, function, region="us-east-1")
    send(sqs, mapping.queue_url, "poison")
    send(sqs, mapping.queue_url, "fine", group="g2")
    for _ in range(MAX_RECEIVES + 1):
        poller.poll_once()
    assert bodies(sqs, dlq) == ["poison"]
    assert bodies(sqs, mapping.queue_url) == []
    delivered = [r["body"] for event in function.events for r in event["Records"]]
    assert delivered.count("poison") == MAX_RECEIVES
    assert delivered.count("fine") == 1
