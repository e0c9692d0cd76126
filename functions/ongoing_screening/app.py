"""Matches a watchlist's new version against the monitored customers (S3 ObjectCreated under `watchlists/`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.services import ongoing_screening
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=4)
def deps(bucket: str) -> bootstrap.Dependencies:
    """Composition root, once per cold start (the bucket comes with each S3 event: the template cannot give this
    function the bucket's name, whose notification needs the function)."""
    settings = Settings.from_environ().model_copy(
        update={"documents_bucket": bucket, "watchlists_bucket": bucket}
    )
    return bootstrap.Dependencies(settings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 sends keys URL-encoded
        logger.append_keys(object_key=key)
        outcome = ongoing_screening.screen_list_update(deps(record["s3"]["bucket"]["name"]), key)
        logger.info("list update", extra={"outcome": vars(outcome)})
        outcomes.append({"key": key, "screened": outcome.screened, "opened": len(outcome.opened)})
    return {"lists": outcomes}
