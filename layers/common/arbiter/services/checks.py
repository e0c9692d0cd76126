"""Running a workflow's checks (plugins) on a case and storing what they found."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from arbiter.domain.case import Case, Change, Flag
from arbiter.domain.errors import CheckDeferred, InvalidInput
from arbiter.services.cases import CaseDeps

__all__ = [
    "CheckRunner",
    "apply_check_results",
    "check_context",
    "check_name",
    "held_limit",
    "record_check_error",
    "run_case_checks",
    "run_check",
    "run_held_check",
    "store_held_results",
]

#: What an automated run holds of its checks' results in its state at most (`held_limit`).
HELD_RESULTS_BYTES = 96_000


class CheckRunner(Protocol):
    def __call__(
        self,
        context: dict[str, Any],
        plugins: list[dict[str, Any]],
        *,
        time_budget_seconds: float | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Run every configured plugin; a failing plugin is a result with status `error`, never an exception."""


def check_context(case: Case) -> dict[str, Any]:
    """What a plugin receives: the case's entity, documents and metadata as plain JSON."""
    return {
        "case_id": case.id,
        "tenant_id": case.tenant_id,
        "workflow_id": case.workflow_id,
        "entity": case.entity.model_dump(mode="json", exclude_none=True),
        "documents": [d.model_dump(mode="json", exclude_none=True) for d in case.documents],
        "metadata": case.metadata,
    }


def check_name(plugin: dict[str, Any]) -> str:
    """A configured check's name: its `name`, else its plugin's."""
    return str(plugin.get("name") or plugin.get("plugin"))


def run_case_checks(
    deps: CaseDeps,
    tenant_id: str,
    case_id: str,
    runner: CheckRunner,
    *,
    time_budget_seconds: float | None = None,
) -> dict[str, str]:
    """Run the checks, store each result beside the case, flag and announce the ones that failed."""
    case = deps.cases.get(tenant_id, case_id)
    definition = deps.workflows.get(tenant_id, case.workflow_id, case.workflow_version)
    if not definition.plugins:
        return {}
    results = runner(check_context(case), definition.plugins, time_budget_seconds=time_budget_seconds)
    deps.cases.save_checks(tenant_id, case_id, results)
    expected, flags = case.version, list(case.flags)
    change = apply_check_results(case, results, deps.now())
    if change.events or case.flags != flags:
        deps.cases.save(case, change, expected_version=expected)
    return {name: str(result.get("status")) for name, result in results.items()}


def run_check(
    deps: CaseDeps,
    tenant_id: str,
    case_id: str,
    name: str,
    runner: CheckRunner,
    *,
    time_budget_seconds: float | None = None,
    defer_out_of_time: bool = False,
) -> str:
    """Run one of the workflow's checks and store its result beside the case (the case itself is not written:
    the rules step takes every check's flags and failures onto it at once). Returns the result's status.

    `defer_out_of_time` (an automated run's check): a check `time_budget_seconds` ended before it could succeed
    is not stored but raises CheckDeferred, for the run to hand it to the Standard execution."""
    _, result = _run_one(deps, tenant_id, case_id, name, runner, time_budget_seconds, defer_out_of_time)
    deps.cases.save_checks(tenant_id, case_id, {name: result})
    return str(result.get("status"))


def run_held_check(
    deps: CaseDeps,
    tenant_id: str,
    case_id: str,
    name: str,
    runner: CheckRunner,
    *,
    time_budget_seconds: float | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """An automated run's check (`run_check` deferring past `time_budget_seconds`), its result held by the run
    rather than stored: the run's next step stores every check's result as one item (`store_held_results`), one
    write where each check wrote its own. A result too large for the run's state (`held_limit`) is stored here
    and not held. Returns the status and the held result (None: stored)."""
    checks, result = _run_one(deps, tenant_id, case_id, name, runner, time_budget_seconds, True)
    if len(json.dumps(result, separators=(",", ":"))) > held_limit(checks):
        deps.cases.save_checks(tenant_id, case_id, {name: result})
        return str(result.get("status")), None
    return str(result.get("status")), result


def held_limit(checks: int) -> int:
    """The most JSON a run holds of one check's result: 4 KB, less when the workflow has more than 24 checks, so
    that all of them together stay under 96 KB of the 256 KB a Step Functions state may hold."""
    return min(4096, HELD_RESULTS_BYTES // max(checks, 1))


def store_held_results(
    deps: CaseDeps, tenant_id: str, case_id: str, results: dict[str, dict[str, Any]]
) -> None:
    """Store the results a run's checks held (`run_held_check`), together."""
    if results:
        deps.cases.save_checks(tenant_id, case_id, results)


def _run_one(
    deps: CaseDeps,
    tenant_id: str,
    case_id: str,
    name: str,
    runner: CheckRunner,
    time_budget_seconds: float | None,
    defer_out_of_time: bool,
) -> tuple[int, dict[str, Any]]:
    """The check's result, and how many checks the workflow has."""
    case = deps.cases.get(tenant_id, case_id)
    definition = deps.workflows.get(tenant_id, case.workflow_id, case.workflow_version)
    plugins = [p for p in definition.plugins if check_name(p) == name]
    if not plugins:
        raise InvalidInput(f"the workflow {definition.id} has no check {name!r}", path="check")
    results = runner(check_context(case), plugins, time_budget_seconds=time_budget_seconds)
    result = results.get(name, {})
    if (
        defer_out_of_time
        and result.get("status") == "error"
        and (result.get("data") or {}).get("out_of_time")
    ):
        raise CheckDeferred(
            f"the {name} check needs more time than an automated run has ({result.get('error')}); "
            "the workflow's waiting execution runs it",
            case_id=case_id,
            check=name,
        )
    return len(definition.plugins), result


def record_check_error(deps: CaseDeps, tenant_id: str, case_id: str, name: str, error: str) -> None:
    """A check that failed past its retries or its time is stored as failed: a reviewer will look."""
    deps.cases.save_checks(tenant_id, case_id, {name: {"status": "error", "error": error[:1000]}})


def apply_check_results(case: Case, results: dict[str, dict[str, Any]], at: dt.datetime) -> Change:
    """The checks' critical flags become the case's own, and each failed check is flagged and announced (not
    stored: the caller saves the case with the change)."""
    _raise_critical_flags(case, results)
    change = Change()
    for name, result in results.items():
        if result.get("status") == "error":
            error = result.get("error")
            change += case.record_check_failure(name, str(error) if error else None, at)
    return change


def _raise_critical_flags(case: Case, results: dict[str, dict[str, Any]]) -> bool:
    """A check's critical flags (a watchlist match) become the case's own, replacing what that check raised on an
    earlier run; they keep the case from being approved without a reviewer. True if the case's flags changed."""
    changed = False
    for name, result in results.items():
        if result.get("status") != "ok":
            continue
        current = [
            Flag(
                code=str(f.get("code")),
                message=str(f.get("message"))[:1000],
                severity="critical",
                source=name,
            )
            for f in result.get("flags") or []
            if f.get("severity") == "critical"
        ]
        earlier = [f for f in case.flags if f.source == name and f.code != "check_failed"]
        if [f.model_dump() for f in earlier] != [f.model_dump() for f in current]:
            case.flags = [f for f in case.flags if f not in earlier] + current
            changed = True
    return changed
