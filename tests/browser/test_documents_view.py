"""Documents in the case view: uploaded pages shown through the review API's short-lived links."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.cases import person
from tests.support.documents import pdf, png, post_upload
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_view_a_document_page_zoom_rotate_and_a_pdf(open_browser, stack, tenant):
    api = tenant.api()
    created = api.post("/v1/cases", json={"workflow": "manual-review", "entity": person("Ada", "Byron")})
    assert created.is_success, created.text
    case_id = created.json()["id"]
    declared = {}
    for doc_id, content_type in (("passport", "image/png"), ("statement", "application/pdf")):
        answer = api.post(
            f"/v1/cases/{case_id}/documents",
            json={"id": doc_id, "type": doc_id, "content_type": content_type},
        )
        assert answer.status_code == 201, answer.text
        declared[doc_id] = answer.json()["uploads"][0]
    assert post_upload(declared["passport"], png(400, 250), "passport.png").is_success
    assert post_upload(declared["statement"], pdf(2), "statement.pdf").is_success

    def available():
        docs = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
        return all(p["status"] == "available" for d in docs for p in d["pages"]) and len(docs) == 2

    wait_for(available, what="both pages checked and stored")
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    passport = page.get_by_role("button", name="Passport page 1")
    expect(passport).to_be_enabled()
    expect(passport.locator("img")).to_have_attribute("src", re.compile(f"^{re.escape(stack.moto_url)}/"))
    passport.click()
    viewer = page.get_by_role("dialog", name="Passport — page 1")
    image = viewer.get_by_test_id("page-image")
    expect(image).to_be_visible()
    wait_for(
        lambda: image.evaluate("img => img.complete && img.naturalWidth") == 400, what="the page image loaded"
    )
    frame = viewer.get_by_test_id("page-frame")

    def frame_size():
        box = frame.bounding_box()
        return (round(box["width"]), round(box["height"])) if box else None

    wait_for(lambda: frame_size() == (400, 250), what="the page at its own size")
    viewer.get_by_role("button", name="Zoom in").click()
    expect(viewer.get_by_test_id("zoom")).to_have_text("125%")
    wait_for(lambda: frame_size() == (500, 313), what="the page zoomed to 125%")
    viewer.get_by_role("button", name="Rotate").click()
    wait_for(lambda: frame_size() == (313, 500), what="the page turned sideways")
    expect(image).to_have_attribute("style", re.compile(r"rotate\(90deg\)"))
    viewer.get_by_role("button", name="Full size").click()
    expect(viewer.get_by_role("button", name="Fit")).to_be_visible()
    browser.screenshot("document-viewer")
    viewer.get_by_role("button", name="Close").click()

    page.get_by_role("button", name="Statement page 1").click()
    pdf_viewer = page.get_by_role("dialog", name="Statement — page 1")
    expect(pdf_viewer.locator("object[type='application/pdf']")).to_have_attribute(
        "data", re.compile(f"^{re.escape(stack.moto_url)}/")
    )
    expect(pdf_viewer.get_by_role("link", name="Open original")).to_have_attribute(
        "href", re.compile(f"^{re.escape(stack.moto_url)}/")
    )
