"""An applicant invites an owner or director they named: a link of that person's own, to their own steps."""

from __future__ import annotations

import pytest

from arbiter.domain.errors import InvalidInput, NotAllowed
from arbiter.domain.principal import Principal
from arbiter.services import cases
from arbiter.services.collection import (
    CollectionLinkRequest,
    authenticate_collection_token,
    collection_journey,
    create_collection_link,
    save_step,
)
from arbiter.services.collection_invitations import InvitationRequest, invite_person
from tests.builders import business, individual, integrator, tenant
from tests.unit.fakes import FakeDependencies, case_deps

OWNERSHIP = {
    "ubos": [
        {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "ownership_percent": 20}
    ],
    "directors": [{"id": "dir-7", "first_name": "Grace", "last_name": "Hopper"}],
}


def opened_by(deps: FakeDependencies, token: str) -> Principal:
    link = authenticate_collection_token(deps, token)
    return Principal(kind="collection", tenant_id=link.tenant_id, id=f"link_{link.id}", case_id=link.case_id)


def case_and_applicant(workflow: str, entity) -> tuple[FakeDependencies, str, Principal]:
    deps = case_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow=workflow, entity=entity, submit=False)
    issued = create_collection_link(deps, integrator(), case.id, CollectionLinkRequest())
    return deps, case.id, opened_by(deps, issued.token)


def test_an_invited_owner_gets_an_id_kept_in_the_form_and_a_link_to_their_own_steps():
    deps, _case_id, company = case_and_applicant("kyb", business())
    with pytest.raises(InvalidInput) as unsaved:
        invite_person(deps, company, InvitationRequest(people="ubos", index=0))
    assert unsaved.value.path == "index"
    save_step(deps, company, "ownership", OWNERSHIP)

    invited = invite_person(deps, company, InvitationRequest(people="ubos", index=0))
    person_id = invited.link.person_id
    assert person_id is not None
    assert person_id.startswith("ubo-")
    saved = collection_journey(deps, company).answers["ownership"]
    assert saved["ubos"][0] == {**OWNERSHIP["ubos"][0], "id": person_id}  # the form keeps who was invited
    director = invite_person(deps, company, InvitationRequest(people="directors", index=0))
    assert director.link.person_id == "dir-7"  # an id already given is kept

    owner = opened_by(deps, invited.token)
    assert [s.id for s in collection_journey(deps, owner).definition.steps] == ["owner_identity"]
    with pytest.raises(NotAllowed):
        invite_person(deps, owner, InvitationRequest(people="ubos", index=0))
    issued = [e for e in deps.cases.events if e.type == "collection.link_issued"]
    assert [e.person_id for e in issued][-2:] == [person_id, "dir-7"]
    assert issued[-1].actor.type == "applicant"


def test_a_journey_without_owners_invites_no_one():
    deps, _case_id, person = case_and_applicant("kyc", individual())  # a person: no owners
    with pytest.raises(InvalidInput) as caught:
        invite_person(deps, person, InvitationRequest(people="ubos", index=0))
    assert caught.value.path == "people"


COMPANY_STEPS = {
    "company": {"name": "Acme Ltd", "registration_number": "01234567", "country_of_incorporation": "GB"},
    "address": {"line1": "1 High St", "city": "London", "postal_code": "EC1A 1AA", "country": "GB"},
    "ownership": OWNERSHIP,
    "contact": {"name": "Grace Hopper", "email": "grace@acme.example"},
    "documents": {},
}
IDENTITY = {"first_name": "Ada", "last_name": "King", "date_of_birth": "1985-12-10", "nationality": "FR"}


def uploaded(deps: FakeDependencies, case_id: str, document_id: str) -> None:
    from arbiter.domain.document import Document, Page

    page = Page(index=0, status="available", object_key=f"acme/{case_id}/{document_id}/1")
    deps.cases.cases[("acme", case_id)].documents.append(Document(id=document_id, type="x", pages=[page]))


def test_the_case_waits_for_an_invited_owner_then_carries_what_they_said():
    from arbiter.services.collection_submission import submit_collection

    deps, case_id, company = case_and_applicant("kyb", business())
    for step, data in COMPANY_STEPS.items():
        save_step(deps, company, step, data)
    uploaded(deps, case_id, "certificate_of_incorporation")
    invited = invite_person(deps, company, InvitationRequest(people="ubos", index=0))
    person_id = invited.link.person_id
    owner = opened_by(deps, invited.token)
    save_step(deps, owner, "owner_identity", IDENTITY)
    uploaded(deps, case_id, f"id_front.{person_id}")
    submit_collection(deps, owner)  # their part first (the company first: test_collection_awaiting_people)
    submitted = submit_collection(deps, company)
    assert submitted.state.value == "processing"
    assert submitted.entity.business is not None
    (ada,) = submitted.entity.business.ubos
    assert (ada.id, ada.last_name, ada.nationality, ada.ownership_percent) == (person_id, "King", "FR", 20)


def test_an_invited_owner_uploads_their_own_id_so_the_applicant_is_not_asked_for_it():
    from arbiter.services.collection_submission import submit_collection

    deps, case_id, company = case_and_applicant("kyb", business())
    major = {**OWNERSHIP, "ubos": [{**OWNERSHIP["ubos"][0], "ownership_percent": 60}]}
    for step, data in {**COMPANY_STEPS, "ownership": major}.items():
        save_step(deps, company, step, data)
    uploaded(deps, case_id, "certificate_of_incorporation")
    with pytest.raises(InvalidInput) as asked:
        submit_collection(deps, company)
    assert asked.value.path == "ownership.documents.id_front.1"  # an owner of 60 %: their ID is wanted

    invited = invite_person(deps, company, InvitationRequest(people="ubos", index=0))
    person_id = invited.link.person_id
    assert collection_journey(deps, company).own_links == {person_id}
    owner = opened_by(deps, invited.token)
    save_step(deps, owner, "owner_identity", IDENTITY)
    uploaded(deps, case_id, f"id_front.{person_id}")
    submit_collection(deps, owner)
    # Their own upload stands for the slots the applicant was asked: the applicant uploads none of them.
    assert submit_collection(deps, company).state.value == "processing"
