"""The API Gateway stand-in hands concurrent requests to the runtime at once: it is the runtime's instance pool,
not a lock in the gateway, that keeps one invocation per instance (see test_instance_pool.py)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from werkzeug.test import Client

from arbiter_local.gateway import Gateway
from arbiter_local.provision import Route
from arbiter_local.runtime import InvocationError


class MeetingRuntime:
    """Stands in for the Lambda runtime: each invocation waits until two are in flight at once."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=10)

    def resolve(self, function: str) -> Any:
        return SimpleNamespace(name=function)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        self.barrier.wait()
        return {"statusCode": 200, "body": f"{function} {event['path']}"}


def test_two_requests_to_one_function_are_invoked_side_by_side(tmp_path: Path):
    runtime = MeetingRuntime()
    gateway = Gateway(
        runtime,  # type: ignore[arg-type]
        [Route("ANY", "/v1/review/{proxy+}", "review")],
        stage="local",
        site_dir=tmp_path,
        health=dict,
        site_config=dict,
    )
    answers: list[tuple[int, str]] = []

    def browse(path: str) -> None:
        response = Client(gateway).get(path)
        answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=browse, args=(p,)) for p in ("/v1/review/a", "/v1/review/b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # With one request at a time the first would wait at the barrier for a second that never comes: an error.
    assert sorted(answers) == [(200, "review /v1/review/a"), (200, "review /v1/review/b")]


class FailingRuntime(MeetingRuntime):
    """A function whose handler raises, as the runtime reports it."""

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        raise InvocationError(
            {"errorType": "KeyError", "errorMessage": "'tenant'", "stackTrace": ['  File "handler.py"\n']}
        )


def test_a_function_that_raises_is_a_502_and_its_error_is_logged(tmp_path: Path, caplog: Any):
    gateway = Gateway(
        FailingRuntime(),  # type: ignore[arg-type]
        [Route("ANY", "/v1/review/{proxy+}", "review")],
        stage="local",
        site_dir=tmp_path,
        health=dict,
        site_config=dict,
    )
    with caplog.at_level(logging.WARNING, logger="arbiter_local"):
        response = Client(gateway).get("/v1/review/me")
    assert (response.status_code, response.json) == (502, {"message": "Internal server error"})
    [record] = caplog.records
    assert record.getMessage().startswith("GET /v1/review/me: review failed: KeyError: 'tenant'\n")
    assert 'File "handler.py"' in record.getMessage()
