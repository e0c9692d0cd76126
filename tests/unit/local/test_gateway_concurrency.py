"""The API Gateway stand-in hands a function one request at a time, as one Lambda instance takes them."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from werkzeug.test import Client

from arbiter_local.gateway import Gateway
from arbiter_local.provision import Route


class RecordingRuntime:
    """Stands in for the Lambda runtime: counts how many invocations of each function overlap."""

    def __init__(self) -> None:
        self.active: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self._lock = threading.Lock()

    def resolve(self, function: str) -> Any:
        return SimpleNamespace(name=function)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.active[function] = self.active.get(function, 0) + 1
            self.most[function] = max(self.most.get(function, 0), self.active[function])
        time.sleep(0.02)
        with self._lock:
            self.active[function] -= 1
        return {"statusCode": 200, "body": event["path"]}


def test_requests_to_one_function_never_overlap(tmp_path: Path):
    runtime = RecordingRuntime()
    gateway = Gateway(
        runtime,  # type: ignore[arg-type]
        [Route("ANY", "/v1/review/{proxy+}", "review"), Route("ANY", "/v1/cases", "run")],
        stage="local",
        site_dir=tmp_path,
        health=dict,
        site_config=dict,
    )
    answers: list[tuple[int, str]] = []

    def browse(path: str) -> None:
        for _ in range(5):
            response = Client(gateway).get(path)
            answers.append((response.status_code, response.get_data(as_text=True)))

    threads = [
        threading.Thread(target=browse, args=(p,)) for p in ("/v1/review/a", "/v1/review/b", "/v1/cases")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(answers) == 15
    assert {a for a in answers} == {(200, "/v1/review/a"), (200, "/v1/review/b"), (200, "/v1/cases")}
    assert runtime.most["review"] == 1
    assert runtime.most["run"] == 1
