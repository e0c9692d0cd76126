"""Transaction monitoring routes (`/v1/transactions`): decide a transaction, queue a batch, read a decided one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from arbiter.api.openapi import responses
from arbiter.api.transaction_schemas import (
    BatchAcceptedView,
    BatchStatusView,
    TransactionBatchRequest,
    TransactionDecisionView,
    TransactionRequest,
    TransactionView,
    decision_view,
    transaction_view,
)
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import transaction_batches, transactions

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["transactions_router"]


def transactions_router(
    deps: Callable[[], Dependencies], caller: Callable[[], tuple[Principal, Tenant]]
) -> Router:
    """The monitoring routes, bound to the function's dependencies and to its authenticated caller."""
    router = Router()
    tags = ["transactions"]

    @router.post(
        "/v1/transactions",
        summary="Decide a transaction (allow, review, block)",
        operation_id="decideTransaction",
        tags=tags,
        responses=responses(409, description="The decision (the same one every time this id is sent)"),
    )
    def decide(body: TransactionRequest) -> TransactionDecisionView:
        principal, _tenant = caller()
        return decision_view(transactions.decide_transaction(deps(), principal, body.transaction()))

    @router.post(
        "/v1/transactions/batch",
        summary="Queue up to 1,000 transactions to decide (asynchronously, in order per customer)",
        operation_id="queueTransactionBatch",
        tags=tags,
        responses=responses(status=202, description="Accepted: every transaction was checked and queued"),
    )
    def queue_batch(body: TransactionBatchRequest) -> Response[BatchAcceptedView]:
        principal, _tenant = caller()
        accepted = transaction_batches.accept_batch(
            deps(), principal, [item.transaction() for item in body.transactions]
        )
        return Response(
            status_code=202, content_type="application/json", body=BatchAcceptedView(**accepted.model_dump())
        )

    @router.get(
        "/v1/transactions/batches/<batch_id>",
        summary="How far a batch's scoring went (decisions by kind, alerts opened, failures, done)",
        operation_id="getTransactionBatch",
        tags=tags,
        responses=responses(404),
    )
    def batch_status(batch_id: str) -> BatchStatusView:
        principal, _tenant = caller()
        status = transaction_batches.get_batch_status(deps(), principal, batch_id)
        return BatchStatusView.model_validate(status.model_dump())

    @router.get(
        "/v1/transactions/<transaction_id>",
        summary="A decided transaction",
        operation_id="getTransaction",
        tags=tags,
        responses=responses(404),
    )
    def get(transaction_id: str) -> TransactionView:
        principal, _tenant = caller()
        return transaction_view(transactions.get_transaction(deps(), principal, transaction_id))

    return router
