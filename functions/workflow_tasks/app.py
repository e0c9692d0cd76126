"""Step Functions tasks that move a case through its states: the automated part (documents, checks, owners'
cases, rules, decision), review, resubmission, failures."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races
from arbiter.services import automation, workflow_steps
from arbiter.services.cases import CaseDeps
from arbiter.settings import Settings

logger = Logger()


@lru_cache(maxsize=1)
def deps() -> CaseDeps:
    """Composition root, once per cold start."""
    return bootstrap.case_deps(Settings.from_environ())


@lru_cache(maxsize=1)
def document_deps() -> Any:
    """The documents bucket and the remote-page fetcher, only for a case with pages to copy."""
    return bootstrap.document_deps(Settings.from_environ(), cases=deps())


@lru_cache(maxsize=1)
def automation_deps() -> automation.AutomationDeps:
    """The checks (plugins), the rules and the documents bucket: only the `decide` steps build them."""
    settings = Settings.from_environ()
    return automation.AutomationDeps(
        cases=deps(),
        checks=bootstrap.check_runner(settings),
        assessor=bootstrap.assessor(settings),
        documents=document_deps,
    )


def _decide(d: CaseDeps, t: TaskInput, context: LambdaContext) -> str:
    # The checks get what remains of the invocation, less a margin to store their results and decide.
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 15)
    return automation.decide(
        automation_deps(), t.tenant_id, t.case_id, t.require_token(), check_budget=budget
    )


def _ingest(d: CaseDeps, t: TaskInput, _: LambdaContext) -> Any:
    from arbiter.services import document_ingestion

    return document_ingestion.ingest_case_documents(document_deps(), t.tenant_id, t.case_id)


TASKS: dict[str, Callable[[CaseDeps, TaskInput, LambdaContext], Any]] = {
    "ingest_documents": _ingest,  # the manual-review workflow's first step
    "decide": _decide,
    "decide_after_owners": lambda d, t, _: automation.decide_after_owners(
        automation_deps(), t.tenant_id, t.case_id, t.require_token()
    ),
    "await_review": lambda d, t, _: workflow_steps.await_review(d, t.tenant_id, t.case_id, t.require_token()),
    "await_resubmission": lambda d, t, _: workflow_steps.await_resubmission(
        d, t.tenant_id, t.case_id, t.require_token()
    ),
    "record_failure": lambda d, t, _: workflow_steps.record_failure(d, t.tenant_id, t.case_id, t.error),
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, task=task.task)
    # A page arriving (the ingestion function) may save the case between a step's read and its write.
    return rerun_lost_races(lambda: TASKS[task.task](deps(), task, context))
