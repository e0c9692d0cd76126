"""The case view for people: a KYB case run through the real checks reads as facts ("Sanctions: 4 names screened
against the list of …, no match"), with each check's raw data one click away, and rule values are summarised (a
list of owners counted), not printed whole."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.cases import business
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_checks_read_as_facts_with_the_raw_data_one_click_away(open_browser, stack, tenant):
    entity = business("Factual Trading GmbH")
    entity["business"]["email"] = f"ops@factual-{secrets.token_hex(2)}.example"
    entity["business"]["website"] = "not a url at all"
    for owner in entity["business"]["ubos"]:  # below 25 %: no owner's KYC case to wait for
        owner["ownership_percent"] = 20
    created = tenant.api().post("/v1/cases", json={"workflow": "kyb", "entity": entity})
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    wait_for(
        lambda: tenant.api().get(f"/v1/cases/{case_id}").json()["state"] == "manual_review",
        timeout=90,
        what="the KYB case in review",
    )
    browser = open_browser()
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    page = browser.page

    sanctions = page.locator('article[data-check="sanctions"]')
    expect(sanctions.get_by_test_id("check-facts")).to_contain_text(
        "Sanctions: 4 names screened against the list"
    )
    expect(sanctions.get_by_test_id("check-facts")).to_contain_text("no match")
    expect(
        sanctions.get_by_text("etag", exact=False)
    ).not_to_be_visible()  # the list's ETag only in the raw data
    sanctions.get_by_text("Raw data").click()
    expect(sanctions.locator("details.raw dl")).to_be_visible()

    ownership = page.locator('article[data-check="ownership"]').get_by_test_id("check-facts")
    expect(ownership).to_contain_text("2 beneficial owners and 1 director declared; 40 % of the ownership")
    identifiers = page.locator('article[data-check="identifiers"]').get_by_test_id("check-facts")
    expect(identifiers).to_contain_text("Registration HRB")
    browser.screenshot("case-facts")
