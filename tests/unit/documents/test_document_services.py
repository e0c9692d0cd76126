"""The documents' use cases on in-memory fakes: declaring, ingesting, races, duplicates, inline data, erasure."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from arbiter.domain.case import CaseState, Change
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.services import cases, document_ingestion, documents, retention
from arbiter.services.cases import DocumentInput, PageInput
from arbiter.services.documents import DocumentDeclaration
from tests.builders import individual, integrator, reviewer, tenant
from tests.support.documents import EXECUTABLE, jpeg
from tests.unit.documents.fakes import FakeFetcher, document_deps

ACME = tenant("acme")


def open_case(deps, entity_id="user-1", **kwargs):
    case, _ = cases.start_case(
        deps, integrator(), ACME, workflow="manual-review", entity=individual(entity_id), **kwargs
    )
    return case


def upload(deps, case, data, document_id="passport"):
    _, _, forms = documents.declare_document(
        deps,
        integrator(),
        case.id,
        DocumentDeclaration(id=document_id, type="passport", content_type="image/jpeg"),
    )
    key = forms[0]["fields"]["key"]
    deps.store.put(key, data, "image/jpeg")
    return key, document_ingestion.ingest_uploaded_object(deps, key)


def page(deps, case_id, document_id="passport", index=0):
    return deps.cases.get("acme", case_id).document(document_id).pages[index]


def test_an_upload_is_checked_attached_and_announced():
    deps = document_deps()
    case = open_case(deps)
    key, _ = upload(deps, case, jpeg(400, 300))
    stored = page(deps, case.id)
    assert stored.status == "available"
    assert (stored.width, stored.height) == (400, 300)
    assert stored.thumbnail_key in deps.store.objects
    assert key.startswith(f"uploads/acme/{case.id}/")
    uploaded = [e for e in deps.cases.events if e.type == "document.uploaded"]
    assert [(e.document_id, e.status, e.page_index) for e in uploaded] == [("passport", "available", 0)]


def test_a_second_notification_for_the_same_upload_changes_nothing():
    deps = document_deps()
    case = open_case(deps)
    key, _ = upload(deps, case, jpeg())
    version = deps.cases.get("acme", case.id).version
    document_ingestion.ingest_uploaded_object(deps, key)
    assert deps.cases.get("acme", case.id).version == version


def test_a_rejected_upload_is_deleted_and_recorded():
    deps = document_deps()
    case = open_case(deps)
    key, _ = upload(deps, case, EXECUTABLE)
    stored = page(deps, case.id)
    assert stored.status == "rejected"
    assert stored.object_key is None
    assert key not in deps.store.objects


def test_a_lost_race_is_applied_again_on_the_case_as_it_now_is():
    deps = document_deps()
    case = open_case(deps)
    _, _, forms = documents.declare_document(
        deps,
        integrator(),
        case.id,
        DocumentDeclaration(id="passport", type="passport", content_type="image/jpeg"),
    )
    key = forms[0]["fields"]["key"]
    deps.store.put(key, jpeg(), "image/jpeg")
    repository = deps.cases
    original_save = repository.save
    raced = []

    def save_after_someone_else(case, change, *, expected_version):
        if not raced:  # another page of the case is saved first
            raced.append(1)
            other = repository.get("acme", case.id)
            original_save(other, change.__class__(), expected_version=other.version)
        return original_save(case, change, expected_version=expected_version)

    repository.save = save_after_someone_else
    document_ingestion.ingest_uploaded_object(deps, key)
    assert raced
    assert page(deps, case.id).status == "available"
    audit = repository.audit[("acme", case.id)]
    assert [e.action for e in audit].count("document.page_available") == 1


def test_the_same_file_in_two_cases_flags_both():
    deps = document_deps()
    image = jpeg(200, 200, (5, 5, 5))
    first, second = open_case(deps, "a"), open_case(deps, "b")
    upload(deps, first, image)
    upload(deps, second, image)
    one, two = deps.cases.get("acme", first.id), deps.cases.get("acme", second.id)
    assert [f.code for f in one.flags] == ["duplicate_document"]
    assert [f.code for f in two.flags] == ["duplicate_document"]
    assert two.documents[0].pages[0].duplicate_of_case_ids == [first.id]
    assert one.documents[0].pages[0].duplicate_of_case_ids == [second.id]


def test_keys_arbiter_did_not_issue_are_ignored_and_orphans_deleted():
    deps = document_deps()
    assert document_ingestion.ingest_uploaded_object(deps, "uploads/acme/../etc/passwd") is None
    orphan = "uploads/acme/case_0123456789abcdef0123/0123456789abcdef0123456789abcdef"
    deps.store.put(orphan, jpeg(), "image/jpeg")
    assert document_ingestion.ingest_uploaded_object(deps, orphan) is None
    assert orphan not in deps.store.objects


def test_the_ingest_step_copies_remote_and_records_unreachable_pages():
    image = jpeg(321, 123)
    deps = document_deps(FakeFetcher({"https://files.example/ok.jpg": image}))
    case = open_case(
        deps,
        documents=[
            DocumentInput(
                id="d",
                type="passport",
                pages=[
                    PageInput(uri="https://files.example/ok.jpg"),
                    PageInput(uri="https://files.example/gone.jpg"),
                ],
            )
        ],
    )
    counts = document_ingestion.ingest_case_documents(deps, "acme", case.id)
    assert counts == {"available": 1, "unavailable": 1}
    ok, gone = deps.cases.get("acme", case.id).documents[0].pages
    assert deps.store.objects[ok.object_key] == image
    assert ok.object_key.startswith(f"pages/acme/{case.id}/")
    assert gone.reason == "ConnectFailed: could not connect"
    assert (
        document_ingestion.ingest_case_documents(deps, "acme", case.id) == counts
    )  # a retried step does nothing more
    assert len(deps.fetcher.fetched) == 2


def test_inline_pages_are_stored_as_files_and_bad_data_names_the_field():
    deps = document_deps()
    good = [DocumentInput(type="passport", pages=[PageInput(data=base64.b64encode(jpeg()).decode())])]
    document_ingestion.stash_inline_pages(deps, "acme", good)
    (stored,) = good[0].pages
    assert stored.data is None
    assert stored.provider == "base64"
    assert f"files/acme/{stored.file_id}" in deps.store.objects
    again = [DocumentInput(type="passport", pages=[PageInput(data=base64.b64encode(jpeg()).decode())])]
    document_ingestion.stash_inline_pages(deps, "acme", again)
    assert again[0].pages[0].file_id == stored.file_id  # the same content is the same file
    bad = [DocumentInput(type="x", pages=[PageInput(), PageInput(data="@@not base64@@")])]
    with pytest.raises(InvalidInput) as raised:
        document_ingestion.stash_inline_pages(deps, "acme", bad)
    assert raised.value.path == "documents[0].pages[1].data"


def test_views_are_for_the_reviewers_tenant_only():
    deps = document_deps()
    case = open_case(deps)
    upload(deps, case, jpeg())
    links = documents.page_links(deps, reviewer("viewer"), case.id, "passport", 0)
    assert links["url"].endswith("?expires=300")
    with pytest.raises(NotFound):
        documents.page_links(deps, reviewer("viewer", tenant_id="other"), case.id, "passport", 0)


def test_retention_and_erasure_delete_files_and_keep_the_decision():
    deps = document_deps()
    case = open_case(deps)
    key, _ = upload(deps, case, jpeg())
    stored = deps.cases.get("acme", case.id)
    stored.task_tokens["review"] = "t"
    stored.state = CaseState.MANUAL_REVIEW
    deps.cases.save(
        stored,
        stored.decide("approved", actor=reviewer().actor, reason="ok", at=deps.now()),
        expected_version=stored.version,
    )
    settings = tenant("acme", document_retention_days=10)
    now = deps.now()
    assert retention.apply_retention(deps, [settings], now=now)["cases"] == 0
    report = retention.apply_retention(deps, [settings], now=now + dt.timedelta(days=11))
    assert report["cases"] == 1
    assert key not in deps.store.objects
    after = deps.cases.get("acme", case.id)
    assert after.decision.outcome == "approved"
    assert after.documents[0].pages[0].status == "deleted"
    retention.set_legal_hold(deps, reviewer("admin"), case.id, "court order")
    with pytest.raises(Conflict, match="legal hold"):
        retention.erase_entity(deps, reviewer("admin"), "user-1", "request")
    assert deps.cases.get("acme", case.id).entity.individual.first_name == "Ada"


def test_erasure_also_deletes_the_files_pages_were_copied_from():
    deps = document_deps()
    inline = [
        DocumentInput(id="d", type="passport", pages=[PageInput(data=base64.b64encode(jpeg()).decode())])
    ]
    document_ingestion.stash_inline_pages(deps, "acme", inline)
    source = f"files/acme/{inline[0].pages[0].file_id}"
    case = open_case(deps, "erase-me", documents=inline)
    document_ingestion.ingest_case_documents(deps, "acme", case.id)
    copied = deps.cases.get("acme", case.id).documents[0].pages[0].object_key
    assert copied in deps.store.objects
    stored = deps.cases.get("acme", case.id)
    stored.state = CaseState.REJECTED
    deps.cases.save(stored, Change(), expected_version=stored.version)
    # what the applicant filled in through a collection link goes with the rest
    deps.collection_links.save_answer("acme", case.id, "personal_details", {"first_name": "Ada"}, deps.now())
    retention.erase_entity(deps, reviewer("admin"), "erase-me", "erasure request")
    assert copied not in deps.store.objects
    assert source not in deps.store.objects
    assert deps.collection_links.answers("acme", case.id) == {}
