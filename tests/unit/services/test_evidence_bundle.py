"""The evidence bundle (arbiter/services/evidence.py, evidence_report.py) on the fakes: a case run through the
workflow with a document, a rule hit and a reviewer's decision is exported; the zip's report parses as a PDF with
every section, case.json holds the same data, the documents are copied byte for byte, and the export is on the
case's audit chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import pypdf
import pytest

from arbiter.domain.case import Flag, RiskAssessment, RuleSetRef
from arbiter.domain.errors import NotAllowed, NotFound
from arbiter.services import (
    audit_trail,
    cases,
    document_ingestion,
    documents,
    evidence,
    retention,
    review,
    workflow_steps,
)
from arbiter.services.documents import DocumentDeclaration
from arbiter.services.review import DecisionRequest
from tests.builders import business, individual, integrator, reviewer, tenant, ubo
from tests.support.automation import run_automation
from tests.support.documents import jpeg, png
from tests.unit.documents.fakes import document_deps
from tests.unit.fakes import automation_deps

NAME = 'Ada <b>Bold</b> & "Co" <font name="nope">'
HIT = {
    "rule_id": "pep",
    "name": "Politically exposed person",
    "description": None,
    "domain": "kyc",
    "outcome": "review",
    "score": 40,
    "severity": "high",
    "values": {"entity.individual.is_pep": True},
    "explanation": "entity.individual.is_pep (true) is true",
}
SECTIONS = (
    "Entity and owners",
    "Documents",
    "Checks",
    "Rule hits",
    "Decisions",
    "Timeline",
    "Audit trail verification",
)


def assess_with_a_hit(case, context):
    """The rules' answer as the engine shapes it: one hit with the values it read."""
    return RiskAssessment(
        score=40,
        level="high",
        recommendation="review",
        rule_set=RuleSetRef(id="kyc-default", version=3),
        hits=[HIT],
        evaluated_at=dt.datetime.now(dt.UTC),
    )


def upload(deps, case_id, document_id, data, content_type):
    _, _, forms = documents.declare_document(
        deps,
        integrator(),
        case_id,
        DocumentDeclaration(id=document_id, type=document_id, content_type=content_type),
    )
    key = forms[0]["fields"]["key"]
    deps.store.put(key, data, content_type)
    document_ingestion.ingest_uploaded_object(deps, key)


def decided_case(deps) -> str:
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual(first=NAME))
    upload(deps, case.id, "passport", jpeg(), "image/jpeg")
    upload(deps, case.id, "selfie", png(), "image/png")
    assert run_automation(automation_deps(deps, assess_with_a_hit), "acme", case.id) == "review"
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    review.decide(
        deps, reviewer(), case.id, DecisionRequest(decision="approve", reason="known customer, PEP cleared")
    )
    return case.id


def exported(deps, case_id):
    link = evidence.export_evidence(deps, reviewer("viewer"), case_id)
    (key,) = deps.store.keys_under(f"evidence/acme/{case_id}/")
    return link, key, zipfile.ZipFile(io.BytesIO(deps.store.objects[key]))


def pdf_text(bundle: zipfile.ZipFile) -> str:
    reader = pypdf.PdfReader(io.BytesIO(bundle.read("report.pdf")))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_bundle_holds_a_report_with_every_section_the_json_and_the_documents():
    deps = document_deps()
    case_id = decided_case(deps)
    link, key, bundle = exported(deps, case_id)

    text = pdf_text(bundle)
    for section in SECTIONS:
        assert section in text
    assert NAME in text  # escaped: shown as typed, not read as markup
    assert "Politically exposed person" in text
    assert "entity.individual.is_pep" in text
    assert "known customer, PEP cleared" in text
    assert "reviewer-1@example.com" in text

    data = json.loads(bundle.read("case.json"))
    assert data["format"] == evidence.BUNDLE_FORMAT
    assert (data["case"]["id"], data["case"]["state"]) == (case_id, "approved")
    assert data["entity"]["individual"]["first_name"] == NAME
    assert data["risk"]["hits"] == [HIT]
    assert data["decision"]["outcome"] == "approved"
    assert [d["action"] for d in data["decisions"]] == ["case.decided"]
    assert data["audit_verification"]["valid"] is True
    assert len(data["timeline"]) == data["audit_verification"]["entries"]

    stored = deps.cases.get("acme", case_id)
    files = {p["file"]: p for d in data["documents"] for v in d["versions"] for p in v["pages"]}
    assert set(files) == {"documents/passport/v1-page1.jpg", "documents/selfie/v1-page1.png"}
    for document in stored.documents:
        page = document.pages[0]
        copied = bundle.read(
            f"documents/{document.id}/v1-page1{'.jpg' if document.id == 'passport' else '.png'}"
        )
        assert copied == deps.store.objects[page.object_key]
        assert hashlib.sha256(copied).hexdigest() == page.sha256
    assert sorted(bundle.namelist()) == sorted(["report.pdf", "case.json", *files])

    assert link.sha256 == hashlib.sha256(deps.store.objects[key]).hexdigest()
    assert link.size == len(deps.store.objects[key])
    assert key in link.url


