"""The alerts queue and the investigation view in chromium: the queue opens with work, the investigation view
shows the customer's onboarding case, the chart with the alert's transactions marked and the rules that hit, a
note is kept, and a disposition closes the alert so that it leaves the open queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.cases import business, finished, publish_demo_rule_sets, start
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack

BASE = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)


def send(
    api: httpx.Client, customer: str, number: int, amount: float, minutes: int, **fields: Any
) -> dict[str, Any]:
    response = api.post(
        "/v1/transactions",
        json={
            "id": f"{customer}-{number}",
            "customer": {"id": customer},
            "amount": amount,
            "currency": "EUR",
            "direction": "outbound",
            "type": "transfer",
            "counterparty": {
                "name": "Northwind Trading",
                "account": "DE89370400440532013000",
                "country": "DE",
            },
            "time": (BASE + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z"),
            **fields,
        },
    )
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


def test_an_analyst_investigates_an_alert_and_dismisses_it(open_browser, stack, tenant):
    publish_demo_rule_sets(tenant)
    case_id = start(tenant, business("ui-alert-co"))
    assert finished(tenant, case_id)["state"] == "approved"
    api = tenant.api()
    # Paid in over the past days, then a burst within the hour: from the sixth on, velocity-spike asks for review.
    for n in range(4):
        send(api, "ui-alert-co", 100 + n, 900.0 + 50 * n, minutes=-60 * 24 * (4 - n), direction="inbound")
    answers = [send(api, "ui-alert-co", n, 180.0 + n, minutes=n) for n in range(7)]
    alert_id = answers[-1]["alert_id"]
    assert alert_id
    other_id = [send(api, "ui-other-co", n, 50.0, minutes=n) for n in range(6)][-1]["alert_id"]
    assert other_id

    browser = open_browser()
    page = browser.page
    browser.open("/alerts")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    queue = page.locator("table.alerts")
    expect(queue.locator(f'tr[data-alert-id="{alert_id}"]')).to_be_visible()
    expect(queue.locator(f'tr[data-alert-id="{other_id}"]')).to_be_visible()
    expect(page.get_by_test_id("alert-count-open")).to_contain_text("2")
    queue.locator(f'tr[data-alert-id="{other_id}"]').get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_contain_text("assigned to you")
    expect(page.get_by_test_id("alert-count-mine")).to_contain_text("1")
    browser.screenshot("alerts-queue")

    queue.locator(f'tr[data-alert-id="{alert_id}"]').get_by_role("link", name="ui-alert-co").click()
    expect(page.get_by_test_id("alert-customer")).to_have_text("ui-alert-co")
    expect(page.get_by_test_id("onboarding-case")).to_have_text(case_id)
    chart = page.get_by_test_id("amount-chart")
    expect(chart.locator('g[data-alerting="true"]')).to_have_count(2)  # the sixth and seventh transactions
    expect(chart.locator("g[data-transaction-id]")).to_have_count(11)
    hit = page.locator('#alert-hits li[data-rule-id="velocity-spike"]')
    expect(hit).to_be_visible()
    expect(hit.locator(".explanation")).not_to_be_empty()
    expect(page.locator("#alert-timeline tr.alerting")).to_have_count(2)

    page.get_by_label("Add a note").fill("Same counterparty as last month's invoices.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator('#alert-history li[data-action="noted"]')).to_contain_text("last month's invoices")
    browser.screenshot("alert-investigation")

    page.get_by_role("button", name="Dismiss as false positive").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Say why")
    dialog.get_by_label("Reason (required)").fill("Payroll run, known counterparty")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("dismissed as a false positive")
    expect(page.locator('#alert-history li[data-action="closed"]')).to_contain_text("Payroll run")
    expect(page.get_by_role("button", name="Escalate")).to_have_count(0)

    page.get_by_role("link", name="← Alerts").click()
    expect(queue.locator(f'tr[data-alert-id="{other_id}"]')).to_be_visible()
    expect(queue.locator(f'tr[data-alert-id="{alert_id}"]')).to_have_count(0)
    expect(page.get_by_test_id("alert-count-open")).to_contain_text("1")
    page.get_by_label("Status").select_option("closed")
    expect(queue.locator(f'tr[data-alert-id="{alert_id}"]')).to_contain_text("False positive")
