"""Reviewers and documents: presigned views for their own tenant only, per-document decisions, revisions
with new versions that keep the old ones."""

from __future__ import annotations

import httpx

from tests.support.cases import case_with_document, declare, pages_of, settled
from tests.support.documents import jpeg, png, post_upload
from tests.waiting import wait_for


def test_a_reviewer_gets_short_lived_urls_of_a_page_and_its_thumbnail(tenant):
    image = jpeg(640, 480)
    case_id = case_with_document(tenant, image=image)
    response = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}/documents/passport/pages/0")
    assert response.status_code == 200, response.text
    links = response.json()
    assert links["expires_in"] <= 900
    assert "X-Amz-Expires=300" in links["url"]  # SigV4, five minutes
    page = httpx.get(links["url"], timeout=10)
    assert page.status_code == 200
    assert page.content == image
    thumbnail = httpx.get(links["thumbnail_url"], timeout=10)
    assert thumbnail.content[:3] == b"\xff\xd8\xff"
    assert len(thumbnail.content) < len(image)


def test_another_tenants_reviewer_gets_404(tenant, stack):
    from tests.support.tenants import TenantFixture

    case_id = case_with_document(tenant, entity_id="view-2")
    other = TenantFixture(id=f"{tenant.id}x", api_key="", stack=stack)  # a tenant id of its own
    response = other.reviewer("admin").get(f"/v1/review/cases/{case_id}/documents/passport/pages/0")
    assert response.status_code == 404
    assert "url" not in response.json()


def test_unknown_documents_pages_and_unavailable_pages(tenant):
    case_id = case_with_document(tenant, entity_id="view-3")
    reviewer = tenant.reviewer("viewer")
    assert reviewer.get(f"/v1/review/cases/{case_id}/documents/nope/pages/0").status_code == 404
    assert reviewer.get(f"/v1/review/cases/{case_id}/documents/passport/pages/7").status_code == 404
    assert reviewer.get(f"/v1/review/cases/{case_id}/documents/passport/pages/0?version=9").status_code == 404
    api = tenant.api()
    declared = declare(api, case_id, id="pending-doc")
    assert declared["uploads"]
    pending = reviewer.get(f"/v1/review/cases/{case_id}/documents/pending-doc/pages/0")
    assert pending.status_code == 409
    assert "pending" in pending.json()["message"]


def test_an_integrator_key_cannot_get_review_urls(tenant):
    case_id = case_with_document(tenant, entity_id="view-4")
    response = tenant.api().get(f"/v1/review/cases/{case_id}/documents/passport/pages/0")
    assert response.status_code == 401


def test_per_document_decisions_are_recorded_with_their_reason(tenant):
    case_id = case_with_document(tenant, entity_id="decide-1")
    reviewer = tenant.reviewer("reviewer")
    missing_reason = reviewer.post(
        f"/v1/review/cases/{case_id}/documents/passport/decision", json={"decision": "rejected"}
    )
    assert missing_reason.status_code == 422
    assert missing_reason.json()["path"] == "reason"
    response = reviewer.post(
        f"/v1/review/cases/{case_id}/documents/passport/decision",
        json={"decision": "rejected", "reason": "photo is blurred"},
    )
    assert response.status_code == 200, response.text
    document = response.json()["documents"][0]
    assert document["decision"]["decision"] == "rejected"
    assert document["decision"]["reason"] == "photo is blurred"
    audit = reviewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    entry = next(e for e in audit if e["action"] == "document.decided")
    assert entry["reason"] == "photo is blurred"
    viewer = tenant.reviewer("viewer").post(
        f"/v1/review/cases/{case_id}/documents/passport/decision", json={"decision": "approved"}
    )
    assert viewer.status_code == 403


def test_a_revision_names_the_documents_and_a_new_version_resumes_the_workflow(tenant, bus_events):
    first_image = jpeg(640, 480, (255, 0, 0))
    case_id = case_with_document(tenant, entity_id="revise-1", image=first_image)
    reviewer = tenant.reviewer("reviewer")
    response = reviewer.post(
        f"/v1/review/cases/{case_id}/decision",
        json={
            "decision": "revision",
            "reason": "passport expired",
            "documents": [{"document_id": "passport", "decision": "revision", "reason": "expired"}],
        },
    )
    assert response.status_code == 200, response.text
    api = tenant.api()
    case = api.get(f"/v1/cases/{case_id}").json()
    assert case["state"] == "revision_requested"
    revision_events = wait_for(
        lambda: [e for e in bus_events.for_case(case_id) if e["detail-type"] == "case.revision_requested"],
        what="revision event",
    )
    assert revision_events[0]["detail"]["document_ids"] == ["passport"]

    declared = declare(api, case_id, id="passport", content_type="image/png")
    assert declared["document"]["version"] == 2
    post_upload(declared["uploads"][0], png(500, 300))
    pages = settled(api, case_id, "passport")
    assert pages[0]["content_type"] == "image/png"
    resubmitted = api.post(f"/v1/cases/{case_id}/events", json={"name": "resubmitted"})
    assert resubmitted.status_code == 200, resubmitted.text
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="back in review"
    )

    document = api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]
    assert document["version"] == 2
    assert "decision" not in document  # the new version awaits its own decision
    (old,) = document["history"]
    assert old["version"] == 1
    assert old["decision"]["decision"] == "revision"
    assert old["pages"][0]["status"] == "available"
    links = reviewer.get(
        f"/v1/review/cases/{case_id}/documents/passport/pages/0", params={"version": 1}
    ).json()
    assert httpx.get(links["url"], timeout=10).content == first_image
    current = reviewer.get(f"/v1/review/cases/{case_id}/documents/passport/pages/0").json()
    assert current["content_type"] == "image/png"
    assert pages_of(api, case_id, "passport")[0]["width"] == 500
