"""What the integrator-facing functions share: who is calling, from the authorizer's verdict or the API key.

Through API Gateway, the authorizer (functions/authorize) has verified the key before the function runs, and put
its verdict in `requestContext.authorizer`: the tenant, the key's id and the key's SHA-256. API Gateway builds
`requestContext`; a client cannot set it (only headers and the body are the client's). The function trusts that
verdict for the key the request carries, checking only that this key hashes to the verdict's hash (no read), so
a verdict can never vouch for another key, even with a cache keyed on something else. Without a verdict (a direct
invocation, a route deployed without the authorizer), the function verifies the key itself, as before.

A collection link's token gets a verdict of kind `collection` (`collection_context`), which only
`collection_principal` accepts: an integrator route refuses it as it refuses any key it does not know.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from arbiter.api.auth import api_key_from_headers, bearer_token
from arbiter.domain.collection import hash_collection_token, is_collection_token
from arbiter.domain.errors import Unauthenticated
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant, hash_api_key
from arbiter.services.collection import CollectionTokenDeps, authenticate_collection_token
from arbiter.services.ports import TenantRepository
from arbiter.services.tenants import authenticate_api_key

__all__ = [
    "AUTHORIZER_CONTEXT_KEYS",
    "authenticate_integrator",
    "authorizer_context",
    "collection_context",
    "collection_principal",
    "integrator_principal",
]

#: The authorizer's `context` (template.yaml: ApiKeyAuthorizer), as API Gateway passes it on in strings.
AUTHORIZER_CONTEXT_KEYS = ("tenant_id", "key_id", "key_sha256")


def authorizer_context(tenant_id: str, key_id: str, key_sha256: str) -> dict[str, str]:
    """The verdict the authorizer hands the functions for a verified key."""
    return dict(zip(AUTHORIZER_CONTEXT_KEYS, (tenant_id, key_id, key_sha256), strict=True))


def collection_context(tenant_id: str, link_id: str, token_sha256: str, case_id: str) -> dict[str, str]:
    """The verdict the authorizer hands the functions for a verified collection token."""
    return {
        "kind": "collection",
        "tenant_id": tenant_id,
        "link_id": link_id,
        "key_sha256": token_sha256,
        "case_id": case_id,
    }


def _context(event: BaseProxyEvent) -> Mapping[str, Any]:
    return (event.raw_event.get("requestContext") or {}).get("authorizer") or {}


def _principal(tenant_id: str, key_id: str) -> Principal:
    return Principal(kind="integrator", tenant_id=tenant_id, id=f"key_{key_id}")


def _verdict(event: BaseProxyEvent, presented: str | None) -> tuple[str, str] | None:
    """(tenant id, key id) from the authorizer's verdict on the key this request carries; None without one."""
    context = _context(event)
    if (
        not presented
        or context.get("kind") == "collection"
        or not all(context.get(k) for k in AUTHORIZER_CONTEXT_KEYS)
    ):
        return None
    if not hmac.compare_digest(str(context["key_sha256"]), hash_api_key(presented)):
        return None
    return str(context["tenant_id"]), str(context["key_id"])


def collection_principal(deps: CollectionTokenDeps, event: BaseProxyEvent) -> Principal:
    """The applicant a collection token names, scoped to its case (401 when the token is missing, malformed,
    unknown, revoked or expired); no read when the authorizer vouched for this very token."""
    token = bearer_token(event.headers)
    context = _context(event)
    if (
        is_collection_token(token)
        and context.get("kind") == "collection"
        and all(context.get(k) for k in ("tenant_id", "link_id", "key_sha256", "case_id"))
        and hmac.compare_digest(str(context["key_sha256"]), hash_collection_token(token or ""))
    ):
        tenant_id, link_id, case_id = (
            str(context["tenant_id"]),
            str(context["link_id"]),
            str(context["case_id"]),
        )
    else:
        link = authenticate_collection_token(deps, token)
        tenant_id, link_id, case_id = link.tenant_id, link.id, link.case_id
    return Principal(kind="collection", tenant_id=tenant_id, id=f"link_{link_id}", case_id=case_id)


def integrator_principal(tenants: TenantRepository, event: BaseProxyEvent) -> Principal:
    """The calling integrator (401 when the key is missing or unknown); no read when the authorizer vouched."""
    presented = api_key_from_headers(event.headers)
    verdict = _verdict(event, presented)
    if verdict is not None:
        return _principal(*verdict)
    tenant, key = authenticate_api_key(tenants, presented)
    return _principal(tenant.id, key.key_id)


def authenticate_integrator(tenants: TenantRepository, event: BaseProxyEvent) -> tuple[Principal, Tenant]:
    """The calling integrator and its tenant (401 when the key is missing or unknown); one read (the tenant) when
    the authorizer vouched, two (key and tenant) otherwise."""
    presented = api_key_from_headers(event.headers)
    verdict = _verdict(event, presented)
    if verdict is None:
        tenant, key = authenticate_api_key(tenants, presented)
        return _principal(tenant.id, key.key_id), tenant
    found = tenants.get(verdict[0])
    if found is None:
        raise Unauthenticated("the API key is not valid")
    return _principal(*verdict), found
