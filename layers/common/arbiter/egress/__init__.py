"""Outbound HTTP guarded against server-side request forgery: websites, vendors, remote documents, webhooks.

Use `EgressClient(policy).fetch(url, ...)`; see docs/egress.md. The client (httpx) loads on first use, so the
address checks cost functions that only validate URLs nothing at cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arbiter.egress.addresses import AllowList, Resolver, refusal_reason, system_resolver
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

if TYPE_CHECKING:
    from arbiter.egress.client import EgressClient, EgressLimits, EgressPolicy, EgressResponse, Redirect

_CLIENT_NAMES = {"EgressClient", "EgressLimits", "EgressPolicy", "EgressResponse", "Redirect"}


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from arbiter.egress import client

        return getattr(client, name)
    raise AttributeError(f"module 'arbiter.egress' has no attribute {name!r}")


__all__ = [
    "AllowList",
    "ConnectFailed",
    "EgressClient",
    "EgressError",
    "EgressLimits",
    "EgressPolicy",
    "EgressRefused",
    "EgressResponse",
    "EgressTimeout",
    "InvalidURL",
    "Redirect",
    "Resolver",
    "ResponseTooLarge",
    "TLSVerificationFailed",
    "TooManyRedirects",
    "UnreadableResponse",
    "refusal_reason",
    "system_resolver",
]
