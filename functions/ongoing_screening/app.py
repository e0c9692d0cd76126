"""The customer lifecycle after onboarding: matches a watchlist's new version against the monitored customers (S3
ObjectCreated under `watchlists/`), runs the tasks of a full re-screen (the full re-screen state machine's
`{"rescreen": "plan" | "shard" | "finish", …}`), and, once a day (a schedule), opens the periodic reviews that are
due."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.domain.errors import InvalidInput
from arbiter.services import full_rescreen, ongoing_screening, periodic_reviews
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=4)
def deps(bucket: str | None) -> bootstrap.Dependencies:
    """Composition root, once per cold start (the bucket comes with each S3 event: the template cannot give this
    function the bucket's name, whose notification needs the function; the daily reviews read no bucket)."""
    settings = Settings.from_environ()
    if bucket is not None:
        settings = settings.model_copy(update={"documents_bucket": bucket, "watchlists_bucket": bucket})
    return bootstrap.Dependencies(settings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "rescreen" in event:
        return _rescreen_task(event)
    if "Records" not in event:
        return _periodic_reviews(event)
    outcomes = []
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 sends keys URL-encoded
        logger.append_keys(object_key=key)
        outcome = ongoing_screening.screen_list_update(deps(record["s3"]["bucket"]["name"]), key)
        logger.info("list update", extra={"outcome": vars(outcome)})
        outcomes.append({"key": key, "screened": outcome.screened, "opened": len(outcome.opened)})
    return {"lists": outcomes}


def _rescreen_task(event: dict[str, Any]) -> dict[str, Any]:
    """One task of a full re-screen; the machine's input names the bucket (as an S3 event does)."""
    step, key, run_deps = event["rescreen"], str(event["list"]), deps(str(event["bucket"]))
    logger.remove_keys(["object_key"])  # a warm instance's last list update is not this task's
    logger.append_keys(rescreen_id=event.get("rescreen_id"), list=key)
    if step == "plan":
        plan = full_rescreen.plan_rescreen(
            run_deps, str(event["rescreen_id"]), key, shard_size=int(event["shard_size"])
        )
        return vars(plan)
    if step == "shard":
        shard = full_rescreen.Shard(**event["shard"])
        outcome = full_rescreen.screen_shard(run_deps, key, shard)
        logger.info("shard screened", extra={"outcome": vars(outcome)})
        return vars(outcome)
    if step == "finish":
        summary = full_rescreen.finish_rescreen(run_deps, key, str(event["etag"]), list(event["shards"]))
        return vars(summary)
    raise InvalidInput(f"unknown full re-screen step {step!r}", path="rescreen")


def _periodic_reviews(event: dict[str, Any]) -> dict[str, Any]:
    """The schedule's event (its `time` is the day reviewed) or an operator's `{"date": "YYYY-MM-DD"}`, for every
    tenant or one (`"tenant_id"`)."""
    tenant_id = event.get("tenant_id")
    run = periodic_reviews.open_due_reviews(
        deps(None), _day(event), tenant_id=str(tenant_id) if tenant_id else None
    )
    summary = {**vars(run), "day": run.day.isoformat(), "opened": len(run.opened)}
    logger.info("periodic reviews", extra=summary)
    return {"reviews": summary}


def _day(event: dict[str, Any]) -> dt.date:
    if event.get("date") is not None:
        try:
            return dt.date.fromisoformat(str(event["date"]))
        except ValueError as exc:
            raise InvalidInput("date is a day, YYYY-MM-DD", path="date") from exc
    if event.get("time"):
        return dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")).date()
    return dt.datetime.now(dt.UTC).date()
