"""Step Functions tasks that move a case through its states: review, decisions, owners' cases, failures."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races
from arbiter.services import document_ingestion, workflow_steps
from arbiter.services.cases import CaseDeps
from arbiter.services.documents import DocumentDeps
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=1)
def deps() -> CaseDeps:
    """Composition root, once per cold start."""
    return bootstrap.case_deps(Settings.from_environ())


@lru_cache(maxsize=1)
def document_deps() -> DocumentDeps:
    """The documents bucket and the remote-page fetcher, only for the ingest step."""
    return bootstrap.document_deps(Settings.from_environ(), cases=deps())


def _ingest(d: CaseDeps, task: TaskInput) -> Any:
    return document_ingestion.ingest_case_documents(document_deps(), task.tenant_id, task.case_id)


TASKS: dict[str, Callable[[CaseDeps, TaskInput], Any]] = {
    "ingest_documents": _ingest,
    "await_review": lambda d, t: workflow_steps.await_review(d, t.tenant_id, t.case_id, t.require_token()),
    "await_resubmission": lambda d, t: workflow_steps.await_resubmission(
        d, t.tenant_id, t.case_id, t.require_token()
    ),
    "start_owner_cases": lambda d, t: workflow_steps.start_owner_cases(
        d, t.tenant_id, t.case_id, t.require_token()
    ),
    "record_automatic_decision": lambda d, t: workflow_steps.record_automatic_decision(
        d, t.tenant_id, t.case_id, t.recommendation or "review"
    ),
    "record_failure": lambda d, t: workflow_steps.record_failure(d, t.tenant_id, t.case_id, t.error),
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, task=task.task)
    # A page arriving (the ingestion function) may save the case between a step's read and its write.
    return rerun_lost_races(lambda: TASKS[task.task](deps(), task))
