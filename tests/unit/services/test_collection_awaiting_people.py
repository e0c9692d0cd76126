"""A company's submit with invited people still at their own part: the case waits for them (`awaiting_people`, no
execution), each person's submit records their part, and the last one's starts the case once."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import SYSTEM, AwaitedPerson, CaseState
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.domain.principal import Principal
from arbiter.services.collection import (
    CollectionLinkRequest,
    collection_journey,
    create_collection_link,
    revoke_collection_link,
    save_step,
)
from arbiter.services.collection_invitations import InvitationRequest, invite_person
from arbiter.services.collection_submission import PersonPending, submit_collection
from tests.builders import business, integrator
from tests.unit.fakes import FakeDependencies
from tests.unit.services.test_collection_invitations import (
    COMPANY_STEPS,
    IDENTITY,
    case_and_applicant,
    opened_by,
    uploaded,
)

GRACE = {"first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1906-12-09", "nationality": "US"}


def submitted_with_people(
    *, directors: bool = False
) -> tuple[FakeDependencies, str, Principal, dict[str, tuple[str, Principal]]]:
    """A KYB case whose applicant filled in everything, invited Ada (and Grace), and submitted first."""
    deps, case_id, company = case_and_applicant("kyb", business())
    for step, data in COMPANY_STEPS.items():
        save_step(deps, company, step, data)
    uploaded(deps, case_id, "certificate_of_incorporation")
    people = {}
    for kind, name in [("ubos", "ada"), *([("directors", "grace")] if directors else [])]:
        issued = invite_person(deps, company, InvitationRequest(people=kind, index=0))  # type: ignore[arg-type]
        people[name] = (issued.link.person_id or "", opened_by(deps, issued.token))
    submit_collection(deps, company)
    return deps, case_id, company, people


def finish_part(deps: FakeDependencies, case_id: str, person: tuple[str, Principal], data: dict) -> None:
    person_id, principal = person
    save_step(deps, principal, "owner_identity", data)
    uploaded(deps, case_id, f"id_front.{person_id}")
    submit_collection(deps, principal)


def stored(deps: FakeDependencies, case_id: str):
    return deps.cases.cases[("acme", case_id)]


def test_the_company_submits_first_and_the_case_waits_for_the_owner_with_no_execution():
    deps, case_id, company, people = submitted_with_people()
    ada_id = people["ada"][0]
    case = stored(deps, case_id)
    assert case.state == CaseState.AWAITING_PEOPLE
    assert [(p.id, p.name, p.done_at) for p in case.awaited_people] == [(ada_id, "Ada Lovelace", None)]
    assert deps.engine.started == []  # a wait of weeks costs nothing: no execution runs
    waiting = [e for e in deps.cases.audit[("acme", case_id)] if e.action == "collection.awaiting_people"]
    assert [(w.reason, w.to_state) for w in waiting] == [
        ("waiting for Ada Lovelace", CaseState.AWAITING_PEOPLE)
    ]
    assert [e.type for e in deps.cases.events].count("collection.submitted") == 1
    # The company's answers are in: it changes nothing more, and a second submit is not a first.
    with pytest.raises(Conflict):
        submit_collection(deps, company)
    with pytest.raises(Conflict):
        save_step(deps, company, "contact", COMPANY_STEPS["contact"])
    assert collection_journey(deps, company).case.people_pending[0].name == "Ada Lovelace"

    finish_part(deps, case_id, people["ada"], IDENTITY)
    case = stored(deps, case_id)
    assert case.state == CaseState.PROCESSING
    assert len(deps.engine.started) == 1
    assert case.entity.business is not None
    (ada,) = case.entity.business.ubos
    assert (ada.id, ada.last_name, ada.nationality, ada.ownership_percent) == (ada_id, "King", "FR", 20)
    assert case.awaited_people[0].done_at is not None
    done = [e for e in deps.cases.events if e.type == "collection.person_submitted"]
    assert [(e.person_id, e.awaiting, e.actor.type) for e in done] == [(ada_id, [], "applicant")]
    entries = [
        e.reason for e in deps.cases.audit[("acme", case_id)] if e.action == "collection.person_submitted"
    ]
    assert entries == ["Ada Lovelace finished their part"]


def test_a_person_submitting_twice_or_after_the_decision_is_refused():
    deps, case_id, _company, people = submitted_with_people(directors=True)
    finish_part(deps, case_id, people["ada"], IDENTITY)
    assert stored(deps, case_id).state == CaseState.AWAITING_PEOPLE  # Grace still at her part
    with pytest.raises(Conflict):  # Ada's part is in: the case no longer waits for her
        submit_collection(deps, people["ada"][1])
    with pytest.raises(Conflict):
        save_step(deps, people["ada"][1], "owner_identity", IDENTITY)
    finish_part(deps, case_id, people["grace"], GRACE)
    case = deps.cases.get("acme", case_id)
    assert case.state == CaseState.PROCESSING
    expected = case.version
    deps.cases.save(
        case, case.decide("rejected", actor=SYSTEM, reason="test", automatic=True), expected_version=expected
    )
    with pytest.raises(Conflict):
        submit_collection(deps, people["grace"][1])
    assert len(deps.engine.started) == 1


def test_two_last_people_finishing_together_start_the_case_once():
    deps, case_id, _company, people = submitted_with_people(directors=True)
    for name, data in (("ada", IDENTITY), ("grace", GRACE)):
        person_id, principal = people[name]
        save_step(deps, principal, "owner_identity", data)
        uploaded(deps, case_id, f"id_front.{person_id}")
    save = deps.cases.save
    raced = []

    def grace_finishes_meanwhile(case, change, *, expected_version):
        # Ada's save comes after Grace's whole submit, on the case as Ada read it (both saw two people awaited).
        if not raced:
            raced.append(True)
            submit_collection(deps, people["grace"][1])
        save(case, change, expected_version=expected_version)

    deps.cases.save = grace_finishes_meanwhile  # type: ignore[method-assign]
    submit_collection(deps, people["ada"][1])
    assert raced  # Ada's first write lost to Grace's, and was decided again
    case = stored(deps, case_id)
    assert case.state == CaseState.PROCESSING
    # One run of the automated part (a second start would be `<case>-a2`).
    assert [c.kind for c in deps.cases.continuations] == ["start"]
    assert [name for _machine, name, _input in deps.engine.started] == [f"{case_id}-a1"]
    audit = deps.cases.audit[("acme", case_id)]
    assert [e.action for e in audit].count("case.submitted") == 1
    done = [e for e in deps.cases.events if e.type == "collection.person_submitted"]
    assert [(e.person_id, e.awaiting) for e in done] == [
        (people["grace"][0], [people["ada"][0]]),
        (people["ada"][0], []),
    ]


def test_a_person_whose_link_was_revoked_or_expired_is_invited_again_while_the_case_waits():
    deps, case_id, company, people = submitted_with_people(directors=True)
    ada_id, grace_id = people["ada"][0], people["grace"][0]
    ada_link = next(k for k in deps.collection_links.for_case("acme", case_id) if k.person_id == ada_id)
    revoke_collection_link(deps, integrator(), case_id, ada_link.id)
    deps.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=40)  # Grace's link expired too
    # The case waits for them still; the applicant's own link expired as well, so the integrator re-invites Grace.
    assert {p.id for p in stored(deps, case_id).people_pending} == {ada_id, grace_id}
    with pytest.raises(Conflict):  # a link for the applicant: the application is in
        create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    grace = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(person_id=grace_id))
    finish_part(deps, case_id, (grace_id, opened_by(deps, grace.token)), GRACE)

    # Back within the applicant's link's days: they re-invite Ada from the form.
    deps.clock = lambda: dt.datetime.now(dt.UTC)
    with pytest.raises(Conflict):  # Grace's part is in: she is not invited again
        invite_person(deps, company, InvitationRequest(people="directors", index=0))
    again = invite_person(deps, company, InvitationRequest(people="ubos", index=0))
    assert again.link.person_id == ada_id
    assert stored(deps, case_id).state == CaseState.AWAITING_PEOPLE
    finish_part(deps, case_id, (ada_id, opened_by(deps, again.token)), IDENTITY)
    assert stored(deps, case_id).state == CaseState.PROCESSING
    assert len(deps.engine.started) == 1


def test_the_wait_is_a_transition_of_a_collecting_case_and_ends_only_with_no_one_pending():
    deps, case_id, _company, _people = submitted_with_people()
    case = deps.cases.get("acme", case_id)
    with pytest.raises(Conflict):  # waiting already
        case.await_people([AwaitedPerson(id="x", name="X")], SYSTEM)
    with pytest.raises(Conflict):  # Ada is still awaited
        case.stop_awaiting_people(case.entity, SYSTEM)
    with pytest.raises(Conflict):  # not a person the case waits for
        case.take_person_part("someone-else", "Someone", SYSTEM)

    _deps, other_id, _applicant = case_and_applicant("kyb", business())
    collecting = _deps.cases.get("acme", other_id)
    with pytest.raises(InvalidInput):  # a wait for no one
        collecting.await_people([], SYSTEM)
    with pytest.raises(Conflict):  # not waiting
        collecting.stop_awaiting_people(collecting.entity, SYSTEM)
    # A person's part while the case still collects: recorded, the case unchanged.
    change = collecting.take_person_part("ubo-1", "Ada Lovelace", SYSTEM)
    assert collecting.state == CaseState.COLLECTING
    assert [(e.person_id, e.awaiting) for e in change.events] == [("ubo-1", [])]


def test_a_resubmission_with_a_person_still_at_their_part_is_refused_naming_them():
    from arbiter.domain.case import Actor

    deps, case_id, company, people = submitted_with_people()
    finish_part(deps, case_id, people["ada"], IDENTITY)
    case = deps.cases.get("acme", case_id)
    expected = case.version
    change = case.await_review(None)
    change += case.request_revision(
        actor=Actor(type="reviewer", id="rev-1"), reason="check", document_ids=[], collecting=True
    )
    deps.cases.save(case, change, expected_version=expected)
    invite_person(deps, company, InvitationRequest(people="directors", index=0))  # Grace, during the revision
    with pytest.raises(PersonPending) as waiting:
        submit_collection(deps, company)
    assert waiting.value.path == "people.dir-7"
    assert "waits for Grace Hopper" in waiting.value.message
    assert deps.cases.get("acme", case_id).state == CaseState.REVISION_REQUESTED  # nothing written


def test_erasing_the_entity_erases_the_names_of_the_people_awaited():
    deps, case_id, _company, _people = submitted_with_people()
    case = deps.cases.get("acme", case_id)
    case.erase_personal_data(SYSTEM, "the applicant asked")
    assert [p.name for p in case.awaited_people] == ["(erased)"]
    assert case.state == CaseState.AWAITING_PEOPLE
