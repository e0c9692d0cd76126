"""Watchlist screening run where the lists are held (ScreeningFunction), for the functions that run a workflow's
other checks.

A million-name watchlist takes some 700 MB once built in memory (bench/memory); holding it in one function only
lets the checks' and the workflow tasks' functions be sized for everything else. `DelegatingCheckRunner` hands the
checks whose plugin screens against a watchlist (`arbiter.domain.screening.SCREENING_PLUGINS`) to a
`ScreeningService` (ScreeningFunction, invoked synchronously: `arbiter.adapters.screening_function`) and runs the
others itself, side by side. The
automation machines call ScreeningFunction directly for such a check; this covers the rest: an owner's case
automated inside its parent's run, and the `run_checks` task of state machines of your own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from arbiter.domain.screening import SCREENING_PLUGINS, screens_watchlists
from arbiter.plugins.contract import PluginResult
from arbiter.plugins.runner import failed_check

__all__ = [
    "SCREENING_PLUGINS",
    "CheckRunning",
    "DelegatingCheckRunner",
    "ScreeningService",
    "ScreeningUnavailable",
    "screens_watchlists",
]

_MAX_ERROR = 1000


class ScreeningUnavailable(Exception):
    """The screening function did not answer (throttled, failed, unreachable); `transient`: worth a retry."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class ScreeningService(Protocol):
    def screen(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None,
    ) -> dict[str, dict[str, Any]]:
        """The screening checks' results by check name, run where the lists are held; ScreeningUnavailable
        otherwise."""
        ...


class CheckRunning(Protocol):
    def __call__(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None = None,
    ) -> dict[str, dict[str, Any]]: ...


def _name(plugin: Mapping[str, Any]) -> str:
    return str(plugin.get("name") or plugin.get("plugin"))


@dataclass(frozen=True)
class DelegatingCheckRunner:
    """A check runner (`arbiter.services.checks.CheckRunner`) that runs the screening checks through `screening`
    and the others with `local`, concurrently; results by check name, in the order configured. A screening check
    the service could not run (after one retry of a transient failure), or did not answer within the time budget
    (`data.out_of_time`, as the runner marks a check its budget ended), is a failed check, never an exception."""

    local: CheckRunning
    screening: ScreeningService
    retry_after_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    #: Seconds past the budget the answer is awaited (the screening function stops at the budget, then replies).
    grace_seconds: float = 5.0

    def __call__(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Run `plugins` on the case `context`; `time_budget_seconds` bounds both halves."""
        remote = [p for p in plugins if screens_watchlists(p)]
        if not remote:
            return self.local(context, plugins, time_budget_seconds=time_budget_seconds)
        here = [p for p in plugins if not screens_watchlists(p)]
        started = time.monotonic()
        answer: dict[str, dict[str, dict[str, Any]]] = {}
        # A daemon thread, not a pool: an answer that never comes must not keep this invocation waiting on exit.
        worker = threading.Thread(
            target=lambda: answer.update(results=self._screen(context, remote, time_budget_seconds)),
            name="screening",
            daemon=True,
        )
        worker.start()
        results = self.local(context, here, time_budget_seconds=time_budget_seconds) if here else {}
        if time_budget_seconds is None:
            worker.join()
        else:
            worker.join(max(0.0, time_budget_seconds + self.grace_seconds - (time.monotonic() - started)))
        if "results" in answer:
            results.update(answer["results"])
        else:
            results.update(_failed(remote, "no answer from the screening function in time", out_of_time=True))
        order = [_name(p) for p in plugins]
        return {
            **{n: results[n] for n in order if n in results},
            **{n: r for n, r in results.items() if n not in order},
        }

    def _screen(
        self, context: Mapping[str, Any], plugins: list[Mapping[str, Any]], budget: float | None
    ) -> dict[str, dict[str, Any]]:
        started = time.monotonic()
        try:
            return self.screening.screen(context, plugins, time_budget_seconds=budget)
        except ScreeningUnavailable as e:
            left = (
                None if budget is None else budget - (time.monotonic() - started) - self.retry_after_seconds
            )
            if not e.transient or (left is not None and left < 1):
                return _failed(plugins, str(e))
        self.sleep(self.retry_after_seconds)
        try:
            return self.screening.screen(context, plugins, time_budget_seconds=left)
        except ScreeningUnavailable as e:
            return _failed(plugins, str(e))


def _failed(
    plugins: list[Mapping[str, Any]], reason: str, *, out_of_time: bool = False
) -> dict[str, dict[str, Any]]:
    text = f"screening could not run: {reason}"[:_MAX_ERROR]
    data = {"out_of_time": True} if out_of_time else None
    return {_name(p): _with_flag(_name(p), PluginResult.failed(text, data)).to_json() for p in plugins}


def _with_flag(name: str, result: PluginResult) -> PluginResult:
    flagged = failed_check(name, result.error or "failed")
    return result.model_copy(update={"flags": flagged.flags})
