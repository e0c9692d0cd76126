"""Outbound HTTP guarded against server-side request forgery: websites, vendors, remote documents, webhooks.

Use `EgressClient(policy).fetch(url, ...)`; see docs/egress.md.
"""

from arbiter.egress.addresses import AllowList, refusal_reason
from arbiter.egress.client import EgressClient, EgressLimits, EgressPolicy, EgressResponse, Redirect
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
from arbiter.egress.transport import Resolver, system_resolver

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
