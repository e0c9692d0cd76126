"""Admin API for full re-screens of a watchlist (`/v1/admin/monitoring/rescreens`): start one (every monitored
customer the list applies to, against the whole list, on the full re-screen state machine) and follow it."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.services import full_rescreen
from arbiter.services.ports import RescreenRun

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_rescreens_router"]


class RescreenRequest(BaseModel):
    list: str = Field(
        min_length=1,
        max_length=1024,
        description="The list's key in the watchlists bucket, as the workflows' sanctions checks name it "
        "(`watchlists/default/targets.simple.csv`, or the tenant's own list)",
    )
    shard_size: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Monitored customers per shard (each shard one child execution); default: the deployment's "
        "setting (1,000)",
    )


class RescreenView(BaseModel):
    """A full re-screen: its state and, once it ended, its totals for the caller's tenant (a run of the default list
    spans every tenant without a list of its own)."""

    id: str = Field(description="The run's id (its execution's name)")
    list: str
    status: Literal["running", "succeeded", "failed"]
    started_at: dt.datetime
    stopped_at: dt.datetime | None = None
    shards: int | None = Field(
        default=None, description="Shards screened, every tenant's (each a child execution)"
    )
    failed_shards: builtins.list[dict[str, Any]] | None = Field(
        default=None, description="This tenant's shards whose task failed: their range, error and cause"
    )
    screened: int | None = Field(
        default=None, description="This tenant's monitored customers screened (switched on)"
    )
    hits: int | None = Field(default=None, description="This tenant's hits")
    cleared: int | None = Field(
        default=None, description="This tenant's hits the parties' clearances cleared"
    )
    opened: int | None = Field(
        default=None, description="This tenant's monitoring cases opened (a hit raised before opens none)"
    )
    fingerprints_kept: bool | None = Field(
        default=None, description="Whether the list's fingerprints were kept (the next update is a delta)"
    )
    error: str | None = Field(default=None, description="Why a failed run failed")


def _view(run: RescreenRun) -> RescreenView:
    summary = run.summary or {}
    totals = {k: summary.get(k) for k in ("shards", "failed_shards", "screened", "hits", "cleared", "opened")}
    return RescreenView(
        id=run.id,
        list=run.list,
        status=run.status,
        started_at=run.started_at,
        stopped_at=run.stopped_at,
        fingerprints_kept=summary.get("fingerprints_kept"),
        error=run.error,
        **totals,
    )


def admin_rescreens_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The full re-screen routes, bound to the including function's dependencies and its authenticated reviewer."""
    router = Router()
    tags = ["admin"]

    @router.post(
        "/v1/admin/monitoring/rescreens",
        summary="Start a full re-screen of a watchlist: every monitored customer it applies to, against all of it",
        operation_id="startRescreen",
        tags=tags,
        responses=responses(403, 409, 422, status=202, description="Started: follow it by its id"),
    )
    def start(body: RescreenRequest) -> Response[RescreenView]:
        run = full_rescreen.start_rescreen(deps(), caller(), body.list, shard_size=body.shard_size)
        return Response(
            202,
            content_types.APPLICATION_JSON,
            _view(run),
            headers={"Location": f"/v1/admin/monitoring/rescreens/{run.id}"},
        )

    @router.get(
        "/v1/admin/monitoring/rescreens/<rescreen_id>",
        summary="A full re-screen's status and, once it ended, its totals",
        operation_id="getRescreen",
        tags=tags,
        responses=responses(403, 404),
    )
    def status(rescreen_id: str) -> RescreenView:
        return _view(full_rescreen.rescreen_status(deps(), caller(), rescreen_id))

    return router
