"""Four eyes in the back office: one reviewer approves a case carrying a critical watchlist flag, which becomes a
proposal the queue shows; the proposer sees it awaits someone else; another reviewer confirms it."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_state
from tests.support.reviewers import create_reviewer
from tests.unit.plugins.test_sanctions_plugin import generated_rows
from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_one_reviewer_proposes_an_approval_and_another_confirms_it(open_browser, stack, tenant):
    stack.client("s3").put_object(  # the tenant's own watchlist, so no other test's cases screen against it
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
    clear = {"subject": "individual", "entry_id": "L-ORLOV", "reason": "Another Viktor Orlov: passport seen"}
    cleared = tenant.reviewer("reviewer").post(f"/v1/review/cases/{case_id}/screening/clearances", json=clear)
    assert cleared.status_code == 200, cleared.text

    first = open_browser()
    first.open(f"/cases/{case_id}")
    first.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    page = first.page
    expect(page.get_by_test_id("second-review-approve")).to_contain_text("Approving over a critical flag")
    expect(page.get_by_test_id("review-policy")).to_contain_text(
        "another reviewer confirms critical flags, override"
    )
    page.get_by_role("button", name="Approve").click()
    page.get_by_label("Reason (required)").fill("The listed Orlov is another man")
    page.get_by_role("button", name="Approve case").click()
    expect(page.get_by_test_id("case-message")).to_have_text(
        "Decision proposed: it awaits a second reviewer."
    )
    proposal = page.get_by_test_id("proposal")
    expect(proposal).to_contain_text("Approve proposed by")
    expect(proposal).to_contain_text("The listed Orlov is another man")
    expect(page.get_by_test_id("proposal-awaiting")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm approve")).to_have_count(0)
    expect(page.locator("button.action-approve")).to_be_disabled()
    first.screenshot("proposal-awaiting")
    assert case_state(tenant, case_id)["state"] == "manual_review"

    # The queue shows it awaiting a second review, and counts it.
    first.open("/?pending=true")
    row = page.locator(f'table.cases tbody tr[data-case-id="{case_id}"]')
    expect(row.get_by_test_id("pending-second-review")).to_be_visible()
    expect(page.get_by_test_id("count-pending_second_review")).to_contain_text("1")

    second = open_browser()
    second.open(f"/cases/{case_id}")
    second.sign_in(create_reviewer(stack, tenant.id, "reviewer"))
    other = second.page
    expect(other.get_by_test_id("proposal")).to_contain_text("The listed Orlov is another man")
    expect(other.get_by_role("button", name="Send back")).to_be_disabled()  # a reason first
    second.screenshot("proposal-to-confirm")
    other.get_by_role("button", name="Confirm approve").click()
    expect(other.get_by_test_id("case-message")).to_have_text("Decision confirmed.")
    expect(other.get_by_test_id("decision")).to_contain_text("confirmed by")
    expect(other.get_by_test_id("proposal")).to_have_count(0)
    stored = case_state(tenant, case_id)
    assert stored["state"] == "approved"
    assert stored["decision"]["outcome"] == "approved"
