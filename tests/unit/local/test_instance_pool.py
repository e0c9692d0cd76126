"""A function's instances: concurrent invocations run side by side, each on its own load of the module, never
more at once than the function's limit; a failed cold start or a failing handler leaves the pool usable."""

from __future__ import annotations

import secrets
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from arbiter_local.runtime import FunctionSpec, InvocationError, LambdaRuntime


class Probe(ModuleType):
    """Shared by every instance of a test function (through sys.modules): what they saw, how many at once."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.loads = 0
        self.failing_loads = 0
        self.barrier = threading.Barrier(2, timeout=10)
        self.release = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


@pytest.fixture
def probe() -> Iterator[Probe]:
    name = f"pool_probe_{secrets.token_hex(4)}"
    module = Probe(name)
    sys.modules[name] = module
    yield module
    module.release.set()
    sys.modules.pop(name, None)


def function(tmp_path: Path, probe: Probe, body: str, *, timeout_s: int = 10) -> FunctionSpec:
    """A function whose app.py imports the probe as `probe`, then runs `body` at import."""
    code = tmp_path / f"fn_{secrets.token_hex(3)}"
    code.mkdir()
    (code / "app.py").write_text(f"import {probe.__name__} as probe\n" + textwrap.dedent(body))
    return FunctionSpec(
        logical_id=f"Fn{code.name}",
        name=code.name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{code.name}",
        code_dir=code,
        handler="app.handler",
        environment={},
        timeout_s=timeout_s,
        runtime="python3.13",
    )


def runtime(*specs: FunctionSpec, limit: int = 8) -> LambdaRuntime:
    return LambdaRuntime({s.name: s for s in specs}, base_environment={}, instances_per_function=limit)


REMEMBERS_ITS_EVENT = """
    current = None  # module state, as powertools' resolver keeps the current request

    def handler(event, context):
        global current
        current = event["caller"]
        probe.enter()
        try:
            if event.get("meet"):
                probe.barrier.wait()  # both invocations are inside the handler at the same time
            if event.get("hold"):
                probe.release.wait(10)
            return {"caller": current, "module": __name__}
        finally:
            probe.leave()
"""


def test_two_invocations_of_one_function_run_side_by_side_each_with_its_own_event(tmp_path, probe):
    spec = function(tmp_path, probe, REMEMBERS_ITS_EVENT)
    local = runtime(spec)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda who: local.invoke(spec.name, {"caller": who, "meet": True}), "ab"))
    assert [a["caller"] for a in answers] == ["a", "b"]
    assert answers[0]["module"] != answers[1]["module"]  # two instances, two loads of the module
    assert probe.most == 2
    assert local.instances() == {spec.name: 2}
    assert sorted(r.cold for r in local.invocations) == [True, True]


def test_a_free_instance_is_reused_warm(tmp_path, probe):
    spec = function(tmp_path, probe, REMEMBERS_ITS_EVENT)
    local = runtime(spec)
    first = local.invoke(spec.name, {"caller": "a"})
    second = local.invoke(spec.name, {"caller": "b"})
    assert (first["caller"], second["caller"]) == ("a", "b")
    assert first["module"] == second["module"]
    assert [r.cold for r in local.invocations] == [True, False]
    assert local.instances() == {spec.name: 1}


def test_the_limit_holds_and_the_others_wait_for_a_free_instance(tmp_path, probe):
    spec = function(tmp_path, probe, REMEMBERS_ITS_EVENT)
    local = runtime(spec, limit=2)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(local.invoke, spec.name, {"caller": str(i), "hold": True}) for i in range(6)]
        # Two hold their instance; the other four wait until the two are let go.
        threading.Timer(0.3, probe.release.set).start()
        answers = [f.result(timeout=20) for f in futures]
    assert sorted(a["caller"] for a in answers) == [str(i) for i in range(6)]
    assert probe.most == 2
    assert local.instances() == {spec.name: 2}


def test_a_caller_that_waits_longer_than_the_timeout_is_throttled(tmp_path, probe):
    spec = function(tmp_path, probe, REMEMBERS_ITS_EVENT, timeout_s=1)
    local = runtime(spec, limit=1)
    with ThreadPoolExecutor(1) as pool:
        holding = pool.submit(local.invoke, spec.name, {"caller": "a", "hold": True})
        while probe.active == 0:
            threading.Event().wait(0.01)
        with pytest.raises(InvocationError) as throttled:
            local.invoke(spec.name, {"caller": "b"})
        probe.release.set()
        assert holding.result(timeout=10)["caller"] == "a"
    assert throttled.value.payload["errorType"] == "TooManyRequestsException"
    assert local.invoke(spec.name, {"caller": "c"})["caller"] == "c"  # the instance is free again


FAILS_ITS_FIRST_LOAD = """
    with probe.lock:
        probe.loads += 1
        first = probe.loads == 1
    if first:
        raise RuntimeError("the first cold start fails")

    def handler(event, context):
        if event.get("fail"):
            raise ValueError("bad event")
        return {"module": __name__}
