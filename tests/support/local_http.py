"""A real HTTP server on 127.0.0.1 (or ::1) for tests, whose answers are Python functions.

Each route gets the request as the server saw it and returns a `Reply`. A reply can stall on an event (for
timeouts) or send its body in chunks with pauses (for trickling servers); every wait is bounded, and the
server releases stalled handlers when it stops.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import AF_INET6


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    sni: str | None = None


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: Send the body in these pieces instead, pausing `pause_seconds` before each one (no Content-Length).
    chunks: Iterable[bytes] | None = None
    pause_seconds: float = 0.0
    #: Wait this long (or until the server stops) before answering at all.
    stall_seconds: float = 0.0


Route = Callable[[SeenRequest], Reply]


class LocalServer:
    """Serves `routes` (path without query → function) until `close()`; records every request."""

    def __init__(
        self, routes: dict[str, Route], *, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.routes = routes
        self.requests: list[SeenRequest] = []
        self.released = threading.Event()
        self._last_sni: str | None = None
        server_class = _V6Server if ":" in host else ThreadingHTTPServer
        self._server = server_class((host, 0), self._handler_class())
        self._server.daemon_threads = True
        if ssl_context is not None:
            ssl_context.sni_callback = self._remember_sni
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        self.host = host
        self.port = self._server.server_address[1]
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        shown = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"{self.scheme}://{shown}:{self.port}{path}"

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _remember_sni(self, _socket: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        # Tests make one connection at a time, so the last name seen is the name of the request served.
        self._last_sni = server_name

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = SeenRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    sni=server._last_sni,
                )
                server.requests.append(seen)
                route = server.routes.get(self.path.split("?", 1)[0])
                reply = route(seen) if route else Reply(404, body=b"not found")
                if reply.stall_seconds and server.released.wait(reply.stall_seconds):
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.chunks is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in reply.chunks:
                    if reply.pause_seconds and server.released.wait(reply.pause_seconds):
                        return
                    try:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    except OSError:
                        return
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


class _V6Server(ThreadingHTTPServer):
    address_family = AF_INET6
