"""Transaction monitoring routes (`/v1/transactions`): decide a transaction, read a decided one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router

from arbiter.api.openapi import responses
from arbiter.api.transaction_schemas import (
    TransactionDecisionView,
    TransactionRequest,
    TransactionView,
    decision_view,
    transaction_view,
)
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services import transactions

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
