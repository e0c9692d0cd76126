"""Use cases of collection links: send an applicant a link to fill in their own application, list, revoke, and
authenticate the token such a link carries."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from arbiter.domain.case import SYSTEM, Actor, Case, CaseState, RevisionRequest
from arbiter.domain.collection import (
    DEFAULT_LINK_DAYS,
    MAX_LINK_DAYS,
    CollectionLink,
    generate_collection_token,
    hash_collection_token,
    is_collection_token,
)
from arbiter.domain.collection_journey import (
    CollectionJourney,
    check_step_data,
    person_answer_key,
    slot_document_id,
)
from arbiter.domain.document import Document
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unauthenticated
from arbiter.domain.principal import Principal
from arbiter.services import cases, collection_mail, documents
from arbiter.services.collection_mail import MailDeps, MailOutcome
from arbiter.services.ports import CaseRepository, CollectionLinkRepository, WorkflowCatalog

__all__ = [
    "COLLECTABLE_STATES",
    "CollectionLinkDeps",
    "CollectionLinkRequest",
    "CollectionTokenDeps",
    "IssuedLink",
    "Journey",
    "answered_person_ids",
    "authenticate_collection_token",
    "case_of",
    "collected_case",
    "collection_journey",
    "create_collection_link",
    "declare_collected_document",
    "issue_link",
    "issue_system_link",
    "journey_for",
    "journey_of",
    "link_for_started_case",
    "link_person",
    "list_collection_links",
    "mail_link",
    "people_with_own_links",
    "person_ids",
    "require_collecting",
    "revoke_collection_link",
    "save_step",
    "takes_answers",
    "uploaded_documents",
]

#: The states in which an applicant can still fill in their application.
COLLECTABLE_STATES = (CaseState.COLLECTING, CaseState.REVISION_REQUESTED)
#: What a refused token learns: nothing (expired, revoked, unknown and malformed look the same).
_REFUSED = "the collection link is not valid"


class CollectionLinkRequest(BaseModel):
    """What a link is for: optionally one person of the case, how long it lasts, the journey's language."""

    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"person_id": "ubo-1", "expires_in_days": 7}]}
    )

    person_id: str | None = Field(
        default=None, max_length=128, description="A person of the case (a UBO's or director's `id`)"
    )
    expires_in_days: int = Field(default=DEFAULT_LINK_DAYS, ge=1, le=MAX_LINK_DAYS)
    language: str | None = Field(default=None, pattern=r"^(en|de|es)$", description="en, de or es")
    email: EmailStr | None = Field(
        default=None,
        description="Where to e-mail the link (when the tenant sends e-mail); without it the applicant's or the "
        "person's address on the case, if any",
    )

    def model_post_init(self, _context: object) -> None:
        # Ballerine-style integrators send "" for what they do not use.
        if self.person_id == "":
            object.__setattr__(self, "person_id", None)


@dataclass(frozen=True)
class IssuedLink:
    """A link just created, with its token: the only time the token exists outside the applicant's browser."""

    link: CollectionLink
    token: str
    #: Whether the link was e-mailed: sent, failed (send a new one), or None (the tenant sends no e-mail, or no
    #: address is known).
    email: MailOutcome = None


class CollectionTokenDeps(Protocol):
    """What verifying a token needs (the authorizer has no case store)."""

    @property
    def collection_links(self) -> CollectionLinkRepository: ...
    def now(self) -> dt.datetime: ...


class CollectionLinkDeps(CollectionTokenDeps, MailDeps, Protocol):
    """The ports the link use cases need (e-mail included: a link may be sent by e-mail)."""

    @property
    def cases(self) -> CaseRepository: ...
    @property
    def workflows(self) -> WorkflowCatalog: ...


