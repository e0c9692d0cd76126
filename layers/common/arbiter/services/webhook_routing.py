"""Which published events the bus hands to the webhooks function: those some subscription of their tenant may want.

The publisher marks them (`routed`: an extra entry in the event's `resources`, which the webhooks function's rule
matches), so a tenant without subscriptions, or whose subscriptions want other types, invokes nothing. The routes
(`WebhookRoutes`) are widened in the same transaction as the subscription that needs them, and read consistently,
so a subscription stored before an event is published gets it: nothing lags but this process's cache, which only
ever skips a read for a type the routes already route (routes never narrow). A type they do not route is read
again before the event is let go.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from arbiter.domain.tenant import Tenant
from arbiter.domain.webhooks import Subscription, WebhookRoutes

__all__ = ["RoutesStore", "WebhookRouter", "worked_out_routes"]

#: How long a warm publisher keeps a tenant's routes for the types they route (a type they do not is read again).
ROUTES_MAX_AGE_SECONDS = 60.0


class RoutesStore(Protocol):
    def webhook_routes(self, tenant_id: str) -> WebhookRoutes | None:
        """The tenant's routes (read consistently), or None until `keep_routes` first stored them."""
        ...

    def keep_routes(self, tenant_id: str, routes: WebhookRoutes) -> None:
        """Add `routes` to the tenant's and mark them complete."""
        ...

    def subscriptions_for(self, tenant_id: str, case_id: str | None) -> list[Subscription]:
        """The tenant's subscriptions (`case_id` None: the tenant-wide ones)."""
        ...


class TenantReader(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...


def worked_out_routes(subscriptions: Iterable[Subscription], tenant: Tenant | None) -> WebhookRoutes:
    """Routes for a tenant whose routes were never kept: its tenant-wide subscriptions' types, and the Ballerine
    events if it can have Ballerine runs asking for webhooks (they need its shared secret)."""
    types: set[str] = set()
    for subscription in subscriptions:
        types |= subscription.routed_event_types()
    shared_secret = bool(tenant is not None and tenant.settings.webhook_shared_secret)
    return WebhookRoutes(event_types=frozenset(types), ballerine_runs=shared_secret)


class WebhookRouter:
    """The events of a batch that go to the webhooks function; one per warm publisher."""

    def __init__(
        self,
        store: RoutesStore,
        tenants: TenantReader,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_age_seconds: float = ROUTES_MAX_AGE_SECONDS,
    ) -> None:
        self._store = store
        self._tenants = tenants
        self._clock = clock
        self._max_age = max_age_seconds
        self._cache: dict[str, tuple[float, WebhookRoutes]] = {}

    def routed(self, envelopes: Iterable[dict[str, Any]]) -> set[str]:
        """The ids of the envelopes some subscription of their tenant may want."""
        found: set[str] = set()
        read_now: dict[str, WebhookRoutes] = {}
        for envelope in envelopes:
            tenant_id, event_type = envelope.get("tenant_id"), str(envelope.get("type") or "")
            if not tenant_id:
                continue
            cached = self._cache.get(tenant_id)
            if cached and self._clock() - cached[0] < self._max_age and cached[1].wants(event_type):
                found.add(envelope["id"])
                continue
            if tenant_id not in read_now:
                read_now[tenant_id] = self._read(tenant_id)
            if read_now[tenant_id].wants(event_type):
                found.add(envelope["id"])
        return found

    def _read(self, tenant_id: str) -> WebhookRoutes:
        routes = self._store.webhook_routes(tenant_id)
        if routes is None:
            # Subscriptions made before routes were kept: work them out once, and keep them with what came since.
            worked_out = worked_out_routes(
                self._store.subscriptions_for(tenant_id, None), self._tenants.get(tenant_id)
            )
            self._store.keep_routes(tenant_id, worked_out)
            routes = self._store.webhook_routes(tenant_id) or worked_out
        self._cache[tenant_id] = (self._clock(), routes)
        return routes
