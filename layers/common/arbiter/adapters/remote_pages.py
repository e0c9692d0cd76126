"""Remote document pages fetched through the egress client (private, loopback, link-local and metadata
addresses refused unless allowed; every redirect re-checked; size and time bounded)."""

from __future__ import annotations

from arbiter.egress import EgressClient, EgressError, EgressLimits
from arbiter.services.documents import PageUnavailable

__all__ = ["EgressPageFetcher"]

PAGE_LIMITS = EgressLimits(
    connect_timeout_seconds=5, read_timeout_seconds=10, total_timeout_seconds=20, max_redirects=5
)


class EgressPageFetcher:
    """Implements `arbiter.services.documents.PageFetcher`."""

    def __init__(self, client: EgressClient, limits: EgressLimits = PAGE_LIMITS) -> None:
        self._client = client
        self._limits = limits

    def fetch(self, url: str, max_bytes: int) -> bytes:
        """The page's bytes; PageUnavailable says why not (refused address, timeout, HTTP status, size)."""
        try:
            response = self._client.fetch(url, limits=self._limits.with_changes(max_bytes=max_bytes))
        except EgressError as exc:
            raise PageUnavailable(f"{type(exc).__name__}: {exc.message}") from exc
        if response.status_code != 200:
            raise PageUnavailable(f"the server answered HTTP {response.status_code}")
        return response.content
