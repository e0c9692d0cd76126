"""The case's document rules: versions and history, flags, deletion, legal hold and erasure."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.case import SYSTEM, Case, Flag
from arbiter.domain.document import Document, DocumentDecision, Page
from arbiter.domain.errors import Conflict
from tests.builders import business, individual, reviewer

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def open_case(entity=None) -> Case:
    case, _ = Case.open(
        tenant_id="acme",
        workflow_id="kyc",
        workflow_version=1,
        entity=entity or individual(),
        actor=SYSTEM,
        at=AT,
        context={"entity": {"data": {"firstName": "Ada"}}},
        metadata={"crm": "ada@example.com"},
    )
    return case


def passport(key: str, status: str = "available") -> Document:
    return Document(
        id="passport",
        type="passport",
        properties={"number": "X123"},
        pages=[Page(index=0, status=status, object_key=key, thumbnail_key=f"{key}.jpg", sha256="ab")],
    )


def test_a_new_version_keeps_the_old_one_with_its_decision():
    case = open_case()
    case.declare_document(passport("k1"), SYSTEM, AT)
    case.documents[0].decision = DocumentDecision(decision="revision", reason="expired")
    change = case.declare_document(passport("k2", status="pending"), SYSTEM, AT + dt.timedelta(hours=1))
    (document,) = case.documents
    assert document.version == 2
    assert document.decision is None
    assert [p.object_key for p in document.pages] == ["k2"]
    assert document.history[0].version == 1
    assert document.history[0].decision.reason == "expired"
    assert document.find_page("k1") is document.history[0].pages[0]
    assert change.audit[0].action == "document.version_added"
    assert sorted(case.stored_keys()) == ["k1", "k1.jpg", "k2", "k2.jpg"]


def test_documents_cannot_be_added_to_a_decided_case():
    case = open_case()
    case.decide("approved", actor=SYSTEM, reason="ok", automatic=True)
    with pytest.raises(Conflict, match="approved"):
        case.declare_document(passport("k"), SYSTEM)


def test_a_flag_is_raised_once():
    case = open_case()
    flag = Flag(code="duplicate_document", message="same file as case_1")
    assert case.add_flag(flag).audit
    assert not case.add_flag(flag).audit
    assert len(case.flags) == 1


def test_recording_a_page_publishes_document_uploaded():
    case = open_case()
    case.declare_document(passport("k1"), SYSTEM)
    document = case.documents[0]
    change = case.record_page(document, document.pages[0])
    (event,) = change.events
    assert event.type == "document.uploaded"
    assert event.document_version == 1
    assert event.status == "available"


def test_erasure_keeps_the_decision_and_removes_who_the_entity_is():
    case = open_case(business())
    case.declare_document(passport("k1"), SYSTEM)
    case.decide("rejected", actor=SYSTEM, reason="sanctions hit", automatic=True)
    change = case.erase_personal_data(reviewer("admin").actor, "erasure request", AT)
    assert case.entity.business.name == "(erased)"
    assert case.entity.id == "biz-1"  # the integrator's reference stays, to trace the erasure
    assert case.context == {}
    assert case.metadata == {}
    assert case.documents[0].properties == {}
    assert case.documents[0].pages[0].status == "deleted"
    assert case.stored_keys() == []
    assert case.decision.reason == "sanctions hit"
    assert [e.action for e in change.audit] == ["documents.deleted", "entity.erased"]


def test_a_legal_hold_refuses_erasure_until_released():
    case = open_case()
    actor = reviewer("admin").actor
    case.set_legal_hold(actor, "litigation")
    with pytest.raises(Conflict, match="legal hold"):
        case.erase_personal_data(actor, "request")
    assert case.entity.individual.first_name == "Ada"
    case.release_legal_hold(actor, "settled")
    case.erase_personal_data(actor, "request")
    assert case.entity.individual.full_name == "(erased)"
    with pytest.raises(Conflict, match="no legal hold"):
        case.release_legal_hold(actor, "again")
