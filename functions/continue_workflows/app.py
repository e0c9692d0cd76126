"""Carries out the workflow continuations case changes wrote to the table (the outbox): start an execution, resume
a waiting step. The table's stream invokes it; what fails is retried by the stream until Step Functions takes it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.services.continuations import continue_from_outbox

logger = Logger()
deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    retry = continue_from_outbox(deps(), event.get("Records", []), inflate=deps().outbox_inflate)
    if retry:
        logger.warning(
            "continuations not carried out yet; the stream will retry them", extra={"count": len(retry)}
        )
    # Partial batch response: the stream retries from the first failed record (ReportBatchItemFailures).
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in retry]}