@dataclass(frozen=True)
class Journey:
    """A case's collection journey as its applicant resumes it: the steps, what they saved, where to go on, the
    documents uploaded so far, and the link's own language (None: the applicant's browser chooses)."""

    case: Case
    definition: CollectionJourney
    answers: dict[str, Any]
    resume_at: str | None
    language: str | None = None
    #: For a link sent to one person: who (the journey is then their person steps only, the answers theirs).
    person_id: str | None = None
    #: The people holding a usable link of their own: the case's applicant is asked none of their ID slots.
    own_links: frozenset[str] = frozenset()
    #: Every step's saved data as stored (the applicant's and each person's, `step` or `step:person`), read once.
    saved: dict[str, Any] = field(default_factory=dict)

    @property
    def uploaded(self) -> list[str]:
        """Ids of the case's documents with a page uploaded (what a document slot's upload is stored under)."""
        return uploaded_documents(self.case)

    @property
    def revision(self) -> RevisionRequest | None:
        """What a reviewer sent back, while the case awaits it (a person's link is not asked)."""
        if self.person_id is None and self.case.state == CaseState.REVISION_REQUESTED:
            return self.case.revision
        return None


def uploaded_documents(case: Case) -> list[str]:
    """Documents with a page in; one a reviewer sent back for a revision counts again once a new version is in."""
    return [
        d.id
        for d in case.documents
        if any(p.status == "available" for p in d.pages)
        and not (d.decision is not None and d.decision.decision == "revision")
    ]


def person_ids(case: Case) -> set[str]:
    business = case.entity.business
    if business is None:
        return set()
    return {p.id for p in (*business.ubos, *business.directors) if p.id}


def _may_send_links(principal: Principal, doing: str) -> None:
    # An integrator's key may; among reviewers, viewers only read.
    if principal.kind == "reviewer":
        principal.require("reviewer", doing)


def create_collection_link(
    deps: CollectionLinkDeps, principal: Principal, case_id: str, request: CollectionLinkRequest
) -> IssuedLink:
    """A new link to the case's collection journey; Conflict unless the case still collects (or awaits a revision),
    InvalidInput when `person_id` names no person of the case."""
    _may_send_links(principal, "sending a collection link")
    case = deps.cases.get(principal.tenant_id, case_id)
    if not takes_answers(case, request.person_id):
        raise Conflict(
            f"case {case_id} is {case.state.value}: links are sent while a case is collecting or awaits a revision "
            "(or, awaiting people, to a person it waits for)",
            state=case.state.value,
        )
    answered = answered_person_ids(deps.collection_links.answers(case.tenant_id, case.id))
    if request.person_id is not None and request.person_id not in person_ids(case) | answered:
        raise InvalidInput(f"the case has no person {request.person_id!r}", path="person_id")
    return mail_link(deps, principal, case, issue_link(deps, principal, case, request), to=request.email)


def link_for_started_case(
    deps: CollectionLinkDeps, principal: Principal, case_id: str
) -> IssuedLink | CollectionLink:
    """The link of a case started with `collect: true`: a new one (e-mailed when the tenant sends e-mail), or, when
    the case already has its applicant's link from this caller (a start retried with the same `Idempotency-Key`
    answered the case it started), that first link as it is stored: without its token, which exists only in the
    first answer, and with no second message. A caller who lost the first answer sends a new link."""
    case = deps.cases.get(principal.tenant_id, case_id)
    first = next(
        (
            k
            for k in deps.collection_links.for_case(case.tenant_id, case.id)
            if k.person_id is None and k.created_by == principal.id
        ),
        None,
    )
    if first is not None:
        return first
    return create_collection_link(deps, principal, case_id, CollectionLinkRequest())


def mail_link(
    deps: CollectionLinkDeps, principal: Principal, case: Case, issued: IssuedLink, *, to: str | None
) -> IssuedLink:
    """E-mail a link just issued (see `collection_mail.link_email`); the link with what became of its message."""
    answers = deps.collection_links.answers(case.tenant_id, case.id)
    outcome = collection_mail.link_email(
        deps, case, issued.link, issued.token, principal.actor, to=to, answers=answers
    )
    return replace(issued, email=outcome)


def answered_person_ids(answers: dict[str, Any]) -> set[str]:
    """The ids of the people the applicant named (the `ubos` and `directors` of their steps)."""
    return {
        str(person["id"])
        for data in answers.values()
        if isinstance(data, dict)
        for people in (data.get("ubos"), data.get("directors"))
        for person in people or []
        if isinstance(person, dict) and person.get("id")
    }


def issue_link(
    deps: CollectionLinkDeps, principal: Principal, case: Case, request: CollectionLinkRequest
) -> IssuedLink:
    """Store a new link to the case (only its token's hash) and record it in the case's history and on the bus."""
    return _issue(deps, case, request, actor=principal.actor, created_by=principal.id)


