"""Use cases of batch ingestion: accept up to a thousand transactions at once, decide them from the queue.

A batch is checked whole before anything is queued (a bad item is a 422 naming it, and nothing of the batch is
queued), then every transaction becomes one message of a FIFO queue: grouped by tenant and customer, so one
customer's transactions are decided one after the other in the order sent, and deduplicated by tenant and
transaction id. The consumer decides each message with `decide_transaction`, which is idempotent per id: the
same transaction sent again (in a batch or alone) stays one transaction, counted once.

A batch's status (`batch_status`) is counted from one entry per transaction id: the decided transaction itself
(the store indexes it under its batch), a repeat entry when the id was decided before the batch, a failure entry
when it can never be decided (another body under a decided id). Redelivered messages rewrite the same entries,
so nothing is counted twice (docs/ARCHITECTURE.md, "Batch status", says what it costs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel

from arbiter.domain.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound
from arbiter.domain.principal import Principal
from arbiter.domain.transaction_batches import AlertEffect, Batch, BatchEntry, BatchStatus, batch_status
from arbiter.domain.transactions import (
    MAX_BATCH_TRANSACTIONS,
    DecidedTransaction,
    QueuedTransaction,
    Transaction,
    new_batch_id,
)
from arbiter.services.transactions import CLOCK_SKEW, TransactionDeps, decide_transaction

__all__ = [
    "BatchAccepted",
    "BatchDeps",
    "BatchStore",
    "TransactionQueue",
    "accept_batch",
    "decide_queued",
    "get_batch_status",
    "note_undecided",
    "record_decided",
]

#: Deliveries of one message before the queue moves it to the dead-letter queue (template.yaml: TransactionsQueue's
#: `maxReceiveCount`; a template test holds them equal).
MAX_RECEIVES = 5


class TransactionQueue(Protocol):
    """Where accepted transactions wait to be decided."""

    def enqueue(self, messages: Sequence[QueuedTransaction]) -> None:
        """Queue all of them (in order) or raise; a message already queued under its deduplication id is
        accepted and dropped by the queue."""


class BatchStore(Protocol):
    """Batches as accepted, and the entries their scoring leaves."""

    def create(self, batch: Batch) -> None:
        """Record a new batch."""

    def delete(self, tenant_id: str, batch_id: str) -> None:
        """Forget a batch none of whose transactions were queued."""

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """The batch, or None (also for another tenant's)."""

    def entries(self, tenant_id: str, batch_id: str) -> list[BatchEntry]:
        """Its entries: its decided transactions (as the transaction store recorded them with their batch id),
        its repeats and its failures."""

    def put_entry(self, tenant_id: str, batch_id: str, entry: BatchEntry) -> None:
        """Record a repeat or a failure (written over the same transaction's entry, if any)."""

    def put_decided(self, tenant_id: str, batch_id: str, entries: list[BatchEntry]) -> None:
        """Record transactions of the batch decided together (the same ones again: the same record)."""


class BatchDeps(TransactionDeps, Protocol):
    """The monitoring ports plus the queue and the batches."""

    @property
    def transaction_queue(self) -> TransactionQueue: ...
    @property
    def transaction_batches(self) -> BatchStore: ...


class BatchAccepted(BaseModel):
    """What a batch request is answered with: its id and how many transactions were queued."""

    batch_id: str
    accepted: int


def _checked(
    deps: TransactionDeps, transactions: Sequence[Transaction], repeats: dict[int, int] | None = None
) -> None:
    """InvalidInput naming the first item that cannot be queued (what the request's schema cannot see). An item
    under an id an earlier item has is refused, or, given `repeats`, recorded there (its index -> the first's)."""
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
        if tx.id in first_index and repeats is not None:
            repeats[index] = first_index[tx.id]
            continue
        if tx.id in first_index:
            raise InvalidInput(
                f"id {tx.id} is also transactions[{first_index[tx.id]}]'s: an id is one transaction",
                path=f"transactions[{index}].id",
            )
        first_index[tx.id] = index


def accept_batch(
    deps: BatchDeps,
    principal: Principal,
    transactions: Sequence[Transaction],
    repeats: dict[int, int] | None = None,
) -> BatchAccepted:
    """Check every transaction, then queue them all to be decided; nothing is queued when one is refused. Given
    `repeats`, an item under an id an earlier item of the batch has is not refused: it is left out of the batch and
    recorded there (its index -> the first's index), as Ballerine's bulk route answers it on its own."""
    _checked(deps, transactions, repeats)
    if repeats:
        transactions = [tx for index, tx in enumerate(transactions) if index not in repeats]
    batch = Batch(
        tenant_id=principal.tenant_id, id=new_batch_id(), accepted=len(transactions), created_at=deps.now()
    )
    # Recorded first: a status asked for as soon as the answer arrives finds the batch.
    deps.transaction_batches.create(batch)
    try:
        deps.transaction_queue.enqueue(
            [
                QueuedTransaction(tenant_id=principal.tenant_id, batch_id=batch.id, transaction=tx)
                for tx in transactions
            ]
        )
    except Exception:
        deps.transaction_batches.delete(batch.tenant_id, batch.id)
        raise
    return BatchAccepted(batch_id=batch.id, accepted=batch.accepted)


def decide_queued(deps: BatchDeps, body: str) -> DecidedTransaction | None:
    """Decide one queued transaction (a message's body) for the tenant that sent it; None when it can never be
    decided (recorded as the batch's failure, with why, and not retried).

    A body that is not a queued transaction raises (pydantic's ValidationError), and so does a passing failure:
    retried, then kept in the dead-letter queue, never dropped."""
    queued = QueuedTransaction.model_validate_json(body)
    integrator = Principal(kind="integrator", tenant_id=queued.tenant_id, id=f"batch:{queued.batch_id}")
    try:
        decided = decide_transaction(deps, integrator, queued.transaction, batch_id=queued.batch_id)
    except ConcurrentUpdate:
        raise  # passing: the history kept moving; the queue retries it
    except (Conflict, InvalidInput) as refused:
        # Permanent: another body under a decided id, or a transaction that cannot be decided as sent. Retrying
        # would only hold back the customer's later transactions (one ordering group) until the dead-letter queue.
        deps.transaction_batches.put_entry(
            queued.tenant_id,
            queued.batch_id,
            BatchEntry(transaction_id=queued.transaction.id, reason=str(refused)),
        )
        return None
    if decided.batch_id != queued.batch_id:
        # Decided before this batch (alone or in another one): the batch gets the stored decision, counted here.
        deps.transaction_batches.put_entry(
            queued.tenant_id,
            queued.batch_id,
            BatchEntry(transaction_id=decided.transaction.id, decision=decided.decision, repeat=True),
        )
    return decided


def record_decided(deps: BatchDeps, decided: Sequence[DecidedTransaction]) -> None:
    """What an invocation of the scoring function decided, listed once for all of it: under each batch (its
    status) and under each day (backtests). Called before the messages are let go: a failure here has the queue
    deliver them again, and the stored decisions are listed then."""
    by_batch: dict[tuple[str, str], list[BatchEntry]] = {}
    by_tenant: dict[str, list[DecidedTransaction]] = {}
    for one in decided:
        if one.batch_id is None:
            continue
        # A repeat of another batch's transaction is listed under that batch again: the same entry, counted once.
        by_tenant.setdefault(one.tenant_id, []).append(one)
        by_batch.setdefault((one.tenant_id, one.batch_id), []).append(
            BatchEntry(transaction_id=one.transaction.id, decision=one.decision, alert=_effect(deps, one))
        )
    for tenant_id, found in by_tenant.items():
        deps.transactions.index_by_day(tenant_id, found)
    for (tenant_id, batch_id), entries in by_batch.items():
        deps.transaction_batches.put_decided(tenant_id, batch_id, entries)


def _effect(deps: BatchDeps, decided: DecidedTransaction) -> AlertEffect:
    """What the transaction did to an alert: opened it (its first transaction), joined it, or none."""
    if decided.alert_id is None:
        return "none"
    alert = deps.transactions.get_alert(decided.tenant_id, decided.alert_id)
    return "opened" if alert is not None and alert.transaction_id == decided.transaction.id else "joined"


def note_undecided(deps: BatchDeps, body: str, error: Exception, receives: int) -> bool:
    """On a message's last delivery (`receives` of MAX_RECEIVES) that failed again: its batch's failure entry, so the
    batch's status names it and can finish; True when one was written. The message still goes to the dead-letter
    queue; sent back and decided, the decision outranks the failure."""
    if receives < MAX_RECEIVES:
        return False
    try:
        queued = QueuedTransaction.model_validate_json(body)
    except ValueError:
        return False  # not a queued transaction: no batch to tell
    reason = f"not decided after {receives} attempts ({type(error).__name__}: {error}); kept in the dead-letter queue"
    deps.transaction_batches.put_entry(
        queued.tenant_id, queued.batch_id, BatchEntry(transaction_id=queued.transaction.id, reason=reason)
    )
    return True


def get_batch_status(deps: BatchDeps, principal: Principal, batch_id: str) -> BatchStatus:
    """How far the caller's batch went, or NotFound (also for another tenant's)."""
    batch = deps.transaction_batches.get(principal.tenant_id, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id} not found", batch_id=batch_id)
    return batch_status(batch, deps.transaction_batches.entries(principal.tenant_id, batch_id))
