"""After a reviewer decides in the back office, the case shows the decision's webhook delivery."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_in_review, person
from tests.support.local_http import LocalServer, Reply
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


@pytest.fixture
def receiver():
    server = LocalServer({"/hook": lambda request: Reply(200, body=b'{"received": true}')})
    yield server
    server.close()


def test_a_decision_made_in_the_browser_shows_its_webhook_delivery(open_browser, stack, tenant, receiver):
    url = receiver.url("/hook")
    subscribed = tenant.api().post("/v1/webhooks", json={"url": url, "event_types": ["case.decided"]})
    assert subscribed.status_code == 201, subscribed.text
    case_id = case_in_review(tenant, person("Chien-Shiung", "Wu"))
    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    expect(page.locator("#webhook-deliveries")).to_have_count(0)  # nothing sent before the decision

    page.get_by_role("button", name="Approve").click()
    page.get_by_label("Reason (required)").fill("Measurements check out")
    page.get_by_role("button", name="Approve case").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Case approved.")

    def delivered():
        page.reload()
        page.get_by_test_id("case-title").wait_for()
        rows = page.locator("#webhook-deliveries tbody tr")
        return rows.count() == 1 and "Succeeded" in rows.first.inner_text() and rows.first

    row = wait_for(delivered, timeout=45, interval=1, what="the delivery shown as succeeded")
    expect(row).to_contain_text("case.decided")
    expect(row).to_contain_text("HTTP 200")
    expect(row).to_contain_text(url)
    assert [r.path for r in receiver.requests] == ["/hook"]
    browser.screenshot("case-webhook-delivery")
