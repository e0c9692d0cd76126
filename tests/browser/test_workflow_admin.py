"""An admin changes a workflow in the back office: a wrong field is named and nothing is saved; a changed definition
is saved as a draft, published, and a new case starts on it; the document retention is set."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_an_admin_saves_publishes_a_workflow_version_and_a_new_case_runs_it(open_browser, stack, tenant):
    admin = open_browser()
    admin.expect_http_errors(422)
    admin.open("/admin/workflows")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page
    page.locator('tr[data-workflow="manual-review"]').get_by_role("button", name="Versions").click()
    editor = page.get_by_label("Definition of v1 (edit and save as a new draft)")
    expect(editor).to_have_value(re.compile('"id": "manual-review"'))
    definition = json.loads(editor.input_value())

    broken = {**definition, "plugins": [{"plugin": "sanctions", "config": {"threshold": 7}}]}
    editor.fill(json.dumps(broken))
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("workflow-message")).to_contain_text("plugins[0].config.threshold")

    renamed = {**definition, "name": "Manual review (team B)", "custom_events": ["callback_received"]}
    editor.fill(json.dumps(renamed))
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("workflow-message")).to_have_text(
        "Saved as version 2 (a draft: publish it for new cases)."
    )
    page.locator('tr[data-version="2"]').get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("workflow-message")).to_contain_text("Version 2 published")
    expect(page.locator('tr[data-workflow="manual-review"]')).to_contain_text("v2")
    admin.screenshot("workflow-versions")

    entity = {
        "type": "individual",
        "id": f"wa-{secrets.token_hex(3)}",
        "individual": {"first_name": "Ada", "last_name": "King"},
    }
    created = tenant.api().post("/v1/cases", json={"workflow": "manual-review", "entity": entity})
    assert created.status_code == 202, created.text
    assert created.json()["workflow_version"] == 2

    page.get_by_label("Days after a decision (empty: keep)").fill("365")
    page.locator("#retention").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("retention-message")).to_have_text(
        "Documents are deleted 365 days after a decision."
    )
