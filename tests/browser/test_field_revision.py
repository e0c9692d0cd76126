"""A revision that names a field, end to end in chromium: the reviewer ticks the field in the back office's revision
dialog, the applicant's link (the one e-mailed with the revision, read from the stack's mailbox) opens only the step
holding it with the reason and the field named, the applicant corrects it on a phone and resubmits, and the case is
back in review."""

from __future__ import annotations

import secrets

import httpx
import pytest
from playwright.sync_api import expect

from arbiter_local.stack import DEMO_EMAIL_DOMAIN
from tests.browser.cases import submitted_application
from tests.browser.conftest import ROOT
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack

PHONE = {"width": 375, "height": 740}
ARTIFACTS = ROOT / "test-artifacts" / "collection"


def test_a_reviewer_sends_a_field_back_and_the_applicant_corrects_only_that(
    open_browser, stack, tenant, collection_site
):
    tenant.set_settings(collection_email={"sender": f"applications@{DEMO_EMAIL_DOMAIN}"})
    address = f"ada-{secrets.token_hex(3)}@example.com"
    case_id, _ = submitted_application(stack, tenant, address)

    reviewer = open_browser()
    reviewer.open(f"/cases/{case_id}")
    reviewer.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    page = reviewer.page
    page.get_by_role("button", name="Ask for revision").click()
    dialog = page.get_by_role("dialog", name="Ask for a revision")
    dialog.get_by_label("Reason (required)").fill("The postcode does not match the city")
    dialog.get_by_role("button", name="Ask for revision").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Mark at least one document or field")
    dialog.get_by_label("Home address: Postal code").check()
    reviewer.screenshot("1280-field-revision-dialog", ARTIFACTS)
    dialog.get_by_role("button", name="Ask for revision").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Revision requested.")
    assert tenant.api().get(f"/v1/cases/{case_id}").json()["revision"]["fields"] == ["address.postal_code"]

    def revision_mail() -> list[dict]:
        mails = httpx.get(f"{stack.api_url}/mail.json", timeout=10).json()
        return [m for m in mails if address in m["to"] and "check what we sent back" in m["subject"]]

    wait_for(lambda: len(revision_mail()) == 1, what="the revision e-mailed")
    (mail,) = revision_mail()
    assert "Home address: Postal code" in mail["body"]
    link = mail["body"].split('href="', 1)[1].split('"', 1)[0]

    applicant = open_browser(PHONE)
    phone = applicant.page
    phone.goto(link)
    heading = phone.get_by_role("heading", level=1)
    expect(heading).to_have_text("Home address")  # the one step holding the field sent back
    expect(phone.get_by_text("Step 1 of 2")).to_be_visible()  # and the review page
    note = phone.get_by_role("note")
    expect(note).to_contain_text("The postcode does not match the city")
    expect(phone.get_by_test_id("revision-fields")).to_have_text("Please check on this page: Postal code")
    applicant.screenshot("375-field-revision", ARTIFACTS)
    phone.locator("#f-address-postal_code").fill("SW1Y 4JJ")
    phone.get_by_role("button", name="Save and continue").click()
    expect(heading).to_have_text("Check your answers")
    phone.get_by_role("button", name="Submit application").click()
    expect(heading).to_have_text("Thank you")

    api = tenant.api()
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="back in review"
    )
    case = api.get(f"/v1/cases/{case_id}").json()
    assert case["entity"]["individual"]["address"]["postal_code"] == "SW1Y 4JJ"

    # The back-and-forth and its messages, in the back office's timeline.
    page.reload()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Fields sent back: address.postal_code")
    expect(timeline).to_contain_text("Revision requested to a•••@example.com")
    expect(timeline).to_contain_text("Submitted to a•••@example.com")
