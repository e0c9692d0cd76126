"""The automation machine's `IngestDocuments` step: copies the pages a case was sent by reference (remote URLs,
inline content, file ids) into the documents bucket, each sniffed, hashed, measured and thumbnailed.

A function of its own because a page's memory is its pixels (a 60-megapixel PNG decodes to some 500 MB): it is
sized for the largest page ingestion accepts, and `WorkflowTasksFunction`, which every automated case calls
several times, is sized for its own steps (docs/ARCHITECTURE.md, "Remote pages in a function of their own")."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races, traced
from arbiter.services import document_ingestion

logger = Logger()

deps = bootstrap.composition_root()  # the documents' adapters are built by the first step using them

TASKS = {"ingest_documents"}


@logger.inject_lambda_context
def handler(event: dict[str, Any], _: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, task=task.task)
    # A page uploaded meanwhile (IngestDocumentsFunction) may save the case between the step's read and its write.
    return rerun_lost_races(
        lambda: traced(task, document_ingestion.ingest_case_documents(deps(), task.tenant_id, task.case_id))
    )
