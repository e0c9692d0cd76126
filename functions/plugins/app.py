"""Step Functions task: run the workflow's checks on the case and store their results — one check per invocation
on the Express automation machine (`run_check`, each a Map iteration with its own retries), or all of them at once
for state machines of your own (`run_checks`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

import arbiter.snapstart  # noqa: F401 - registers the SnapStart runtime hooks (template.yaml: SnapStart)
from arbiter import bootstrap
from arbiter.api.tasks import TaskInput, rerun_lost_races, traced
from arbiter.domain.errors import InvalidInput
from arbiter.services.checks import record_check_error, run_case_checks, run_check

logger = Logger()


deps = bootstrap.composition_root()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> Any:
    task = TaskInput.parse(event, known=("run_check", "record_check_failure", "run_checks"))
    logger.append_keys(case_id=task.case_id, tenant_id=task.tenant_id, check=task.check)
    # Leave time to store the results: the checks get what remains of the invocation less a margin.
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - 10)
    if task.task == "run_checks":
        # A page saved on the case meanwhile makes the results' save lose its race: run the step again.
        summary = rerun_lost_races(
            lambda: run_case_checks(
                deps(), task.tenant_id, task.case_id, deps().checks, time_budget_seconds=budget
            )
        )
        return {"checks": summary}
    name = task.check
    if not name:
        raise InvalidInput(f"{task.task} needs check ($$.Map.Item.Value)", path="check")
    if task.task == "record_check_failure":
        error = task.error or {}
        message = f"{error.get('Error', 'failed')}: {error.get('Cause') or 'no detail'}"
        record_check_error(deps(), task.tenant_id, task.case_id, name, message)
        return traced(task, {"check": name, "status": "error"}, item=name, error=str(error.get("Error")))
    # An automated run's check has the run's share of time (`budget_seconds`); past it, CheckDeferred hands it to
    # the Standard execution, whose `RunDeferredCheck` gives it the function's whole time.
    status = run_check(
        deps(),
        task.tenant_id,
        task.case_id,
        name,
        deps().checks,
        time_budget_seconds=min(budget, task.budget_seconds or budget),
        defer_out_of_time=task.budget_seconds is not None,
    )
    return traced(task, {"check": name, "status": status}, item=name)
