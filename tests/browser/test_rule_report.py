"""The dashboard's rule performance report in chromium, on a case the demo KYB rules decided."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.cases import business, finished, publish_demo_rule_sets, start
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_the_dashboard_shows_a_versions_hit_rates(open_browser, stack, tenant):
    publish_demo_rule_sets(tenant)
    assert finished(tenant, start(tenant, business("report-ui")))["state"] == "approved"
    browser = open_browser()
    page = browser.page
    browser.open("/dashboard")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    report = page.locator("#rule-report")
    report.get_by_label("Rule set").fill("kyb-default")
    report.get_by_label("Version").fill("1")
    report.get_by_role("button", name="Show").click()
    expect(report.get_by_test_id("rule-report-summary")).to_contain_text("1 case assessed by kyb-default v1")
    expect(report.locator('tr[data-rule-id="clean-profile"]')).to_contain_text("100%")
    expect(report.locator('tr[data-rule-id="high-risk-country"]')).to_contain_text("0%")

    browser.expect_http_errors(404)
    report.get_by_label("Version").fill("9")
    report.get_by_role("button", name="Show").click()
    expect(report.get_by_role("alert")).to_be_visible()
    assert browser.unexpected_errors() == []
