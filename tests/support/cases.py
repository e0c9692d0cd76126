"""What system tests do to cases through the integrator API: open them, declare and upload documents, wait for
them to settle or reach a state, publish the demo rule sets."""

from __future__ import annotations

import json
from typing import Any

import httpx

from arbiter_local.seed import DEMO_RULE_SETS
from tests.support.documents import jpeg, post_upload
from tests.support.tenants import TenantFixture
from tests.waiting import wait_for

PERSON = {"type": "individual", "id": "doc-1", "individual": {"first_name": "Ada", "last_name": "Lovelace"}}
REVIEWED = {"type": "individual", "id": "rev-1", "individual": {"first_name": "Grace", "last_name": "Hopper"}}
DEMO = {path.stem: json.loads(path.read_text()) for path in DEMO_RULE_SETS.glob("*.json")}
OWNER = {
    "first_name": "Mary",
    "last_name": "Jackson",
    "date_of_birth": "1971-04-09",
    "nationality": "GB",
    "ownership_percent": 100,
    "roles": ["ubo"],
}


def new_case(api: httpx.Client, entity_id: str = "doc-1", **body: Any) -> str:
    """A manual-review case of a person, through the integrator API; its id."""
    payload = {"workflow": "manual-review", "entity": {**PERSON, "id": entity_id}, **body}
    response = api.post("/v1/cases", json=payload)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def declare(api: httpx.Client, case_id: str, **body: Any) -> dict[str, Any]:
    """Declare a document (a passport photo unless `body` says otherwise): the document and its upload forms."""
    payload = {"type": "passport", "category": "identification", "content_type": "image/jpeg", **body}
    response = api.post(f"/v1/cases/{case_id}/documents", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def pages_of(api: httpx.Client, case_id: str, document_id: str) -> list[dict[str, Any]]:
    """The document's pages as the integrator API lists them."""
    items = api.get(f"/v1/cases/{case_id}/documents").json()["items"]
    return next(d for d in items if d["id"] == document_id)["pages"]


def settled(api: httpx.Client, case_id: str, document_id: str) -> list[dict[str, Any]]:
    """The document's pages once none is pending (each checked by the ingestion function)."""
    return wait_for(
        lambda: (p := pages_of(api, case_id, document_id)) and all(x["status"] != "pending" for x in p) and p,
        what="pages checked",
    )


def case_in_review(tenant: TenantFixture, entity_id: str = "rev-1") -> str:
    """A manual-review case waiting for a reviewer (its execution on the review step); its id."""
    api = tenant.api()
    case = api.post(
        "/v1/cases", json={"workflow": "manual-review", "entity": {**REVIEWED, "id": entity_id}}
    ).json()
    wait_for(
        lambda: api.get(f"/v1/cases/{case['id']}").json()["state"] == "manual_review", what="manual review"
    )
    return case["id"]


def case_with_document(tenant: TenantFixture, entity_id: str = "view-1", image: bytes | None = None) -> str:
    """A case in review with one checked page (document `passport`, a JPEG unless `image`); its id."""
    api = tenant.api()
    case_id = new_case(api, entity_id=entity_id)
    declared = declare(api, case_id, id="passport")
    post_upload(declared["uploads"][0], image or jpeg(640, 480))
    settled(api, case_id, "passport")
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="review")
    return case_id


def business(entity_id: str, **changes: Any) -> dict[str, Any]:
    """A British company with one owner (OWNER), as the integrator API takes it; `changes` to its fields."""
    data = {
        "name": "Acme Widgets Ltd",
        "registration_number": "09876543",
        "country_of_incorporation": "GB",
        "date_of_incorporation": "2015-03-02",
        "address": {"line1": "1 High Street", "city": "London", "country": "GB"},
        "ubos": [OWNER],
        **changes,
    }
    return {"type": "business", "id": entity_id, "business": data}


def publish_demo_rule_sets(tenant: TenantFixture) -> httpx.Client:
    """Save and publish the demo rule sets (kyb-default, kyc-default, merchant-underwriting-default) for the
    tenant; the admin's client."""
    admin = tenant.reviewer("admin")
    for rule_set in DEMO.values():
        created = admin.post("/v1/admin/rule-sets", json=rule_set)
        assert created.status_code == 201, created.text
        version = created.json()["version"]
        published = admin.post(f"/v1/admin/rule-sets/{rule_set['id']}/versions/{version}/publish")
        assert published.status_code == 200, published.text
    return admin


def finished(
    tenant: TenantFixture,
    case_id: str,
    states: tuple[str, ...] = ("approved", "rejected", "manual_review", "failed"),
) -> dict[str, Any]:
    """The case once it reaches one of `states` (a workflow's ends, by default)."""
    api = tenant.api()
    return wait_for(
        lambda: (c := api.get(f"/v1/cases/{case_id}").json())["state"] in states and c,
        timeout=120,
        what=f"case {case_id} to reach one of {states}",
    )


def start(tenant: TenantFixture, entity: dict[str, Any], workflow: str = "kyb") -> str:
    """Start a case of `workflow` for `entity`; its id."""
    response = tenant.api().post("/v1/cases", json={"workflow": workflow, "entity": entity})
    assert response.status_code == 202, response.text
    return response.json()["id"]