def issue_system_link(deps: CollectionLinkDeps, case: Case, request: CollectionLinkRequest) -> IssuedLink:
    """A link Arbiter sends on its own (a review case asking again for expired documents), as `issue_link`."""
    return _issue(deps, case, request, actor=SYSTEM, created_by=SYSTEM.id)


def _issue(
    deps: CollectionLinkDeps, case: Case, request: CollectionLinkRequest, *, actor: Actor, created_by: str
) -> IssuedLink:
    now = deps.now()
    token = generate_collection_token()
    link = CollectionLink(
        id=f"cl_{secrets.token_hex(8)}",
        tenant_id=case.tenant_id,
        case_id=case.id,
        token_hash=hash_collection_token(token),
        person_id=request.person_id,
        language=request.language,
        created_at=now,
        created_by=created_by,
        expires_at=now + dt.timedelta(days=request.expires_in_days),
    )
    deps.collection_links.add(link)

    def record() -> None:  # in the case's history and on the bus, as the case's other events are
        case = deps.cases.get(link.tenant_id, link.case_id)
        expected = case.version
        change = case.record_collection_link(
            link_id=link.id,
            person_id=link.person_id,
            language=link.language,
            expires_at=link.expires_at,
            actor=actor,
            at=now,
        )
        deps.cases.save(case, change, expected_version=expected)

    cases.rerun_lost_races(record)
    return IssuedLink(link=link, token=token)


def list_collection_links(
    deps: CollectionLinkDeps, principal: Principal, case_id: str
) -> list[CollectionLink]:
    """The case's links, oldest first, revoked and expired ones included; NotFound for a case of another tenant."""
    deps.cases.get(principal.tenant_id, case_id)
    return deps.collection_links.for_case(principal.tenant_id, case_id)


def revoke_collection_link(
    deps: CollectionLinkDeps, principal: Principal, case_id: str, link_id: str
) -> CollectionLink:
    """Revoke one of the case's links (again: no change); NotFound when the case has no such link."""
    _may_send_links(principal, "revoking a collection link")
    link = next((k for k in list_collection_links(deps, principal, case_id) if k.id == link_id), None)
    if link is None:
        raise NotFound(f"case {case_id} has no collection link {link_id}", link_id=link_id)
    if link.revoked_at is None:
        link = link.revoked(deps.now())
        deps.collection_links.update(link)
    return link


def authenticate_collection_token(deps: CollectionTokenDeps, token: str | None) -> CollectionLink:
    """The link a token opens; Unauthenticated, with the same message, when it is malformed, unknown, revoked or
    expired."""
    if not is_collection_token(token):
        raise Unauthenticated(_REFUSED)
    link = deps.collection_links.by_token_hash(hash_collection_token(token or ""))
    if link is None or not link.usable_at(deps.now()):
        raise Unauthenticated(_REFUSED)
    return link


def case_of(principal: Principal) -> str:
    if principal.kind != "collection" or not principal.case_id:
        raise Unauthenticated(_REFUSED)
    return principal.case_id


def collected_case(deps: CollectionLinkDeps, principal: Principal) -> Case:
    """The case a collection principal's link opens (and no other)."""
    return deps.cases.get(principal.tenant_id, case_of(principal))


class _WorkflowDeps(Protocol):
    @property
    def workflows(self) -> WorkflowCatalog: ...


def journey_of(deps: _WorkflowDeps, case: Case) -> CollectionJourney:
    journey = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
    if journey is None:
        raise NotFound(f"workflow {case.workflow_id} has no collection journey", workflow_id=case.workflow_id)
    return journey


def _link_of(deps: CollectionTokenDeps, principal: Principal, case: Case) -> CollectionLink | None:
    link_id = principal.id.removeprefix("link_")
    return next((k for k in deps.collection_links.for_case(case.tenant_id, case.id) if k.id == link_id), None)


def link_person(deps: CollectionTokenDeps, principal: Principal, case: Case) -> str | None:
    """The person the principal's link was sent to (None: the case's applicant)."""
    link = _link_of(deps, principal, case)
    return link.person_id if link else None


