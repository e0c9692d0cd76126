"""Admin API for monitoring backtests: answered in the request (`POST /v1/admin/transactions/backtest`, up to
2,000 transactions) or run as a job (`POST /v1/admin/transactions/backtests`, up to 10,000, then
`GET /v1/admin/transactions/backtests/{id}`); a router the reviewers' function includes; the services check the
admin role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.services.transaction_backtest_jobs import BacktestJob, get_backtest_job, start_backtest_job
from arbiter.services.transaction_backtests import TransactionBacktest, backtest_transactions

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_transaction_backtests_router"]


class TransactionBacktestRequest(BaseModel):
    """A monitoring rule set version (`version`, saved) or draft (`rule_set`, not saved), and a time range."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"version": 2, "start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}]
        },
    )

    start: dt.datetime = Field(description="Transactions whose time is at or after this (with a time zone)")
    end: dt.datetime = Field(description="… and before this")
    version: int | None = Field(
        default=None, ge=1, description="A saved version of the transaction-monitoring rule set"
    )
    rule_set: dict[str, Any] | None = Field(
        default=None, description="Or a rule set not saved (the body POST /v1/admin/rule-sets takes)"
    )


def admin_transaction_backtests_router(
    deps: Callable[[], Dependencies], caller: Callable[[], Principal]
) -> Router:
    """The backtest route, bound to the including function's dependencies and authenticated caller."""
    router = Router()

    @router.post(
        "/v1/admin/transactions/backtest",
        summary="Re-score stored transactions of a time range with a monitoring rule set version or draft",
        operation_id="backtestTransactions",
        tags=["admin"],
        responses=responses(403, 404),
    )
    def backtest(body: TransactionBacktestRequest) -> TransactionBacktest:
        return backtest_transactions(
            deps(), caller(), start=body.start, end=body.end, version=body.version, rule_set=body.rule_set
        )

    @router.post(
        "/v1/admin/transactions/backtests",
        summary="Start a backtest as a job (up to 10,000 transactions); read it at its id until it has ended",
        operation_id="startTransactionBacktestJob",
        tags=["admin"],
        responses=responses(403, 404, status=202, description="The job is queued"),
    )
    def start_job(body: TransactionBacktestRequest) -> Response[BacktestJob]:
        job = start_backtest_job(
            deps(), caller(), start=body.start, end=body.end, version=body.version, rule_set=body.rule_set
        )
        return Response(
            status_code=202,
            content_type=content_types.APPLICATION_JSON,
            body=job,
            headers={"Location": f"/v1/admin/transactions/backtests/{job.id}"},
        )

    @router.get(
        "/v1/admin/transactions/backtests/<job_id>",
        summary="A backtest job: queued, running, succeeded (with its result) or failed (with why)",
        operation_id="getTransactionBacktestJob",
        tags=["admin"],
        responses=responses(403, 404),
    )
    def get_job(job_id: str) -> BacktestJob:
        return get_backtest_job(deps(), caller(), job_id)

    return router
