"""Admin API for the tenant's API keys (`/v1/admin/api-keys`): create one (shown once), list them with their first
characters and last use, revoke one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import ApiKey
from arbiter.services import tenants

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["admin_api_keys_router"]


class ApiKeyView(BaseModel):
    """A key as admins see it: never the key, only its first characters."""

    id: str
    label: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: dt.datetime
    last_used_on: dt.date | None = Field(description="The last day a request used it (none yet: null)")
    revoked: bool
    revoked_at: dt.datetime | None = None


class ApiKeyList(BaseModel):
    items: list[ApiKeyView]


class NewApiKey(ApiKeyView):
    key: str = Field(description="The key itself: shown this once, stored only as its hash")


class CreateApiKeyRequest(BaseModel):
    label: str = Field(default="", max_length=200, description="What the key is for (e.g. the integration)")


def _view(key: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=key.key_id,
        label=key.label,
        prefix=key.prefix,
        created_at=key.created_at,
        last_used_on=key.last_used_on,
        revoked=key.revoked,
        revoked_at=key.revoked_at,
    )


def admin_api_keys_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The API key routes, bound to the including function's dependencies and its authenticated reviewer."""
    router = Router()
    tags = ["admin"]

    @router.get(
        "/v1/admin/api-keys",
        summary="The tenant's API keys (first characters, last use, revoked or not)",
        operation_id="listApiKeys",
        tags=tags,
        responses=responses(403),
    )
    def list_keys() -> ApiKeyList:
        return ApiKeyList(items=[_view(k) for k in tenants.api_keys_of(deps().tenants, caller())])

    @router.post(
        "/v1/admin/api-keys",
        summary="Create an API key: the answer is the only time it is shown",
        operation_id="createApiKey",
        tags=tags,
        responses=responses(403, status=201, description="The key, shown this once"),
    )
    def create_key(body: CreateApiKeyRequest) -> Response[NewApiKey]:
        plaintext, stored = tenants.create_api_key(deps().tenants, caller(), body.label)
        answer = NewApiKey(**_view(stored).model_dump(), key=plaintext)
        return Response(201, content_types.APPLICATION_JSON, answer, headers={"Cache-Control": "no-store"})

    @router.delete(
        "/v1/admin/api-keys/<key_id>",
        summary="Revoke an API key (refused once the authorizer's cache of it expires)",
        operation_id="revokeApiKey",
        tags=tags,
        responses=responses(403, 404),
    )
    def revoke_key(key_id: str) -> ApiKeyView:
        return _view(tenants.revoke_api_key(deps().tenants, caller(), key_id))

    return router
