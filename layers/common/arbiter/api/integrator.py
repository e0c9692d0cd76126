"""What the integrator-facing functions share: authentication by API key and their dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arbiter.api.auth import api_key_from_headers
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.services.cases import CaseDeps
from arbiter.services.ports import TenantRepository
from arbiter.services.tenants import authenticate_api_key
from arbiter.settings import Settings

if TYPE_CHECKING:
    from arbiter.api.idempotency import StartCase

__all__ = ["IntegratorDeps", "authenticate_integrator"]


@dataclass
class IntegratorDeps:
    settings: Settings
    cases: CaseDeps
    tenants: TenantRepository
    #: start_case behind powertools idempotency, keyed by (tenant, Idempotency-Key); None without a table.
    idempotent: StartCase | None = None


def authenticate_integrator(
    tenants: TenantRepository, headers: Mapping[str, str] | None
) -> tuple[Principal, Tenant]:
    """The calling tenant, from its API key (401 when missing or unknown)."""
    tenant, key = authenticate_api_key(tenants, api_key_from_headers(headers))
    return Principal(kind="integrator", tenant_id=tenant.id, id=f"key_{key.key_id}"), tenant
