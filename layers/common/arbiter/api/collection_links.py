"""Collection link routes: send an applicant a link to their case's collection journey, list a case's links,
revoke one. Integrators reach them under `/v1/cases`, reviewers under `/v1/review/cases`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.domain.collection import CollectionLink
from arbiter.domain.principal import Principal
from arbiter.services import collection
from arbiter.services.collection import CollectionLinkRequest

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies
    from arbiter.settings import Settings

__all__ = [
    "CollectionLinkList",
    "CollectionLinkView",
    "collection_links_router",
    "collection_url",
    "new_collection_link",
]


class CollectionLinkView(BaseModel):
    """A collection link; `url` and `token` only in the answer that created it (the token is not stored)."""

    id: str
    case_id: str
    person_id: str | None = None
    language: str | None = None
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    url: str | None = Field(default=None, description="Send this to the applicant: it opens their journey")
    token: str | None = Field(default=None, description="The link's token, for a collection site of your own")
    email: Literal["sent", "failed"] | None = Field(
        default=None,
        description="Only where the link was created: `sent` when it was e-mailed, `failed` when the message could "
        "not be sent (send a new link), absent when the tenant sends no e-mail or no address is known",
    )


class CollectionLinkList(BaseModel):
    items: list[CollectionLinkView]


def collection_url(settings: Settings, token: str) -> str:
    """The applicant's link (`Settings.collection_link`)."""
    return settings.collection_link(token)


def _view(
    link: CollectionLink, *, url: str | None = None, token: str | None = None, email: str | None = None
) -> CollectionLinkView:
    return CollectionLinkView.model_validate(
        {**link.model_dump(), "url": url, "token": token, "email": email}
    )


def _issued_view(settings: Settings, issued: collection.IssuedLink) -> CollectionLinkView:
    return _view(
        issued.link, url=collection_url(settings, issued.token), token=issued.token, email=issued.email
    )


def new_collection_link(deps: Dependencies, principal: Principal, case_id: str) -> dict[str, Any]:
    """A link with the default options for a case just started with `collect: true`, as JSON; a retried start
    answers its first link without `url` and `token` (`collection.link_for_started_case`)."""
    found = collection.link_for_started_case(deps, principal, case_id)
    if isinstance(found, CollectionLink):
        return _view(found).model_dump(mode="json", exclude_none=True)
    return _issued_view(deps.settings, found).model_dump(mode="json", exclude_none=True)


def collection_links_router(
    deps: Callable[[], Dependencies], principal: Callable[[], Principal], *, prefix: str, audience: str = ""
) -> Router:
    """The routes under `{prefix}/<case_id>/collection-links`; `audience` prefixes the operation ids."""
    router = Router()
    tags = ["collection"]
    path = f"{prefix}/<case_id>/collection-links"

    @router.post(
        path,
        summary="Send an applicant a link to fill in the case themselves",
        operation_id=f"create{audience}CollectionLink",
        tags=tags,
        responses=responses(403, 404, 409, status=201, description="The link; its token is shown only here"),
    )
    def create(case_id: str, body: CollectionLinkRequest) -> Response[CollectionLinkView]:
        issued = collection.create_collection_link(deps(), principal(), case_id, body)
        view = _issued_view(deps().settings, issued)
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)

    @router.get(
        path,
        summary="A case's collection links (revoked and expired ones included)",
        operation_id=f"list{audience}CollectionLinks",
        tags=tags,
        responses=responses(404),
    )
    def list_links(case_id: str) -> CollectionLinkList:
        found = collection.list_collection_links(deps(), principal(), case_id)
        return CollectionLinkList(items=[_view(k) for k in found])

    @router.delete(
        f"{path}/<link_id>",
        summary="Revoke a collection link: its token is refused from now on",
        operation_id=f"revoke{audience}CollectionLink",
        tags=tags,
        responses=responses(403, 404),
    )
    def revoke(case_id: str, link_id: str) -> CollectionLinkView:
        return _view(collection.revoke_collection_link(deps(), principal(), case_id, link_id))

    return router
