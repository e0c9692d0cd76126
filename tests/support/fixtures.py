"""Pytest fixtures shared by the network-facing tests (imported by their conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.local_http import LocalServer, Route


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    """Start local servers: `serve({"/path": route}, ssl_context=None, host="127.0.0.1")`; all stop after."""
    started: list[LocalServer] = []

    def start(routes: dict[str, Route], **kwargs: object) -> LocalServer:
        server = LocalServer(routes, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
