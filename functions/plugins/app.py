"""Step Functions task: run the workflow's checks on the case, concurrently, and store their results."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races
from arbiter.services.checks import run_case_checks

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = TaskInput.parse(event, known=("run_checks",))
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id)
    # Leave time to store the results: the checks get what remains of the invocation less a margin.
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 10)
    # A page saved on the case meanwhile makes the results' save lose its race: run the step again.
    summary = rerun_lost_races(
        lambda: run_case_checks(
            deps(), task.tenant_id, task.case_id, deps().checks, time_budget_seconds=budget
        )
    )
    return {"checks": summary}
