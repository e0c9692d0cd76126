"""On the local stack (the real API, Step Functions executing the ASL): a company submitting before the owner it
invited leaves its case `awaiting_people` with no execution started; the owner's own submit starts the case, which
runs its automated part (its owner's KYC case reviewed) to a decision."""

from __future__ import annotations

import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.documents import jpeg, post_upload
from tests.system.test_workflows import executions
from tests.waiting import wait_for

_ADDRESSES = itertools.count(1)
COMPANY = {
    "company": {"name": "Acme Ltd", "registration_number": "01234567", "country_of_incorporation": "GB"},
    "address": {"line1": "1 High St", "city": "London", "postal_code": "EC1A 1AA", "country": "GB"},
    "ownership": {
        "ubos": [
            {
                "id": "ubo-wait",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "date_of_birth": "1985-12-10",
                "ownership_percent": 30,
            }
        ],
        "directors": [{"first_name": "Grace", "last_name": "Hopper"}],
    },
    "contact": {"name": "Grace Hopper", "email": "grace@acme.example"},
    "documents": {},
}


def applicant(stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.api_url,
        headers={"Authorization": f"Bearer {token}"},
        transport=httpx.HTTPTransport(local_address=f"127.0.11.{next(_ADDRESSES)}"),
        timeout=30,
    )


def upload(client: httpx.Client, document_id: str) -> None:
    declared = client.post(
        "/v1/collection/documents", json={"id": document_id, "type": "document", "content_type": "image/jpeg"}
    )
    assert declared.status_code == 201, declared.text
    assert post_upload(declared.json()["uploads"][0], jpeg(320, 200)).status_code in (200, 204)
    wait_for(
        lambda: document_id in client.get("/v1/collection/journey").json()["uploaded"], what=f"{document_id}"
    )


def test_the_company_submits_first_the_case_waits_with_no_execution_then_the_owner_starts_it(tenant):
    api = tenant.api()
    started = api.post(
        "/v1/cases",
        json={
            "workflow": "kyb",
            "entity": {"type": "business", "id": "b-wait", "business": {"name": "Acme"}},
            "submit": False,
        },
    )
    assert started.status_code == 202, started.text
    case_id = started.json()["id"]
    link = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()
    company = applicant(tenant.stack, link["token"])
    for step, data in COMPANY.items():
        saved = company.put(f"/v1/collection/steps/{step}", json=data)
        assert saved.status_code == 200, saved.text
    upload(company, "certificate_of_incorporation")
    invited = company.post("/v1/collection/invitations", json={"people": "ubos", "index": 0})
    assert invited.status_code == 201, invited.text
    owner = applicant(tenant.stack, invited.json()["url"].split("#", 1)[1])

    submitted = company.post("/v1/collection/submit")
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["state"], submitted.json()["waiting_for"]) == (
        "awaiting_people",
        [{"person_id": "ubo-wait", "name": "Ada Lovelace"}],
    )
    assert company.post("/v1/collection/submit").status_code == 409  # submitted once
    # The applicant's link takes nothing more; Ada's still takes her part.
    assert company.get("/v1/collection/case").json()["collecting"] is False
    assert owner.get("/v1/collection/case").json()["collecting"] is True
    assert api.get(f"/v1/cases/{case_id}").json()["state"] == "awaiting_people"
    assert executions(tenant.stack, case_id) == {}  # nothing runs (nor costs) while the owner is awaited
    reviewer = tenant.reviewer()
    seen = reviewer.get(f"/v1/review/cases/{case_id}").json()
    assert [(p["name"], p["done_at"]) for p in seen["case"]["awaited_people"]] == [("Ada Lovelace", None)]
    assert any(e.get("reason") == "waiting for Ada Lovelace" for e in seen["audit"])

    identity = {"first_name": "Ada", "last_name": "King", "date_of_birth": "1985-12-10", "nationality": "GB"}
    assert owner.put("/v1/collection/steps/owner_identity", json=identity).status_code == 200
    upload(owner, "id_front.ubo-wait")
    done = owner.post("/v1/collection/submit")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "processing"
    # Its automated part runs: it opens Ada's own KYC case, which waits for a reviewer; then the case decides.
    parent = wait_for(
        lambda: (c := api.get(f"/v1/cases/{case_id}").json())["child_case_ids"] and c, what="the owner's case"
    )
    (child_id,) = parent["child_case_ids"]
    wait_for(
        lambda: api.get(f"/v1/cases/{child_id}").json()["state"] == "manual_review", what="owner in review"
    )
    assert f"{case_id}-a1" in executions(tenant.stack, case_id)  # one run, started by the owner's submit
    decision = {"decision": "approve", "reason": "checked"}
    assert reviewer.post(f"/v1/review/cases/{child_id}/decision", json=decision).status_code == 200
    resumed = wait_for(
        lambda: (state := api.get(f"/v1/cases/{case_id}").json()["state"]) != "processing" and state,
        timeout=60,
        what="the case to resume after its owner",
    )
    if resumed == "manual_review":
        assert reviewer.post(f"/v1/review/cases/{case_id}/decision", json=decision).status_code == 200
    assert api.get(f"/v1/cases/{case_id}").json()["state"] in ("approved", "rejected")
    case = reviewer.get(f"/v1/review/cases/{case_id}").json()
    (ada,) = case["case"]["entity"]["business"]["ubos"]
    assert (ada["id"], ada["last_name"], ada["nationality"]) == ("ubo-wait", "King", "GB")
    assert any(e.get("reason") == "Ada Lovelace finished their part" for e in case["audit"])
    assert owner.post("/v1/collection/submit").status_code == 409  # their part was taken


