"""Step Functions task: run the workflow's checks on the case and store their results — one check per invocation
on the Express automation machine (`run_check`, each a Map iteration with its own retries), or all of them at once
for state machines of your own (`run_checks`). Screening checks run in ScreeningFunction, which holds the
watchlists: the machines call it for them, and `run_checks` hands them to it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.check_tasks import CHECK_TASKS, run_check_task
from arbiter.api.tasks import TaskInput

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=CHECK_TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, check=task.check)
    # Leave time to store the results: the checks get what remains of the invocation less a margin.
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 10)
    return run_check_task(deps(), task, budget)
