"""The collection API (`/v1/collection`): what an applicant's browser calls with their link's token, about the one
case the link opens. No route takes a case id: the case is the token's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from arbiter.api.openapi import responses
from arbiter.domain.case import Case
from arbiter.domain.principal import Principal
from arbiter.services import collection

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["COLLECTION_PREFIX", "CollectedCaseView", "collection_router", "is_collection_path"]

COLLECTION_PREFIX = "/v1/collection"


def is_collection_path(path: str) -> bool:
    """True for the routes a collection token (and only it) opens."""
    return path == COLLECTION_PREFIX or path.startswith(COLLECTION_PREFIX + "/")


class CollectedCaseView(BaseModel):
    """The case as its applicant sees it: what it is, and whether it still takes their answers."""

    id: str
    workflow: str
    entity_type: str
    state: str
    collecting: bool


def _view(case: Case) -> CollectedCaseView:
    return CollectedCaseView(
        id=case.id,
        workflow=case.workflow_id,
        entity_type=case.entity.type,
        state=case.state.value,
        collecting=case.state in collection.COLLECTABLE_STATES,
    )


def collection_router(deps: Callable[[], Dependencies], principal: Callable[[], Principal]) -> Router:
    """The applicant's routes, bound to the function's dependencies and the collection principal."""
    router = Router()
    tags = ["collection"]

    @router.get(
        f"{COLLECTION_PREFIX}/case",
        summary="The case this collection link opens",
        operation_id="getCollectedCase",
        tags=tags,
        responses=responses(404),
    )
    def get_case() -> CollectedCaseView:
        return _view(collection.collected_case(deps(), principal()))

    @router.post(
        f"{COLLECTION_PREFIX}/submit",
        summary="Submit the application: the case leaves collecting for its checks",
        operation_id="submitCollection",
        tags=tags,
        responses=responses(404, 409),
    )
    def submit() -> CollectedCaseView:
        return _view(collection.submit_collection(deps(), principal()))

    return router
