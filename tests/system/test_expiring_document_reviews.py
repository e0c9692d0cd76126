"""Expiring documents on the local stack: a customer approved with an ID that expired yesterday; the lifecycle
function's daily run opens a review case that asks for that ID again (a revision naming the day, a collection link
issued by Arbiter, announced on the bus) and runs nothing until it is in; the applicant's journey opens that one
slot, a new version is uploaded to the review case and submitted, and the review's checks run."""

from __future__ import annotations

import datetime as dt
import secrets

import httpx

from tests.support.documents import jpeg, post_upload
from tests.waiting import wait_for

PERSONAL = {
    "first_name": "Ada",
    "last_name": "King",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
HOME = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}


def applicant(stack, token: str) -> httpx.Client:
    return httpx.Client(base_url=stack.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def upload_id(person: httpx.Client, expiry: dt.date) -> None:
    declared = person.post(
        "/v1/collection/documents",
        json={
            "id": "id_front",
            "type": "passport",
            "content_type": "image/jpeg",
            "properties": {"expiry_date": expiry.isoformat()},
        },
    )
    assert declared.status_code == 201, declared.text
    assert post_upload(declared.json()["uploads"][0], jpeg(320, 200)).status_code in (200, 204)
    wait_for(
        lambda: "id_front" in person.get("/v1/collection/journey").json()["uploaded"],
        what="the ID stored",
    )


def approved_with_id_expiring(tenant, entity_id: str, expiry: dt.date) -> str:
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    entity = {"type": "individual", "id": entity_id, "individual": {"first_name": "Ada"}}
    started = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity, "collect": True})
    assert started.status_code == 202, started.text
    case_id = started.json()["id"]
    person = applicant(tenant.stack, started.json()["collection"]["token"])
    for step, data in (("personal_details", PERSONAL), ("address", HOME), ("id_documents", {})):
        assert person.put(f"/v1/collection/steps/{step}", json=data).status_code == 200
    upload_id(person, expiry)
    assert person.post("/v1/collection/submit").status_code == 200
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")
    decided = reviewer.post(
        f"/v1/review/cases/{case_id}/decision", json={"decision": "approve", "reason": "ok"}
    )
    assert decided.status_code == 200, decided.text
    return case_id


def test_an_id_that_expired_is_asked_for_again_by_a_review_case_through_a_link(tenant, stack, bus_events):
    api, reviewer = tenant.api(), tenant.reviewer("reviewer")
    today = dt.datetime.now(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    customer = f"exp-{secrets.token_hex(3)}"
    onboarding = approved_with_id_expiring(tenant, customer, yesterday)

    lifecycle = stack.runtime.by_logical_id("OngoingScreeningFunction").name
    run = stack.runtime.invoke(lifecycle, {"date": today.isoformat(), "tenant_id": tenant.id})["reviews"]
    assert (run["due"], run["opened"]) == (1, 1)

    listed = api.get("/v1/cases", params={"entity_id": customer, "limit": 10}).json()["items"]
    [case] = [c for c in listed if c["id"] != onboarding]
    case_id = case["id"]
    assert case["state"] == "revision_requested"  # and stays so: nothing runs until the ID is in
    assert reviewer.get(f"/v1/review/cases/{case_id}").json()["case"]["onboarding_case_id"] == onboarding
    revision = api.get(f"/v1/cases/{case_id}").json()["revision"]
    assert (revision["reason"], revision["document_ids"]) == (
        f"passport expired on {yesterday.isoformat()}",
        ["id_front"],
    )
    [document] = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
    assert (document["id"], document["pages"], document["decision"]["decision"]) == (
        "id_front",
        [],
        "revision",
    )

    [link] = api.get(f"/v1/cases/{case_id}/collection-links").json()["items"]
    assert link["revoked_at"] is None
    issued = wait_for(
        lambda: [e for e in bus_events.for_case(case_id) if e["detail-type"] == "collection.link_issued"],
        what="collection.link_issued on the bus",
    )
    assert issued[0]["detail"]["link_id"] == link["id"]
    assert issued[0]["detail"]["actor"]["type"] == "system"
    types = [e["detail-type"] for e in bus_events.for_case(case_id)]
    assert {"entity.review_due", "case.revision_requested", "collection.revision_requested"} <= set(types)

    # Any link of the case opens the same journey (the one Arbiter issued is e-mailed where the tenant sends e-mail).
    token = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["token"]
    person = applicant(stack, token)
    journey = person.get("/v1/collection/journey").json()
    assert journey["revision"] == {
        "reason": f"passport expired on {yesterday.isoformat()}",
        "documents": ["id_front"],
        "fields": [],
        "steps": [],
    }
    assert journey["uploaded"] == []
    assert journey["data"]["personal_details"] == PERSONAL  # the onboarding answers, carried over
    early = person.post("/v1/collection/submit")
    assert early.status_code == 422, early.text
    assert early.json()["path"] == "id_documents.documents.id_front"

    upload_id(person, today + dt.timedelta(days=3650))
    submitted = person.post("/v1/collection/submit")
    assert submitted.status_code == 200, submitted.text
    state = wait_for(
        lambda: (s := api.get(f"/v1/cases/{case_id}").json()["state"]) != "processing" and s,
        timeout=120,
        what=f"review case {case_id} to run its checks",
    )
    assert state == "manual_review"
    assert "sanctions" in reviewer.get(f"/v1/review/cases/{case_id}").json()["checks"]
