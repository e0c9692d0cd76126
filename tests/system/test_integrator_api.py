"""The integrator API over HTTP on the local stack: the real ASL runs in moto, handlers in process."""

from __future__ import annotations

import threading

import pytest

from tests.waiting import wait_for

PERSON = {"type": "individual", "id": "u-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}


def new_case(api, **body):
    payload = {"workflow": "kyc", "entity": PERSON, **body}
    response = api.post("/v1/cases", json=payload)
    assert response.status_code == 202, response.text
    return response.json()


def state_of(api, case_id):
    return api.get(f"/v1/cases/{case_id}").json()["state"]


def test_a_case_reaches_manual_review_through_the_real_workflow(tenant):
    api = tenant.api()
    case = new_case(api, correlation_id="order-42", metadata={"plan": "gold"}, nickname="kept")
    assert case["state"] == "processing"
    assert case["links"]["self"] == f"/v1/cases/{case['id']}"
    wait_for(lambda: state_of(api, case["id"]) == "manual_review", what="manual review")
    stored = api.get(f"/v1/cases/{case['id']}").json()
    assert stored["correlation_id"] == "order-42"
    assert stored["metadata"] == {"plan": "gold"}


def test_missing_or_wrong_key_is_401(tenant):
    import httpx

    anonymous = httpx.post(f"{tenant.stack.api_url}/v1/cases", json={"workflow": "kyc", "entity": PERSON})
    assert anonymous.status_code == 401
    assert "API key is required" in anonymous.json()["message"]
    wrong = tenant.api(key="not-a-key").get("/v1/cases")
    assert wrong.status_code == 401


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization-Api-Key"])
def test_the_key_also_works_as_x_api_key_or_api_key_scheme(tenant, header):
    import httpx

    headers = (
        {"X-API-Key": tenant.api_key}
        if header == "X-API-Key"
        else {"Authorization": f"Api-Key {tenant.api_key}"}
    )
    response = httpx.get(f"{tenant.stack.api_url}/v1/workflows", headers=headers)
    assert response.status_code == 200
    assert {w["id"] for w in response.json()["items"]} == {
        "kyb",
        "kyc",
        "manual-review",
        "merchant-underwriting",
    }


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"entity": PERSON}, "workflow"),
        ({"workflow": "kyc"}, "entity"),
        ({"workflow": "kyc", "entity": {"type": "robot", "individual": {}}}, "entity.type"),
        (
            {"workflow": "kyc", "entity": {**PERSON, "individual": {"nationality": "Mars"}}},
            "entity.individual.nationality",
        ),
        ({"workflow": "kyc", "entity": PERSON, "documents": [{"pages": []}]}, "documents[0].type"),
    ],
)
def test_bad_payloads_are_422_naming_the_field_and_store_nothing(tenant, body, path):
    api = tenant.api()
    response = api.post("/v1/cases", json=body)
    assert response.status_code == 422, response.text
    assert path in [e["path"] for e in response.json()["errors"]]
    assert api.get("/v1/cases").json()["items"] == []


def test_malformed_json_is_a_4xx_not_a_crash(tenant):
    response = tenant.api().post(
        "/v1/cases", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


def test_unknown_workflow_is_404_and_stores_nothing(tenant):
    api = tenant.api()
    response = api.post("/v1/cases", json={"workflow": "mortgage", "entity": PERSON})
    assert response.status_code == 404
    assert "unknown workflow 'mortgage'" in response.json()["message"]
    assert api.get("/v1/cases").json()["items"] == []


def test_another_tenants_case_is_404(tenant, stack):
    from tests.support.tenants import TenantFixture  # noqa: F401 - the fixture type, for readers

    case = new_case(tenant.api())
    other = make_tenant(stack)
    assert other.api().get(f"/v1/cases/{case['id']}").status_code == 404
    assert other.api().post(f"/v1/cases/{case['id']}/events", json={"name": "resubmitted"}).status_code == 404


def make_tenant(stack):
    import secrets

    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants
    from tests.support.tenants import TenantFixture

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenant_id = f"t-{secrets.token_hex(5)}"
    tenants.create_tenant(repository, tenant_id, "Other")
    return TenantFixture(id=tenant_id, api_key=tenants.issue_api_key(repository, tenant_id), stack=stack)


def test_the_same_idempotency_key_twice_gives_one_case(tenant):
    api = tenant.api()
    headers = {"Idempotency-Key": "order-7781"}
    body = {"workflow": "kyc", "entity": {**PERSON, "id": "idem-1"}}
    first = api.post("/v1/cases", json=body, headers=headers)
    second = api.post("/v1/cases", json=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert len(api.get("/v1/cases").json()["items"]) == 1
    changed = api.post("/v1/cases", json={**body, "correlation_id": "x"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["path"] == "Idempotency-Key"


def test_concurrent_submits_with_one_key_make_one_case(tenant):
    api = tenant.api()
    body = {"workflow": "kyc", "entity": {**PERSON, "id": "idem-2"}}
    results = []

    def submit():
        results.append(api.post("/v1/cases", json=body, headers={"Idempotency-Key": "race-1"}))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = {r.json()["id"] for r in results if r.status_code == 202}
    assert len(ids) == 1
    assert all(r.status_code in (202, 409) for r in results)
    assert len(api.get("/v1/cases").json()["items"]) == 1


def test_an_event_the_case_is_not_waiting_for_is_409_naming_the_allowed_ones(tenant):
    api = tenant.api()
    case = new_case(api)
    response = api.post(f"/v1/cases/{case['id']}/events", json={"name": "resubmitted"})
    assert response.status_code == 409
    assert "does not accept the event 'resubmitted'" in response.json()["message"]
    assert "allowed_events" in response.json()


def test_listing_pages_with_a_cursor(tenant):
    api = tenant.api()
    created = [new_case(api, entity={**PERSON, "id": f"page-{i}"})["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get("/v1/cases", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(created)
    assert api.get("/v1/cases", params={"cursor": "garbage"}).status_code == 422
