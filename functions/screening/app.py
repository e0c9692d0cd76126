"""Step Functions task and synchronous call: sanctions and PEP screening, in the one function that holds the
watchlists in memory. The automation machines send it a workflow's screening checks (`run_check`, as
PluginsFunction's); the functions that run other checks send it theirs (`screen`: an owner's case automated in its
parent's run, or `run_checks`), and get the results back to store with their case."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.check_tasks import CHECK_TASKS, run_check_task, screen
from arbiter.api.tasks import TaskInput

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    # Leave time to answer (and to store the results of a machine's check).
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 10)
    if event.get("task") == "screen":
        return screen(deps(), event, budget)
    task = TaskInput.parse(event, known=CHECK_TASKS)
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, check=task.check)
    return run_check_task(deps(), task, budget)
