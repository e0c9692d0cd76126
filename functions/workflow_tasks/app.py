"""Step Functions tasks that move a case through its states: the automated part's steps on the Express machine
(plan, owners' cases, decision; its pages are copied by IngestCaseDocumentsFunction), and the Standard machines'
waits (review, owners, resubmission) and failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import (
    TaskInput,
    automation_run,
    owners_failure,
    rerun_lost_races,
    run_assessment,
    run_deferred_checks,
    store_held,
    traced,
)
from arbiter.domain.errors import InvalidInput
from arbiter.services import automation, workflow_steps

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

logger = Logger()


deps = bootstrap.composition_root()  # the checks, rules and documents are built by the first step using them


def _budget(context: LambdaContext) -> float:
    """What remains of the invocation for an owner's checks, less a margin to store their results and decide."""
    return max(1.0, context.get_remaining_time_in_millis() / 1000 - 15)


def _ingest(d: Dependencies, t: TaskInput, _: LambdaContext) -> Any:
    from arbiter.services import document_ingestion

    return traced(t, document_ingestion.ingest_case_documents(d, t.tenant_id, t.case_id))


def _owner(d: Dependencies, t: TaskInput, context: LambdaContext) -> Any:
    if t.owner is None:
        raise InvalidInput("automate_owner needs owner ($$.Map.Item.Value)", path="owner")
    result = automation.automate_owner(d, t.tenant_id, t.case_id, t.owner, check_budget=_budget(context))
    return traced(t, result, item=f"owner {t.owner}")


def _conclude(d: Dependencies, t: TaskInput, _: LambdaContext) -> Any:
    store_held(d, t)
    return traced(
        t,
        automation.conclude(
            d, t.tenant_id, t.case_id, automation_run(t), run_assessment(t), run_deferred_checks(t)
        ),
    )


def _failure(d: Dependencies, t: TaskInput, _: LambdaContext) -> Any:
    store_held(d, t)
    run = automation_run(t) if t.run is not None else None
    # An owner's case that failed: its own error (the machine's OwnersError names only that one failed).
    workflow_steps.record_failure(d, t.tenant_id, t.case_id, owners_failure(t) or t.error, run)
    return traced(t, None)


TASKS: dict[str, Callable[[Dependencies, TaskInput, LambdaContext], Any]] = {
    # the Express automation machine
    "plan": lambda d, t, _: traced(t, automation.plan(d, t.tenant_id, t.case_id, t.execution)),
    # runs started before the ingest step moved to IngestCaseDocumentsFunction (sized for pages) reach it here
    "ingest_documents": _ingest,
    "automate_owner": _owner,
    "conclude": _conclude,
    # the Standard machines
    "await_review": lambda d, t, _: workflow_steps.await_review(
        d, t.tenant_id, t.case_id, t.require_token(), t.execution
    ),
    "await_owners": lambda d, t, _: workflow_steps.await_owners(d, t.tenant_id, t.case_id, t.require_token()),
    "resume_automation": lambda d, t, _: automation.resume_after_checks(d, t.tenant_id, t.case_id),
    "decide_after_owners": lambda d, t, _: automation.decide_after_owners(
        d, t.tenant_id, t.case_id, t.require_token()
    ),
    # executions started before the automated part moved to the Express machine reach their old step
    "decide": lambda d, t, _: automation.take_over(d, t.tenant_id, t.case_id, t.require_token()),
    "await_resubmission": lambda d, t, _: workflow_steps.await_resubmission(
        d, t.tenant_id, t.case_id, t.require_token()
    ),
    "record_failure": _failure,
}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, task=task.task)
    # A page arriving (the ingestion function) may save the case between a step's read and its write.
    return rerun_lost_races(lambda: TASKS[task.task](deps(), task, context))
