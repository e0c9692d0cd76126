"""Expiring documents on fakes: an approved customer's ID with an expiry date makes it due for a review the tenant's
margin before that day; the review case asks for that document again (a revision naming the day, a collection link
sent when the workflow collects through links, the onboarding answers carried over) and runs its checks only once
the applicant uploaded a new version; documents without an expiry date are never asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import CaseState
from arbiter.domain.document import Document, Page
from arbiter.domain.errors import InvalidInput
from arbiter.domain.principal import Principal
from arbiter.services import cases, document_keys, periodic_reviews, review, workflow_steps
from arbiter.services.collection import (
    CollectionLinkRequest,
    authenticate_collection_token,
    collection_journey,
    create_collection_link,
)
from arbiter.services.collection_submission import submit_collection
from arbiter.services.review import DecisionRequest
from tests.builders import individual, integrator, reviewer, tenant
from tests.unit.monitoring_fakes import monitoring_deps

PERSONAL = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB"}
ID_EXPIRES = dt.date(2027, 1, 15)  # the fakes' clock starts on 2026-11-01: the ID is valid when approved


def id_document(document_id: str = "id_front", **properties: object) -> Document:
    page = Page(index=0, status="available", object_key=f"uploads/acme/case_0/{document_id}")
    return Document(id=document_id, type="passport", properties=properties, pages=[page])


def approved(deps, entity_id: str, documents: list[Document], workflow: str = "kyc") -> str:
    """A case of the workflow holding `documents`, its applicant's answers saved, approved by a reviewer."""
    case, _ = cases.start_case(
        deps, integrator(), tenant("acme"), workflow=workflow, entity=individual(entity_id)
    )
    deps.cases.cases[("acme", case.id)].documents.extend(documents)
    deps.collection_links.save_answer("acme", case.id, "personal_details", PERSONAL, deps.now())
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="ok"))
    return case.id


def applicant(deps, case_id: str) -> Principal:
    issued = create_collection_link(deps, integrator(), case_id, CollectionLinkRequest())
    link = authenticate_collection_token(deps, issued.token)
    return Principal(kind="collection", tenant_id="acme", id=f"link_{link.id}", case_id=case_id)


def tenant_deps(**settings: object):
    deps = monitoring_deps()
    deps.tenants.add(tenant("acme", **settings))
    return deps


@pytest.fixture
def deps():
    return tenant_deps()


def test_an_expiring_id_is_asked_for_again_through_a_review_case_that_waits_for_it(deps):
    onboarding = approved(
        deps,
        "e-1",
        [
            id_document(expiry_date=ID_EXPIRES.isoformat()),
            Document(id="proof_of_address", type="utility_bill"),
        ],
    )
    assert deps.monitored.get("acme", "e-1").documents_expire == ID_EXPIRES
    asked = ID_EXPIRES - dt.timedelta(days=30)  # the default margin
    assert periodic_reviews.open_due_reviews(deps, asked - dt.timedelta(days=1)).opened == []

    [case_id] = periodic_reviews.open_due_reviews(deps, asked).opened

    case = deps.cases.get("acme", case_id)
    assert (case.state, case.onboarding_case_id, case.review_due) == (
        CaseState.REVISION_REQUESTED,
        onboarding,
        asked,
    )
    assert case.revision is not None
    assert (case.revision.reason, case.revision.document_ids) == (
        "passport expires on 2027-01-15",
        ["id_front"],
    )
    [document] = case.documents  # only what is asked for; its pages stay the onboarding case's
    assert (document.id, document.pages, document.decision.decision) == ("id_front", [], "revision")
    events = [e for e in deps.cases.events if e.case_id == case_id]
    assert [e.type for e in events] == [
        "case.created",
        "entity.review_due",
        "case.status_changed",
        "case.revision_requested",
        "collection.revision_requested",
        "collection.link_issued",
    ]
    assert events[1].triggers == [periodic_reviews.DOCUMENT_EXPIRING]
    [link] = deps.collection_links.for_case("acme", case_id)
    assert (link.created_by, link.person_id) == ("arbiter", None)
    assert link.expires_at == link.created_at + dt.timedelta(days=30)  # the longest a link lasts
    assert deps.collection_links.answers("acme", case_id) == {"personal_details": PERSONAL}
    assert not any(name.startswith(case_id) for _, name, _ in deps.engine.started)  # nothing runs yet

    person = applicant(deps, case_id)
    journey = collection_journey(deps, person)
    assert journey.revision is not None
    assert journey.revision.document_ids == ["id_front"]
    assert journey.uploaded == []
    with pytest.raises(InvalidInput) as missing:
        submit_collection(deps, person)
    assert missing.value.path == "id_documents.documents.id_front"

    # The applicant's new version, as the upload and its ingestion leave it (a new version of the slot's document).
    stored = deps.cases.cases[("acme", case_id)]
    stored.declare_document(id_document(expiry_date="2036-01-15"), person.actor)
    submitted = submit_collection(deps, person)
    assert submitted.state == CaseState.PROCESSING
    assert [name for _, name, _ in deps.engine.started][-1] == f"{case_id}-a1"  # its checks run now

    workflow_steps.await_review(deps, "acme", case_id, "review-token-2")
    review.decide(deps, reviewer(), case_id, DecisionRequest(decision="approve", reason="new passport"))
    record = deps.monitored.get("acme", "e-1")
    assert (record.case_id, record.documents_expire) == (case_id, dt.date(2036, 1, 15))
    assert periodic_reviews.open_due_reviews(deps, asked + dt.timedelta(days=1)).opened == []


