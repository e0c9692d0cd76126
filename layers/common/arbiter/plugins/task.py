"""The logic of the plugins task function: Step Functions input in, check results for the case out.

Input: `{"case": {"case_id", "tenant_id", "entity", "documents", "metadata"}, "plugins": [<check entries>]}`
(other keys, such as `task`, are ignored). Output: `{"case_id", "checks": {name: result}, "failed_checks":
[names], "needs_review": bool}`; a failed check never raises, so the workflow routes the case to review.
Only an input that does not identify a case raises (`InvalidInput`, a Catch in the ASL records it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arbiter.domain.errors import InvalidInput
from arbiter.plugins.policy import RunPolicy
from arbiter.plugins.registry import PluginRegistry
from arbiter.plugins.result_size import ResultLimits
from arbiter.plugins.runner import run_checks
from arbiter.secrets import SecretResolver


class CaseInput(BaseModel):
    """The part of the case a check may read."""

    model_config = ConfigDict(extra="ignore")

    case_id: str = Field(min_length=1, max_length=128)
    tenant_id: str = Field(min_length=1, max_length=128)
    entity: dict[str, Any]
    documents: list[Any] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChecksTaskInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    case: CaseInput
    plugins: list[dict[str, Any]] = Field(default_factory=list)


@dataclass(frozen=True)
class PluginsDependencies:
    """What the task needs, built once per container by `arbiter.plugins.bootstrap`."""

    registry: PluginRegistry
    secrets: SecretResolver
    max_concurrency: int = 8
    default_policy: RunPolicy = field(default_factory=RunPolicy)
    limits: ResultLimits = field(default_factory=ResultLimits)


def run_checks_task(
    event: Mapping[str, Any],
    deps: PluginsDependencies,
    *,
    time_budget_seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Run the case's checks; `time_budget_seconds` is the Lambda's remaining time less a safety margin."""
    try:
        task = ChecksTaskInput.model_validate(event)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(
            f"the checks task input is not valid at {where}: {first['msg']}", path=where
        ) from e
    results = run_checks(
        task.case.model_dump(),
        task.plugins,
        registry=deps.registry,
        secrets=deps.secrets,
        sleep=sleep,
        time_budget_seconds=time_budget_seconds,
        max_concurrency=deps.max_concurrency,
        default_policy=deps.default_policy,
        limits=deps.limits,
    )
    failed = [name for name, result in results.items() if result.status == "error"]
    return {
        "case_id": task.case.case_id,
        "checks": {name: result.to_json() for name, result in results.items()},
        "failed_checks": failed,
        "needs_review": bool(failed),
    }
