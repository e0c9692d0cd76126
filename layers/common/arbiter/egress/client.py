"""The one outbound HTTP client: every request Arbiter makes on behalf of a case goes through it.

It refuses URLs whose host is (or resolves to) an internal address unless the allow-list names it, connects to
the address it checked, follows redirects itself so that every hop is checked again, bounds connect, read and
total time, and stops reading past a size limit. Headers the caller passes (API keys, signatures) go to the
first URL's origin only, never to a host a redirect points at.
"""

from __future__ import annotations

import codecs
import json
import re
import ssl
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from arbiter.egress.addresses import AllowList, Resolver, system_resolver
from arbiter.egress.body import ACCEPT_ENCODING, BodyTooLarge, UnsupportedEncoding, read_limited
from arbiter.egress.errors import (
    ConnectFailed,
    EgressError,
    EgressRefused,
    EgressTimeout,
    InvalidURL,
    ResponseTooLarge,
    TLSVerificationFailed,
    TooManyRedirects,
    UnreadableResponse,
)
from arbiter.egress.transport import AddressRefused, VettedBackend, VettedTransport

_SCHEMES = ("http", "https")
_CHARSET = re.compile(r"charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class EgressLimits:
    """Time and size limits of one fetch (all hops together for the total time and the redirects)."""

    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 10.0
    total_timeout_seconds: float = 20.0
    max_bytes: int = 2_000_000
    max_redirects: int = 5

    def with_changes(self, **changes: Any) -> EgressLimits:
        """A copy with the given limits changed (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class EgressPolicy:
    """The operator's settings: the global allow-list and the default limits."""

    allow: AllowList = field(default_factory=AllowList)
    limits: EgressLimits = field(default_factory=EgressLimits)
    user_agent: str = "Arbiter/0.1 (risk decisioning)"


@dataclass(frozen=True)
class Redirect:
    """One redirect that was followed."""

    url: str
    status_code: int
    location: str


@dataclass(frozen=True)
class EgressResponse:
    """A response read in full (or up to the limit when `truncated`)."""

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes
    redirects: tuple[Redirect, ...]
    elapsed_ms: int
    tls_version: str | None
    truncated: bool = False

    @property
    def is_https(self) -> bool:
        """Whether the final URL is https (its certificate then verified: the fetch fails otherwise)."""
        return self.url.lower().startswith("https://")

    def text(self) -> str:
        """The body decoded with the charset the server declared, UTF-8 otherwise; bad bytes are replaced."""
        match = _CHARSET.search(self.headers.get("content-type", ""))
        charset = match.group(1) if match else "utf-8"
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (`ValueError` when it is not JSON)."""
        return json.loads(self.content)


class EgressClient:
    """Fetches URLs under an `EgressPolicy`; safe to share between threads."""

    def __init__(
        self,
        policy: EgressPolicy | None = None,
        *,
        resolve: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy or EgressPolicy()
        self._resolve = resolve
        self._ssl_context = ssl_context
        self._lock = threading.Lock()

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        allow: AllowList | Iterable[str] | None = None,
        limits: EgressLimits | None = None,
        truncate: bool = False,
    ) -> EgressResponse:
        """Send one request and follow its redirects; raises an `EgressError` subclass on any failure.

        `allow` adds entries to the policy's allow-list for this fetch; `truncate` keeps the first `max_bytes`
        of a larger body instead of raising `ResponseTooLarge`.
        """
        limits = limits or self.policy.limits
        allowed = self.policy.allow + (allow if isinstance(allow, AllowList) else AllowList.parse(allow))
        started = time.monotonic()
        backend = VettedBackend(allowed, self._resolve, deadline=started + limits.total_timeout_seconds)
        connect = limits.connect_timeout_seconds
        timeout = httpx.Timeout(limits.read_timeout_seconds, connect=connect, pool=connect)
        base_headers = {"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING}
        with httpx.Client(
            transport=VettedTransport(backend, self._ssl()),
            follow_redirects=False,
            timeout=timeout,
            trust_env=False,
            headers=base_headers,
        ) as client:
            try:
                request = client.build_request(
                    method, url, headers=headers, params=params, json=json, content=content
                )
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as e:
                raise InvalidURL(url, str(e)) from e
            _check_url(request.url, url)
            origin = _origin(request.url)
            own_headers = [k.lower() for k in (headers or {})]
            redirects: list[Redirect] = []
            while True:
                _check_url(request.url)
                response = _send(client, request)
                try:
                    following = response.next_request
                    if following is None:
                        body = _read(response, limits.max_bytes, truncate)
                        return EgressResponse(
                            url=str(request.url),
                            status_code=response.status_code,
                            headers=response.headers,
                            content=body,
                            redirects=tuple(redirects),
                            elapsed_ms=int((time.monotonic() - started) * 1000),
                            tls_version=_tls_version(response),
                            truncated=truncate and len(body) >= limits.max_bytes,
                        )
                finally:
                    response.close()
                redirects.append(Redirect(str(request.url), response.status_code, str(following.url)))
                if len(redirects) > limits.max_redirects:
                    raise TooManyRedirects(
                        f"more than {limits.max_redirects} redirects", url=str(following.url)
                    )
                if _origin(following.url) != origin:
                    for name in own_headers:
                        following.headers.pop(name, None)
                request = following

    def _ssl(self) -> ssl.SSLContext:
        # Loading the CA bundle takes milliseconds: once per client, on first use, not at import.
        with self._lock:
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context(verify=True, trust_env=False)
            return self._ssl_context


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _check_url(url: httpx.URL, shown: str | None = None) -> None:
    shown = shown or str(url)
    if not url.scheme:
        raise InvalidURL(shown, "not an absolute URL")
    if url.scheme not in _SCHEMES:
        raise EgressRefused(shown, f"scheme {url.scheme!r} is not http or https")
    if not url.host:
        raise InvalidURL(shown, "no host")


def _send(client: httpx.Client, request: httpx.Request) -> httpx.Response:
    url = str(request.url)
    try:
        return client.send(request, stream=True)
    except AddressRefused as e:
        raise EgressRefused(url, e.reason) from e
    except httpx.TimeoutException as e:
        raise EgressTimeout(f"timed out fetching {url}: {str(e) or 'no answer in time'}", url=url) from e
    except httpx.ConnectError as e:
        if _is_certificate_error(e):
            raise TLSVerificationFailed(f"TLS certificate of {url} did not verify: {e}", url=url) from e
        raise ConnectFailed(f"could not connect to {url}: {e}", url=url) from e
    except httpx.TransportError as e:
        raise ConnectFailed(f"connection to {url} failed: {e}", url=url) from e


def _read(response: httpx.Response, limit: int, truncate: bool) -> bytes:
    url = str(response.request.url)
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{url} declares {declared} bytes, over the limit of {limit}", url=url)
    try:
        return read_limited(
            response.iter_raw(), response.headers.get("content-encoding", ""), limit, truncate=truncate
        )
    except BodyTooLarge as e:
        raise ResponseTooLarge(f"{url} sent more than the limit of {limit} bytes", url=url) from e
    except UnsupportedEncoding as e:
        raise UnreadableResponse(f"{url} used content encoding {e}, which was not offered", url=url) from e
    except httpx.TimeoutException as e:
        raise EgressTimeout(f"timed out reading {url}: {str(e) or 'no data in time'}", url=url) from e
    except httpx.TransportError as e:
        raise ConnectFailed(f"connection to {url} broke while reading: {e}", url=url) from e
    except Exception as e:  # zlib.error and friends: the body is not what its headers say
        if isinstance(e, EgressError):
            raise
        raise UnreadableResponse(f"{url} sent a body that cannot be decoded: {e}", url=url) from e


def _is_certificate_error(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _tls_version(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    return ssl_object.version() if ssl_object is not None else None
