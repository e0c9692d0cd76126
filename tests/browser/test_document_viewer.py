"""A reviewer sees an uploaded page's thumbnail and opens the page, through presigned URLs."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.cases import person
from tests.support.documents import jpeg, post_upload
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for


def test_a_reviewer_sees_the_thumbnail_and_opens_the_page(open_browser, stack, tenant):
    api = tenant.api()
    response = api.post("/v1/cases", json={"workflow": "manual-review", "entity": person("Marie", "Curie")})
    case_id = response.json()["id"]
    declared = api.post(
        f"/v1/cases/{case_id}/documents",
        json={"id": "passport-1", "type": "passport", "content_type": "image/jpeg"},
    ).json()
    post_upload(declared["uploads"][0], jpeg(900, 600, (20, 90, 160)))
    wait_for(
        lambda: (
            api.get(f"/v1/cases/{case_id}/documents").json()["items"][0]["pages"][0]["status"] == "available"
        ),
        what="page available",
    )
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    thumb = page.get_by_role("button", name="Passport page 1")
    expect(thumb).to_be_enabled()
    image = thumb.locator("img")
    expect(image).to_have_attribute(
        "src", re.compile(rf"/thumbnails/{tenant.id}/{case_id}/.*X-Amz-Signature=")
    )
    wait_for(
        lambda: image.evaluate("img => img.complete && img.naturalWidth") or None, what="thumbnail loaded"
    )
    assert image.evaluate("img => img.naturalWidth") <= 320
    thumb.click()
    viewer = page.get_by_role("dialog", name="Passport — page 1")
    expect(viewer).to_be_visible()
    browser.screenshot("document-viewer")
    full = viewer.locator("img").first
    wait_for(lambda: full.evaluate("img => img.complete && img.naturalWidth") or None, what="page loaded")
    assert full.evaluate("img => img.naturalWidth") == 900