def test_the_export_is_on_the_audit_chain_with_who_and_the_hash():
    deps = document_deps()
    case_id = decided_case(deps)
    link, _key, _bundle = exported(deps, case_id)
    (entry,) = [e for e in deps.cases.detail("acme", case_id).audit if e.action == "evidence.exported"]
    assert (entry.actor.id, entry.details["sha256"], entry.details["size"]) == (
        "viewer-1",
        link.sha256,
        link.size,
    )
    assert audit_trail.verify_audit_trail(deps, reviewer(), case_id).valid
    assert link.expires_at - entry.at == dt.timedelta(seconds=evidence.LINK_EXPIRES_SECONDS)


def test_markup_in_untrusted_text_is_escaped_not_interpreted():
    deps = document_deps()
    case, _ = cases.start_case(
        deps,
        integrator(),
        tenant(),
        workflow="manual-review",
        entity=individual(first="<para><img src='/etc/passwd'/>"),
    )
    _link, _key, bundle = exported(deps, case.id)
    text = pdf_text(bundle)
    assert "<para><img src='/etc/passwd'/>" in text
    assert "No documents." in text
    assert "No decision yet." in text


def test_another_tenants_case_is_not_found_and_integrators_cannot_export():
    deps = document_deps()
    case_id = decided_case(deps)
    with pytest.raises(NotFound):
        evidence.export_evidence(deps, reviewer("admin", tenant_id="other"), case_id)
    with pytest.raises(NotAllowed):
        evidence.export_evidence(deps, integrator(), case_id)
    assert deps.store.keys_under("evidence/") == []


def test_a_case_whose_documents_are_too_many_for_a_bundle_gets_409_and_nothing_is_stored(monkeypatch):
    deps = document_deps()
    case_id = decided_case(deps)
    monkeypatch.setattr(evidence, "MAX_DOCUMENT_BYTES", 1000)
    with pytest.raises(evidence.BundleTooLarge):
        evidence.export_evidence(deps, reviewer(), case_id)
    assert deps.store.keys_under("evidence/") == []
    assert "evidence.exported" not in [e.action for e in deps.cases.detail("acme", case_id).audit]


def test_erasure_deletes_the_case_bundles_with_its_documents():
    deps = document_deps()
    case_id = decided_case(deps)
    _link, key, _bundle = exported(deps, case_id)
    retention.erase_entity(deps, reviewer("admin"), "user-1", "asked")
    assert key in deps.store.deleted
    assert deps.store.keys_under(f"evidence/acme/{case_id}/") == []


def test_a_four_eyes_decision_shows_the_proposal_and_the_confirmation():
    deps = document_deps()
    case, _ = cases.start_case(deps, integrator(), tenant(), workflow="kyc", entity=individual("four-eyes"))
    stored = deps.cases.get("acme", case.id)
    change = stored.add_flag(
        Flag(code="adverse_media", message="a watchlist match", severity="critical"), deps.now()
    )
    deps.cases.save(stored, change, expected_version=stored.version)
    workflow_steps.await_review(deps, "acme", case.id, "review-token")
    alice, bob = reviewer(user="alice"), reviewer(user="bob")
    review.decide(
        deps, alice, case.id, DecisionRequest(decision="approve", reason="media is about a namesake")
    )
    review.confirm_decision(deps, bob, case.id)

    _link, _key, bundle = exported(deps, case.id)
    data = json.loads(bundle.read("case.json"))
    decisions = [(d["action"], d["actor"]["id"]) for d in data["decisions"]]
    assert ("decision.proposed", "alice") in decisions
    assert ("decision.confirmed", "bob") in decisions
    text = pdf_text(bundle)
    assert "Confirmed by (four eyes)" in text
    assert "media is about a namesake" in text
    assert "adverse_media" in text


def test_a_business_bundle_lists_its_owners_and_their_cases():
    deps = document_deps()
    owner = ubo("Mary", "Jackson", 60)
    case, _ = cases.start_case(
        deps, integrator(), tenant(), workflow="kyb", entity=business("biz-evidence", ubos=[owner])
    )
    run_automation(automation_deps(deps), "acme", case.id)
    _link, _key, bundle = exported(deps, case.id)
    data = json.loads(bundle.read("case.json"))
    assert [o["name"] for o in data["owners"]] == ["Mary Jackson"]
    assert data["owners"][0]["case_id"] in data["case"]["child_case_ids"]
    text = pdf_text(bundle)
    assert "Owners' cases" in text
    assert "Mary Jackson" in text


def test_a_page_deleted_while_the_bundle_is_written_is_left_out_and_says_so():
    deps = document_deps()
    case_id = decided_case(deps)
    gathered = evidence.gather_evidence(deps, reviewer(), case_id)
    gone = next(f for f in gathered.files if f.path.startswith("documents/selfie/"))
    deps.store.delete([gone.key])
    out = io.BytesIO()
    evidence.build_bundle(gathered, lambda key: deps.store.read(key, deps.max_page_bytes), out)
    bundle = zipfile.ZipFile(out)
    assert sorted(bundle.namelist()) == ["case.json", "documents/passport/v1-page1.jpg", "report.pdf"]
    data = json.loads(bundle.read("case.json"))
    pages = {d["id"]: d["versions"][0]["pages"][0] for d in data["documents"]}
    assert (pages["selfie"]["file"], pages["passport"]["file"]) == (None, "documents/passport/v1-page1.jpg")
