"""Checks each page an integrator uploads with a presigned POST (S3 ObjectCreated under `uploads/`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.services import document_ingestion
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=4)
def deps(bucket: str) -> bootstrap.Dependencies:
    """Composition root, once per cold start (the bucket is the one the event names: the template cannot
    give this function the bucket's name, whose notification needs the function)."""
    settings = Settings.from_environ().model_copy(update={"documents_bucket": bucket})
    return bootstrap.Dependencies(settings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    ingested = 0
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 sends keys URL-encoded
        logger.append_keys(object_key=key)
        if document_ingestion.ingest_uploaded_object(deps(record["s3"]["bucket"]["name"]), key) is not None:
            ingested += 1
    return {"ingested": ingested}
