"""The local Lambda runtime gives each concurrent invocation an instance of its own, as Lambda does."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import pytest

from arbiter_local.runtime import FunctionSpec, LambdaRuntime

# Like powertools' resolvers, the handler keeps the current event on its module while it works.
HANDLER = """
import runtime_test_coordination as coordination

current = None


def handler(event, context):
    global current
    current = event["n"]
    if event.get("together"):
        coordination.barrier.wait(5)
    return {"n": event["n"], "seen": current}
"""


@pytest.fixture
def runtime(tmp_path: Path):
    (tmp_path / "app.py").write_text(HANDLER)
    coordination = types.ModuleType("runtime_test_coordination")
    coordination.barrier = threading.Barrier(2)  # type: ignore[attr-defined]
    sys.modules["runtime_test_coordination"] = coordination
    spec = FunctionSpec(
        "Fn",
        "local-fn",
        "arn:aws:lambda:us-east-1:123456789012:function:local-fn",
        tmp_path,
        "app.handler",
        {},
    )
    yield LambdaRuntime({"local-fn": spec}, base_environment={})
    sys.modules.pop("runtime_test_coordination", None)
    for name in [m for m in sys.modules if m.startswith("arbiter_functions.Fn.")]:
        sys.modules.pop(name)


def test_concurrent_invocations_each_get_their_own_instance(runtime):
    results: list[dict] = []
    threads = [
        threading.Thread(
            target=lambda n=n: results.append(runtime.invoke("local-fn", {"n": n, "together": True}))
        )
        for n in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # Both were inside the handler at once; neither saw the other's event.
    assert sorted(results, key=lambda r: r["n"]) == [{"n": 1, "seen": 1}, {"n": 2, "seen": 2}]
    assert runtime.instances("local-fn") == 2


def test_one_invocation_after_another_reuses_the_warm_instance(runtime):
    assert [runtime.invoke("local-fn", {"n": n})["seen"] for n in range(3)] == [0, 1, 2]
    assert runtime.instances("local-fn") == 1
