"""An admin builds a rule in the rule editor from the workflow's variables, watches the dry run on a past case and the
backtest on the last decided cases change, goes through the JSON tab and back, sees the API's complaint next to the
rule, publishes with a reason, and a case started afterwards is decided by the new rule."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.support.cases import DEMO, OWNER, finished, publish_demo_rule_sets
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def person(nationality: str) -> dict:
    details = {k: v for k, v in OWNER.items() if k not in ("ownership_percent", "roles")}
    return {
        "type": "individual",
        "id": f"re-{nationality}-{secrets.token_hex(3)}",
        "individual": {**details, "nationality": nationality},
    }


def decided_case(tenant, nationality: str) -> dict:
    created = tenant.api().post("/v1/cases", json={"workflow": "kyc", "entity": person(nationality)})
    assert created.status_code == 202, created.text
    return finished(tenant, created.json()["id"])


def test_an_admin_builds_previews_and_publishes_a_rule_that_decides_the_next_case(
    open_browser, stack, tenant
):
    publish_demo_rule_sets(tenant)
    british = [decided_case(tenant, "GB") for _ in range(2)]
    french = decided_case(tenant, "FR")
    assert [c["state"] for c in [*british, french]] == ["approved"] * 3
    shipped_rules = len(DEMO["kyc-default"]["rules"])
    n = shipped_rules + 1  # the rule the admin adds

    admin = open_browser()
    admin.expect_http_errors(422)  # the invalid outcome typed in the JSON tab, on purpose
    admin.open("/admin/rule-sets")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page
    page.locator('tr[data-rule-set="kyc-default"]').get_by_role("link").click()
    expect(page.get_by_label("Workflow")).to_have_value("kyc")
    expect(page.get_by_test_id("variables-summary")).to_contain_text("examples from 3 recent cases")

    page.get_by_label("Past case").select_option(french["id"])
    expect(page.get_by_test_id("dry-run")).to_contain_text(f"{french['id']}: approve")
    expect(page.get_by_test_id("backtest")).to_contain_text("0 of 3")

    page.get_by_role("button", name="+ Rule").click()
    rule = f"Rule {n}"
    page.get_by_label(f"{rule}: id", exact=True).fill("french-national")
    page.get_by_label(f"{rule}: name", exact=True).fill("French national")
    page.get_by_label(f"{rule} condition, clause 1: variable").select_option("entity.individual.nationality")
    expect(page.get_by_label(f"{rule} condition, clause 1: operator")).to_have_value("==")
    expect(page.locator(f'article[aria-label="{rule}"] .variable-help')).to_contain_text('"GB"')
    page.get_by_label(f"{rule} condition, clause 1: value").fill("FR")
    page.get_by_label(f"{rule}: outcome", exact=True).select_option("reject")
    page.get_by_label(f"{rule}: severity", exact=True).select_option("high")
    page.get_by_label(f"{rule}: score", exact=True).fill("100")

    expect(page.get_by_test_id("dry-run")).to_contain_text(f"{french['id']}: reject")
    expect(page.get_by_test_id("dry-run")).to_contain_text("french-national")
    expect(page.get_by_test_id("backtest")).to_contain_text("1 of 3")
    expect(page.get_by_test_id("backtest").get_by_role("link", name=french["id"])).to_have_attribute(
        "href", f"/cases/{french['id']}"
    )
    # A shipped rule the form cannot show (a `some` over the flags) stays JSON, and says so.
    expect(page.get_by_text("stays editable as JSON").first).to_be_visible()
    admin.screenshot("rule-editor")

    # The JSON tab shows what the form built; edited there, the form follows.
    page.get_by_role("tab", name="Advanced (JSON)").click()
    editor = page.get_by_label("Rule set JSON")
    document = json.loads(editor.input_value())
    built = document["rules"][n - 1]
    assert built == {
        "id": "french-national",
        "name": "French national",
        "condition": {"==": [{"var": "entity.individual.nationality"}, "FR"]},
        "score": 100,
        "severity": "high",
        "outcome": "reject",
    }
    document["rules"][n - 1] = {**built, "outcome": "maybe"}
    editor.fill(json.dumps(document, indent=2))
    page.get_by_role("tab", name="Rules").click()
    expect(page.get_by_test_id(f"rule-error-{n - 1}")).to_contain_text(
        "flag"
    )  # the API names this rule's field
    page.get_by_role("tab", name="Advanced (JSON)").click()
    document["rules"][n - 1] = {
        **built,
        "name": "French national (from JSON)",
        "condition": {"or": [built["condition"], {"==": [{"var": "entity.individual.nationality"}, "BE"]}]},
    }
    editor.fill(json.dumps(document, indent=2))
    page.get_by_role("tab", name="Rules").click()
    expect(page.get_by_label(f"{rule}: name", exact=True)).to_have_value("French national (from JSON)")
    expect(page.get_by_label(f"{rule} condition: all or any")).to_have_value("any")
    expect(page.get_by_label(f"{rule} condition, clause 2: value")).to_have_value("BE")
    expect(page.get_by_test_id("dry-run")).to_contain_text(f"{french['id']}: reject")

    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("editor-notice")).to_have_text(
        "Saved as version 2 (a draft: publish it for new cases)."
    )
    expect(page.locator('tr[data-version="2"]')).to_contain_text("draft")
    page.get_by_label("Why publish v2? (kept with the version)").fill(
        "French nationals go to enhanced checks"
    )
    page.get_by_role("button", name="Publish v2").click()
    expect(page.get_by_test_id("editor-notice")).to_contain_text("Version 2 published")
    row = page.locator('tr[data-version="2"]')
    expect(row).to_contain_text("published")
    expect(row).to_contain_text("French nationals go to enhanced checks")
    expect(row).to_contain_text(re.compile(r"by \S+"))
    admin.screenshot("rule-editor-published")

    after = decided_case(tenant, "FR")
    assert after["state"] == "rejected"
    assert after["risk"]["rule_set"] == {"id": "kyc-default", "version": 2}
    detail = tenant.reviewer("viewer").get(f"/v1/review/cases/{after['id']}").json()
    assert "french-national" in [h["rule_id"] for h in detail["case"]["risk"]["hits"]]


def test_a_decision_table_is_edited_as_a_table_and_tried_on_a_case(open_browser, stack, tenant):
    from tests.support.cases import business, start

    publish_demo_rule_sets(tenant)
    case = finished(tenant, start(tenant, business("re-kite", industry="Kite surfing school")))
    admin = open_browser()
    admin.open("/admin/rule-sets/kyb-default")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page
    table = "Table industry"
    expect(page.get_by_label(f"{table}: column 1 variable")).to_have_value("entity.business.industry")
    expect(page.get_by_label(f"{table}: row 1, column 1")).to_have_value('{"in_list":"high_risk_industries"}')
    page.get_by_label("Past case").select_option(case["id"])
    expect(page.get_by_test_id("dry-run")).to_contain_text(f"{case['id']}: {case['risk']['recommendation']}")

    page.locator('[data-table="industry"]').get_by_role("button", name="+ Row").click()
    page.locator('[data-table="industry"]').get_by_role("button", name="+ Column").click()
    page.get_by_label(f"{table}: column 2 variable").select_option("entity.business.country_of_incorporation")
    page.get_by_label(f"{table}: column 2 name").fill("country")
    page.get_by_label(f"{table}: row 3 id").fill("kites")
    page.get_by_label(f"{table}: row 3, column 1").fill("Kite surfing school")
    page.get_by_label(f"{table}: row 3, column 2").fill("GB")
    page.get_by_label(f"{table}: row 3 outcome").select_option("reject")
    page.get_by_label(f"{table}: row 3 score").fill("90")
    page.get_by_label(f"{table}: row 3 severity").select_option("critical")
    expect(page.get_by_test_id("dry-run")).to_contain_text(f"{case['id']}: reject")
    admin.screenshot("rule-editor-table")

    # Operators that fit the type: a date before a day, a list with more than N items, in one "all" group.
    n = len(DEMO["kyb-default"]["rules"]) + 1
    rule = f"Rule {n}"
    page.get_by_role("button", name="+ Rule").click()
    page.get_by_label(f"{rule}: id", exact=True).fill("old-with-owners")
    first, second = f"{rule} condition, clause 1", f"{rule} condition, clause 2"
    page.get_by_label(f"{first}: variable").select_option("entity.business.date_of_incorporation")
    operators = page.get_by_label(f"{first}: operator").locator("option").all_inner_texts()
    assert operators == ["is before", "is after", "is on"]
    page.get_by_label(f"{first}: value").fill("2020-01-01")
    page.locator(f'article[aria-label="{rule}"]').get_by_role("button", name="+ Clause").click()
    page.get_by_label(f"{second}: variable").select_option("entity.business.ubos")
    page.get_by_label(f"{second}: operator").select_option("len>")
    page.get_by_label(f"{second}: value").fill("0")
    # A field of a list's items: any owner who is British.
    third = f"{rule} condition, clause 3"
    page.locator(f'article[aria-label="{rule}"]').get_by_role("button", name="+ Clause").click()
    page.get_by_label(f"{third}: variable").select_option("entity.business.ubos[].nationality")
    expect(page.get_by_label(f"{third}: items")).to_have_value("some")
    page.get_by_label(f"{third}: value").fill("GB")
    expect(page.get_by_test_id("dry-run")).to_contain_text("old-with-owners")
    # A shipped rule over the items of a list reads into the form too.
    expect(page.get_by_label("Rule 5 condition, clause 1: variable")).to_have_value(
        "checks.sanctions.flags[].code"
    )
    expect(page.get_by_label("Rule 5 condition, clause 1: operator")).to_have_value("in")
    expect(page.get_by_label("Rule 5 condition, clause 1: value")).to_have_value("pep_match, watchlist_match")

    page.get_by_role("tab", name="Advanced (JSON)").click()
    tables = json.loads(page.get_by_label("Rule set JSON").input_value())["tables"]
    assert tables[0]["inputs"][1] == {
        "name": "country",
        "expression": {"var": "entity.business.country_of_incorporation"},
    }
    assert [row["when"] for row in tables[0]["rows"]] == [
        [{"in_list": "high_risk_industries"}, None],
        [{"in_list": "elevated_risk_industries"}, None],
        ["Kite surfing school", "GB"],
    ]
    assert tables[0]["rows"][2] | {"when": None} == {
        "id": "kites",
        "when": None,
        "outcome": "reject",
        "score": 90,
        "severity": "critical",
    }
    assert json.loads(page.get_by_label("Rule set JSON").input_value())["rules"][n - 1]["condition"] == {
        "and": [
            {"<": [{"var": "entity.business.date_of_incorporation"}, "2020-01-01"]},
            {">": [{"var": "entity.business.ubos.length"}, 0]},
            {"some": [{"var": "entity.business.ubos"}, {"==": [{"var": "nationality"}, "GB"]}]},
        ]
    }
