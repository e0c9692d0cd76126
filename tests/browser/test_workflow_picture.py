"""The workflow picture of an automated case: the Express run's steps drawn and listed, joined to the Standard part."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.cases import person
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_an_automated_case_shows_its_run_and_where_it_waits(open_browser, stack, tenant):
    api = tenant.api()
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": person("Ada", "Byron")})
    assert created.is_success, created.text
    case_id = created.json()["id"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))

    automated = page.locator('[data-machine="automation"] svg.workflow')
    for state in ("Plan", "ChecksAndOwners", "EvaluateRules", "Decide"):
        expect(automated.locator(f'[data-state="{state}"]')).to_have_attribute("data-visited", "true")
    expect(automated.locator('[data-state="RecordFailure"]')).to_have_attribute("data-visited", "false")
    waiting = page.locator('[data-machine="workflow"] svg.workflow')
    expect(waiting.locator('[data-state="ManualReview"]')).to_have_attribute("data-visited", "true")
    steps = page.get_by_role("table", name="Steps of the automated part")
    expect(steps.locator('tr[data-state="RunCheck"]')).to_have_count(1)
    expect(steps).to_contain_text("RunCheck (contact)")
    expect(steps).to_contain_text("RunScreening (sanctions)")  # the screening function's
    expect(steps.locator('tr[data-state="RunScreening"]')).to_have_count(1)
    expect(steps.locator('tr[data-state="Decide"]')).to_contain_text("Succeeded")
    expect(page.locator("#timeline")).to_contain_text("Workflow step RunScreening (sanctions)")
