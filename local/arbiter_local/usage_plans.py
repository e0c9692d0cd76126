"""API Gateway's usage plans, as the stand-in applies them to the routes that require an API key.

The plans and keys are what the stack provisioned in moto's API Gateway (template.yaml's usage plans and keys, the
tenants' keys the operator's tools created since): a plan applies to the API's stage when its `apiStages` names
it. As API Gateway does, each key is throttled separately at its plan's rate and burst (a token bucket holding
`burstLimit` tokens, refilled at `rateLimit` a second) and counted against its plan's quota (per UTC day, week
from Monday, or month; the quota's offset is not emulated). A request without a key, or with one that is unknown,
disabled or in no plan of the stage, is refused (INVALID_API_KEY, 403 Forbidden); one over the rate THROTTLED
(429), one over the quota QUOTA_EXCEEDED (429).

The plans are read from moto again every `refresh_seconds`, and at once for a key not seen yet (a tenant just
created): a key moved to another plan is throttled under the new one a moment later (API Gateway takes a moment
too). The stage's own throttle (MethodSettings) is not emulated.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PlanLimits", "TokenBucket", "UsagePlans"]


@dataclass
class TokenBucket:
    """`capacity` tokens at most, `rate` more a second; a request takes one."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        """Take a token if there is one."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class PlanLimits:
    """A usage plan's throttle and quota (None: no limit of that kind)."""

    plan_id: str
    rate: float | None = None
    burst: int | None = None
    quota: int | None = None
    quota_period: str = "DAY"

    @classmethod
    def from_plan(cls, plan: dict[str, Any]) -> PlanLimits:
        throttle, quota = plan.get("throttle") or {}, plan.get("quota") or {}
        return cls(
            plan_id=plan["id"],
            rate=float(throttle["rateLimit"]) if "rateLimit" in throttle else None,
            burst=int(throttle["burstLimit"]) if "burstLimit" in throttle else None,
            quota=int(quota["limit"]) if quota.get("limit") is not None else None,
            quota_period=str(quota.get("period", "DAY")),
        )


def _period_start(period: str, today: dt.date) -> dt.date:
    if period == "WEEK":
        return today - dt.timedelta(days=today.weekday())
    if period == "MONTH":
        return today.replace(day=1)
    return today


@dataclass
class UsagePlans:
    """The usage plans of one API stage, read from moto's API Gateway through `client` (a boto3 client)."""

    client: Any
    api_id: str
    stage: str
    refresh_seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    today: Callable[[], dt.date] = field(default=lambda: dt.datetime.now(dt.UTC).date())
    _limits: dict[str, PlanLimits] = field(default_factory=dict, repr=False)  # key value -> its plan
    _read_at: float | None = field(default=None, repr=False)
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict, repr=False)
    _counts: dict[tuple[str, str, dt.date], int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def admit(self, usage_key: str | None) -> str | None:
        """None if a request under `usage_key` may go on, else the gateway response type refusing it."""
        if not usage_key:
            return "INVALID_API_KEY"
        with self._lock:
            now = self.clock()
            stale = self._read_at is None or now - self._read_at >= self.refresh_seconds
            if stale or usage_key not in self._limits:
                self._limits = self._read()
                self._read_at = now
            limits = self._limits.get(usage_key)
            if limits is None:
                return "INVALID_API_KEY"
            if limits.rate is not None and limits.burst is not None:
                bucket = self._buckets.get((limits.plan_id, usage_key))
                if bucket is None or (bucket.rate, bucket.capacity) != (limits.rate, limits.burst):
                    bucket = TokenBucket(limits.rate, limits.burst, float(limits.burst), now)
                    self._buckets[(limits.plan_id, usage_key)] = bucket
                if not bucket.take(now):
                    return "THROTTLED"
            if limits.quota is not None:
                counted = (limits.plan_id, usage_key, _period_start(limits.quota_period, self.today()))
                if self._counts.get(counted, 0) >= limits.quota:
                    return "QUOTA_EXCEEDED"
                self._counts[counted] = self._counts.get(counted, 0) + 1
            return None

    def _read(self) -> dict[str, PlanLimits]:
        """Every enabled key of the stage's plans, by value, with its plan's limits."""
        enabled = {
            k["value"]
            for page in self.client.get_paginator("get_api_keys").paginate(includeValues=True)
            for k in page.get("items", [])
            if k.get("enabled")
        }
        limits: dict[str, PlanLimits] = {}
        for page in self.client.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                if not any(
                    (s.get("apiId"), s.get("stage")) == (self.api_id, self.stage)
                    for s in plan.get("apiStages", [])
                ):
                    continue
                keys = self.client.get_usage_plan_keys(usagePlanId=plan["id"]).get("items", [])
                for key in keys:
                    if key.get("value") in enabled:
                        limits[key["value"]] = PlanLimits.from_plan(plan)
        return limits
