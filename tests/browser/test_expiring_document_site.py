"""The collection site for a review case asking for an expired ID again, in chromium: the link opens on the one
slot asked for (not the rest of the ID step, not the other steps), with the reason naming the day; a new ID is
uploaded and the application resubmitted."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.test_collection_site import ARTIFACTS, PHONE, resubmit_new_id
from tests.system.test_expiring_document_reviews import approved_with_id_expiring

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_the_link_of_a_review_asking_for_an_expired_id_opens_only_that_slot(
    open_browser, stack, tenant, collection_site
):
    api = tenant.api()
    today = dt.datetime.now(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    customer = f"exp-{secrets.token_hex(3)}"
    onboarding = approved_with_id_expiring(tenant, customer, yesterday)
    lifecycle = stack.runtime.by_logical_id("OngoingScreeningFunction").name
    run = stack.runtime.invoke(lifecycle, {"date": today.isoformat(), "tenant_id": tenant.id})["reviews"]
    assert run["opened"] == 1
    listed = api.get("/v1/cases", params={"entity_id": customer, "limit": 10}).json()["items"]
    [case_id] = [c["id"] for c in listed if c["id"] != onboarding]
    url = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["url"]

    browser = open_browser(PHONE)
    page = browser.page
    page.goto(url)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("ID documents")
    expect(page.get_by_role("note")).to_contain_text(f"passport expired on {yesterday.isoformat()}")
    expect(page.get_by_text("Step 1 of 2")).to_be_visible()  # this step, then the review page
    expect(page.locator("#doc-id_front")).to_contain_text("Not uploaded")
    expect(page.locator("#doc-id_back")).to_have_count(0)  # the same step's other slot is not asked for
    browser.screenshot("375-expired-id", ARTIFACTS)

    resubmit_new_id(page, api, case_id, "passport.png", timeout=120)  # the review's checks, then a reviewer
    assert browser.errors == []
