"""Collection links against in-memory fakes: issued for a collecting case, stored only as a hash, refused once
revoked, expired, foreign or malformed, all with the same answer."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.collection import TOKEN_PREFIX, hash_collection_token
from arbiter.domain.document import Document, Page
from arbiter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unauthenticated
from arbiter.domain.principal import Principal
from arbiter.services import cases
from arbiter.services.collection import (
    CollectionLinkRequest,
    authenticate_collection_token,
    collected_case,
    collection_journey,
    create_collection_link,
    declare_collected_document,
    list_collection_links,
    revoke_collection_link,
    save_step,
)
from arbiter.services.collection_submission import submit_collection
from arbiter.services.documents import DocumentDeclaration
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.unit.fakes import FakeDependencies, case_deps

START = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


class MovableClock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> dt.datetime:
        return self.at


def collecting_case(deps: FakeDependencies, tenant_id: str = "acme", **overrides: object) -> str:
    args = {"workflow": "kyc", "entity": individual(), "submit": False, **overrides}
    case, _ = cases.start_case(deps, integrator(tenant_id), tenant(tenant_id), **args)  # type: ignore[arg-type]
    return case.id


def deps_at() -> tuple[FakeDependencies, MovableClock]:
    clock = MovableClock()
    deps = case_deps()
    deps.clock = clock
    return deps, clock


def test_a_link_opens_its_case_and_only_its_hash_is_stored():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(language="de"))
    assert issued.token.startswith(TOKEN_PREFIX)
    assert issued.link.expires_at == START + dt.timedelta(days=7)
    assert issued.token not in repr(deps.collection_links.links)
    assert list(deps.collection_links.links) == [hash_collection_token(issued.token)]
    opened = authenticate_collection_token(deps, issued.token)
    assert (opened.tenant_id, opened.case_id, opened.language) == ("acme", case_id, "de")


def test_an_expired_link_is_refused_from_its_expiry_on():
    deps, clock = deps_at()
    issued = create_collection_link(
        deps, integrator(), collecting_case(deps), CollectionLinkRequest(expires_in_days=2)
    )
    clock.at = START + dt.timedelta(days=2) - dt.timedelta(seconds=1)
    authenticate_collection_token(deps, issued.token)
    clock.at = START + dt.timedelta(days=2)
    with pytest.raises(Unauthenticated, match=r"^the collection link is not valid$"):
        authenticate_collection_token(deps, issued.token)


def test_a_revoked_link_is_refused_and_listed_as_revoked():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    kept = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    revoked = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    revoke_collection_link(deps, integrator(), case_id, revoked.link.id)
    again = revoke_collection_link(deps, integrator(), case_id, revoked.link.id)
    assert again.revoked_at == START
    with pytest.raises(Unauthenticated, match=r"^the collection link is not valid$"):
        authenticate_collection_token(deps, revoked.token)
    authenticate_collection_token(deps, kept.token)
    listed = {k.id: k.revoked_at for k in list_collection_links(deps, integrator(), case_id)}
    assert listed == {kept.link.id: None, revoked.link.id: START}


@pytest.mark.parametrize(
    "token",
    [None, "", "clk_short", "sk_live_" + "a" * 43, TOKEN_PREFIX + "a" * 43, TOKEN_PREFIX + "!" * 43],
)
def test_a_malformed_or_unknown_token_is_refused_with_the_same_answer(token):
    deps, _clock = deps_at()
    with pytest.raises(Unauthenticated, match=r"^the collection link is not valid$"):
        authenticate_collection_token(deps, token)


def test_another_tenants_case_gets_no_link_and_shows_none():
    deps, _clock = deps_at()
    case_id = collecting_case(deps, "globex")
    with pytest.raises(NotFound):
        create_collection_link(deps, integrator("acme"), case_id, CollectionLinkRequest())
    with pytest.raises(NotFound):
        list_collection_links(deps, integrator("acme"), case_id)
    assert deps.collection_links.links == {}


def test_a_case_that_no_longer_collects_gets_no_link():
    deps, _clock = deps_at()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual())
    with pytest.raises(Conflict, match="is processing"):
        create_collection_link(deps, integrator(), case.id, CollectionLinkRequest())
    assert deps.collection_links.links == {}


def test_a_link_for_a_person_names_one_of_the_case():
    deps, _clock = deps_at()
    owners = business(ubos=[ubo("Grace", "Hopper", 40, id="ubo-1")])
    case_id = collecting_case(deps, workflow="kyb", entity=owners)
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(person_id="ubo-1"))
    assert authenticate_collection_token(deps, issued.token).person_id == "ubo-1"
    with pytest.raises(InvalidInput) as caught:
        create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(person_id="ubo-9"))
    assert caught.value.path == "person_id"
    assert len(deps.collection_links.links) == 1


def test_an_unused_person_id_sent_empty_is_no_person():
    assert CollectionLinkRequest.model_validate({"person_id": "", "extra": 1}).person_id is None


def test_a_viewer_cannot_send_or_revoke_links_but_a_reviewer_can():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    with pytest.raises(NotAllowed):
        create_collection_link(deps, reviewer("viewer"), case_id, CollectionLinkRequest())
    issued = create_collection_link(deps, reviewer("reviewer"), case_id, CollectionLinkRequest())
    with pytest.raises(NotAllowed):
        revoke_collection_link(deps, reviewer("viewer"), case_id, issued.link.id)
    assert [k.id for k in list_collection_links(deps, reviewer("viewer"), case_id)] == [issued.link.id]
    with pytest.raises(NotFound):
        revoke_collection_link(deps, reviewer("reviewer"), case_id, "cl_unknown")


def applicant(deps: FakeDependencies, case_id: str) -> Principal:
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    link = authenticate_collection_token(deps, issued.token)
    return Principal(kind="collection", tenant_id=link.tenant_id, id=f"link_{link.id}", case_id=link.case_id)


def test_submitting_moves_the_case_into_its_automation_once():
    deps, _clock = deps_at()
    case_id = collecting_case(deps, workflow="manual-review")
    person = applicant(deps, case_id)
    assert collected_case(deps, person).id == case_id
    submitted = submit_collection(deps, person)
    assert submitted.state == CaseState.PROCESSING
    assert [name for name, _run, _input in deps.engine.started] == ["automation"]
    assert "applicant" in {entry.actor.type for entry in deps.cases.audit[("acme", case_id)]}
    with pytest.raises(Conflict, match="submitted: the case is processing"):
        submit_collection(deps, person)
    assert len(deps.engine.started) == 1


def test_only_a_collection_principal_with_a_case_reaches_the_collected_case():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    with pytest.raises(Unauthenticated):
        collected_case(deps, integrator())
    with pytest.raises(Unauthenticated):
        submit_collection(deps, Principal(kind="collection", tenant_id="acme", id="link_x"))
    assert deps.cases.get("acme", case_id).state == CaseState.COLLECTING


PERSONAL = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
HOME = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}


def test_autosave_keeps_every_steps_data_and_the_journey_resumes_where_it_stopped():
    deps, _clock = deps_at()
    person = applicant(deps, collecting_case(deps))
    assert collection_journey(deps, person).resume_at == "personal_details"
    save_step(deps, person, "personal_details", PERSONAL)
    saved = save_step(deps, person, "address", {**HOME, "city": "Londres"})
    assert saved.resume_at == "id_documents"
    save_step(deps, person, "address", HOME)  # saved again: replaces that step only
    journey = collection_journey(deps, person)
    assert journey.answers == {"personal_details": PERSONAL, "address": HOME}
    assert journey.resume_at == "id_documents"


def test_a_step_that_breaks_its_schema_is_refused_naming_the_field_and_nothing_is_stored():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    person = applicant(deps, case_id)
    for data, path in (
        ({**PERSONAL, "date_of_birth": "10/12/1985"}, "personal_details.date_of_birth"),
        ({k: v for k, v in PERSONAL.items() if k != "last_name"}, "personal_details.last_name"),
        ({**PERSONAL, "id_document_type": "library_card"}, "personal_details.id_document_type"),
    ):
        with pytest.raises(InvalidInput) as caught:
            save_step(deps, person, "personal_details", data)
        assert caught.value.path == path
    with pytest.raises(InvalidInput) as caught:
        save_step(deps, person, "no_such_step", {})
    assert caught.value.path == "step_id"
    assert deps.collection_links.answers("acme", case_id) == {}


def test_submit_names_the_first_missing_field_then_starts_the_case_and_takes_no_more_answers():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    person = applicant(deps, case_id)
    save_step(deps, person, "personal_details", {**PERSONAL, "id_document_type": "id_card"})
    with pytest.raises(InvalidInput) as caught:
        submit_collection(deps, person)
    assert caught.value.path == "address.line1"
    assert deps.cases.get("acme", case_id).state == CaseState.COLLECTING
    save_step(deps, person, "address", HOME)
    save_step(deps, person, "id_documents", {})
    with pytest.raises(InvalidInput) as missing:
        submit_collection(deps, person)
    assert missing.value.path == "id_documents.documents.id_front"
    uploaded(deps, case_id, "id_front")
    with pytest.raises(InvalidInput, match=r"id_documents\.documents\.id_back"):  # an ID card has a back
        submit_collection(deps, person)
    uploaded(deps, case_id, "id_back")
    assert collection_journey(deps, person).uploaded == ["id_front", "id_back"]
    assert submit_collection(deps, person).state == CaseState.PROCESSING
    with pytest.raises(Conflict, match="takes no more answers"):
        save_step(deps, person, "address", HOME)


def uploaded(deps: FakeDependencies, case_id: str, document_id: str, status: str = "available") -> None:
    """A document of the case with one page as ingestion leaves it once the upload arrived."""
    stored = deps.cases.cases[("acme", case_id)]
    page = Page(index=0, status=status, object_key=f"acme/{case_id}/{document_id}/1")  # type: ignore[arg-type]
    stored.documents.append(Document(id=document_id, type="id_card", pages=[page]))


def test_required_slots_count_per_owner_and_only_where_shown():
    from arbiter.workflows import builtin_workflows

    definition = builtin_workflows()["kyb"].collection
    assert definition is not None
    journey = definition.for_person(None)  # the company's applicant: the owners' own steps are theirs
    answers = {
        "company": {"country_of_incorporation": "DE"},
        "ownership": {"ubos": [{"ownership_percent": 60}, {"ownership_percent": 10}], "directors": []},
    }
    wanted = [document for _step, document in journey.required_documents(answers)]
    assert wanted == ["id_front.1", "id_back.1", "certificate_of_incorporation", "trade_register_extract"]
    answers["company"]["country_of_incorporation"] = "GB"
    assert "trade_register_extract" not in [d for _s, d in journey.required_documents(answers)]
    with pytest.raises(InvalidInput) as caught:
        journey.check_documents(answers, {"id_front.1"})
    assert caught.value.path == "ownership.documents.id_back.1"


def test_a_workflow_without_a_journey_has_none_to_show_and_submits_as_it_is():
    deps, _clock = deps_at()
    person = applicant(deps, collecting_case(deps, workflow="manual-review"))
    with pytest.raises(NotFound, match="no collection journey"):
        collection_journey(deps, person)
    assert submit_collection(deps, person).state == CaseState.PROCESSING


def test_the_journey_carries_the_language_its_link_was_sent_in():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(language="es"))
    link = authenticate_collection_token(deps, issued.token)
    person = Principal(kind="collection", tenant_id="acme", id=f"link_{link.id}", case_id=case_id)
    assert collection_journey(deps, person).language == "es"
    assert save_step(deps, person, "personal_details", PERSONAL).language == "es"
    assert collection_journey(deps, applicant(deps, case_id)).language is None  # sent without one
    assert collection_journey(deps, person).uploaded == []


def test_issuing_a_link_is_in_the_cases_history_and_on_the_bus_without_its_token():
    deps, _clock = deps_at()
    case_id = collecting_case(
        deps, entity=business(ubos=[ubo("Ada", "Lovelace", 60, id="ubo-1")]), workflow="kyb"
    )
    issued = create_collection_link(
        deps, reviewer("reviewer"), case_id, CollectionLinkRequest(person_id="ubo-1", language="de")
    )
    (event,) = [e for e in deps.cases.events if e.type == "collection.link_issued"]
    assert (event.case_id, event.link_id, event.person_id, event.language) == (
        case_id,
        issued.link.id,
        "ubo-1",
        "de",
    )
    assert event.expires_at == issued.link.expires_at
    assert event.actor.type == "reviewer"
    assert issued.token not in event.model_dump_json()
    assert "collection.link_issued" in [e.action for e in deps.cases.audit[("acme", case_id)]]


def test_submitting_puts_the_answers_on_the_entity_and_says_what_was_sent():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    person = applicant(deps, case_id)
    save_step(deps, person, "personal_details", {**PERSONAL, "last_name": "King"})
    save_step(deps, person, "address", HOME)
    save_step(deps, person, "id_documents", {})
    uploaded(deps, case_id, "id_front")
    submitted = submit_collection(deps, person)
    assert submitted.entity.individual is not None
    assert (submitted.entity.individual.last_name, submitted.entity.individual.address.city) == (
        "King",
        "London",
    )
    stored = deps.cases.get("acme", case_id)
    assert stored.entity == submitted.entity  # one write: the entity with the submission
    (event,) = [e for e in deps.cases.events if e.type == "collection.submitted"]
    assert (event.steps, event.document_ids, event.resubmission) == (
        ["personal_details", "address", "id_documents"],
        ["id_front"],
        False,
    )
    assert event.actor.type == "applicant"
    assert [e.type for e in deps.cases.events][-2:] == ["collection.submitted", "case.status_changed"]


def test_a_revision_of_a_case_that_collects_goes_to_its_applicant_too():
    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    case = deps.cases.get("acme", case_id)
    case.submit(integrator().actor)
    case.await_review("review-token")
    change = case.request_revision(
        actor=reviewer("reviewer").actor, reason="blurred", document_ids=["id_front"], collecting=True
    )
    assert [e.type for e in change.events][-2:] == [
        "case.revision_requested",
        "collection.revision_requested",
    ]
    assert (change.events[-1].reason, change.events[-1].document_ids) == ("blurred", ["id_front"])


OWNER = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB"}


def test_a_persons_link_opens_their_own_step_and_uploads_only_and_submits_only_their_part():
    deps, _clock = deps_at()
    case_id = collecting_case(
        deps, entity=business(ubos=[ubo("Ada", "Lovelace", 60, id="ubo-1")]), workflow="kyb"
    )
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(person_id="ubo-1"))
    link = authenticate_collection_token(deps, issued.token)
    owner = Principal(kind="collection", tenant_id="acme", id=f"link_{link.id}", case_id=case_id)
    company = applicant(deps, case_id)

    journey = collection_journey(deps, owner)
    assert ([s.id for s in journey.definition.steps], journey.person_id) == (["owner_identity"], "ubo-1")
    assert "owner_identity" not in [s.id for s in collection_journey(deps, company).definition.steps]
    with pytest.raises(NotAllowed) as refused:
        save_step(deps, owner, "company", {"name": "Acme"})
    assert refused.value.context["path"] == "step_id"
    with pytest.raises(NotAllowed):
        save_step(deps, company, "owner_identity", OWNER)
    saved = save_step(deps, owner, "owner_identity", OWNER)
    assert (saved.answers, saved.resume_at) == ({"owner_identity": OWNER}, None)
    assert deps.collection_links.answers("acme", case_id) == {"owner_identity:ubo-1": OWNER}
    assert collection_journey(deps, company).answers == {}  # the company's applicant does not see it

    with pytest.raises(NotAllowed, match=r"id_front\.ubo-1"):
        declare_collected_document(
            deps,
            owner,
            DocumentDeclaration(id="certificate_of_incorporation", type="x", content_type="image/png"),
        )
    with pytest.raises(InvalidInput) as missing:
        submit_collection(deps, owner)
    assert missing.value.path == "owner_identity.documents.id_front.ubo-1"
    uploaded(deps, case_id, "id_front.ubo-1")
    assert submit_collection(deps, owner).state == CaseState.COLLECTING  # their part is in; the case waits


def test_a_revision_shows_its_reason_and_wants_the_documents_sent_back_uploaded_again():
    from arbiter.domain.document import DocumentDecision

    deps, _clock = deps_at()
    case_id = collecting_case(deps)
    person = applicant(deps, case_id)
    for step, data in (("personal_details", PERSONAL), ("address", HOME), ("id_documents", {})):
        save_step(deps, person, step, data)
    uploaded(deps, case_id, "id_front")
    submit_collection(deps, person)
    stored = deps.cases.cases[("acme", case_id)]
    stored.await_review("review-token")
    stored.request_revision(
        actor=reviewer().actor, reason="blurred", document_ids=["id_front"], collecting=True
    )
    stored.documents[0].decision = DocumentDecision(decision="revision", reason="glare")

    journey = collection_journey(deps, person)
    assert journey.revision is not None
    assert (journey.revision.reason, journey.revision.document_ids) == ("blurred", ["id_front"])
    assert journey.uploaded == []  # sent back: not in until a new version is
    with pytest.raises(InvalidInput) as caught:
        submit_collection(deps, person)
    assert caught.value.path == "id_documents.documents.id_front"
    stored.documents[0].decision = None  # a new version replaced it (its decision went to the history)
    assert submit_collection(deps, person).state == CaseState.PROCESSING
    assert collection_journey(deps, person).revision is None