"""


def test_a_failed_cold_start_leaves_no_instance_behind(tmp_path, probe):
    spec = function(tmp_path, probe, FAILS_ITS_FIRST_LOAD)
    local = runtime(spec, limit=1)
    with pytest.raises(InvocationError) as failed:
        local.invoke(spec.name, {})
    assert failed.value.payload["errorType"] == "RuntimeError"
    assert local.instances() == {spec.name: 0}
    assert not [m for m in sys.modules if m.startswith(f"arbiter_functions.{spec.logical_id}.")]
    # The slot was given back: with a limit of one, the next invocation loads a working instance.
    assert local.invoke(spec.name, {})["module"].startswith(f"arbiter_functions.{spec.logical_id}.")
    assert local.instances() == {spec.name: 1}


def test_a_handler_error_keeps_the_instance_and_the_pool_serves_on(tmp_path, probe):
    spec = function(tmp_path, probe, FAILS_ITS_FIRST_LOAD)
    local = runtime(spec, limit=1)
    with pytest.raises(InvocationError):
        local.invoke(spec.name, {})  # the failed cold start
    answered = local.invoke(spec.name, {})
    with pytest.raises(InvocationError) as failed:
        local.invoke(spec.name, {"fail": True})
    assert failed.value.payload["errorType"] == "ValueError"
    assert local.invoke(spec.name, {}) == answered  # the same instance, still warm
    assert [r.errored for r in local.invocations] == [True, False, True, False]
    assert local.instances() == {spec.name: 1}


def test_an_instance_that_exits_is_replaced(tmp_path, probe):
    spec = function(
        tmp_path,
        probe,
        """
        def handler(event, context):
            if event.get("exit"):
                raise SystemExit(1)
            return {"module": __name__}
        """,
    )
    local = runtime(spec, limit=1)
    first = local.invoke(spec.name, {})
    with pytest.raises(SystemExit):
        local.invoke(spec.name, {"exit": True})
    assert local.instances() == {spec.name: 0}
    assert local.invoke(spec.name, {})["module"] != first["module"]


def test_the_invocation_log_is_bounded_and_counts_everything(tmp_path, probe, monkeypatch):
    from arbiter_local import runtime as runtime_module

    monkeypatch.setattr(runtime_module, "INVOCATION_LOG_SIZE", 3)
    spec = function(tmp_path, probe, REMEMBERS_ITS_EVENT)
    local = runtime(spec)
    for who in "abcde":
        local.invoke(spec.name, {"caller": who})
    assert local.invocation_count == 5
    assert len(local.invocations) == 3
    assert len(local.invocations_since(3)) == 2
    assert local.invocations_since(5) == []


# The API functions' resolver (arbiter.api.rest.RestApi), whose request state is the request's own.
RESOLVES_REQUESTS = """
    from arbiter.api.rest import RestApi

    app = RestApi(authenticate=lambda event: event.headers["x-caller"])
    app.include_router(probe.shared_router)

    @app.get("/who")
    def who():
        probe.barrier.wait()  # the other request is being resolved right now
        return {"caller": app.current_event.headers["x-caller"], "authenticated": app.caller(), "module": __name__}

    def handler(event, context):
        return app.resolve(event, context)
"""


def rest_event(path: str, caller: str) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"x-caller": caller},
        "requestContext": {"resourcePath": path, "httpMethod": "GET", "stage": "local", "requestId": caller},
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.fixture
def shared_router(probe: Probe) -> Any:
    """A router at module level in shared code, included by every instance (as the common layer's are)."""
    from aws_lambda_powertools.event_handler.api_gateway import Router

    router = Router()

    @router.get("/shared")
    def shared() -> dict[str, Any]:
        probe.barrier.wait()
        return {"caller": router.current_event.headers["x-caller"], "route": router.context.get("_path")}

    probe.shared_router = router  # type: ignore[attr-defined]
    return router


@pytest.mark.parametrize("path", ["/who", "/shared"])
def test_concurrent_requests_each_read_their_own_request(tmp_path, probe, shared_router, path):
    import json

    spec = function(tmp_path, probe, RESOLVES_REQUESTS)
    other = function(tmp_path, probe, RESOLVES_REQUESTS)
    local = runtime(spec, other)
    calls = [(spec.name, "alice"), (other.name if path == "/who" else spec.name, "bob")]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda call: local.invoke(call[0], rest_event(path, call[1])), calls))
    bodies = [json.loads(a["body"]) for a in answers]
    assert [a["statusCode"] for a in answers] == [200, 200], bodies
    assert [b["caller"] for b in bodies] == ["alice", "bob"]
    if path == "/shared":
        assert [b["route"] for b in bodies] == ["/shared", "/shared"]
    else:
        assert [b["authenticated"] for b in bodies] == ["alice", "bob"]
