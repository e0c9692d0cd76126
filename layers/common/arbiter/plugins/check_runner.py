"""Running a workflow's checks on a case: the plugin registry, secrets and limits, as one callable."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from arbiter.plugins.policy import RunPolicy
from arbiter.plugins.registry import PluginRegistry
from arbiter.plugins.result_size import ResultLimits
from arbiter.plugins.runner import run_checks
from arbiter.secrets import SecretResolver

__all__ = ["PluginCheckRunner"]


@dataclass(frozen=True)
class PluginCheckRunner:
    """The check runner (`arbiter.services.checks.CheckRunner`) on the plugin registry; built once per
    container by `arbiter.bootstrap`.

    Calling it runs a workflow's checks on one case context (`arbiter.services.checks.CheckRunner`): results by
    check name, as JSON; a failed check never raises, it is a result with status `error`.
    """

    registry: PluginRegistry
    secrets: SecretResolver
    max_concurrency: int = 8
    default_policy: RunPolicy = field(default_factory=RunPolicy)
    limits: ResultLimits = field(default_factory=ResultLimits)
    sleep: Callable[[float], None] = time.sleep

    def __call__(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Run `plugins` on the case `context`; `time_budget_seconds`: the Lambda's remaining time less a margin."""
        results = run_checks(
            context,
            plugins,
            registry=self.registry,
            secrets=self.secrets,
            sleep=self.sleep,
            time_budget_seconds=time_budget_seconds,
            max_concurrency=self.max_concurrency,
            default_policy=self.default_policy,
            limits=self.limits,
        )
        return {name: result.to_json() for name, result in results.items()}
