"""An httpx transport that connects only to vetted addresses, and only until a deadline.

httpcore lets a transport choose its network backend: ours resolves the host itself, vets every address it
got, and connects to one of those very addresses. There is no second lookup between the check and the
connection, so a name that answers a public address to the check and a private one to the connect (DNS
rebinding) gains nothing. TLS still uses the URL's host for SNI and certificate checks, and the Host header
is untouched, because httpcore takes both from the request, not from the address we connect to.

Every socket operation is also capped by the time left until the request's deadline, which makes the total
time limit hold even against a server that trickles one byte just inside each read timeout.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from arbiter.egress.addresses import AllowList, IPAddress, Resolver, refusal_reason


#: Resolves (host, port) to the addresses to try, in order.
class AddressRefused(Exception):
    """Raised inside the transport; the client turns it into `EgressRefused` with the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeadlineExceeded(httpcore.TimeoutException):
    """The request's total time limit passed during a socket operation."""


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is bounded by the time left until the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _bound(self, timeout: float | None) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("total time limit exceeded")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bound(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bound(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, self._bound(timeout))
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class VettedBackend(httpcore.NetworkBackend):
    """Resolves, vets and connects; refuses Unix sockets; bounds everything by `deadline` (monotonic)."""

    def __init__(self, allow: AllowList, resolve: Resolver, deadline: float) -> None:
        self._allow = allow
        self._resolve = resolve
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def vetted_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of `host` that may be reached, or `AddressRefused` naming the first that may not."""
        try:
            # An address in the URL needs no lookup (and must not be handed to a resolver that might try).
            found = [ipaddress.ip_address(host)]
        except ValueError:
            found = self._lookup(host, port)
        if self._allow.allows_host(host):
            return found
        # One bad address refuses the host: a name that mixes public and private answers is not trusted.
        for address in found:
            if self._allow.allows_address(address):
                continue
            reason = refusal_reason(address)
            if reason:
                where = str(address) if host == str(address) else f"{host} resolves to {address}"
                raise AddressRefused(f"{where}: {reason}")
        return found

    def _lookup(self, host: str, port: int) -> list[IPAddress]:
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self._resolve(host, port)]
        except (OSError, UnicodeError) as e:
            raise httpcore.ConnectError(f"could not resolve {host}: {e}") from e
        if not found:
            raise httpcore.ConnectError(f"could not resolve {host}")
        return found

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last_error: Exception | None = None
        for address in self.vetted_addresses(host, port):
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded("total time limit exceeded while connecting")
            try:
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=left if timeout is None else min(timeout, left),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last_error = e
                continue
            return _DeadlineStream(stream, self._deadline)
        raise last_error or httpcore.ConnectError(f"could not connect to {host}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise AddressRefused("Unix sockets are not reachable")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class VettedTransport(httpx.HTTPTransport):
    """httpx's own transport with the vetted backend underneath, HTTP/1.1 only, and no proxy from the
    environment (a proxy would connect on our behalf to addresses we never saw)."""

    def __init__(self, backend: VettedBackend, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        # httpx builds its pool without a way to pass a network backend; the pool it builds is replaced with
        # the same one plus our backend. tests/unit/egress check that refusals happen, so a change in httpx
        # that dropped this pool would fail loudly, not silently open the door.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )
