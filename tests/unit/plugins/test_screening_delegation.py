"""The screening checks handed to the function that holds the watchlists, the others run here, side by side."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from arbiter.plugins import (
    CHECK_FAILED,
    Plugin,
    PluginCheckRunner,
    PluginConfig,
    PluginRegistry,
    PluginResult,
)
from arbiter.plugins.screening_delegation import (
    DelegatingCheckRunner,
    ScreeningUnavailable,
    screens_watchlists,
)
from tests.support.fakes import InMemorySecrets

CONTEXT = {"case_id": "c-1", "tenant_id": "t-1", "entity": {"type": "individual"}, "documents": []}


class Contact(Plugin[PluginConfig]):
    name = "contact"
    version = "1.0.0"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        return PluginResult.ok({"ran": "here"})


class ScreeningFunctionStandIn:
    """The port's fake: answers as ScreeningFunction would, or fails as Lambda would, `failures` times."""

    def __init__(self, failures: list[ScreeningUnavailable] | None = None) -> None:
        self.failures = list(failures or [])
        self.requests: list[list[str]] = []

    def screen(
        self,
        context: Mapping[str, Any],
        plugins: Sequence[Mapping[str, Any]],
        *,
        time_budget_seconds: float | None,
    ) -> dict[str, dict[str, Any]]:
        self.requests.append([str(p.get("name") or p["plugin"]) for p in plugins])
        if self.failures:
            raise self.failures.pop(0)
        return {
            str(p.get("name") or p["plugin"]): PluginResult.ok({"ran": "screening"}).to_json()
            for p in plugins
        }


def runner(service: ScreeningFunctionStandIn) -> DelegatingCheckRunner:
    local = PluginCheckRunner(registry=PluginRegistry([Contact()]), secrets=InMemorySecrets({}))
    return DelegatingCheckRunner(local, service, retry_after_seconds=0.01, sleep=lambda _: None)


PLUGINS = [
    {"plugin": "sanctions", "name": "pep"},
    {"plugin": "contact"},
    {"plugin": "sanctions"},
]


def test_the_screening_checks_run_in_the_screening_function_and_the_others_here_in_the_configured_order() -> (
    None
):
    service = ScreeningFunctionStandIn()
    results = runner(service)(CONTEXT, PLUGINS, time_budget_seconds=30)
    assert list(results) == ["pep", "contact", "sanctions"]
    assert {name: r["data"]["ran"] for name, r in results.items()} == {
        "pep": "screening",
        "contact": "here",
        "sanctions": "screening",
    }
    assert service.requests == [["pep", "sanctions"]]


def test_without_a_screening_check_the_screening_function_is_not_called() -> None:
    service = ScreeningFunctionStandIn()
    results = runner(service)(CONTEXT, [{"plugin": "contact"}])
    assert results["contact"]["status"] == "ok"
    assert service.requests == []


def test_a_throttled_screening_function_is_asked_again_once() -> None:
    service = ScreeningFunctionStandIn([ScreeningUnavailable("TooManyRequestsException", transient=True)])
    results = runner(service)(CONTEXT, PLUGINS, time_budget_seconds=30)
    assert results["sanctions"]["status"] == "ok"
    assert len(service.requests) == 2


def test_a_screening_function_that_cannot_answer_fails_the_screening_checks_only() -> None:
    service = ScreeningFunctionStandIn(
        [ScreeningUnavailable("the function failed: Runtime.OutOfMemory", transient=True)] * 2
    )
    results = runner(service)(CONTEXT, PLUGINS, time_budget_seconds=30)
    assert results["contact"]["status"] == "ok"
    for name in ("pep", "sanctions"):
        assert results[name]["status"] == "error"
        assert "Runtime.OutOfMemory" in results[name]["error"]
        assert [f["code"] for f in results[name]["flags"]] == [CHECK_FAILED]
    assert len(service.requests) == 2


def test_a_permanent_failure_is_not_retried() -> None:
    service = ScreeningFunctionStandIn([ScreeningUnavailable("AccessDeniedException", transient=False)])
    results = runner(service)(CONTEXT, [{"plugin": "sanctions"}])
    assert results["sanctions"]["status"] == "error"
    assert len(service.requests) == 1


def test_only_the_watchlist_plugins_are_screening_checks() -> None:
    assert screens_watchlists({"plugin": "sanctions", "name": "pep"})
    assert not screens_watchlists({"plugin": "contact", "name": "sanctions"})


class Silent(ScreeningFunctionStandIn):
    """A screening function that answers only after the caller's budget (a cold start building a large list)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def screen(self, context, plugins, *, time_budget_seconds):  # type: ignore[no-untyped-def]
        self.release.wait(5)
        return super().screen(context, plugins, time_budget_seconds=time_budget_seconds)


def test_a_screening_function_that_does_not_answer_within_the_budget_leaves_the_check_out_of_time() -> None:
    service = Silent()
    local = PluginCheckRunner(registry=PluginRegistry([Contact()]), secrets=InMemorySecrets({}))
    delegating = DelegatingCheckRunner(local, service, grace_seconds=0.1)
    started = time.monotonic()
    results = delegating(CONTEXT, PLUGINS, time_budget_seconds=0.2)
    service.release.set()
    assert time.monotonic() - started < 2
    assert results["contact"]["status"] == "ok"
    assert results["sanctions"]["status"] == "error"
    assert results["sanctions"]["data"] == {"out_of_time": True}  # an automated run hands such a check over
    assert [f["code"] for f in results["sanctions"]["flags"]] == [CHECK_FAILED]
