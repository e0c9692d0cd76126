"""A reviewer's day in the back office: find a case, read it, decide it, and see the queue follow."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.cases import business, case_in_review, case_state, person
from tests.browser.conftest import TABLET
from tests.support.reviewers import create_reviewer
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_search_open_approve_and_the_queue_updates(open_browser, stack, tenant):
    target = case_in_review(tenant, business("Zebulon Widgets GmbH"), correlation_id="order-7781")
    other = case_in_review(tenant, person("Marie", "Curie"))
    browser = open_browser()
    page = browser.page
    browser.open("/")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))

    # Needing review first: both cases, and the count per state.
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("count-manual_review")).to_contain_text("2")
    browser.screenshot("queue")

    page.get_by_role("searchbox", name="Search").fill("zebulon")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", target)
    page.get_by_role("searchbox", name="Search").fill("order-7781")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", target)

    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("case-title")).to_have_text("Zebulon Widgets GmbH")
    entity = page.locator("#entity")
    expect(entity).to_contain_text("HRB")
    expect(entity.get_by_role("row", name="Ada Lovelace")).to_contain_text("60%")
    expect(entity.get_by_role("row", name="Alan Turing")).to_contain_text("Ubo, Director")
    expect(entity).to_contain_text("Grace Hopper")
    # The workflow picture: the path taken is highlighted, the review step is where the case waits.
    graph = page.locator('[data-machine="workflow"] svg.workflow')
    expect(graph.locator('[data-state="ManualReview"]')).to_have_attribute("data-visited", "true")
    expect(graph.locator('[data-state="RecordFailure"]')).to_have_attribute("data-visited", "false")
    expect(page.locator("#timeline")).to_contain_text("Case created")
    browser.screenshot("case")

    page.get_by_role("button", name="Approve").click()
    dialog = page.get_by_role("dialog", name="Approve this case?")
    dialog.get_by_role("button", name="Approve case").click()
    expect(dialog.get_by_role("alert")).to_contain_text("A reason is required")
    dialog.get_by_label("Reason (required)").fill("Registry extract and owners check out")
    browser.screenshot("approve-dialog")
    dialog.get_by_role("button", name="Approve case").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Case approved.")
    expect(page.get_by_test_id("decision")).to_contain_text("Registry extract and owners check out")
    expect(page.get_by_role("button", name="Approve")).to_be_disabled()
    expect(page.get_by_test_id("why-approve")).to_have_text("The case is approved")
    assert case_state(tenant, target)["decision"]["outcome"] == "approved"

    page.get_by_role("link", name="← Queue").click()
    page.get_by_role("button", name="Reset").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", other)
    expect(page.get_by_test_id("count-manual_review")).to_contain_text("1")
    expect(page.get_by_test_id("count-approved")).to_contain_text("1")
    page.get_by_test_id("count-approved").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", target)


def test_revision_with_a_reason_and_per_document_decisions(open_browser, stack, tenant):
    documents = [
        {
            "id": "passport-1",
            "type": "passport",
            "category": "identification",
            "pages": [],
        },
        {"id": "utility-1", "type": "utility_bill", "category": "proof_of_address", "pages": []},
    ]
    case_id = case_in_review(tenant, person("Rosalind", "Franklin"), documents=documents)
    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    expect(page).to_have_url(f"{stack.api_url}/cases/{case_id}")
    expect(page.locator("#documents")).to_contain_text("Passport")
    expect(page.locator("#documents")).to_contain_text("Utility bill")

    page.get_by_role("button", name="Ask for revision").click()
    dialog = page.get_by_role("dialog", name="Ask for a revision")
    dialog.get_by_label("Reason (required)").fill("The passport photo is blurry")
    dialog.get_by_role("button", name="Ask for revision").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Mark at least one document")
    dialog.get_by_label("Passport").select_option("revision")
    dialog.get_by_placeholder("Reason for this document").fill("Glare over the photo")
    dialog.get_by_label("Utility bill").select_option("approved")
    browser.screenshot("revision-dialog")
    dialog.get_by_role("button", name="Ask for revision").click()
    expect(page.get_by_test_id("case-message")).to_have_text("Revision requested.")
    expect(page.locator(".case-head")).to_contain_text("Revision requested")

    stored = case_state(tenant, case_id)
    assert stored["state"] == "revision_requested"
    assert stored["revision"] == {
        "reason": "The passport photo is blurry",
        "document_ids": ["passport-1"],
        "at": stored["revision"]["at"],
    }
    decisions = {d["id"]: d.get("decision") for d in stored["documents"]}
    assert decisions["passport-1"]["decision"] == "revision"
    assert decisions["passport-1"]["reason"] == "Glare over the photo"
    assert decisions["utility-1"]["decision"] == "approved"


def test_a_viewer_sees_why_they_cannot_decide(open_browser, stack, tenant):
    case_id = case_in_review(tenant, person("Katherine", "Johnson"))
    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    expect(page.get_by_test_id("case-title")).to_have_text("Katherine Johnson")
    for name, why in (
        ("approve", "Approving needs the reviewer role"),
        ("reject", "Rejecting needs the reviewer role"),
        ("revision", "Asking for a revision needs the reviewer role"),
        ("assign", "Assigning needs the reviewer role"),
    ):
        expect(page.locator(f"button.action-{name}")).to_be_disabled()
        expect(page.get_by_test_id(f"why-{name}")).to_have_text(why)
    expect(page.get_by_role("button", name="Add note")).to_be_disabled()
    page.keyboard.press("a")  # the shortcut does nothing either
    expect(page.get_by_role("dialog")).to_have_count(0)
    browser.screenshot("case-viewer")
    assert case_state(tenant, case_id)["state"] == "manual_review"


def test_two_reviewers_decide_at_once_and_the_second_sees_the_conflict(open_browser, stack, tenant):
    case_id = case_in_review(tenant, person("Hedy", "Lamarr"))
    first, second = open_browser(), open_browser()
    for browser, role in ((first, "reviewer"), (second, "admin")):
        browser.open(f"/cases/{case_id}")
        browser.sign_in(create_reviewer(stack, tenant.id, role))
        expect(browser.page.get_by_role("button", name="Approve")).to_be_enabled()
    second.expect_http_errors(409)

    first.page.get_by_role("button", name="Approve").click()
    second.page.get_by_role("button", name="Reject").click()
    first.page.get_by_label("Reason (required)").fill("Identity confirmed")
    second.page.get_by_label("Reason (required)").fill("Looks forged")
    first.page.get_by_role("button", name="Approve case").click()
    expect(first.page.get_by_test_id("case-message")).to_have_text("Case approved.")
    second.page.get_by_role("button", name="Reject case").click()

    message = second.page.get_by_test_id("case-message")
    expect(message).to_contain_text("Someone else changed this case before you")
    expect(message).to_contain_text("Nothing was saved; the case has been reloaded")
    expect(second.page.locator(".case-head")).to_contain_text("Approved")
    expect(second.page.get_by_test_id("decision")).to_contain_text("Identity confirmed")
    second.screenshot("conflict")
    assert case_state(tenant, case_id)["decision"]["outcome"] == "approved"


def test_assign_note_and_keyboard_shortcuts(open_browser, stack, tenant):
    first = case_in_review(tenant, person("Emmy", "Noether"))
    second = case_in_review(tenant, person("Lise", "Meitner"))
    browser = open_browser()
    page = browser.page
    browser.open("/")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_contain_text("Lise Meitner is assigned to you")
    page.get_by_label("Assignee").select_option("me")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", second)
    page.get_by_label("Assignee").select_option("unassigned")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-case-id", first)
    page.get_by_label("Assignee").select_option("any")
    expect(rows).to_have_count(2)
    page.get_by_label("Workflow").select_option("kyb")
    expect(page.get_by_text("No case matches these filters.")).to_be_visible()
    page.get_by_label("Workflow").select_option("manual-review")
    expect(rows).to_have_count(2)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page.get_by_label("From").fill(tomorrow)
    expect(page.get_by_text("No case matches these filters.")).to_be_visible()
    assert f"from={tomorrow}" in page.url
    page.get_by_label("From").fill("")
    page.get_by_label("Sort").select_option("-created")
    expect(rows.first).to_have_attribute("data-case-id", second)
    page.get_by_label("Sort").select_option("created")
    expect(rows.first).to_have_attribute("data-case-id", first)

    # j moves down, Enter opens, j goes to the next case, k back.
    page.locator("body").click()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("selected")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class("selected")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("case-title")).to_have_text("Emmy Noether")
    page.keyboard.press("j")
    expect(page.get_by_test_id("case-title")).to_have_text("Lise Meitner")
    expect(page.get_by_test_id("assignee")).to_have_text("Assigned to you")
    page.keyboard.press("k")
    expect(page.get_by_test_id("case-title")).to_have_text("Emmy Noether")

    # r asks for confirmation; Escape cancels and nothing is decided.
    page.keyboard.press("r")
    dialog = page.get_by_role("dialog", name="Reject this case?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert case_state(tenant, first)["state"] == "manual_review"

    page.keyboard.press("n")
    page.keyboard.type("Called the customer; waiting for a new selfie")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("Called the customer; waiting for a new selfie")
    expect(page.locator("#timeline")).to_contain_text("Note added")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Assigned to you")
    page.get_by_role("button", name="Unassign").click()
    expect(page.get_by_test_id("assignee")).to_have_text("Unassigned")
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{first}").json()
    assert [e["reason"] for e in detail["audit"] if e["action"] == "note.added"] == [
        "Called the customer; waiting for a new selfie"
    ]
    assert detail["case"]["assignee"] is None

    # a, a reason, Ctrl+Enter: approved from the keyboard alone.
    page.locator("body").click()
    page.keyboard.press("a")
    expect(page.get_by_role("dialog", name="Approve this case?")).to_be_visible()
    page.keyboard.type("Selfie received and matches")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_test_id("case-message")).to_have_text("Case approved.")
    assert case_state(tenant, first)["decision"]["reason"] == "Selfie received and matches"


def test_a_missing_case_and_a_failing_api_are_explained(open_browser, stack, tenant):
    browser = open_browser()
    page = browser.page
    browser.expect_http_errors(404, 422)
    browser.open("/cases/case_doesnotexist")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    expect(page.get_by_role("alert")).to_contain_text("This case does not exist, or it is not yours to see.")
    # A search the API refuses (no letter or digit) shows its message and a way to retry.
    browser.open("/?q=%2B%2B%2B")
    expect(page.get_by_role("alert")).to_contain_text("search needs at least one letter or digit")
    expect(page.get_by_role("button", name="Retry")).to_be_visible()


def test_dashboard_charts_and_a_narrow_screen(open_browser, stack, tenant):
    decided = case_in_review(tenant, person("Barbara", "McClintock"))
    case_in_review(tenant, business("Narrow Screen Holdings AG"))
    reviewer = tenant.reviewer("reviewer")
    assert (
        reviewer.post(
            f"/v1/review/cases/{decided}/decision", json={"decision": "reject", "reason": "no"}
        ).status_code
        == 200
    )
    browser = open_browser()
    page = browser.page
    browser.open("/dashboard")
    browser.sign_in(create_reviewer(stack, tenant.id, "admin"))
    per_state = page.locator("#per-state svg")
    expect(per_state.locator('[data-bar="Rejected"]')).to_have_attribute("data-value", "1")
    expect(per_state.locator('[data-bar="Manual review"]')).to_have_attribute("data-value", "1")
    per_day = page.locator("#per-day svg g[data-total]")
    expect(per_day).to_have_count(30)
    wait_for(
        lambda: sum(int(g.get_attribute("data-total")) for g in per_day.all()) == 1,
        what="one decision in the chart",
    )
    expect(page.get_by_test_id("median")).not_to_have_text("—")
    expect(page.locator("#workload svg [data-bar='Unassigned']")).to_have_attribute("data-value", "1")
    browser.screenshot("dashboard")

    narrow = open_browser(viewport=TABLET)
    narrow.open("/")
    narrow.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    expect(narrow.page.locator("table.cases tbody tr")).to_have_count(1)
    _fits_the_width(narrow.page)
    narrow.screenshot("queue-768")
    narrow.page.locator("table.cases tbody tr a").first.click()
    expect(narrow.page.get_by_test_id("case-title")).to_have_text("Narrow Screen Holdings AG")
    expect(narrow.page.locator('[data-machine="workflow"] svg.workflow')).to_be_visible()
    _fits_the_width(narrow.page)
    narrow.screenshot("case-768")


def _fits_the_width(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"the page is {overflow}px wider than the window"
