"""Ongoing screening on the local stack: a customer is approved; a new version of the tenant's list, uploaded to S3,
names them; the bucket's notification runs the ongoing screening function, which opens a monitoring case in the
review queue with the match explained and publishes `entity.monitoring_hit`. The same hit on the next version opens
nothing more, and an admin can switch the customer's monitoring off."""

from __future__ import annotations

import gzip
import json
import secrets

from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for


def _row(entry_id: str, name: str, born: str, aliases: str = "") -> list[str]:
    return [
        entry_id,
        "Person",
        name,
        aliases,
        born,
        "gb",
        "",
        "",
        "",
        "",
        "",
        "",
        "test",
        "",
        "",
        "",
        "sanction",
    ]


BASE = [_row("L-ORLOV", "Viktor Sergeyevich Orlov", "1962-04-17")]


def _upload(tenant, rows: list[list[str]]) -> str:
    """Store a new version of the tenant's own list; wait until ongoing screening has matched it; its ETag."""
    s3 = tenant.stack.client("s3")
    bucket = tenant.stack.physical_id("DocumentsBucket")
    key = f"watchlists/tenants/{tenant.id}/targets.simple.csv"
    etag = s3.put_object(Bucket=bucket, Key=key, Body=write_targets_csv(rows))["ETag"].strip('"')

    def matched() -> bool:
        try:
            body = s3.get_object(Bucket=bucket, Key=f"monitoring/fingerprints/{key}.json.gz")["Body"].read()
        except s3.exceptions.NoSuchKey:
            return False
        return json.loads(gzip.decompress(body))["etag"] == etag

    wait_for(matched, timeout=60, what=f"ongoing screening to match version {etag} of {key}")
    return etag


def _approved_customer(
    tenant, entity_id: str, first: str, last: str, born: str = "1979-03-14", nationality: str | None = "GB"
) -> str:
    """A KYC case of the person, approved (by a reviewer where the tenant's rules leave it for review)."""
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    person = {"first_name": first, "last_name": last, "date_of_birth": born}
    entity = {
        "type": "individual",
        "id": entity_id,
        "individual": person if nationality is None else {**person, "nationality": nationality},
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity})
    assert created.status_code == 202, created.text
    case_id = created.json()["id"]
    state = wait_for(
        lambda: (
            (s := api.get(f"/v1/cases/{case_id}").json()["state"]) not in ("processing", "collecting") and s
        ),
        timeout=120,
        what=f"case {case_id} to settle",
    )
    if state == "manual_review":  # no rule set published for this tenant: a reviewer approves it
        decided = reviewer.post(
            f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "ok"}
        )
        assert decided.status_code == 200, decided.text
    assert api.get(f"/v1/cases/{case_id}").json()["state"] == "approved"
    return case_id


def _monitoring_queue(reviewer) -> list[dict]:
    response = reviewer.get("/v1/review/cases", params={"state": "manual_review", "workflow": "monitoring"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_list_update_naming_an_approved_customer_opens_one_monitoring_case(tenant, bus_events):
    viewer, admin = tenant.reviewer("viewer"), tenant.reviewer("admin")
    _upload(tenant, BASE)  # the tenant's first list version: nobody is monitored yet
    customer = f"mon-{secrets.token_hex(3)}"
    onboarding = _approved_customer(tenant, customer, "Rosalind", "Whitcombe")
    assert viewer.get(f"/v1/review/cases/{onboarding}/monitoring").json()["enabled"] is True

    _upload(tenant, [*BASE, _row("L-WHIT", "Rosalind Whitcombe", "1979-03-14")])

    [item] = wait_for(lambda: _monitoring_queue(viewer), what="the monitoring case in the review queue")
    assert item["entity"]["id"] == customer
    assert item["onboarding_case_id"] == onboarding
    detail = viewer.get(f"/v1/review/cases/{item['id']}").json()
    assert [f["code"] for f in detail["case"]["flags"]] == ["sanctions_match"]
    [party] = detail["checks"]["sanctions"]["data"]["parties"]
    [match] = party["matches"]
    assert (party["party_key"], match["entry"]["id"]) == (customer, "L-WHIT")
    assert {c["feature"]: c["outcome"] for c in match["explanation"]["contributions"]}[
        "birth_date"
    ] == "agree"
    events = wait_for(
        lambda: [e for e in bus_events.for_case(item["id"]) if e["detail-type"] == "entity.monitoring_hit"],
        what="entity.monitoring_hit on the bus",
    )
    assert events[0]["detail"]["onboarding_case_id"] == onboarding
    assert events[0]["detail"]["entry_id"] == "L-WHIT"

    # The next version changes the entry: the same hit, no second case.
    _upload(
        tenant, [*BASE, _row("L-WHIT", "Rosalind Whitcombe", "1979-03-14", aliases="Rosalind M. Whitcombe")]
    )
    assert [i["id"] for i in _monitoring_queue(viewer)] == [item["id"]]

    # Monitoring switched off by an admin (a viewer may not), audited on the onboarding case.
    switch = {"enabled": False, "reason": "customer offboarded"}
    assert viewer.put(f"/v1/admin/cases/{onboarding}/monitoring", json=switch).status_code == 403
    response = admin.put(f"/v1/admin/cases/{onboarding}/monitoring", json=switch)
    assert response.status_code == 200, response.text
    assert response.json()["enabled"] is False
    audit = viewer.get(f"/v1/review/cases/{onboarding}").json()["audit"]
    assert [e["reason"] for e in audit if e["action"] == "monitoring.disabled"] == ["customer offboarded"]