def journey_for(deps: CollectionLinkDeps, principal: Principal, case: Case) -> Journey:
    """The journey as the principal's link opens it: the case's steps, or a person's own."""
    link = _link_of(deps, principal, case)
    person_id = link.person_id if link else None
    journey = journey_of(deps, case).for_person(person_id)
    saved = deps.collection_links.answers(case.tenant_id, case.id)
    answers = journey.answers_for(saved, person_id)
    return Journey(
        case=case,
        definition=journey,
        answers=answers,
        resume_at=journey.resume_at(answers),
        language=link.language if link else None,
        person_id=person_id,
        own_links=frozenset() if person_id else people_with_own_links(deps, case),
        saved=saved,
    )


def people_with_own_links(deps: CollectionTokenDeps, case: Case) -> frozenset[str]:
    """The people of the case (owners, directors) sent a link of their own that still works."""
    at = deps.now()
    return frozenset(
        k.person_id
        for k in deps.collection_links.for_case(case.tenant_id, case.id)
        if k.person_id and k.usable_at(at)
    )


def collection_journey(deps: CollectionLinkDeps, principal: Principal) -> Journey:
    """The journey of the principal's case as their link opens it, with the data saved so far, the step to resume
    at and the link's language."""
    case = collected_case(deps, principal)
    return journey_for(deps, principal, case)


def takes_answers(case: Case, person_id: str | None) -> bool:
    """Whether the case still takes answers from its applicant (`person_id` None) or from one person of it: while
    it collects or awaits a revision, and, while it awaits people, from each person it still waits for."""
    if case.state in COLLECTABLE_STATES:
        return True
    return person_id is not None and person_id in {p.id for p in case.people_pending}


def require_collecting(case: Case, what: str, person_id: str | None = None) -> None:
    """Conflict, naming the state, unless the case takes answers from the applicant (or `person_id`)."""
    if not takes_answers(case, person_id):
        raise Conflict(
            f"the case is {case.state.value}: it takes no more {what}",
            case_id=case.id,
            state=case.state.value,
        )


def save_step(deps: CollectionLinkDeps, principal: Principal, step_id: str, data: dict[str, Any]) -> Journey:
    """Autosave one step: checked against its schema (StepDataInvalid naming the field, nothing stored), kept
    beside the other steps' data; NotAllowed for a step the link does not open (a person's link opens their person
    steps only); Conflict once the case no longer collects."""
    case = collected_case(deps, principal)
    opened = journey_for(deps, principal, case)
    require_collecting(case, "answers", opened.person_id)
    step = journey_of(deps, case).step(step_id)
    if step not in opened.definition.steps:
        names = ", ".join(s.id for s in opened.definition.steps) or "none"
        raise NotAllowed(f"this link does not open the step {step_id!r} (it opens: {names})", path="step_id")
    check_step_data(step, data)
    key = step_id if opened.person_id is None else person_answer_key(step_id, opened.person_id)
    deps.collection_links.save_answer(case.tenant_id, case.id, key, data, deps.now())
    return journey_for(deps, principal, case)


class CollectedDocumentDeps(documents.DocumentDeps, Protocol):
    """What declaring an applicant's document needs: the documents' ports and the links (a person's link)."""

    @property
    def collection_links(self) -> CollectionLinkRepository: ...


def declare_collected_document(
    deps: CollectedDocumentDeps, principal: Principal, request: documents.DocumentDeclaration
) -> tuple[Case, Document, list[dict[str, Any]]]:
    """Declare a document on the principal's case (and no other) with a presigned POST per page, as the
    documents API does; Conflict once the case no longer collects."""
    case = deps.cases.get(principal.tenant_id, case_of(principal))
    link = _link_of(deps, principal, case)
    require_collecting(case, "documents", link.person_id if link else None)
    if link is not None and link.person_id is not None:
        # A person's link uploads to their own slots only: `<slot id>.<person id>` of a person step.
        journey = journey_of(deps, case).for_person(link.person_id)
        own = {slot_document_id(slot.id, link.person_id) for step in journey.steps for slot in step.documents}
        if request.id not in own:
            raise NotAllowed(
                f"this link uploads only its person's documents: {', '.join(sorted(own)) or 'none'}",
                path="id",
            )
    return documents.declare_document(deps, principal, case.id, request)
