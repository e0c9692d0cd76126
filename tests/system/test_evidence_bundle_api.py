"""`GET /v1/review/cases/{id}/evidence` on the local stack: a reviewer decides a case with a document, a viewer
exports its evidence, downloads the zip from the presigned link (moto's S3) and finds the report, the data and
the document as uploaded; the export is on the case's audit chain, and other tenants' cases are not found."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import httpx
import pypdf

from tests.support.cases import case_with_document
from tests.support.documents import jpeg
from tests.support.tenants import make_tenant


def test_a_viewer_downloads_the_bundle_of_a_decided_case_through_the_presigned_link(tenant, stack):
    image = jpeg(800, 600, (20, 90, 160))
    case_id = case_with_document(tenant, "evidence-1", image=image)
    decided = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "passport matches"}
    )
    assert decided.status_code == 200, decided.text

    viewer = tenant.reviewer("viewer")
    response = viewer.get(f"/v1/review/cases/{case_id}/evidence")
    assert response.status_code == 200, response.text
    link = response.json()
    assert set(link) == {"url", "expires_at", "sha256", "size"}
    assert f"evidence/{tenant.id}/{case_id}/" in link["url"]

    download = httpx.get(link["url"], timeout=30)
    assert download.status_code == 200, download.text
    body = download.content
    assert (hashlib.sha256(body).hexdigest(), len(body)) == (link["sha256"], link["size"])

    bundle = zipfile.ZipFile(io.BytesIO(body))
    assert bundle.read("documents/passport/v1-page1.jpg") == image
    data = json.loads(bundle.read("case.json"))
    assert data["case"]["id"] == case_id
    assert data["decision"]["reason"] == "passport matches"
    assert data["audit_verification"]["valid"] is True
    report = pypdf.PdfReader(io.BytesIO(bundle.read("report.pdf")))
    text = "\n".join(page.extract_text() for page in report.pages)
    assert "Ada Lovelace" in text
    assert "passport matches" in text
    assert "Audit trail verification" in text

    audit = viewer.get(f"/v1/review/cases/{case_id}").json()["audit"]
    exported = [e for e in audit if e["action"] == "evidence.exported"]
    assert len(exported) == 1
    assert viewer.get(f"/v1/review/cases/{case_id}/audit/verify").json()["valid"] is True


def test_exporting_needs_a_reviewers_token_and_another_tenants_case_is_not_found(tenant, stack):
    case_id = case_with_document(tenant, "evidence-2")
    anonymous = httpx.get(f"{stack.api_url}/v1/review/cases/{case_id}/evidence", timeout=30)
    assert anonymous.status_code == 401
    other = make_tenant(stack)
    assert other.reviewer("admin").get(f"/v1/review/cases/{case_id}/evidence").status_code == 404
    assert tenant.reviewer("viewer").get("/v1/review/cases/case_missing/evidence").status_code == 404
    s3 = stack.client("s3")
    listed = s3.list_objects_v2(Bucket=stack.physical_id("DocumentsBucket"), Prefix=f"evidence/{tenant.id}/")
    assert listed.get("KeyCount", 0) == 0
