"""Use case of an applicant submitting their application: their answers become the case's entity and the case
leaves `collecting` for its checks (or, awaiting a revision, is resubmitted), once every visible step and every
required upload is in. While people sent links of their own (invited owners, directors) have not finished their part,
the case waits for them (`awaiting_people`, no execution running); a person's own link submits only their part, and
the last awaited person's submit starts the checks, in the same request."""

from __future__ import annotations

from typing import Any, Protocol

from arbiter.domain.case import AwaitedPerson, Case, CaseState
from arbiter.domain.collected_entity import entity_with_answers
from arbiter.domain.collection_journey import CollectionJourney, StepDataInvalid
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.domain.principal import Principal
from arbiter.services import cases, collection_mail
from arbiter.services.cases import CaseDeps
from arbiter.services.collection import (
    COLLECTABLE_STATES,
    CollectionLinkDeps,
    Journey,
    answered_person_ids,
    case_of,
    journey_for,
    journey_of,
    person_ids,
    takes_answers,
    uploaded_documents,
)
from arbiter.services.collection_mail import MailDeps
from arbiter.services.ports import CollectionLinkRepository

__all__ = ["PersonPending", "SubmitDeps", "submit_collection"]


class SubmitDeps(CaseDeps, MailDeps, Protocol):
    """What submitting needs: the case use cases' ports, the saved answers and the mailer (a confirmation)."""

    @property
    def collection_links(self) -> CollectionLinkRepository: ...


def submit_collection(deps: SubmitDeps, principal: Principal, language: str | None = None) -> Case:
    """The applicant is done: their answers become the case's entity (what the checks read) and the case leaves
    `collecting` for its workflow's automated part (or, awaiting a revision, is resubmitted), in one write.
    StepDataInvalid naming the first missing or invalid field of the first incomplete visible step, then the first
    required document shown and not uploaded; Conflict, naming the state, once it was submitted: a second submit
    must not look like a first (a case a reviewer decided meanwhile would seem to start again). With invited people
    still at their own part, a collecting case waits for them instead (`awaiting_people`, nothing started), and a
    resubmission is PersonPending naming `people.<person id>`. A person's own link submits their part (the last
    one awaited starts the case). Once submitted, the applicant is sent a confirmation (in their link's language,
    else `language`) when the tenant sends e-mail.
    """
    before = deps.cases.get(principal.tenant_id, case_of(principal)).state
    case = cases.rerun_lost_races(lambda: _submit(deps, principal))
    collects = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
    if collects is not None and case.state not in COLLECTABLE_STATES and before in COLLECTABLE_STATES:
        opened = journey_for(deps, principal, case)
        collection_mail.send_submitted(
            deps,
            case,
            principal.actor,
            answers=opened.answers,
            language=opened.language or language,
            resubmission=before == CaseState.REVISION_REQUESTED,
        )
    return case


