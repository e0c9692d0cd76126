"""Scheduled: deletes the documents of decided cases once their tenant's retention period has passed."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository
from arbiter.services import retention
from arbiter.services.documents import DocumentDeps
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=1)
def deps() -> tuple[DocumentDeps, DynamoTenantRepository]:
    """Composition root, once per cold start."""
    settings = Settings.from_environ()
    return bootstrap.document_deps(settings), bootstrap.tenant_repository(settings)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    documents, tenants = deps()
    report = retention.apply_retention(documents, tenants.all())
    logger.info("retention applied", extra=report)
    return report
