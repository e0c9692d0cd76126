"""Running a workflow's checks for one case: concurrently, each with its time limit and retries.

`run_checks` never raises because a plugin failed. A check that raises, times out or keeps failing after
its retries becomes `status: error` with the error text and a `check_failed` flag naming it, so the workflow
sends the case to manual review instead of failing the execution. Threads, because checks wait on the network.

An attempt runs in a daemon thread the runner waits on for at most the attempt's time limit. Python cannot
stop a thread, so an attempt that overruns is abandoned, not killed: plugins should bound their own I/O below
their time limit (the egress client's total timeout does) so that this stays the exception.
"""

from __future__ import annotations

import copy
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from arbiter.domain.errors import ArbiterError
from arbiter.plugins.contract import Flag, Plugin, PluginResult, TransientCheckError
from arbiter.plugins.policy import RunPolicy
from arbiter.plugins.registry import InvalidPluginConfig, PluginCall, PluginRegistry, validate_config
from arbiter.plugins.result_size import ResultLimits, fit_results
from arbiter.secrets import SecretResolver, SecretScrubber, SecretUnavailable

logger = logging.getLogger("arbiter.plugins")

CHECK_FAILED = "check_failed"
_MAX_ERROR = 1000


class AttemptTimedOut(TransientCheckError):
    """An attempt ran past its time limit and was abandoned."""


@dataclass(frozen=True)
class _Run:
    """What every check of one `run_checks` call shares."""

    context: Mapping[str, Any]
    secrets: SecretScrubber
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    deadline: float | None
    rng: random.Random
    default_policy: RunPolicy


