"""What the integrator-facing functions share: authentication by API key."""

from __future__ import annotations

from collections.abc import Mapping

from arbiter.api.auth import api_key_from_headers
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services.ports import TenantRepository
from arbiter.services.tenants import authenticate_api_key

__all__ = ["authenticate_integrator"]


def authenticate_integrator(
    tenants: TenantRepository, headers: Mapping[str, str] | None
) -> tuple[Principal, Tenant]:
    """The calling tenant, from its API key (401 when missing or unknown)."""
    tenant, key = authenticate_api_key(tenants, api_key_from_headers(headers))
    return Principal(kind="integrator", tenant_id=tenant.id, id=f"key_{key.key_id}"), tenant
