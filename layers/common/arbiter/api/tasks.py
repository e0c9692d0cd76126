"""The input Step Functions tasks receive: which step, which case, and what the state machine passes along.

The Express automation machine's tasks also get `step` (the state's name, when it was entered, its retries: from
the context object) and answer `{"step": ..., "output": ...}` (`traced`), so that the run's last step (`run`: the
whole state) can record what each step did, when, and what was caught, on the case (`automation_run`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arbiter.domain.case import AutomationRun, RiskAssessment, StepRecord
from arbiter.domain.errors import ConcurrentUpdate, InvalidInput, TransientError
from arbiter.services import cases
from arbiter.services.cases import CaseDeps
from arbiter.services.checks import store_held_results

__all__ = [
    "TaskInput",
    "automation_run",
    "held_results",
    "owners_failure",
    "rerun_lost_races",
    "run_assessment",
    "run_deferred_checks",
    "store_held",
    "traced",
]

T = TypeVar("T")
RACE_ATTEMPTS = 5


def rerun_lost_races(step: Callable[[], T], attempts: int = RACE_ATTEMPTS) -> T:
    """Run an idempotent step again when its save lost a race (a page landed between its read and write).

    Past `attempts`, TransientError: the state machine's Retry takes over."""
    try:
        return cases.rerun_lost_races(step, attempts)
    except ConcurrentUpdate as exc:
        raise TransientError(exc.message, **exc.context) from exc


class CaseRef(BaseModel):
    tenant_id: str = Field(min_length=1)
    case_id: str = Field(min_length=1)


class StepInput(BaseModel):
    """The state a task runs in, from the context object (`$$.State`)."""

    state: str
    entered_at: dt.datetime | None = None
    retries: int = 0


class TaskInput(BaseModel):
    """`{"task": ..., "case": {"tenant_id", "case_id"}, "task_token"?, "error"?, "step"?, "check"?, "owner"?,
    "round"?, "run"?}`."""

    model_config = ConfigDict(extra="ignore")

    task: str
    case: CaseRef
    task_token: str | None = None
    #: The execution the task runs in (`await_review`: one the case no longer waits on is answered at once; `plan`:
    #: a second execution of a run another claimed does nothing).
    execution: str | None = None
    recommendation: str | None = None
    error: dict[str, Any] | None = None
    step: StepInput | None = None
    #: The check (`run_check`, `record_check_failure`) or the owner's index (`automate_owner`) of a Map iteration.
    check: str | None = None
    owner: int | None = Field(default=None, ge=0)
    #: The automated run's number and its whole state so far (the last step's and a failure's input).
    round: int | None = Field(default=None, ge=0)
    run: dict[str, Any] | None = None
    #: Seconds a check of an automated run may take (`run_check` on the Express machine); past them the check is
    #: handed to the Standard execution. Absent there: the check has the function's whole time.
    budget_seconds: float | None = Field(default=None, gt=0, le=900)
    #: `run_check` on the Express machine: the result is answered for the run to hold (`held_results`), not stored.
    hold_result: bool = False

    @property
    def tenant_id(self) -> str:
        return self.case.tenant_id

    @property
    def case_id(self) -> str:
        return self.case.case_id

    def require_token(self) -> str:
        """The task token of a `.waitForTaskToken` step (its absence is a wiring error in the ASL)."""
        if not self.task_token:
            raise InvalidInput(f"task {self.task} needs task_token ($$.Task.Token)", path="task_token")
        return self.task_token

    @classmethod
    def parse(cls, event: dict[str, Any], known: Iterable[str]) -> TaskInput:
        """Validate the event; InvalidInput names the field or the unknown task."""
        try:
            task = cls.model_validate(event)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InvalidInput(
                f"bad task input: {first['msg']}", path=".".join(map(str, first["loc"]))
            ) from exc
        if task.task not in known:
            raise InvalidInput(f"unknown task {task.task!r}; known: {', '.join(sorted(known))}", path="task")
        return task


def traced(task: TaskInput, output: Any, *, item: str | None = None, error: str | None = None) -> Any:
    """A task's answer: as it is for a Standard machine's task; `{"step", "output"}` for the Express machine's (a
    task given `step`), the step recording when it ended and how."""
    if task.step is None:
        return output
    record = StepRecord(
        state=task.step.state,
        item=item,
        entered_at=task.step.entered_at,
        exited_at=dt.datetime.now(dt.UTC),
        status="failed" if error else "succeeded",
        retries=task.step.retries,
        error=error,
    )
    return {"step": record.model_dump(mode="json", exclude_none=True), "output": output}


#: The Choice states the automation machine passes through after a slot's step (a Choice runs no function, so it
#: records nothing itself): drawn on the run's path so that the picture's path is unbroken.
_CHOICES_AFTER = {"plan": ("IsSettled", "HasDocuments"), "owners": ("HasRules",)}


