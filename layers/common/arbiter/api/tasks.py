"""The input Step Functions tasks receive: which step, which case, and what the state machine passes along."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arbiter.domain.errors import ConcurrentUpdate, InvalidInput, TransientError

__all__ = ["TaskInput", "rerun_lost_races"]

T = TypeVar("T")
RACE_ATTEMPTS = 5


def rerun_lost_races(step: Callable[[], T], attempts: int = RACE_ATTEMPTS) -> T:
    """Run an idempotent step again when its save lost a race (a page landed between its read and write).

    Past `attempts`, TransientError: the state machine's Retry takes over."""
    for attempt in range(attempts):
        try:
            return step()
        except ConcurrentUpdate as exc:
            if attempt == attempts - 1:
                raise TransientError(exc.message, **exc.context) from exc
    raise AssertionError("unreachable")


class CaseRef(BaseModel):
    tenant_id: str = Field(min_length=1)
    case_id: str = Field(min_length=1)


class TaskInput(BaseModel):
    """`{"task": ..., "case": {"tenant_id", "case_id"}, "task_token"?, "recommendation"?, "error"?}`."""

    model_config = ConfigDict(extra="ignore")

    task: str
    case: CaseRef
    task_token: str | None = None
    recommendation: str | None = None
    error: dict[str, Any] | None = None

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