def test_a_review_run_again_for_the_same_expiry_opens_nothing_more_and_sends_no_second_link(deps):
    approved(deps, "e-1", [id_document(expiry_date="2026-12-01")])
    day = dt.date(2026, 11, 2)  # within the margin already
    [case_id] = periodic_reviews.open_due_reviews(deps, day).opened
    again = periodic_reviews.open_due_reviews(deps, day + dt.timedelta(days=3))
    assert (again.opened, again.skipped) == ([], {"opened already": 1})
    assert len(deps.collection_links.for_case("acme", case_id)) == 1


def test_an_expired_id_is_named_expired_and_the_margin_is_the_tenants():
    deps = tenant_deps(document_expiry_margin_days=0)
    approved(deps, "e-1", [id_document(expirationDate="2026-11-20T00:00:00Z")])
    assert periodic_reviews.open_due_reviews(deps, dt.date(2026, 11, 19)).opened == []
    [case_id] = periodic_reviews.open_due_reviews(deps, dt.date(2026, 11, 21)).opened
    revision = deps.cases.get("acme", case_id).revision
    assert revision is not None
    assert revision.reason == "passport expired on 2026-11-20"


def test_documents_without_an_expiry_date_are_never_asked_for(deps):
    approved(deps, "e-1", [id_document(), id_document("id_back", expiry_date="not a day")])
    assert deps.monitored.get("acme", "e-1").documents_expire is None
    day = dt.date(2029, 11, 1)  # the review on schedule (low risk: 36 months)
    [case_id] = periodic_reviews.open_due_reviews(deps, day).opened
    case = deps.cases.get("acme", case_id)
    assert (case.state, case.revision, case.documents) == (CaseState.PROCESSING, None, [])
    assert deps.collection_links.for_case("acme", case_id) == []


def test_a_tenant_that_never_asks_gets_reviews_on_schedule_only():
    deps = tenant_deps(document_expiry_margin_days=None)
    approved(deps, "e-1", [id_document(expiry_date="2026-12-01")])
    assert periodic_reviews.open_due_reviews(deps, dt.date(2027, 6, 1)).opened == []
    [case_id] = periodic_reviews.open_due_reviews(deps, dt.date(2029, 11, 1)).opened
    assert deps.cases.get("acme", case_id).state == CaseState.PROCESSING


def test_a_review_on_schedule_asks_for_a_document_the_record_did_not_know_of(deps):
    approved(deps, "e-1", [id_document(expiry_date="2029-11-20")])
    key = ("acme", "e-1")  # a record written before expiry dates were kept
    deps.cases.monitored[key] = deps.cases.monitored[key].model_copy(update={"documents_expire": None})
    [case_id] = periodic_reviews.open_due_reviews(deps, dt.date(2029, 11, 1)).opened
    case = deps.cases.get("acme", case_id)
    assert case.state == CaseState.REVISION_REQUESTED
    assert case.revision is not None
    assert case.revision.document_ids == ["id_front"]
    [due] = [e for e in deps.cases.events if e.case_id == case_id and e.type == "entity.review_due"]
    assert due.triggers == []  # due on schedule


def test_a_workflow_that_does_not_collect_asks_its_integrator_without_a_link(deps):
    approved(deps, "e-1", [id_document(expiry_date="2026-12-01")], workflow="manual-review")
    [case_id] = periodic_reviews.open_due_reviews(deps, dt.date(2026, 11, 2)).opened
    types = [e.type for e in deps.cases.events if e.case_id == case_id]
    assert "case.revision_requested" in types
    assert "collection.revision_requested" not in types
    assert "collection.link_issued" not in types
    assert deps.collection_links.for_case("acme", case_id) == []
    assert deps.collection_links.answers("acme", case_id) == {}
    resubmitted = cases.send_event(deps, integrator(), case_id, "resubmitted")
    assert resubmitted.state == CaseState.PROCESSING
    assert [name for _, name, _ in deps.engine.started][-1] == f"{case_id}-a1"


@pytest.mark.parametrize(
    ("properties", "day"),
    [
        ({"expiry_date": "2030-05-31"}, dt.date(2030, 5, 31)),
        ({"expirationDate": "2030-05-31T00:00:00Z"}, dt.date(2030, 5, 31)),
        ({"date_of_expiry": " 2030-05-31 "}, dt.date(2030, 5, 31)),
        ({"expiry_date": "31/05/2030"}, None),
        ({"expiry_date": 20300531}, None),
        ({"number": "X1"}, None),
    ],
)
def test_an_expiry_date_is_read_from_the_documents_properties(properties, day):
    assert Document(id="d", type="passport", properties=properties).expires_on() == day


@pytest.mark.parametrize(
    "case_id", ["case_0193a1b2c3d4", "rev_5b9d0c7e1a2f3b4c5d6e7f8091a2b3c4", "mon_5b9d0c7e1a2f"]
)
def test_a_case_arbiter_opened_itself_takes_uploads(case_id):
    key = document_keys.upload_key("acme", case_id)
    assert document_keys.parse_upload_key(key) == document_keys.UploadKey("acme", case_id)


@pytest.mark.parametrize("case_id", ["rev_../x", "review_5b9d0c7e1a2f", "case_XYZ0123456789"])
def test_other_case_ids_are_never_in_a_key(case_id):
    with pytest.raises(InvalidInput):
        document_keys.upload_key("acme", case_id)
    assert document_keys.parse_upload_key(f"uploads/acme/{case_id}/{'0' * 32}") is None