def test_two_people_finishing_at_once_start_the_case_once(tenant):
    api = tenant.api()
    started = api.post(
        "/v1/cases",
        json={
            "workflow": "kyb",
            "entity": {"type": "business", "id": "b-race", "business": {"name": "Acme"}},
            "submit": False,
        },
    )
    case_id = started.json()["id"]
    token = api.post(f"/v1/cases/{case_id}/collection-links", json={}).json()["token"]
    company = applicant(tenant.stack, token)
    grace = {"id": "dir-race", "first_name": "Grace", "last_name": "Hopper"}
    for step, data in {**COMPANY, "ownership": {**COMPANY["ownership"], "directors": [grace]}}.items():
        assert company.put(f"/v1/collection/steps/{step}", json=data).status_code == 200
    upload(company, "certificate_of_incorporation")
    people = {}
    for kind, person_id in (("ubos", "ubo-wait"), ("directors", "dir-race")):
        invited = company.post("/v1/collection/invitations", json={"people": kind, "index": 0})
        assert invited.status_code == 201, invited.text
        people[person_id] = applicant(tenant.stack, invited.json()["url"].split("#", 1)[1])
    submitted = company.post("/v1/collection/submit")
    assert submitted.json()["state"] == "awaiting_people", submitted.text
    assert len(submitted.json()["waiting_for"]) == 2
    for person_id, person in people.items():
        identity = {
            "first_name": "A",
            "last_name": person_id,
            "date_of_birth": "1985-12-10",
            "nationality": "GB",
        }
        assert person.put("/v1/collection/steps/owner_identity", json=identity).status_code == 200
        upload(person, f"id_front.{person_id}")

    # Both submit at the same moment: each write is conditional on the version it read; the loser reads again.
    barrier = threading.Barrier(len(people))

    def submit(person: httpx.Client) -> httpx.Response:
        barrier.wait(timeout=10)
        return person.post("/v1/collection/submit")

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        answers = list(pool.map(submit, people.values()))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(a.json()["state"] for a in answers) == ["awaiting_people", "processing"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["child_case_ids"], what="the run's owner case")
    runs = [name for name in executions(tenant.stack, case_id) if re.fullmatch(rf"{case_id}-a\d+", name)]
    assert runs == [f"{case_id}-a1"]  # started once
    audit = tenant.reviewer().get(f"/v1/review/cases/{case_id}").json()["audit"]
    assert [e["action"] for e in audit].count("case.submitted") == 1
    assert [e["action"] for e in audit].count("collection.person_submitted") == 2
