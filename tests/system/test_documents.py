"""Documents on the local stack: presigned uploads into moto S3, the ingestion function, listing and events."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tests.support.cases import declare, new_case, pages_of, settled
from tests.support.documents import EXECUTABLE, jpeg, pdf, png, post_upload
from tests.support.tenants import make_tenant
from tests.waiting import wait_for


def test_a_presigned_upload_is_checked_and_attached(tenant, stack, bus_events):
    api = tenant.api()
    case_id = new_case(api)
    declared = declare(api, case_id, id="passport-1", page_count=2, issuer={"country": "GB"})
    assert [u["page"] for u in declared["uploads"]] == [0, 1]
    upload = declared["uploads"][0]
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, upload["max_bytes"]] in policy["conditions"]
    assert upload["fields"]["key"].startswith(f"uploads/{tenant.id}/{case_id}/")
    assert "passport" not in upload["fields"]["key"]  # nothing the integrator chose is part of the key

    first, second = jpeg(640, 400), png(300, 200)
    assert post_upload(declared["uploads"][0], first).status_code in (200, 201, 204)
    assert post_upload(declared["uploads"][1], second, "scan.png").status_code in (200, 201, 204)

    pages = settled(api, case_id, "passport-1")
    assert [p["status"] for p in pages] == ["available", "available"]
    assert pages[0]["content_type"] == "image/jpeg"
    assert (pages[0]["width"], pages[0]["height"]) == (640, 400)
    assert pages[1]["content_type"] == "image/png"  # sniffed, whatever the declaration said
    assert pages[0]["sha256"] == hashlib.sha256(first).hexdigest()
    assert "object_key" not in pages[0]
    assert "thumbnail_key" not in pages[0]

    # The thumbnail exists in the bucket, as a JPEG.
    reviewer_view = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["case"]
    thumb_key = reviewer_view["documents"][0]["pages"][0]["thumbnail_key"]
    assert thumb_key.startswith(f"thumbnails/{tenant.id}/{case_id}/")
    body = stack.client("s3").get_object(Bucket=stack.physical_id("DocumentsBucket"), Key=thumb_key)["Body"]
    assert body.read(3) == b"\xff\xd8\xff"

    uploaded = wait_for(
        lambda: [e for e in bus_events.for_case(case_id) if e["detail-type"] == "document.uploaded"],
        what="document.uploaded events",
    )
    assert uploaded[0]["detail"]["document_id"] == "passport-1"
    assert uploaded[0]["detail"]["status"] == "available"


def test_a_pdf_upload_records_its_page_count(tenant):
    api = tenant.api()
    case_id = new_case(api)
    declared = declare(api, case_id, id="certificate", content_type="application/pdf")
    post_upload(declared["uploads"][0], pdf(3), "certificate.pdf")
    (page,) = settled(api, case_id, "certificate")
    assert page["status"] == "available"
    assert page["content_type"] == "application/pdf"
    assert page["page_count"] == 3


def test_an_executable_renamed_jpg_is_rejected_and_not_kept(tenant, stack):
    api = tenant.api()
    case_id = new_case(api)
    declared = declare(api, case_id, id="selfie")
    post_upload(declared["uploads"][0], EXECUTABLE, "selfie.jpg")
    (page,) = settled(api, case_id, "selfie")
    assert page["status"] == "rejected"
    assert "only JPEG, PNG, WebP and PDF" in page["reason"]
    listing = stack.client("s3").list_objects_v2(
        Bucket=stack.physical_id("DocumentsBucket"), Prefix=f"uploads/{tenant.id}/{case_id}/"
    )
    assert listing.get("KeyCount", 0) == 0


def test_an_oversized_upload_is_rejected(tenant, stack):
    api = tenant.api()
    case_id = new_case(api)
    declared = declare(api, case_id, id="huge")
    upload = declared["uploads"][0]
    big = jpeg(64, 64) + b"\x00" * (upload["max_bytes"] + 1)  # moto does not enforce the policy's range
    post_upload(upload, big)
    (page,) = settled(api, case_id, "huge")
    assert page["status"] == "rejected"
    assert "larger than 10 MB" in page["reason"]


def test_the_same_file_in_two_cases_is_flagged_on_both(tenant):
    api = tenant.api()
    image = jpeg(500, 300, (1, 2, 3))
    first = new_case(api, entity_id="dup-a")
    second = new_case(api, entity_id="dup-b")
    for case_id in (first, second):
        declared = declare(api, case_id, id="id-card")
        post_upload(declared["uploads"][0], image)
        settled(api, case_id, "id-card")
    reviewer = tenant.reviewer("viewer")
    flags_first = reviewer.get(f"/v1/review/cases/{first}").json()["case"]["flags"]
    flags_second = reviewer.get(f"/v1/review/cases/{second}").json()["case"]["flags"]
    assert any(f["code"] == "duplicate_document" and second in f["message"] for f in flags_first)
    assert any(f["code"] == "duplicate_document" and first in f["message"] for f in flags_second)
    assert pages_of(api, second, "id-card")[0]["duplicate_of_case_ids"] == [first]
    assert pages_of(api, first, "id-card")[0]["duplicate_of_case_ids"] == [second]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"type": "passport"}, "content_type"),
        ({"type": "passport", "content_type": "application/x-msdownload"}, "content_type"),
        ({"type": "", "content_type": "image/jpeg"}, "type"),
        ({"type": "passport", "content_type": "image/jpeg", "page_count": 0}, "page_count"),
        ({"type": "passport", "content_type": "image/jpeg", "id": "../../etc"}, "id"),
    ],
)
def test_bad_declarations_are_422_naming_the_field_and_add_nothing(tenant, body, path):
    api = tenant.api()
    case_id = new_case(api)
    response = api.post(f"/v1/cases/{case_id}/documents", json=body)
    assert response.status_code == 422, response.text
    assert path in [e["path"] for e in response.json()["errors"]]
    assert api.get(f"/v1/cases/{case_id}/documents").json()["items"] == []


def test_another_tenants_case_gets_404_for_documents(tenant, stack):
    case_id = new_case(tenant.api())
    other = make_tenant(stack).api()
    assert other.get(f"/v1/cases/{case_id}/documents").status_code == 404
    response = other.post(
        f"/v1/cases/{case_id}/documents", json={"type": "passport", "content_type": "image/jpeg"}
    )
    assert response.status_code == 404


def test_documents_cannot_be_added_to_a_decided_case(tenant):
    api = tenant.api()
    case_id = new_case(api)
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")
    decided = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "fine"}
    )
    assert decided.status_code == 200, decided.text
    response = api.post(
        f"/v1/cases/{case_id}/documents", json={"type": "passport", "content_type": "image/png"}
    )
    assert response.status_code == 409
    assert "approved" in response.json()["message"]