def automation_run(task: TaskInput) -> AutomationRun:
    """The run so far, from the state the machine passed (`run`): each step it went through, in order (the checks
    and the owners' cases from `work`, the outputs of `ChecksAndOwners`' branches, and the Choice states between),
    then the current step (outcome left to the caller)."""
    state = task.run or {}
    slots = {**state, **_gathered(state.get("work"))}
    steps: list[StepRecord] = []
    for slot in ("plan", "ingest", "checks", "owners", "assessment"):
        value = slots.get(slot)
        for entry in value if isinstance(value, list) else [value]:
            if isinstance(entry, dict) and isinstance(entry.get("step"), dict):
                try:
                    steps.append(StepRecord.model_validate(entry["step"]))
                except ValidationError:
                    continue  # a step the machine recorded in another shape is left out of the picture
        if slot in slots and steps:
            at = _last(steps)
            steps += [
                StepRecord(state=choice, type="Choice", entered_at=at, exited_at=at)
                for choice in _CHOICES_AFTER.get(slot, ())
            ]
        if slot == "owners" and (failure := owners_failure(task)) is not None:
            # An owner's case failed past its retries (the Owners Map's Catch): its step, then the way to
            # RecordFailure (HasRules, OwnersError), which stores the checks' results the run holds.
            at = _last(steps)
            steps += [
                StepRecord(
                    state="AutomateOwner",
                    entered_at=at,
                    exited_at=at,
                    status="failed",
                    error=str(failure.get("Error") or "failed"),
                ),
                StepRecord(state="HasRules", type="Choice", entered_at=at, exited_at=at),
                StepRecord(state="OwnersError", entered_at=at, exited_at=at),
            ]
    if task.step is not None:
        steps.append(
            StepRecord(
                state=task.step.state,
                entered_at=task.step.entered_at,
                exited_at=dt.datetime.now(dt.UTC),
                retries=task.step.retries,
            )
        )
    return AutomationRun(number=task.round or int(state.get("round") or 0), outcome="running", steps=steps)


def run_assessment(task: TaskInput) -> RiskAssessment | None:
    """The assessment the run's `EvaluateRules` made, as `Decide` receives it in `run` (None: none was made)."""
    slot = (task.run or {}).get("assessment")
    output = slot.get("output") if isinstance(slot, dict) else None
    found = output.get("assessment") if isinstance(output, dict) else None
    return RiskAssessment.model_validate(found) if isinstance(found, dict) else None


def run_deferred_checks(task: TaskInput) -> list[str]:
    """The checks the run hands to the Standard execution, as `Decide` receives them in `run`: those `Plan` found
    declared long-running, then those a `RunCheck` ran out of time for (their `DeferCheck` outputs)."""
    state = task.run or {}
    plan = state.get("plan")
    output = plan.get("output") if isinstance(plan, dict) else None
    declared = output.get("deferred") if isinstance(output, dict) else None
    names = [str(n) for n in declared] if isinstance(declared, list) else []
    checks = _gathered(state.get("work")).get("checks")
    for entry in checks if isinstance(checks, list) else []:
        result = entry.get("output") if isinstance(entry, dict) else None
        if isinstance(result, dict) and result.get("status") == "deferred" and result.get("check"):
            names.append(str(result["check"]))
    return list(dict.fromkeys(names))


def _last(steps: list[StepRecord]) -> dt.datetime | None:
    """When the last of `steps` ended (a Choice drawn after them takes no time of its own)."""
    return max((moment for s in steps if (moment := s.exited_at or s.entered_at) is not None), default=None)


def owners_failure(task: TaskInput) -> dict[str, Any] | None:
    """The error an owner's case failed with, when the Owners Map caught one (the second branch's `error`; read
    here rather than by a JSONPath of the machine's, `$.work[1].error`, which moto answers as a list)."""
    work = (task.run or {}).get("work")
    branch = work[1] if isinstance(work, list) and len(work) > 1 else None
    error = branch.get("error") if isinstance(branch, dict) else None
    return error if isinstance(error, dict) else None


def held_results(task: TaskInput) -> dict[str, dict[str, Any]]:
    """The check results the run holds, as a step given `run` receives them: each `RunCheck` or `RunScreening`
    output's `result` (those stored by their check have none)."""
    checks = _gathered((task.run or {}).get("work")).get("checks")
    found: dict[str, dict[str, Any]] = {}
    for entry in checks if isinstance(checks, list) else []:
        output = entry.get("output") if isinstance(entry, dict) else None
        if isinstance(output, dict) and isinstance(output.get("result"), dict) and output.get("check"):
            found[str(output["check"])] = output["result"]
    return found


def _holds_assessment(task: TaskInput) -> bool:
    """Whether the run went through `EvaluateRules` (which stores the results the run held) before this step."""
    return isinstance((task.run or {}).get("assessment"), dict)


def store_held(deps: CaseDeps, task: TaskInput) -> None:
    """Store the check results the run holds (`held_results`), as one item: `EvaluateRules` before it assesses,
    or the step after the checks when the run did not go through it (`Decide` for a workflow without rules,
    `RecordFailure` for a run that failed before it)."""
    if task.task == "evaluate_rules" or not _holds_assessment(task):
        store_held_results(deps, task.tenant_id, task.case_id, held_results(task))


def _gathered(work: Any) -> dict[str, Any]:
    """`checks` and `owners` from what `ChecksAndOwners` (a Parallel) gathered: its branches' outputs, in order."""
    found: dict[str, Any] = {}
    for branch in work if isinstance(work, list) else []:
        if isinstance(branch, dict):
            found.update({k: branch[k] for k in ("checks", "owners") if k in branch})
    return found
