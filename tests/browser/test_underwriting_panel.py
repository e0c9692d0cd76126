"""The underwriting panel: a travel agency's proposed terms and why; an underwriter who raises the limit past
their authority is told so and nothing is decided; tightened terms are granted with the approval."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_state
from tests.support.fixtures import serve  # noqa: F401 - a fixture (its name is the test's parameter)
from tests.support.merchant_sites import apply_merchant, publish_underwriting
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_an_underwriter_sees_the_proposed_terms_and_approves_within_their_authority(
    open_browser,
    stack,
    tenant,
    serve,  # noqa: F811 - the fixture imported above
):
    sites = publish_underwriting(tenant, serve)
    travel = apply_merchant(tenant, "Horizonte Viajes S.L.", sites["horizonte-viajes"], "4722", 80_000)
    assert travel["state"] == "manual_review"

    session = open_browser()
    session.expect_http_errors(403)
    session.open(f"/cases/{travel['id']}")
    session.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    page = session.page
    proposed = page.get_by_test_id("proposed-terms")
    expect(proposed.locator('[data-term="risk_tier"]')).to_have_text("high")
    expect(proposed.locator('[data-term="monthly_limit"]')).to_have_text("50,000 EUR")
    expect(proposed.locator('[data-term="reserve"]')).to_have_text("10 % for 180 days")
    expect(proposed.locator('[data-term="conditions"]')).to_contain_text("3-D Secure required")
    page.get_by_text("Why these terms").click()
    expect(page.get_by_test_id("terms-reasons")).to_contain_text(
        "Terms by industry and volume: high-risk-industry"
    )
    session.screenshot("underwriting-proposed")

    # Past the reviewer's ceiling: refused, the case still in review.
    page.get_by_label("Monthly limit (EUR)").fill("250000")
    expect(page.get_by_test_id("terms-changed")).to_be_visible()
    page.get_by_role("button", name="Approve").first.click()
    page.get_by_label("Reason (required)").fill("Seasonal peak")
    page.get_by_role("button", name="Approve case").click()
    expect(page.get_by_test_id("case-message")).to_contain_text("beyond your authority (at most 100,000)")
    assert case_state(tenant, travel["id"])["state"] == "manual_review"

    # Tightened: granted with the approval.
    page.get_by_label("Monthly limit (EUR)").fill("40000")
    page.get_by_label("Conditions (one per line)").fill(
        "3-D Secure required\nDelivery or travel dates reported for every transaction\nWeekly payouts"
    )
    page.get_by_role("button", name="Approve").first.click()
    page.get_by_label("Reason (required)").fill("Licensed agency, bonded")
    page.get_by_role("button", name="Approve case").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Case approved.")
    granted = page.get_by_test_id("granted-terms")
    expect(granted.locator('[data-term="monthly_limit"]')).to_have_text("40,000 EUR")
    expect(granted.locator('[data-term="conditions"]')).to_contain_text("Weekly payouts")
    session.screenshot("underwriting-granted")
    wait_for(lambda: case_state(tenant, travel["id"])["state"] == "approved", timeout=30, what="approved")
    assert case_state(tenant, travel["id"])["decision"]["terms"]["monthly_limit"] == 40000
