"""The API Gateway stand-in hands a function one request at a time, as one Lambda instance takes them, and runs
different functions at once. Each test proves its requests were in flight together: a latch in the handler
releases only once the other request has reached the gateway (or the other function's handler), with a deadline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from werkzeug.test import Client

from arbiter_local.gateway import Gateway
from arbiter_local.provision import Route
from tests.waiting import wait_for

DEADLINE = 5.0


class LatchedRuntime:
    """Stands in for the Lambda runtime: each invocation runs `handler(path)`; records which paths are inside an
    invocation, the most at once per function, and the order invocations started and ended."""

    def __init__(self, handler: Callable[[str], None]) -> None:
        self.handler = handler
        self.inside: dict[str, set[str]] = {}
        self.most: dict[str, int] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()

    def resolve(self, function: str) -> Any:
        return SimpleNamespace(name=function)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        path = event["path"]
        with self._lock:
            self.inside.setdefault(function, set()).add(path)
            self.most[function] = max(self.most.get(function, 0), len(self.inside[function]))
            self.log.append(f"start {path}")
        try:
            self.handler(path)
        finally:
            with self._lock:
                self.inside[function].discard(path)
                self.log.append(f"end {path}")
        return {"statusCode": 200, "body": path}

    def running(self, path: str) -> bool:
        with self._lock:
            return any(path in paths for paths in self.inside.values())


def gateway_for(
    runtime: LatchedRuntime, tmp_path: Path, arrived: list[str] | None = None
) -> Callable[..., Any]:
    """The gateway (review and cases routes), wrapped to record in `arrived` each request as it reaches it."""
    gateway = Gateway(
        runtime,  # type: ignore[arg-type]
        [Route("ANY", "/v1/review/{proxy+}", "review"), Route("ANY", "/v1/cases", "run")],
        stage="local",
        site_dir=tmp_path,
        health=dict,
        site_config=dict,
    )
    seen = arrived if arrived is not None else []

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["PATH_INFO"])
        return gateway(environ, start_response)

    return counting


def get_all(app: Callable[..., Any], paths: list[str]) -> dict[str, tuple[int, str]]:
    """GET each path from its own thread at once; the answers by path."""
    answers: dict[str, tuple[int, str]] = {}

    def get(path: str) -> None:
        response = Client(app).get(path)
        answers[path] = (response.status_code, response.get_data(as_text=True))

    threads = [threading.Thread(target=get, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE * 2)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    return answers


def test_two_functions_run_at_once(tmp_path: Path) -> None:
    both = threading.Barrier(2, timeout=DEADLINE)  # broken (an error answer) unless both handlers are inside

    def handler(_path: str) -> None:
        both.wait()

    runtime = LatchedRuntime(handler)
    answers = get_all(gateway_for(runtime, tmp_path), ["/v1/review/a", "/v1/cases"])
    assert answers == {"/v1/review/a": (200, "/v1/review/a"), "/v1/cases": (200, "/v1/cases")}
    assert not both.broken


def test_a_second_request_to_a_function_waits_until_the_first_has_answered(tmp_path: Path) -> None:
    arrived: list[str] = []
    started_second: list[bool] = []

    def handler(path: str) -> None:
        if path == "/v1/review/first":
            # In flight together: the second request has reached the gateway while this one is being handled...
            wait_for(lambda: "/v1/review/second" in arrived, timeout=DEADLINE, what="the second request")
            # ...and for as long as this one runs, it is not handed to the function (it would be at once if the
            # gateway let it through: this bounded wait would end early, and the test fails).
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                if runtime.running("/v1/review/second"):
                    started_second.append(True)
                    return
                time.sleep(0.01)

    runtime = LatchedRuntime(handler)
    app = gateway_for(runtime, tmp_path, arrived)
    answers: dict[str, tuple[int, str]] = {}
    first = threading.Thread(target=lambda: answers.update(get_all(app, ["/v1/review/first"])))
    first.start()
    wait_for(
        lambda: runtime.running("/v1/review/first"), timeout=DEADLINE, what="the first request's handler"
    )
    answers.update(get_all(app, ["/v1/review/second"]))
    first.join(DEADLINE * 2)
    assert answers == {
        "/v1/review/first": (200, "/v1/review/first"),
        "/v1/review/second": (200, "/v1/review/second"),
    }
    assert started_second == []
    assert runtime.log == ["start /v1/review/first", "end /v1/review/first", "start /v1/review/second", "end /v1/review/second"]  # fmt: skip
    assert runtime.most["review"] == 1
