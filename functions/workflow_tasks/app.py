"""Step Functions tasks that move a case through its states: the automated part (documents, checks, owners'
cases, rules, decision), review, resubmission, failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races
from arbiter.services import automation, workflow_steps

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

logger = Logger()


deps = bootstrap.composition_root()  # the checks, rules and documents are built by the first step using them


def _decide(d: Dependencies, t: TaskInput, context: LambdaContext) -> str:
    # The checks get what remains of the invocation, less a margin to store their results and decide.
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 15)
    return automation.decide(d, t.tenant_id, t.case_id, t.require_token(), check_budget=budget)


def _ingest(d: Dependencies, t: TaskInput, _: LambdaContext) -> Any:
    from arbiter.services import document_ingestion

    return document_ingestion.ingest_case_documents(d, t.tenant_id, t.case_id)


TASKS: dict[str, Callable[[Dependencies, TaskInput, LambdaContext], Any]] = {
    "ingest_documents": _ingest,  # the manual-review workflow's first step
    "decide": _decide,
    "decide_after_owners": lambda d, t, _: automation.decide_after_owners(
        d, t.tenant_id, t.case_id, t.require_token()
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
