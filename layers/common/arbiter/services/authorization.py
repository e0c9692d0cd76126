"""Authorizing an integrator's request at the API's edge: the use case of the API Gateway authorizer.

A request is allowed when its API key is valid; the answer names the tenant, the key and the tenant's usage key
(what API Gateway throttles the request under). Failed authentications are counted per source address in fixed
windows: once a source has `FailureLimit.failures` in the current window, its requests are refused with
`TooManyRequests` until the window ends, before any key is looked up, so a blocked source costs one read.

A collection link's token (`clk_`…) is the third credential: it is verified against the link store and answers
with a verdict of kind `collection` scoped to the link's case, throttled under the case's tenant's usage key; its
failures count as a key's do. Tokens are not remembered: a revoked link is refused at once.

A key verified once is remembered by this process for `VerifiedKeys.ttl` (it is neither looked up nor counted
again meanwhile): a revoked key keeps working that long in a warm authorizer.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field
from typing import Protocol

from arbiter.domain.collection import is_collection_token
from arbiter.domain.errors import TooManyRequests, Unauthenticated
from arbiter.domain.tenant import ApiKey, hash_api_key
from arbiter.services.collection import authenticate_collection_token
from arbiter.services.ports import AuthFailureCounter, CollectionLinkRepository, TenantRepository
from arbiter.services.tenants import authenticate_api_key

log = logging.getLogger(__name__)

__all__ = ["AuthorizationDeps", "AuthorizedKey", "FailureLimit", "VerifiedKeys", "authorize"]


@dataclass(frozen=True)
class FailureLimit:
    """How many failed authentications one source may have in a window before it is refused."""

    failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=1)

    def window_of(self, at: dt.datetime) -> dt.datetime:
        """The start of the window `at` falls in (windows are aligned on the epoch)."""
        seconds = self.window.total_seconds()
        return dt.datetime.fromtimestamp(math.floor(at.timestamp() / seconds) * seconds, dt.UTC)


@dataclass(frozen=True)
class AuthorizedKey:
    """A verified API key or collection token: whose it is, and the usage key its requests are throttled under.

    For a collection token, `key_id` is the link's id, `key_sha256` the token's hash and `case_id` its case."""

    tenant_id: str
    key_id: str
    key_sha256: str
    usage_key: str
    kind: str = "integrator"
    case_id: str | None = None


@dataclass
class VerifiedKeys:
    """Keys this process verified recently, by hash (never the key itself), each for `ttl`."""

    ttl: dt.timedelta = dt.timedelta(seconds=60)
    #: Beyond this many, the oldest entries are dropped: a warm authorizer's memory stays bounded.
    max_entries: int = 10_000
    _entries: dict[str, tuple[AuthorizedKey, dt.datetime]] = field(default_factory=dict, repr=False)

    def get(self, key_sha256: str, now: dt.datetime) -> AuthorizedKey | None:
        """The key, if verified less than `ttl` ago."""
        entry = self._entries.get(key_sha256)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._entries[key_sha256]
            return None
        return entry[0]

    def put(self, key: AuthorizedKey, now: dt.datetime) -> None:
        """Remember a key verified at `now`."""
        if self.ttl <= dt.timedelta(0):
            return
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key.key_sha256] = (key, now + self.ttl)


class AuthorizationDeps(Protocol):
    """What `authorize` needs (`arbiter.bootstrap.Dependencies` in the authorizer)."""

    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def collection_links(self) -> CollectionLinkRepository: ...
    @property
    def auth_failures(self) -> AuthFailureCounter: ...
    @property
    def failure_limit(self) -> FailureLimit: ...
    @property
    def verified_keys(self) -> VerifiedKeys: ...
    @property
    def shared_usage_key(self) -> str: ...
    def now(self) -> dt.datetime: ...


def authorize(deps: AuthorizationDeps, presented_key: str | None, source: str) -> AuthorizedKey:
    """The key `source` presented, verified; Unauthenticated when it is missing or not valid (counted against the
    source), TooManyRequests when the source has failed too often in the current window."""
    now = deps.now()
    key_sha256 = hash_api_key(presented_key) if presented_key else None
    if key_sha256 is not None and (known := deps.verified_keys.get(key_sha256, now)) is not None:
        return known
    limit = deps.failure_limit
    window = limit.window_of(now)
    if deps.auth_failures.count(source, window) >= limit.failures:
        retry_after = max(1, math.ceil((window + limit.window - now).total_seconds()))
        raise TooManyRequests(
            f"too many failed authentications from this address: try again in {retry_after} s",
            retry_after=retry_after,
        )
    if is_collection_token(presented_key):
        try:
            return _authorize_collection_token(deps, presented_key or "")
        except Unauthenticated:
            deps.auth_failures.record(source, window, expires_at=window + limit.window)
            raise
    try:
        tenant, stored = authenticate_api_key(deps.tenants, presented_key)
    except Unauthenticated:
        deps.auth_failures.record(source, window, expires_at=window + limit.window)
        raise
    _note_use(deps.tenants, stored, now.date())
    authorized = AuthorizedKey(
        tenant_id=tenant.id,
        key_id=stored.key_id,
        key_sha256=stored.key_hash,
        usage_key=tenant.usage.value if tenant.usage else deps.shared_usage_key,
    )
    deps.verified_keys.put(authorized, now)
    return authorized


def _authorize_collection_token(deps: AuthorizationDeps, token: str) -> AuthorizedKey:
    link = authenticate_collection_token(deps, token)
    tenant = deps.tenants.get(link.tenant_id)
    if tenant is None:
        raise Unauthenticated("the collection link is not valid")
    return AuthorizedKey(
        tenant_id=link.tenant_id,
        key_id=link.id,
        key_sha256=link.token_hash,
        usage_key=tenant.usage.value if tenant.usage else deps.shared_usage_key,
        kind="collection",
        case_id=link.case_id,
    )


#: The day each key's use was last noted by this instance: one write a day per key and instance at most.
_NOTED: dict[str, dt.date] = {}


def _note_use(tenants: TenantRepository, key: ApiKey, day: dt.date) -> None:
    """Record that `key` was used today (what admins see as its last use); a failure to record never refuses it."""
    if _NOTED.get(key.key_hash) == day:
        return
    try:
        tenants.record_key_use(key, day)
    except Exception:
        log.warning("could not record the use of API key %s", key.key_id, exc_info=True)
        return
    _NOTED[key.key_hash] = day
