"""The back office's CSV exports in chromium: the queue's "Export CSV" saves the filtered cases, the timeline's
saves the case's audit trail; a name written as a formula arrives as text. The timeline's button stays where it
was shown while the workflow picture above it arrives."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.cases import business, case_in_review, person
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack

FORMULA = '=HYPERLINK("http://x","y")'
WORKFLOW_DEFINITION = "**/v1/review/workflows/*/definition"


def saved_rows(download) -> list[dict[str, str]]:
    with open(download.path(), encoding="utf-8", newline="") as file:
        return list(csv.DictReader(io.StringIO(file.read())))


def test_the_queue_and_a_cases_timeline_export_csv(open_browser, stack, tenant):
    formula = case_in_review(tenant, business(FORMULA))
    other = case_in_review(tenant, person("Marie", "Curie"))
    browser = open_browser()
    page = browser.page
    browser.open("/")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    expect(page.locator("table.cases tbody tr")).to_have_count(2)

    with page.expect_download() as queue_export:
        page.get_by_role("button", name="Export CSV").click()
    download = queue_export.value
    assert download.suggested_filename == "cases.csv"
    rows = saved_rows(download)
    assert {r["case_id"] for r in rows} == {formula, other}
    assert next(r for r in rows if r["case_id"] == formula)["entity_name"] == "'" + FORMULA
    expect(page.get_by_role("status")).to_contain_text("Exported the matching cases")

    page.get_by_role("searchbox", name="Search").fill("curie")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("table.cases tbody tr")).to_have_count(1)
    with page.expect_download() as filtered_export:
        page.get_by_role("button", name="Export CSV").click()
    assert [r["case_id"] for r in saved_rows(filtered_export.value)] == [other]  # the queue's filters apply

    browser.open(f"/cases/{other}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Case created")
    with page.expect_download() as audit_export:
        timeline.get_by_role("button", name="Export CSV").click()
    download = audit_export.value
    assert download.suggested_filename == f"audit-{other}.csv"
    audit = saved_rows(download)
    assert audit[0]["action"] == "case.created"
    assert all(len(r["hash"]) == 64 for r in audit)
    assert browser.unexpected_errors() == []


def test_the_timelines_export_stays_put_while_the_workflow_picture_arrives(open_browser, stack, tenant):
    """The workflow picture, drawn above the timeline, is hundreds of pixels high: had the case been shown before
    it, its arrival would move "Export CSV" from under a reviewer's pointer between press and release, and the
    click would land on the picture (no export). The picture's definition is held here until the page has shown
    what it shows without it."""
    case_id = case_in_review(tenant, person("Lise", "Meitner"))
    browser = open_browser()
    page = browser.page
    browser.open("/")
    browser.sign_in(create_reviewer(stack, tenant.id, "viewer"))
    expect(page.locator("table.cases tbody tr")).to_have_count(1)

    held: list[Any] = []
    page.route(WORKFLOW_DEFINITION, lambda route: held.append(route))
    with page.expect_request(WORKFLOW_DEFINITION):
        browser.open(f"/cases/{case_id}")
    export = page.locator("#timeline").get_by_role("button", name="Export CSV")
    shown = export.bounding_box() if export.is_visible() else None
    deadline = time.monotonic() + 15
    while not held:  # the route's handler runs when Playwright next hears from the browser
        assert time.monotonic() < deadline, "the workflow definition's request never reached its route"
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(page.locator("#workflow .workflow-wrap").first).to_be_visible()
    assert shown is None or export.bounding_box() == shown, (
        "the timeline moved when the workflow picture arrived"
    )

    with page.expect_download() as audit_export:
        export.click()
    assert audit_export.value.suggested_filename == f"audit-{case_id}.csv"
    assert browser.unexpected_errors() == []
