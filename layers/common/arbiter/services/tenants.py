"""Use cases for tenants and their API keys."""

from __future__ import annotations

import datetime as dt
import secrets

from pydantic import ValidationError

from arbiter.domain.errors import InvalidInput, NotFound, Unauthenticated
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import (
    DEFAULT_TIER,
    MIN_API_KEY_LENGTH,
    ApiKey,
    Tenant,
    TenantSettings,
    generate_api_key,
    hash_api_key,
    key_prefix,
)
from arbiter.services.ports import TenantRepository, UsagePlans

__all__ = [
    "api_keys_of",
    "authenticate_api_key",
    "change_setting",
    "change_tier",
    "create_api_key",
    "create_tenant",
    "issue_api_key",
    "revoke_api_key",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_tenant(
    tenants: TenantRepository,
    tenant_id: str,
    name: str,
    settings: TenantSettings | None = None,
    *,
    usage_plans: UsagePlans | None = None,
    tier: str = DEFAULT_TIER,
) -> Tenant:
    """Create a tenant, with its own usage key in `tier` when `usage_plans` is given; Conflict if the id exists.

    The tenant is stored first, so that an id already taken creates nothing in API Gateway; a tier that does not
    exist is refused before anything is stored.
    """
    if usage_plans is not None:
        _check_tier(usage_plans, tier)
    tenant = Tenant(id=tenant_id, name=name, created_at=_now(), settings=settings or TenantSettings())
    tenants.add(tenant)
    if usage_plans is not None:
        tenant.usage = usage_plans.issue_key(tenant_id, tier)
        tenants.update(tenant)
    return tenant


def change_tier(tenants: TenantRepository, usage_plans: UsagePlans, tenant_id: str, tier: str) -> Tenant:
    """Put the tenant in another tier (usage plan); a tenant without a usage key of its own gets one."""
    tenant = tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} does not exist", tenant_id=tenant_id)
    _check_tier(usage_plans, tier)
    if tenant.usage is None:
        tenant.usage = usage_plans.issue_key(tenant_id, tier)
    elif tenant.usage.tier != tier:
        tenant.usage = usage_plans.move_key(tenant.usage, tier)
    tenants.update(tenant)
    return tenant


def _check_tier(usage_plans: UsagePlans, tier: str) -> None:
    known = usage_plans.tiers()
    if tier not in known:
        raise InvalidInput(f"no tier {tier!r}; the tiers are: {', '.join(sorted(known))}", path="tier")


def change_setting(tenants: TenantRepository, tenant_id: str, name: str, value: object) -> Tenant:
    """Set one of the tenant's settings (`TenantSettings`), validated; InvalidInput naming it when it is not one or
    the value does not fit."""
    tenant = tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} does not exist", tenant_id=tenant_id)
    if name not in TenantSettings.model_fields:
        known = ", ".join(sorted(TenantSettings.model_fields))
        raise InvalidInput(f"no tenant setting {name!r}; the settings are: {known}", path=name)
    try:
        tenant.settings = TenantSettings.model_validate({**tenant.settings.model_dump(), name: value})
    except ValidationError as exc:
        problem = exc.errors()[0].get("msg", "invalid")
        raise InvalidInput(f"{name}: {problem}", path=name) from exc
    tenants.update(tenant)
    return tenant


def issue_api_key(
    tenants: TenantRepository,
    tenant_id: str,
    *,
    label: str = "",
    key: str | None = None,
    allow_short_key: bool = False,
) -> str:
    """Issue a key for the tenant and return it; it is not stored and cannot be shown again.

    `key` lets an operator import a key that already exists elsewhere, of at least `MIN_API_KEY_LENGTH`
    characters; `allow_short_key` is for the local demo's `secret` only (Ballerine's documented example key).
    """
    if key is not None and len(key) < MIN_API_KEY_LENGTH and not allow_short_key:
        raise InvalidInput(f"an API key has at least {MIN_API_KEY_LENGTH} characters", path="key")
    if tenants.get(tenant_id) is None:
        raise NotFound(f"tenant {tenant_id} does not exist", tenant_id=tenant_id)
    return _issue(tenants, tenant_id, label, key)[0]


def _issue(
    tenants: TenantRepository, tenant_id: str, label: str, key: str | None = None
) -> tuple[str, ApiKey]:
    plaintext = key or generate_api_key()
    stored = ApiKey(
        key_hash=hash_api_key(plaintext),
        tenant_id=tenant_id,
        key_id=secrets.token_hex(8),
        label=label,
        prefix=key_prefix(plaintext),
        created_at=_now(),
    )
    tenants.add_api_key(stored)
    return plaintext, stored


def api_keys_of(tenants: TenantRepository, principal: Principal) -> list[ApiKey]:
    """The tenant's API keys for its admins, newest first: never the keys themselves, only their first characters."""
    principal.require("admin", "reading API keys")
    return sorted(tenants.api_keys(principal.tenant_id), key=lambda k: k.created_at, reverse=True)


def create_api_key(tenants: TenantRepository, principal: Principal, label: str) -> tuple[str, ApiKey]:
    """A new key for the admin's tenant: (the key, shown this once; its stored record)."""
    principal.require("admin", "creating API keys")
    return _issue(tenants, principal.tenant_id, label.strip())


def revoke_api_key(tenants: TenantRepository, principal: Principal, key_id: str) -> ApiKey:
    """Revoke a key of the admin's tenant: refused from the next request that is not served from the authorizer's
    cache (`AuthorizerCacheSeconds`)."""
    principal.require("admin", "revoking API keys")
    return tenants.revoke_api_key(principal.tenant_id, key_id, _now())


def authenticate_api_key(tenants: TenantRepository, key: str | None) -> tuple[Tenant, ApiKey]:
    """The tenant an API key belongs to, and the stored key; Unauthenticated if missing, unknown or revoked."""
    if not key:
        raise Unauthenticated("an API key is required (Authorization: Bearer <key> or X-API-Key)")
    stored = tenants.get_api_key(hash_api_key(key))
    if stored is None or stored.revoked:
        raise Unauthenticated("the API key is not valid")
    tenant = tenants.get(stored.tenant_id)
    if tenant is None:
        raise Unauthenticated("the API key is not valid")
    return tenant, stored
