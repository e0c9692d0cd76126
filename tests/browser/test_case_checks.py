"""What the checks and the rules found, as a reviewer reads it in the case view."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.api.tasks import rerun_lost_races
from arbiter.domain.case import Change, Flag, RiskAssessment, RuleSetRef
from tests.browser.cases import business, case_in_review
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack

SANCTIONS = {
    "status": "ok",
    "duration_ms": 41,
    "data": {
        "list": "demo-2026-11",
        "screened": 3,
        "alerts": 1,
        "parties": [
            {
                "subject": "business.ubos[1]",
                "party_key": "p-2",
                "name": "Alan Turing",
                "matches": [
                    {
                        "entry": {
                            "id": "ofac-1234",
                            "caption": "Alan M. Turing",
                            "names": ["Alan M. Turing"],
                            "datasets": ["us_ofac_sdn"],
                        },
                        "score": 0.91,
                        "suppressed": False,
                        "explanation": {
                            "query_name": "Alan Turing",
                            "listed_name": "Alan M. Turing",
                            "name_score": 0.93,
                        },
                    }
                ],
            }
        ],
    },
    "flags": [
        {"code": "sanctions_match", "message": "Alan Turing may be Alan M. Turing", "severity": "high"}
    ],
}
REGISTRY = {
    "status": "ok",
    "duration_ms": 120,
    "data": {"registered": True, "status": "active", "officers": 2},
}
WEBSITE = {
    "status": "error",
    "duration_ms": 3000,
    "data": {},
    "error": "the website did not answer within 3 s",
}


def test_sanctions_matches_registry_and_rule_hits_are_shown(open_browser, stack, tenant):
    case_id = case_in_review(tenant, business("Checked Results Ltd"))
    # What the checks task and the rules stored, written as they store it.
    repository = DynamoCaseRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    repository.save_checks(
        tenant.id, case_id, {"sanctions": SANCTIONS, "registry": REGISTRY, "website": WEBSITE}
    )

    def store_assessment() -> None:
        # The review step may still be parking its token on the case: read and write again on a lost race.
        case = repository.get(tenant.id, case_id)
        case.risk = RiskAssessment(
            score=70,
            level="high",
            recommendation="review",
            rule_set=RuleSetRef(id="kyb-default", version=3),
            hits=[
                {
                    "rule_id": "ubo-sanctions",
                    "name": "UBO on a sanctions list",
                    "outcome": "review",
                    "score": 50,
                    "severity": "high",
                    "values": {"checks.sanctions.data.alerts": 1},
                    "explanation": "checks.sanctions.data.alerts = 1",
                },
                {
                    "rule_id": "young-company",
                    "name": "Company younger than a year",
                    "outcome": "flag",
                    "score": 20,
                    "severity": "medium",
                    "values": {"entity.business.age_years": 0.4},
                },
            ],
            evaluated_at=dt.datetime.now(dt.UTC),
        )
        case.flags.append(
            Flag(
                code="website_unreachable",
                message="The website check failed",
                severity="medium",
                source="website",
            )
        )
        repository.save(case, Change(), expected_version=case.version)

    rerun_lost_races(store_assessment)

    browser = open_browser()
    page = browser.page
    browser.open(f"/cases/{case_id}")
    browser.sign_in(create_reviewer(stack, tenant.id, "reviewer"))

    match = page.locator('#checks [data-check="sanctions"] tr[data-entry="ofac-1234"]')
    expect(match).to_contain_text("Alan M. Turing")
    expect(match).to_contain_text("business.ubos[1]")
    expect(match).to_contain_text("91%")
    expect(match).to_contain_text("us_ofac_sdn")
    expect(page.locator('#checks [data-check="sanctions"]')).to_contain_text(
        "Alan Turing may be Alan M. Turing"
    )
    registry = page.locator('#checks [data-check="registry"]')
    expect(registry).to_contain_text("Statusactive")
    expect(registry).to_contain_text("Officers")
    expect(page.locator('#checks [data-check="website"]')).to_contain_text(
        "the website did not answer within 3 s"
    )

    risk = page.locator("#risk")
    expect(page.get_by_test_id("risk-score")).to_have_text("70")
    expect(risk).to_contain_text("rule set kyb-default v3")
    hit = risk.locator('tr[data-rule="ubo-sanctions"]')
    expect(hit).to_contain_text("UBO on a sanctions list")
    expect(hit).to_contain_text("checks.sanctions.data.alerts = 1")
    expect(risk.locator('tr[data-rule="young-company"]')).to_contain_text("entity.business.age_years = 0.4")
    expect(risk).to_contain_text("The website check failed")
    browser.screenshot("case-checks")
