"""A sanctions match found by the real workflow, read and cleared as a false positive in the back office."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.support.reviewers import create_reviewer
from tests.unit.plugins.test_sanctions_plugin import generated_rows
from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_a_listed_name_shows_its_match_and_a_reviewer_clears_it(open_browser, stack, tenant):
    # The tenant's own watchlist, so no other test's cases screen against it.
    stack.client("s3").put_object(
        Bucket=stack.physical_id("DocumentsBucket"),
        Key=f"watchlists/tenants/{tenant.id}/targets.simple.csv",
        Body=write_targets_csv(generated_rows(seed=int(secrets.token_hex(2), 16))),
    )
    api = tenant.api()
    entity = {
        "type": "individual",
        "id": f"cust-{secrets.token_hex(3)}",
        "individual": {"first_name": "Viktor", "last_name": "Orlov", "date_of_birth": "1962-04-17"},
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity})
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", timeout=60, what="review"
    )

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    match = page.locator('#checks [data-check="sanctions"] tr[data-entry="L-ORLOV"]')
    expect(match).to_contain_text("Viktor Sergeyevich Orlov")  # the listed name that was met
    expect(match).to_contain_text("individual")
    expect(match.locator("td").nth(3)).to_have_text(re.compile(r"^\d+%$"))  # the score
    expect(page.locator("#risk")).to_contain_text("sanctions")  # the flag the match raised
    browser.screenshot("case-sanctions-match")

    match.get_by_role("button", name="Clear").click()
    dialog = page.get_by_role("dialog", name="Clear this match as a false positive?")
    dialog.get_by_label("Reason (required)").fill("Another Viktor Orlov: passport seen")
    dialog.get_by_role("button", name="Clear match").click()
    expect(page.get_by_test_id("case-message")).to_contain_text("is cleared for individual")
    expect(match.get_by_test_id("cleared")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Screening match cleared")
    audit = tenant.reviewer("viewer").get(f"/v1/review/cases/{case_id}").json()["audit"]
    cleared = [e for e in audit if e["action"] == "screening.match_cleared"]
    assert [(e["details"]["entry_id"], e["reason"]) for e in cleared] == [
        ("L-ORLOV", "Another Viktor Orlov: passport seen")
    ]


def test_a_name_received_with_hidden_characters_is_shown_made_visible(open_browser, stack, tenant):
    stack.client("s3").put_object(
        Bucket=stack.physical_id("DocumentsBucket"),
        Key=f"watchlists/tenants/{tenant.id}/targets.simple.csv",
        Body=write_targets_csv(generated_rows(seed=int(secrets.token_hex(2), 16))),
    )
    api = tenant.api()
    # Stored "oahZ iuhgniM" inside a right-to-left override: displayed "Minghui Zhao", a listed name.
    entity = {
        "type": "individual",
        "id": f"cust-{secrets.token_hex(3)}",
        "individual": {
            "first_name": "\u202eoahZ",
            "last_name": "iuhgniM\u202c",
            "date_of_birth": "1969-01-30",
        },
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity})
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", timeout=60, what="review"
    )

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    check = page.locator('#checks [data-check="sanctions"]')
    # The name as received, its controls shown as code points a reviewer can see and hover for their names.
    received = check.get_by_test_id("received-names").locator('li[data-subject="individual"]')
    expect(received).to_contain_text("U+202EoahZ iuhgniMU+202C")
    expect(received).to_contain_text("displayed in another order than stored")
    expect(received).to_contain_text("Minghui Zhao (invisible characters removed, display order)")
    expect(received.locator("mark.invisible-char").first).to_have_attribute(
        "title", "U+202E RIGHT-TO-LEFT OVERRIDE"
    )
    # The match: the reading that met the list, and the name as it came.
    match = check.locator('tr[data-entry="L-ZHAO"]')
    expect(match).to_contain_text("Zhao Minghui")  # the listed name
    expect(match.get_by_test_id("received-as")).to_contain_text("received as U+202EoahZ iuhgniMU+202C")
    expect(check).to_contain_text("name_obfuscated")
    # No control character reaches the panel's text: nothing a reviewer reads there is turned around.
    assert not set(check.inner_text()) & {"\u202e", "\u202c"}
    browser.screenshot("case-obfuscated-name")
