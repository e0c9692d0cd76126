"""A team in the back office: a reviewer assigns a case to a colleague from the directory and escalates it to the
seniors with a reason; the queue and the case show the badge, the reviewer can no longer decide it; a senior
hands it back and decides it."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_state
from tests.support.cases import case_in_review
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_a_reviewer_assigns_to_a_colleague_and_escalates_and_a_senior_hands_back(open_browser, stack, tenant):
    case_id = case_in_review(tenant, entity_id=f"team-{secrets.token_hex(3)}")
    alice, bob = create_reviewer(stack, tenant.id, "reviewer"), create_reviewer(stack, tenant.id, "reviewer")
    team = tenant.reviewer("reviewer").get("/v1/review/reviewers").json()["items"]
    bob_id = next(r["id"] for r in team if r["email"] == bob)

    first = open_browser()
    first.open(f"/cases/{case_id}")
    first.sign_in(alice)
    page = first.page
    page.get_by_label("Assign to a colleague").select_option(bob_id)
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_test_id("case-message")).to_contain_text(f"Case assigned to {bob}")
    expect(page.get_by_test_id("assignee")).to_have_text(f"Assigned to {bob}")

    page.get_by_role("button", name="Escalate…").click()
    dialog = page.get_by_role("dialog", name="Escalate the case")
    expect(dialog.get_by_role("button", name="Escalate")).to_be_disabled()  # a reason first
    dialog.get_by_label("To the role").select_option("senior")
    dialog.get_by_label("Reason (required)").fill("The name matches a deputy minister")
    dialog.get_by_role("button", name="Escalate").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Case escalated to senior.")
    expect(page.get_by_test_id("escalated-badge")).to_have_text("escalated to senior")
    expect(page.get_by_test_id("escalation")).to_contain_text("The name matches a deputy minister")
    expect(page.locator("button.action-approve")).to_be_disabled()
    expect(page.get_by_test_id("why-approve")).to_contain_text("needs the senior role")
    expect(page.locator("button.action-de-escalate")).to_be_disabled()
    first.screenshot("case-escalated")

    first.open("/?escalated=senior")
    row = page.locator(f'table.cases tbody tr[data-case-id="{case_id}"]')
    expect(row.get_by_test_id("escalated-badge")).to_be_visible()
    expect(row).to_contain_text(bob)
    first.screenshot("queue-escalated")

    second = open_browser()
    second.open(f"/cases/{case_id}")
    second.sign_in(create_reviewer(stack, tenant.id, "senior"))
    senior = second.page
    senior.get_by_role("button", name="Hand back…").click()
    back = senior.get_by_role("dialog", name="Hand the case back")
    back.get_by_label("Reason (required)").fill("Not the minister: another date of birth")
    back.get_by_role("button", name="Hand back").click()
    expect(senior.get_by_test_id("case-message")).to_have_text("Case handed back to every reviewer.")
    expect(senior.get_by_test_id("escalated-badge")).to_have_count(0)
    senior.get_by_role("button", name="Approve").click()
    senior.get_by_label("Reason (required)").fill("Documents verified")
    senior.get_by_role("button", name="Approve case").click()
    expect(senior.get_by_test_id("case-message")).to_have_text("Case approved.")
    assert case_state(tenant, case_id)["state"] == "approved"
    view = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()
    assert view["case"]["assignee"] == {"id": bob_id, "email": bob}
    actions = [e["action"] for e in view["audit"]]
    assert actions.count("case.escalated") == 1
    assert actions.count("case.de_escalated") == 1


def test_a_reviewer_picks_cases_in_the_queue_and_assigns_them_to_a_colleague_at_once(
    open_browser, stack, tenant
):
    cases = [case_in_review(tenant, entity_id=f"bulk-{n}-{secrets.token_hex(3)}") for n in range(2)]
    bob = create_reviewer(stack, tenant.id, "reviewer")
    team = tenant.reviewer("reviewer").get("/v1/review/reviewers").json()["items"]
    bob_id = next(r["id"] for r in team if r["email"] == bob)

    browser = open_browser()
    browser.open("/?assignee=unassigned")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    page = browser.page
    for case_id in cases:
        page.locator(f'table.cases tbody tr[data-case-id="{case_id}"] input[type="checkbox"]').check()
    page.get_by_label("Assign picked to").select_option(bob_id)
    page.get_by_role("button", name="Assign picked").click()
    expect(page.get_by_role("status")).to_have_text(f"2 cases assigned to {bob}.")
    for case_id in cases:  # the queue reloaded: they are no longer unassigned
        expect(page.locator(f'table.cases tbody tr[data-case-id="{case_id}"]')).to_have_count(0)
    browser.screenshot("queue-bulk-assigned")
    viewer = tenant.reviewer("viewer")
    for case_id in cases:
        assert viewer.get(f"/v1/review/cases/{case_id}").json()["case"]["assignee"]["id"] == bob_id
