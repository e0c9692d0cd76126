"""The collection API (`/v1/collection`): what an applicant's browser calls with their link's token, about the one
case the link opens. No route takes a case id: the case is the token's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.collection_links import collection_url
from arbiter.api.openapi import responses
from arbiter.api.schemas import DeclaredDocument, document_view
from arbiter.domain.case import Case
from arbiter.domain.collection_journey import LANGUAGES, Texts, shows
from arbiter.domain.principal import Principal
from arbiter.services import collection, collection_submission
from arbiter.services.collection_invitations import InvitationRequest, invite_person
from arbiter.services.documents import DocumentDeclaration

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = [
    "COLLECTION_PREFIX",
    "CollectedCaseView",
    "JourneyView",
    "collection_router",
    "is_collection_path",
]

COLLECTION_PREFIX = "/v1/collection"


def is_collection_path(path: str) -> bool:
    """True for the routes a collection token (and only it) opens."""
    return path == COLLECTION_PREFIX or path.startswith(COLLECTION_PREFIX + "/")


class WaitingPersonView(BaseModel):
    """A person a submitted application waits for: the owner's or director's id in the form, and their name."""

    person_id: str
    name: str


class CollectedCaseView(BaseModel):
    """The case as its applicant sees it: what it is, whether it still takes their answers, and, submitted while
    people it invited had not finished their own part (`awaiting_people`), whom it waits for."""

    id: str
    workflow: str
    entity_type: str
    state: str
    collecting: bool
    waiting_for: list[WaitingPersonView] = Field(
        default_factory=list, description="The people the application waits for (their own part not finished)"
    )


def _view(case: Case, person_id: str | None = None) -> CollectedCaseView:
    return CollectedCaseView(
        id=case.id,
        workflow=case.workflow_id,
        entity_type=case.entity.type,
        state=case.state.value,
        collecting=collection.takes_answers(case, person_id),
        waiting_for=[WaitingPersonView(person_id=p.id, name=p.name) for p in case.people_pending],
    )


class SlotView(BaseModel):
    id: str
    document_type: str
    label: str
    required: bool
    per_owner: bool
    #: For a per-owner slot, its condition as JSON Logic over `owner` (the site evaluates it for each owner).
    show_if: dict[str, Any] | None = None
    visible: bool


class StepView(BaseModel):
    id: str
    title: str
    description: str | None = None
    data_schema: dict[str, Any]
    ui: dict[str, Any]
    labels: dict[str, str]
    visible: bool
    documents: list[SlotView]


class InvitationView(BaseModel):
    """An invited person's link: the only time it is shown."""

    person_id: str
    url: str
    expires_at: dt.datetime
    #: `sent` when the link was e-mailed to them, `failed` when it could not be; None: not e-mailed.
    email: Literal["sent", "failed"] | None = None


class RevisionView(BaseModel):
    """What a reviewer sent back to the applicant: why, which documents to upload again, which fields to answer
    again (`<step id>.<field>`) and the steps holding those fields."""

    reason: str
    documents: list[str]
    #: Steps whose data is asked for again: those holding the fields named.
    steps: list[str] = []
    fields: list[str] = []


class JourneyView(BaseModel):
    """The journey in one language: its steps (conditions evaluated on the data so far), the data, where to resume."""

    case: CollectedCaseView
    language: str
    steps: list[StepView]
    data: dict[str, Any]
    resume_at: str | None
    #: Ids of the case's documents with a page uploaded: a slot's document is its id, or `<slot id>.<n>` for
    #: the n-th owner's.
    uploaded: list[str]
    #: Set for a link sent to one person (a UBO's or director's id): the steps are their own, and a slot's
    #: document is `<slot id>.<person id>`.
    person_id: str | None = None
    #: Set while a reviewer's revision request awaits the applicant: the site opens only what it names.
    revision: RevisionView | None = None
    #: Owners and directors (by `id`) sent a link of their own: they upload their own ID, so the applicant is
    #: asked none of their per-owner slots.
    invited: list[str] = []


def _text(texts: Texts | None, language: str) -> str | None:
    return texts.get(language) if texts else None


def _journey_view(journey: collection.Journey, language: str) -> JourneyView:
    data = journey.answers
    steps = [
        StepView(
            id=step.id,
            title=step.title.get(language),
            description=_text(step.description, language),
            data_schema=step.data_schema,
            ui=step.ui,
            labels={name: texts.get(language) for name, texts in step.labels.items()},
            visible=shows(step.show_if, data),
            documents=[
                SlotView(
                    id=slot.id,
                    document_type=slot.document_type,
                    label=slot.label.get(language),
                    required=slot.required,
                    per_owner=slot.per_owner,
                    show_if=slot.show_if if slot.per_owner else None,
                    visible=slot.per_owner or shows(slot.show_if, data),
                )
                for slot in step.documents
            ],
        )
        for step in journey.definition.steps
    ]
    return JourneyView(
        case=_view(journey.case, journey.person_id),
        language=language,
        steps=steps,
        data=data,
        resume_at=journey.resume_at,
        uploaded=journey.uploaded,
        person_id=journey.person_id,
        revision=_revision_view(journey),
        invited=sorted(journey.own_links),
    )


