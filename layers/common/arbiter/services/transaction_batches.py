"""Use cases of batch ingestion: accept up to a thousand transactions at once, decide them from the queue.

A batch is checked whole before anything is queued (a bad item is a 422 naming it, and nothing of the batch is
queued), then every transaction becomes one message of a FIFO queue: grouped by tenant and customer, so one
customer's transactions are decided one after the other in the order sent, and deduplicated by tenant and
transaction id. The consumer decides each message with `decide_transaction`, which is idempotent per id: the
same transaction sent again (in a batch or alone) stays one transaction, counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.domain.transactions import (
    MAX_BATCH_TRANSACTIONS,
    DecidedTransaction,
    QueuedTransaction,
    Transaction,
    new_batch_id,
)
from arbiter.services.transactions import CLOCK_SKEW, TransactionDeps, decide_transaction

__all__ = ["BatchAccepted", "BatchDeps", "TransactionQueue", "accept_batch", "decide_queued"]


class TransactionQueue(Protocol):
    """Where accepted transactions wait to be decided."""

    def enqueue(self, messages: Sequence[QueuedTransaction]) -> None:
        """Queue all of them (in order) or raise; a message already queued under its deduplication id is
        accepted and dropped by the queue."""


class BatchDeps(TransactionDeps, Protocol):
    """The monitoring ports plus the queue."""

    @property
    def transaction_queue(self) -> TransactionQueue: ...


class BatchAccepted(BaseModel):
    """What a batch request is answered with: its id and how many transactions were queued."""

    batch_id: str
    accepted: int


def _checked(deps: TransactionDeps, transactions: Sequence[Transaction]) -> None:
    """InvalidInput naming the first item that cannot be queued (what the request's schema cannot see)."""
    if not transactions:
        raise InvalidInput("a batch holds at least one transaction", path="transactions")
    if len(transactions) > MAX_BATCH_TRANSACTIONS:
        raise InvalidInput(
            f"a batch holds at most {MAX_BATCH_TRANSACTIONS} transactions ({len(transactions)} sent)",
            path="transactions",
        )
    latest = deps.now() + CLOCK_SKEW
    first_index: dict[str, int] = {}
    for index, tx in enumerate(transactions):
        if tx.time > latest:
            raise InvalidInput("time is in the future", path=f"transactions[{index}].time")
        # Refused, not merged: two items under one id are either a mistake in the batch or two different
        # transactions, and only one of them could be decided; the caller must say which.
        if tx.id in first_index:
            raise InvalidInput(
                f"id {tx.id} is also transactions[{first_index[tx.id]}]'s: an id is one transaction",
                path=f"transactions[{index}].id",
            )
        first_index[tx.id] = index


def accept_batch(deps: BatchDeps, principal: Principal, transactions: Sequence[Transaction]) -> BatchAccepted:
    """Check every transaction, then queue them all to be decided; nothing is queued when one is refused."""
    _checked(deps, transactions)
    batch_id = new_batch_id()
    deps.transaction_queue.enqueue(
        [
            QueuedTransaction(tenant_id=principal.tenant_id, batch_id=batch_id, transaction=tx)
            for tx in transactions
        ]
    )
    return BatchAccepted(batch_id=batch_id, accepted=len(transactions))


def decide_queued(deps: TransactionDeps, body: str) -> DecidedTransaction:
    """Decide one queued transaction (a message's body) for the tenant that sent it.

    A body that is not a queued transaction raises (pydantic's ValidationError): retried, then kept in the
    dead-letter queue, never dropped."""
    queued = QueuedTransaction.model_validate_json(body)
    integrator = Principal(kind="integrator", tenant_id=queued.tenant_id, id=f"batch:{queued.batch_id}")
    return decide_transaction(deps, integrator, queued.transaction)
