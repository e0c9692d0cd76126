"""Periodic reviews on the local stack: an approved customer's review falls due; the daily run of the lifecycle
function (the schedule's event, or an operator's day) opens a review case of the approving workflow, whose automated
part really runs again (checks on the Express machine) and hands it to a reviewer; approving the review renews the
customer's monitoring record, and the same day run again opens nothing more."""

from __future__ import annotations

import datetime as dt

import pytest

from arbiter.domain.monitored import add_months
from arbiter_local.runtime import InvocationError
from tests.system.test_monitoring_on_list_updates import _approved_customer
from tests.waiting import wait_for


def test_a_due_customer_gets_a_review_case_that_runs_its_checks_again(tenant, stack):
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    onboarding = _approved_customer(tenant, "rev-1", "Grace", "Hopper")
    since = dt.datetime.fromisoformat(
        reviewer.get(f"/v1/review/cases/{onboarding}/monitoring").json()["since"]
    )
    runtime = stack.runtime
    lifecycle = runtime.by_logical_id("OngoingScreeningFunction").name
    # No rule set scored the case: it counts as low risk, reviewed 36 months after its approval.
    early = runtime.invoke(lifecycle, {"date": "2027-01-01", "tenant_id": tenant.id})
    assert early["reviews"]["opened"] == 0
    scheduled = {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2031-01-01T00:30:00Z",
        "detail": {},
        "tenant_id": tenant.id,
    }
    report = runtime.invoke(lifecycle, scheduled)["reviews"]
    assert (report["day"], report["tenants"], report["customers"], report["due"], report["opened"]) == (
        "2031-01-01",
        1,
        1,
        1,
        1,
    )

    listed = api.get("/v1/cases", params={"entity_id": "rev-1", "limit": 10}).json()["items"]
    [case] = [c for c in listed if c["id"] != onboarding]
    assert case["workflow"] == "kyc"
    case_id = case["id"]
    state = wait_for(
        lambda: (s := api.get(f"/v1/cases/{case_id}").json()["state"]) not in ("processing",) and s,
        timeout=120,
        what=f"review case {case_id} to run its checks",
    )
    assert state == "manual_review"
    detail = reviewer.get(f"/v1/review/cases/{case_id}").json()
    assert (detail["case"]["onboarding_case_id"], detail["case"]["review_due"]) == (
        onboarding,
        add_months(since.date(), 36).isoformat(),
    )
    assert "sanctions" in detail["checks"]  # the workflow's checks ran again

    again = runtime.invoke(lifecycle, {"date": "2031-01-01", "tenant_id": tenant.id})["reviews"]
    assert (again["opened"], again["skipped"]) == (0, {"opened already": 1})

    decided = reviewer.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "ok"}
    )
    assert decided.status_code == 200, decided.text
    monitoring = reviewer.get(f"/v1/review/cases/{case_id}/monitoring").json()
    assert monitoring["onboarding_case_id"] == case_id  # the record renewed by the review's approval
    assert dt.datetime.fromisoformat(monitoring["since"]) > since


def test_a_day_that_is_not_a_day_is_refused(stack):
    lifecycle = stack.runtime.by_logical_id("OngoingScreeningFunction").name
    with pytest.raises(InvocationError) as refused:
        stack.runtime.invoke(lifecycle, {"date": "tomorrow"})
    assert refused.value.payload["errorType"] == "InvalidInput"
