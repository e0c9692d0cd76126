"""API Gateway usage plans: the tiers tenants are throttled by, and each tenant's API key in one of them.

A tier is a usage plan attached to the API's stage, named by its plan's name (template.yaml: `standard`,
`high-volume`; an operator may add more). Each tenant has one API Gateway API key, in one tier's plan: API
Gateway throttles (and counts against a quota) each key separately, at its plan's limits. These keys are usage
identifiers the authorizer returns, never credentials: the API's key source is AUTHORIZER, so API Gateway ignores
any `x-api-key` a client sends.

Only the operator's tools call this (tenant creation, a change of tier), never a function.
"""

from __future__ import annotations

import secrets
from typing import Any

from botocore.exceptions import ClientError

from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.domain.tenant import UsageKey

__all__ = ["ApiGatewayUsagePlans"]


class ApiGatewayUsagePlans:
    """Implements `arbiter.services.ports.UsagePlans` for one API stage."""

    def __init__(self, client: Any, api_id: str, stage: str) -> None:
        self._client = client
        self._api_id = api_id
        self._stage = stage

    def _plans(self) -> dict[str, str]:
        """The stage's usage plans, plan name -> plan id."""
        plans: dict[str, str] = {}
        for page in self._client.get_paginator("get_usage_plans").paginate():
            for plan in page.get("items", []):
                stages = {(s.get("apiId"), s.get("stage")) for s in plan.get("apiStages", [])}
                if (self._api_id, self._stage) not in stages:
                    continue
                if plan["name"] in plans:
                    raise Conflict(
                        f"two usage plans of the API's stage are named {plan['name']!r}: rename one",
                        plans=[plans[plan["name"]], plan["id"]],
                    )
                plans[plan["name"]] = plan["id"]
        return plans

    def _plan_id(self, tier: str, plans: dict[str, str] | None = None) -> str:
        plans = self._plans() if plans is None else plans
        if tier not in plans:
            raise InvalidInput(f"no tier {tier!r}; the tiers are: {', '.join(sorted(plans))}", path="tier")
        return plans[tier]

    def tiers(self) -> list[str]:
        """The names of the stage's usage plans."""
        return sorted(self._plans())

    def issue_key(self, tenant_id: str, tier: str) -> UsageKey:
        """A new API key named after the tenant, in the tier's plan (deleted again if it cannot be put there)."""
        plan_id = self._plan_id(tier)
        value = secrets.token_urlsafe(30)  # API Gateway wants 20 to 128 characters
        created = self._client.create_api_key(
            name=f"{self._api_id}-{self._stage}-{tenant_id}",
            description=f"Arbiter tenant {tenant_id}: its requests' usage identifier (not a credential)",
            enabled=True,
            value=value,
            tags={"arbiter:tenant": tenant_id},
        )
        try:
            self._client.create_usage_plan_key(usagePlanId=plan_id, keyId=created["id"], keyType="API_KEY")
        except ClientError:
            self._client.delete_api_key(apiKey=created["id"])
            raise
        return UsageKey(tier=tier, key_id=created["id"], value=value)

    def move_key(self, key: UsageKey, tier: str) -> UsageKey:
        """Out of its plan, into the tier's: a key cannot be in two plans of one stage, so for the moment between
        the two calls the tenant's requests are refused (403)."""
        plans = self._plans()
        target = self._plan_id(tier, plans)
        current = plans.get(key.tier)
        if current is not None:
            try:
                self._client.delete_usage_plan_key(usagePlanId=current, keyId=key.key_id)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "NotFoundException":
                    raise
        self._client.create_usage_plan_key(usagePlanId=target, keyId=key.key_id, keyType="API_KEY")
        return key.model_copy(update={"tier": tier})