def _revision_view(journey: collection.Journey) -> RevisionView | None:
    revision = journey.revision
    if revision is None:
        return None
    named = {field.split(".", 1)[0] for field in revision.fields}
    return RevisionView(
        reason=revision.reason,
        documents=revision.document_ids,
        steps=[step.id for step in journey.definition.steps if step.id in named],
        fields=revision.fields,
    )


Language = Annotated[
    str | None,
    Query(
        pattern=r"^(en|de|es)$",
        description="en, de or es; without it the link's language, else the browser's (Accept-Language), else en",
    ),
]


def journey_language(asked: str | None, link_language: str | None, accept_language: str | None) -> str:
    """The language a journey is shown in: the one asked for, the link's, the browser's first we serve, or en."""
    if asked:
        return asked
    if link_language in LANGUAGES:
        return str(link_language)
    for part in (accept_language or "").split(","):
        primary = part.split(";")[0].strip().lower().split("-")[0]
        if primary in LANGUAGES:
            return primary
    return LANGUAGES[0]


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
        case = collection.collected_case(deps(), principal())
        return _view(case, collection.link_person(deps(), principal(), case))

    def _language(asked: str | None, journey: collection.Journey) -> str:
        headers = router.current_event.headers or {}
        accept = headers.get("Accept-Language") or headers.get("accept-language")
        return journey_language(asked, journey.language, accept)

    @router.get(
        f"{COLLECTION_PREFIX}/journey",
        summary="The journey to fill in: steps, schemas, texts, the data saved so far and where to resume",
        operation_id="getCollectionJourney",
        tags=tags,
        responses=responses(404),
    )
    def get_journey(language: Language = None) -> JourneyView:
        journey = collection.collection_journey(deps(), principal())
        return _journey_view(journey, _language(language, journey))

    @router.put(
        f"{COLLECTION_PREFIX}/steps/<step_id>",
        summary="Save one step's data (autosave): checked against the step's schema, other steps kept",
        operation_id="saveCollectionStep",
        tags=tags,
        responses=responses(404, 409),
    )
    def save_step(
        step_id: str, body: Annotated[dict[str, Any], Body()], language: Language = None
    ) -> JourneyView:
        journey = collection.save_step(deps(), principal(), step_id, body)
        return _journey_view(journey, _language(language, journey))

    @router.post(
        f"{COLLECTION_PREFIX}/documents",
        summary="Declare a document of a slot and get a presigned upload per page (the documents API, this case only)",
        operation_id="declareCollectedDocument",
        tags=tags,
        responses=responses(404, 409, status=201, description="The document; upload each page with its form"),
    )
    def declare_document(body: DocumentDeclaration) -> Response[DeclaredDocument]:
        _case, document, uploads = collection.declare_collected_document(deps(), principal(), body)
        view = DeclaredDocument.model_validate({"document": document_view(document), "uploads": uploads})
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)

    @router.post(
        f"{COLLECTION_PREFIX}/invitations",
        summary="Invite an owner or director named in the saved form: a link of their own, to their own steps",
        operation_id="inviteCollectionPerson",
        tags=tags,
        responses=responses(
            403, 404, 409, status=201, description="Their link; send it to them (shown only here)"
        ),
    )
    def invite(body: InvitationRequest) -> Response[InvitationView]:
        issued = invite_person(deps(), principal(), body)
        view = InvitationView(
            person_id=issued.link.person_id or "",
            url=collection_url(deps().settings, issued.token),
            expires_at=issued.link.expires_at,
            email=issued.email,
        )
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=view)

    @router.post(
        f"{COLLECTION_PREFIX}/submit",
        summary="Submit the application (or a person's own part): the case leaves collecting for its checks, or "
        "waits for the people it invited",
        operation_id="submitCollection",
        tags=tags,
        responses=responses(404, 409),
    )
    def submit(language: Language = None) -> CollectedCaseView:
        headers = router.current_event.headers or {}
        accept = headers.get("Accept-Language") or headers.get("accept-language")
        chosen = journey_language(language, None, accept)
        case = collection_submission.submit_collection(deps(), principal(), chosen)
        return _view(case, collection.link_person(deps(), principal(), case))

    return router