def _people_answers(journey: CollectionJourney, saved: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What each invited person filled in about themselves (their person steps merged), by person id."""
    person_steps = {s.id for s in journey.steps if s.person}
    people: dict[str, dict[str, Any]] = {}
    for key, data in saved.items():
        step_id, _, person_id = key.partition(":")
        if person_id and step_id in person_steps and isinstance(data, dict):
            people.setdefault(person_id, {}).update(data)
    return people


class PersonPending(InvalidInput):
    """A resubmission (a revision) waits for a person who was sent a link of their own to finish their part."""


def _people_pending(
    deps: CollectionLinkDeps, case: Case, opened: Journey, uploaded: set[str]
) -> list[AwaitedPerson]:
    """The people still named in the case who hold a usable link of their own and have not finished their part
    (what the case waits for, as a KYB case waits for its owners' cases), by id; from what the applicant's journey
    read (`opened`: its answers, everyone's saved data, the people holding links)."""
    answers, saved = opened.answers, opened.saved
    named = person_ids(case) | answered_person_ids(answers)
    invited = opened.own_links & named
    journey = journey_of(deps, case)
    pending = []
    for person_id in sorted(p for p in invited if p):
        own = journey.for_person(person_id)
        theirs = own.answers_for(saved, person_id)
        try:
            own.check_complete(theirs)
            own.check_documents(theirs, uploaded, person_id)
        except StepDataInvalid:
            pending.append(AwaitedPerson(id=person_id, name=_person_name(case, answers, person_id)))
    return pending


def _person_name(case: Case, answers: dict[str, Any], person_id: str) -> str:
    business = case.entity.business
    people: list[dict[str, Any]] = [
        p.model_dump() for p in ((*business.ubos, *business.directors) if business else ())
    ]
    people += [
        p
        for data in answers.values()
        if isinstance(data, dict)
        for p in (*(data.get("ubos") or []), *(data.get("directors") or []))
    ]
    for person in people:
        if isinstance(person, dict) and person.get("id") == person_id:
            name = " ".join(str(person.get(k) or "") for k in ("first_name", "last_name")).strip()
            return name or person_id
    return person_id


def _asks_again(case: Case) -> bool:
    """A review case sent back for documents (expired ones it asks for again, or what a reviewer asked for): it
    holds no other document (they stay the onboarding case's), so only those are checked, not the whole journey."""
    return (
        case.onboarding_case_id is not None
        and case.state == CaseState.REVISION_REQUESTED
        and case.revision is not None
    )


def _check_asked_again(journey: CollectionJourney, case: Case, uploaded: set[str]) -> None:
    """StepDataInvalid naming the first document asked for again and not uploaded (`<step>.documents.<id>`)."""
    for document_id in case.revision.document_ids if case.revision else []:
        if document_id in uploaded:
            continue
        step = next(
            (
                s.id
                for s in journey.steps
                for slot in s.documents
                if document_id == slot.id or document_id.startswith(slot.id + ".")
            ),
            "documents",
        )
        path = f"{step}.documents.{document_id}"
        raise StepDataInvalid(f"{path}: the document is not uploaded", path=path)


def _submit(deps: SubmitDeps, principal: Principal) -> Case:
    case = deps.cases.get(principal.tenant_id, case_of(principal))
    collects = deps.workflows.get(case.tenant_id, case.workflow_id, case.workflow_version).collection
    opened = journey_for(deps, principal, case) if collects is not None else None
    if opened is not None and opened.person_id is not None:
        return _submit_person_part(deps, principal, opened)
    if case.state not in COLLECTABLE_STATES:
        raise Conflict(
            f"the application was submitted: the case is {case.state.value}",
            case_id=case.id,
            state=case.state.value,
        )
    if opened is None:
        event = "submitted" if case.state == CaseState.COLLECTING else "resubmitted"
        return cases.send_event(deps, principal, case.id, event)
    expected = case.version
    journey, answers, uploaded = opened.definition, opened.answers, uploaded_documents(case)
    if _asks_again(case):
        _check_asked_again(journey, case, set(uploaded))
    else:
        journey.check_complete(answers)
        journey.check_documents(answers, set(uploaded), opened.person_id, opened.own_links)
    pending = _people_pending(deps, case, opened, set(uploaded))
    if pending and case.state != CaseState.COLLECTING:
        path = f"people.{pending[0].id}"
        raise PersonPending(
            f"{path}: the application waits for {pending[0].name} to finish their own part", path=path
        )
    change = case.take_collected(
        entity_with_answers(case.entity, answers, _people_answers(journey_of(deps, case), opened.saved)),
        steps=[step.id for step in journey.visible_steps(answers) if step.id in answers],
        document_ids=uploaded,
        actor=principal.actor,
        at=deps.now(),
    )
    if pending:
        # Nothing runs while people are awaited (they may take weeks): the last one's part starts the workflow.
        change += case.await_people(pending, principal.actor, at=deps.now())
    elif case.state == CaseState.COLLECTING:
        change += case.submit(principal.actor)
        change += cases.workflow_start(deps, case)
    else:
        change += cases.resubmission(deps, case, principal.actor)
    deps.cases.save(case, change, expected_version=expected)
    return case


def _submit_person_part(deps: SubmitDeps, principal: Principal, opened: Journey) -> Case:
    """A person's own link: their part is checked and recorded; when the case was waiting for them last, their
    answers and everyone's join the entity and the workflow starts, in the same write (the version condition makes
    two people finishing together start it once: the loser's write is refused, it reads the case again, and is then
    the last one awaited)."""
    case, person_id = opened.case, opened.person_id or ""
    if not takes_answers(case, person_id):
        raise Conflict(
            f"the case is {case.state.value}: it takes no more answers from {person_id}",
            case_id=case.id,
            state=case.state.value,
        )
    expected = case.version
    uploaded = set(uploaded_documents(case))
    opened.definition.check_complete(opened.answers)
    opened.definition.check_documents(opened.answers, uploaded, person_id)
    journey = journey_of(deps, case)
    company = journey.answers_for(opened.saved, None)
    at = deps.now()
    change = case.take_person_part(person_id, _person_name(case, company, person_id), principal.actor, at)
    if case.state == CaseState.AWAITING_PEOPLE and not case.people_pending:
        entity = entity_with_answers(case.entity, company, _people_answers(journey, opened.saved))
        change += case.stop_awaiting_people(entity, principal.actor, at)
        change += cases.workflow_start(deps, case)
    deps.cases.save(case, change, expected_version=expected)
    return case
