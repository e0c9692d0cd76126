"""An admin manages a webhook in the back office against a real receiver (an HTTP server in the test that verifies
every signature): subscribes it, sees the secret once, sends a test the receiver verifies, changes its events, sees
a case's decision delivered and redelivers it, rotates the secret, switches it off and on, and deletes it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_in_review, person
from tests.support.reviewers import create_reviewer
from tests.support.webhooks import Receiver
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def decisions(receiver: Receiver) -> list[dict]:
    return [v for v in receiver.verified if v["type"] == "case.decided"]


def test_an_admin_manages_a_webhook_that_a_real_receiver_verifies(open_browser, stack, tenant, receiver):
    admin = open_browser()
    admin.open("/admin/webhooks")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page

    page.locator("#create-webhook").get_by_label("URL", exact=True).fill(receiver.url)
    picker = page.get_by_test_id("new-events")
    picker.get_by_role("checkbox", name=re.compile(r"^case\.decided\b")).uncheck()
    picker.get_by_role("checkbox", name=re.compile(r"^case\.created\b")).check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_test_id("new-secret")).to_contain_text("not shown again")
    secret = page.get_by_test_id("new-secret-value").inner_text()
    assert secret.startswith("whsec_")
    receiver.secret = secret
    row = page.locator("tr[data-webhook-id]").filter(has_text=receiver.url)
    expect(row).to_contain_text("case.created")
    expect(row).to_contain_text("On")
    expect(row.get_by_test_id("last-delivery")).to_have_text("none yet")
    admin.screenshot("webhook-created")

    # Shown once: a reload shows the webhook, never its secret.
    page.reload()
    expect(page.locator("tr[data-webhook-id]").filter(has_text=receiver.url)).to_have_count(1)
    assert secret not in page.content()

    row.get_by_role("button", name="Send test").click()
    expect(page.get_by_test_id("test-result")).to_have_text(
        'The receiver answered HTTP 200: {"received": true}', timeout=45_000
    )
    assert [v["type"] for v in receiver.verified] == ["webhook.test"]
    assert receiver.rejected == []
    expect(row.get_by_test_id("last-delivery")).to_contain_text("webhook.test: Succeeded (HTTP 200)")

    # The events are picked from the catalog.
    row.get_by_role("button", name="Edit").click()
    editor = page.get_by_test_id("edit-events")
    editor.get_by_role("checkbox", name=re.compile(r"^case\.created\b")).uncheck()
    editor.get_by_role("checkbox", name=re.compile(r"^case\.decided\b")).check()
    page.locator("#edit-webhook").get_by_role("button", name="Save").click()
    expect(row.locator("td").nth(1)).to_have_text("case.decided")

    case_id = case_in_review(tenant, person("Grace", "Hopper"))
    decided = tenant.reviewer("reviewer").post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "documents check out"}
    )
    assert decided.status_code == 200, decided.text
    delivered = wait_for(lambda: decisions(receiver), timeout=45, what="the decision at the receiver")
    assert delivered[0]["data"]["case_id"] == case_id

    row.get_by_role("button", name="Deliveries").click()
    decision_row = page.locator('#deliveries tr[data-event-type="case.decided"]')
    expect(decision_row).to_contain_text(case_id)
    expect(decision_row).to_contain_text("Succeeded (HTTP 200)")
    decision_row.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_test_id("delivery-message")).to_have_text("case.decided is being delivered again.")
    wait_for(lambda: len(decisions(receiver)) == 2, timeout=45, what="the decision delivered again")
    ids = [r.headers.get("webhook-id") for r in receiver.requests if b"case.decided" in r.body]
    assert len(set(ids)) == 1  # the same delivery: receivers deduplicate on its webhook-id
    decision_row.get_by_role("button", name="Attempts").click()
    expect(page.get_by_test_id("attempt-log").locator("tbody tr")).to_have_count(2)
    admin.screenshot("webhook-deliveries")

    row.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_test_id("new-secret")).to_contain_text("the old one signs beside it")
    rotated = page.get_by_test_id("new-secret-value").inner_text()
    assert rotated.startswith("whsec_")
    assert rotated != secret
    receiver.secret = rotated  # both secrets sign during the overlap: the new one verifies the next test
    row.get_by_role("button", name="Send test").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("HTTP 200", timeout=45_000)
    assert receiver.rejected == []

    row.get_by_role("button", name="Switch off").click()
    expect(row).to_contain_text("Off (disabled by the tenant)")
    expect(row.get_by_role("button", name="Send test")).to_be_disabled()
    row.get_by_role("button", name="Switch on").click()
    expect(row.locator("td").nth(2)).to_have_text("On")

    row.get_by_role("button", name="History").click()
    history = page.locator("#webhook-history li")
    expect(history).to_have_count(5)
    expect(history.nth(0)).to_contain_text("Subscribed by admin-")
    expect(history.nth(1)).to_contain_text("Changed (url, event_types)")
    expect(history.nth(2)).to_contain_text("Secret rotated")
    expect(history.nth(3)).to_contain_text("Changed (enabled)")
    expect(history.nth(4)).to_contain_text("Changed (enabled)")
    assert secret not in page.content()
    assert rotated not in page.locator("#webhook-history").inner_text()

    row.get_by_role("button", name="Delete").click()
    page.get_by_role("group", name="Confirm deletion").get_by_role("button", name="Delete webhook").click()
    expect(page.locator("tr[data-webhook-id]").filter(has_text=receiver.url)).to_have_count(0)
    listed = tenant.reviewer("admin").get("/v1/admin/webhooks").json()["items"]
    assert all(h["url"] != receiver.url for h in listed)
    assert all(secret not in json.dumps(h) for h in listed)