def run_checks(
    context: Mapping[str, Any],
    plugin_configs: Sequence[Mapping[str, Any] | PluginCall],
    *,
    registry: PluginRegistry,
    secrets: SecretResolver,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    time_budget_seconds: float | None = None,
    max_concurrency: int = 8,
    default_policy: RunPolicy | None = None,
    limits: ResultLimits | None = None,
    rng: random.Random | None = None,
) -> dict[str, PluginResult]:
    """Run the configured checks on one case; results by check name, in the order configured.

    `time_budget_seconds` bounds the whole run (give it the Lambda's remaining time less a margin): no attempt
    starts or waits past it, and a check it ends is failed with `data.out_of_time`. `sleep` and `clock` are injectable so tests do not wait for backoffs.
    """
    run = _Run(
        context=context,
        secrets=SecretScrubber(secrets),
        sleep=sleep,
        clock=clock,
        deadline=None if time_budget_seconds is None else clock() + time_budget_seconds,
        rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
        default_policy=default_policy or RunPolicy(),
    )
    results: dict[str, PluginResult | None] = {}
    runnable: list[tuple[str, Plugin[Any], PluginCall]] = []
    for index, entry in enumerate(plugin_configs):
        try:
            call = validate_config(entry, registry, path=f"plugins[{index}]")
        except InvalidPluginConfig as e:
            name = _fallback_name(entry, index, results)
            results[name] = failed_check(name, e.message)
            continue
        if call.name in results:
            name = f"plugins_{index}"
            results[name] = failed_check(name, f"plugins[{index}]: the name {call.name!r} is used twice")
            continue
        if not call.applies(context):
            results[call.name] = PluginResult.skipped(
                "the check's condition (when) does not hold for this case"
            )
            continue
        results[call.name] = None
        runnable.append((call.name, registry.get(call.plugin), call))

    if runnable:
        workers = max(1, min(max_concurrency, len(runnable)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
            futures = {
                name: pool.submit(_run_check, run, name, plugin, call) for name, plugin, call in runnable
            }
            for name, future in futures.items():
                results[name] = future.result()
    done = {name: result for name, result in results.items() if result is not None}
    return fit_results(done, limits or ResultLimits())


def _run_check(run: _Run, name: str, plugin: Plugin[Any], call: PluginCall) -> PluginResult:
    """All attempts of one check; always returns a result."""
    started = run.clock()
    try:
        result = _attempts(run, name, plugin, call)
    except Exception as e:  # a bug in the runner's own path must not lose the other checks
        logger.exception("check %s: unexpected runner failure", name)
        result = PluginResult.failed(_describe(e))
    result = result.model_copy(
        update={
            "duration_ms": int((run.clock() - started) * 1000),
            "plugin_version": result.plugin_version or plugin.version,
        }
    )
    if result.status == "error":
        result = _with_failed_flag(name, result)
    return PluginResult.model_validate(run.secrets.scrub(result.to_json()))


def _attempts(run: _Run, name: str, plugin: Plugin[Any], call: PluginCall) -> PluginResult:
    policy = _policy(run, plugin, call)
    last: Exception | None = None
    made = 0
    out_of_time = False  # the run's time (not the check's own limits) ended the attempts
    for attempt in range(1, policy.retry.attempts + 1):
        timeout = policy.timeout_seconds
        if run.deadline is not None:
            timeout = min(timeout, run.deadline - run.clock())
            if timeout <= 0:
                out_of_time = True
                break
        made = attempt
        try:
            return _attempt(run, plugin, call, timeout)
        except Exception as e:
            last = e
            out_of_time = isinstance(e, AttemptTimedOut) and timeout < policy.timeout_seconds
            if out_of_time or not _worth_retrying(e) or attempt == policy.retry.attempts:
                break
            delay = policy.retry.delay(attempt, run.rng)
            if run.deadline is not None and run.clock() + delay >= run.deadline:
                out_of_time = True
                break
            logger.warning(
                "check %s: attempt %d of %d failed, retrying in %.1fs: %s",
                name,
                attempt,
                policy.retry.attempts,
                delay,
                run.secrets.scrub_text(_describe(e)),
            )
            run.sleep(delay)
    if last is None:
        error = "no time was left to run the check"
    else:
        error = _describe(last) + (f" (after {made} attempts)" if made > 1 else "")
    logger.error("check %s failed: %s", name, run.secrets.scrub_text(error))
    # `out_of_time`: given more time, the check might have succeeded (an automated run hands it over).
    return PluginResult.failed(error, data={"out_of_time": True} if out_of_time else None)


def _policy(run: _Run, plugin: Plugin[Any], call: PluginCall) -> RunPolicy:
    """The entry's own settings, over the plugin's for its config, over the runner's defaults."""
    config = plugin.Config.model_validate(call.config)  # references only; secrets are read per attempt
    base = plugin.policy(config) or run.default_policy
    return RunPolicy(
        timeout_seconds=call.timeout_seconds or base.timeout_seconds,
        retry=call.retry or base.retry,
    )


def _attempt(run: _Run, plugin: Plugin[Any], call: PluginCall, timeout: float) -> PluginResult:
    """One attempt in its own thread, waited on for at most `timeout` seconds."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()
    context = copy.deepcopy(dict(run.context))  # checks run side by side: none may change another's input

    def attempt() -> None:
        try:
            config: BaseModel = plugin.Config.model_validate(call.config, context={"secrets": run.secrets})
            outcome["result"] = plugin.run(context, config)
        except BaseException as e:
            outcome["error"] = e
        finally:
            finished.set()

    threading.Thread(target=attempt, name=f"check-{call.name}", daemon=True).start()
    if not finished.wait(timeout):
        raise AttemptTimedOut(f"no result within {timeout:.1f}s")
    if "error" in outcome:
        raise outcome["error"]
    result = outcome.get("result")
    if not isinstance(result, PluginResult):
        raise TypeError(f"{plugin.name}.run returned {type(result).__name__}, not a PluginResult")
    return result


def _worth_retrying(error: Exception) -> bool:
    if isinstance(error, TransientCheckError):
        return True
    return isinstance(error, SecretUnavailable) and error.transient


def _describe(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "config"
        text = f"invalid config at {where}: {first['msg']}"
    elif isinstance(error, ArbiterError):
        text = error.message
    else:
        text = str(error) or "no message"
    return f"{type(error).__name__}: {text}"[:_MAX_ERROR]


def failed_check(name: str, error: str) -> PluginResult:
    """A check that could not run: status `error` with `error`, and the `check_failed` flag naming it."""
    return _with_failed_flag(name, PluginResult.failed(error))


def _with_failed_flag(name: str, result: PluginResult) -> PluginResult:
    if any(f.code == CHECK_FAILED for f in result.flags):
        return result
    flag = Flag(
        code=CHECK_FAILED,
        severity="high",
        message=f"The {name} check failed: {result.error}"[:_MAX_ERROR],
        subject=name,
    )
    return result.model_copy(update={"flags": [*result.flags, flag]})


def _fallback_name(entry: Any, index: int, taken: Mapping[str, Any]) -> str:
    """The result key of an entry that did not validate: its name if usable, else its position."""
    name = entry.get("name") or entry.get("plugin") if isinstance(entry, Mapping) else None
    if isinstance(name, str) and name.isidentifier() and name.islower() and name not in taken:
        return name
    return f"plugins_{index}"
