"""E-mail to applicants against in-memory fakes: sent only where the tenant set a sender, to the address the link
names or the applicant's own, recorded in the case's history without the link, and a message SES refuses never
fails the link, the invitation, the revision or the submission that caused it."""

from __future__ import annotations

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.document import Document, Page
from arbiter.domain.errors import InvalidInput, MailRefused
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import CollectionEmail
from arbiter.services import cases, collection_revisions, review
from arbiter.services.collection import (
    CollectionLinkRequest,
    authenticate_collection_token,
    collection_journey,
    create_collection_link,
    save_step,
)
from arbiter.services.collection_invitations import InvitationRequest, invite_person
from arbiter.services.collection_submission import submit_collection
from tests.builders import business, individual, integrator, reviewer, tenant
from tests.unit.fakes import FakeDependencies, case_deps

SENDER = "applications@bank.example"
PERSONAL = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
HOME = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
REFUSED = MailRefused("SES did not take the message: MessageRejected", code="MessageRejected")


def mailing(sender: str | None = SENDER, enabled: bool = True) -> FakeDependencies:
    deps = case_deps()
    deps.tenants.add(tenant(collection_email=CollectionEmail(sender=sender, enabled=enabled)))
    return deps


def start(deps: FakeDependencies, workflow: str = "kyc", entity=None) -> str:
    entity = entity or individual(email="ada@example.com")
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow=workflow, entity=entity, submit=False)
    return case.id


def opened_by(deps: FakeDependencies, token: str) -> Principal:
    link = authenticate_collection_token(deps, token)
    return Principal(kind="collection", tenant_id=link.tenant_id, id=f"link_{link.id}", case_id=link.case_id)


def history(deps: FakeDependencies, case_id: str) -> list:
    return [e for e in deps.cases.audit[("acme", case_id)] if e.action.startswith("collection.email")]


def test_a_link_is_emailed_to_the_address_it_names_and_the_history_keeps_no_link():
    deps = mailing()
    case_id = start(deps)
    issued = create_collection_link(
        deps, integrator(), case_id, CollectionLinkRequest(email="grace@example.com", language="de")
    )
    assert issued.email == "sent"
    (message,) = deps.mailer.sent
    assert (message.sender, message.to, message.kind) == (SENDER, "grace@example.com", "link_issued")
    assert message.subject == "Ihr Antrag: online fortsetzen"
    assert f"https://collect.example/#{issued.token}" in message.text
    (entry,) = history(deps, case_id)
    assert (entry.action, entry.details) == (
        "collection.email_sent",
        {"kind": "link_issued", "to": "g•••@example.com", "message_id": "message-1"},
    )
    assert issued.token not in repr(deps.cases.audit) + repr(deps.cases.events)


def test_without_an_address_the_link_goes_to_the_applicants_own():
    deps = mailing()
    issued = create_collection_link(deps, integrator(), start(deps), CollectionLinkRequest())
    assert issued.email == "sent"
    assert [m.to for m in deps.mailer.sent] == ["ada@example.com"]


@pytest.mark.parametrize(
    ("sender", "enabled"), [(None, True), (SENDER, False)], ids=["no-sender", "switched-off"]
)
def test_a_tenant_without_a_sender_or_switched_off_sends_nothing(sender, enabled):
    deps = mailing(sender, enabled)
    case_id = start(deps)
    issued = create_collection_link(
        deps, integrator(), case_id, CollectionLinkRequest(email="grace@example.com")
    )
    assert (issued.email, deps.mailer.sent, history(deps, case_id)) == (None, [], [])


def test_a_refused_message_leaves_the_link_working_and_is_recorded_as_failed():
    deps = mailing()
    deps.mailer.refuse = REFUSED
    case_id = start(deps)
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    assert issued.email == "failed"
    assert authenticate_collection_token(deps, issued.token).case_id == case_id  # the link stands
    (entry,) = history(deps, case_id)
    assert (entry.action, entry.details["error"], entry.details["kind"]) == (
        "collection.email_failed",
        "MessageRejected",
        "link_issued",
    )


OWNERSHIP = {
    "ubos": [
        {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "ownership_percent": 60}
    ],
    "directors": [{"first_name": "Grace", "last_name": "Hopper"}],
}


def test_an_invited_owner_is_emailed_their_own_link():
    deps = mailing()
    case_id = start(deps, "kyb", business(email="office@acme.example"))
    company = opened_by(
        deps, create_collection_link(deps, integrator(), case_id, CollectionLinkRequest()).token
    )
    save_step(deps, company, "ownership", OWNERSHIP)
    invited = invite_person(
        deps, company, InvitationRequest(people="ubos", index=0, email="ada@lovelace.example")
    )
    assert invited.email == "sent"
    message = deps.mailer.sent[-1]
    assert (message.to, message.subject) == (
        "ada@lovelace.example",
        "Your part of the application of Acme Payments GmbH",
    )
    assert message.text.startswith("Hello Ada Lovelace,")
    assert f"#{invited.token}" in message.text
    deps.mailer.refuse = REFUSED
    again = invite_person(deps, company, InvitationRequest(people="directors", index=0, email="g@h.example"))
    assert again.email == "failed"
    assert opened_by(deps, again.token).case_id == case_id


