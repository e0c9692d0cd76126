"""The check tasks of the state machines (`run_check`, `record_check_failure`, `run_checks`), as PluginsFunction
and ScreeningFunction both answer them, and ScreeningFunction's `screen` (another function's screening checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arbiter.api.tasks import TaskInput, rerun_lost_races, traced
from arbiter.domain.errors import InvalidInput
from arbiter.services.checks import record_check_error, run_case_checks, run_check, run_held_check

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["CHECK_TASKS", "ScreenRequest", "run_check_task", "screen"]

CHECK_TASKS = ("run_check", "record_check_failure", "run_checks")


def run_check_task(deps: Dependencies, task: TaskInput, budget: float) -> Any:
    """Answer one check task; `budget`: the seconds the checks may take (the invocation's time less a margin)."""
    if task.task == "run_checks":
        # A page saved on the case meanwhile makes the results' save lose its race: run the step again.
        summary = rerun_lost_races(
            lambda: run_case_checks(
                deps, task.tenant_id, task.case_id, deps.checks, time_budget_seconds=budget
            )
        )
        return {"checks": summary}
    name = task.check
    if not name:
        raise InvalidInput(f"{task.task} needs check ($$.Map.Item.Value)", path="check")
    if task.task == "record_check_failure":
        error = task.error or {}
        message = f"{error.get('Error', 'failed')}: {error.get('Cause') or 'no detail'}"
        record_check_error(deps, task.tenant_id, task.case_id, name, message)
        return traced(task, {"check": name, "status": "error"}, item=name, error=str(error.get("Error")))
    # An automated run's check has the run's share of time (`budget_seconds`); past it, CheckDeferred hands it to
    # the Standard execution, whose `RunDeferredCheck` gives it the function's whole time.
    check = (deps, task.tenant_id, task.case_id, name, deps.checks)
    seconds = min(budget, task.budget_seconds or budget)
    if task.hold_result:  # the Express machine's: the run holds the result, its next step stores them all
        status, held = run_held_check(*check, time_budget_seconds=seconds)
        output = {"check": name, "status": status} | ({"result": held} if held is not None else {})
        return traced(task, output, item=name)
    status = run_check(*check, time_budget_seconds=seconds, defer_out_of_time=task.budget_seconds is not None)
    return traced(task, {"check": name, "status": status}, item=name)


class ScreenRequest(BaseModel):
    """`{"task": "screen", "context", "plugins", "budget_seconds"?}`: a case's screening checks, sent by a function
    that does not hold the watchlists (arbiter.adapters.screening_function)."""

    model_config = ConfigDict(extra="ignore")

    task: str
    context: dict[str, Any]
    plugins: list[dict[str, Any]] = Field(min_length=1)
    budget_seconds: float | None = Field(default=None, gt=0, le=900)


def screen(deps: Dependencies, event: dict[str, Any], budget: float) -> dict[str, Any]:
    """Run the checks of a `screen` request here (nothing is stored: the caller stores the results with its case)."""
    try:
        request = ScreenRequest.model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(
            f"bad screen request: {first['msg']}", path=".".join(map(str, first["loc"]))
        ) from exc
    seconds = min(budget, request.budget_seconds or budget)
    return {"results": deps.checks(request.context, request.plugins, time_budget_seconds=seconds)}
