"""Decides the transactions batches queued (the FIFO queue's event source mapping), in order per customer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.domain.transactions import DecidedTransaction
from arbiter.services.transaction_batches import decide_queued, note_undecided, record_decided

logger = Logger()

deps = bootstrap.composition_root()

# FIFO: a record that fails fails the later ones of its group (its customer) too, reported and not decided, so the
# next attempt decides that customer's transactions in the order they were sent; other customers go on.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
#: What this invocation decided, listed under its batches and days once all of it is done.
decided_here: list[DecidedTransaction] = []


def decide_record(record: SQSRecord) -> None:
    try:
        decided = decide_queued(deps(), record.body)
    except Exception as error:
        # Raised again whatever happens: the queue retries it, then keeps it in the dead-letter queue.
        note_undecided(deps(), record.body, error, int(record.attributes.approximate_receive_count or 0))
        raise
    if decided is None:
        logger.warning(
            "transaction cannot be decided (a failure of its batch)", extra={"message_id": record.message_id}
        )
    else:
        decided_here.append(decided)
        logger.debug(
            "transaction decided", extra={"decision": decided.decision, "message_id": record.message_id}
        )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    # ReportBatchItemFailures: only the failed messages (and those behind them) are received again, then kept
    # in the dead-letter queue once the queue's maxReceiveCount is reached.
    decided_here.clear()
    answer = process_partial_response(
        event=event, record_handler=decide_record, processor=processor, context=context
    )
    # One write per batch and per day for all of them (their statuses, backtests), before the queue lets the
    # messages go: if it fails, the invocation fails, every message comes again and is answered as stored.
    record_decided(deps(), decided_here)
    return answer
