"""The case view's evidence panel in chromium: "Evidence bundle" builds the bundle and the browser saves the zip
from its presigned link (the report, the data and the case inside); "Verify audit trail" shows the chain verified,
and, after an audit item is edited in the table behind the API's back, the first broken entry."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from playwright.sync_api import expect

from arbiter.adapters.dynamodb import keys
from arbiter.adapters.dynamodb.items import from_item, to_item
from arbiter.domain.audit_chain import canonical
from tests.browser.cases import case_in_review, person
from tests.browser.conftest import ARTIFACTS
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def edit_first_audit_entry(stack, tenant_id: str, case_id: str) -> str:
    """Rewrites the case's first audit item directly in the table; the entry's id."""
    client = stack.client("dynamodb")
    table = stack.physical_id("ArbiterTable")
    items = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
        ExpressionAttributeValues=to_item({":pk": keys.case_pk(tenant_id, case_id), ":a": keys.AUDIT_PREFIX}),
        ConsistentRead=True,
    )["Items"]
    first = from_item(items[0])
    content = json.loads(first["data"])
    content["actor"] = {"type": "reviewer", "id": "someone-else"}
    client.put_item(TableName=table, Item=to_item({**first, "data": canonical(content).decode()}))
    return str(content["id"])


def test_a_viewer_saves_the_evidence_bundle_and_verifies_the_audit_trail(open_browser, stack, tenant):
    case_id = case_in_review(tenant, person("Grace", "Hopper"))
    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    panel = page.locator("#evidence")
    expect(panel).to_be_visible()

    with page.expect_download() as saved:
        panel.get_by_role("button", name="Evidence bundle").click()
    download = saved.value
    assert download.suggested_filename == f"evidence-{case_id}.zip"
    with open(download.path(), "rb") as file:
        body = file.read()
    shown = panel.get_by_test_id("evidence-bundle")
    expect(shown).to_contain_text(hashlib.sha256(body).hexdigest())
    with zipfile.ZipFile(download.path()) as bundle:
        report = bundle.read("report.pdf")
        data = json.loads(bundle.read("case.json"))
    assert report.startswith(b"%PDF-")
    assert data["case"]["id"] == case_id
    assert data["entity"]["individual"]["last_name"] == "Hopper"
    open_in_pdf_viewer(browser, report)

    panel.get_by_role("button", name="Verify audit trail").click()
    expect(panel.get_by_role("status")).to_contain_text("Audit trail verified")
    browser.screenshot("case-evidence")

    entry_id = edit_first_audit_entry(stack, tenant.id, case_id)
    panel.get_by_role("button", name="Verify audit trail").click()
    broken = panel.get_by_role("alert")
    expect(broken).to_contain_text("Audit trail broken at entry 1")
    expect(broken).to_contain_text(entry_id)
    assert browser.unexpected_errors() == []


def open_in_pdf_viewer(browser, report: bytes) -> None:
    """The report as an examiner opens it: chromium's own PDF viewer draws its pages (a page that is not blank),
    rather than the browser offering it as a download (the route answers as S3 does: application/pdf)."""
    from io import BytesIO

    from PIL import Image, ImageStat

    viewer = browser.page.context.new_page()
    url = "http://evidence.invalid/report.pdf"
    viewer.route(url, lambda route: route.fulfill(status=200, content_type="application/pdf", body=report))
    viewer.goto(url)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The viewer draws its first page some time after the load event (seconds on a loaded machine): looked at
    # until it has, for at most 15 s.
    for _ in range(30):
        viewer.wait_for_timeout(500)
        shot = viewer.screenshot(path=str(ARTIFACTS / "evidence-report-pdf.png"))
        spread = ImageStat.Stat(Image.open(BytesIO(shot)).convert("L")).stddev[0]
        if spread > 10:
            break
    assert spread > 10, "the PDF viewer drew nothing"
    viewer.close()