def submitted_kyc(deps: FakeDependencies) -> tuple[str, Principal]:
    case_id = start(deps)
    person = opened_by(
        deps, create_collection_link(deps, integrator(), case_id, CollectionLinkRequest(language="es")).token
    )
    for step, data in (("personal_details", PERSONAL), ("address", HOME), ("id_documents", {})):
        save_step(deps, person, step, data)
    stored = deps.cases.cases[("acme", case_id)]
    page = Page(index=0, status="available", object_key=f"acme/{case_id}/id_front/1")
    stored.documents.append(Document(id="id_front", type="id_card", pages=[page]))
    return case_id, person


def test_a_submission_is_confirmed_in_the_links_language_and_a_refusal_does_not_undo_it():
    deps = mailing()
    case_id, person = submitted_kyc(deps)
    assert submit_collection(deps, person).state == CaseState.PROCESSING
    message = deps.mailer.sent[-1]
    assert (message.kind, message.subject, message.to) == (
        "submitted",
        "Hemos recibido su solicitud",
        "ada@example.com",
    )

    deps = mailing()
    deps.mailer.refuse = REFUSED
    case_id, person = submitted_kyc(deps)
    assert submit_collection(deps, person).state == CaseState.PROCESSING
    assert deps.cases.get("acme", case_id).state == CaseState.PROCESSING
    assert [e.details["kind"] for e in history(deps, case_id)] == ["link_issued", "submitted"]
    assert {e.action for e in history(deps, case_id)} == {"collection.email_failed"}


def in_review(deps: FakeDependencies) -> tuple[str, Principal]:
    case_id, person = submitted_kyc(deps)
    submit_collection(deps, person)
    deps.cases.cases[("acme", case_id)].await_review("review-token")
    return case_id, person


def test_a_revision_names_fields_of_the_journey_and_refuses_one_it_does_not_hold():
    deps = mailing()
    case_id, _person = in_review(deps)
    for wrong in (["address.planet"], ["nowhere.city"], ["address"], ["owner_identity.first_name"]):
        with pytest.raises(InvalidInput) as refused:
            review.decide(
                deps,
                reviewer(),
                case_id,
                review.DecisionRequest(decision="revision", reason="check", fields=wrong),
            )
        assert refused.value.path == "fields[0]"
    with pytest.raises(InvalidInput) as not_a_revision:
        review.decide(
            deps,
            reviewer(),
            case_id,
            review.DecisionRequest(decision="reject", reason="no", fields=["address.city"]),
        )
    assert not_a_revision.value.path == "fields"
    assert deps.cases.get("acme", case_id).state == CaseState.MANUAL_REVIEW  # nothing written


def test_a_revision_with_fields_opens_their_steps_and_emails_the_reason_with_a_new_link():
    deps = mailing()
    case_id, person = in_review(deps)
    request = review.DecisionRequest(
        decision="revision",
        reason="The postcode does not match the city",
        fields=["/address/postal_code", "address.city"],
    )
    case = review.decide(deps, reviewer(), case_id, request)
    assert case.revision is not None
    assert case.revision.fields == ["address.postal_code", "address.city"]
    (event,) = [e for e in deps.cases.events if e.type == "collection.revision_requested"]
    assert event.fields == ["address.postal_code", "address.city"]

    assert collection_revisions.notify_revision(deps, reviewer(), case) == "sent"
    message = deps.mailer.sent[-1]
    assert (message.kind, message.to) == ("revision_requested", "ada@example.com")
    assert message.subject == "Su solicitud: revise lo que le hemos devuelto"  # the link's language
    assert "The postcode does not match the city" in message.text
    url = next(line for line in message.text.splitlines() if "#clk_" in line).split(": ", 1)[1]
    newcomer = opened_by(deps, url.split("#", 1)[1])
    journey = collection_journey(deps, newcomer)
    assert journey.revision is not None
    assert journey.revision.fields == ["address.postal_code", "address.city"]

    save_step(deps, person, "address", {**HOME, "postal_code": "SW1Y 4JJ"})
    assert submit_collection(deps, person).state == CaseState.PROCESSING
    assert deps.mailer.sent[-1].kind == "submitted"
    assert "resubmitted" not in deps.mailer.sent[-1].text
    assert "sus cambios" in deps.mailer.sent[-1].text


def test_a_revision_whose_email_fails_stands():
    deps = mailing()
    case_id, _person = in_review(deps)
    deps.mailer.refuse = REFUSED
    case = review.decide(
        deps, reviewer(), case_id, review.DecisionRequest(decision="revision", reason="blurred")
    )
    assert collection_revisions.notify_revision(deps, reviewer(), case) == "failed"
    assert deps.cases.get("acme", case_id).state == CaseState.REVISION_REQUESTED
    assert history(deps, case_id)[-1].action == "collection.email_failed"


def test_any_failure_of_the_mailer_is_reported_as_not_sent_never_raised():
    deps = mailing()
    deps.mailer.refuse = ConnectionError("the network is down")
    case_id = start(deps)
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    assert issued.email == "failed"
    assert history(deps, case_id)[-1].details["error"] == "ConnectionError"


def test_a_retried_collect_start_answers_its_first_link_and_sends_nothing_again():
    from arbiter.domain.collection import CollectionLink
    from arbiter.services.collection import IssuedLink, link_for_started_case

    deps = mailing()
    case_id = start(deps)
    first = link_for_started_case(deps, integrator(), case_id)
    assert isinstance(first, IssuedLink)
    assert first.email == "sent"
    again = link_for_started_case(deps, integrator(), case_id)  # the same Idempotency-Key: the same case
    assert isinstance(again, CollectionLink)
    assert again.id == first.link.id
    assert len(deps.mailer.sent) == 1
    assert [k.id for k in deps.collection_links.for_case("acme", case_id)] == [first.link.id]
