"""Cases for the browser tests, started through the integrator API and waited into manual review."""

from __future__ import annotations

import secrets
from typing import Any

from tests.waiting import wait_for


def business(name: str) -> dict[str, Any]:
    return {
        "type": "business",
        "id": f"biz-{secrets.token_hex(4)}",
        "business": {
            "name": name,
            "registration_number": f"HRB {secrets.randbelow(900000) + 100000}",
            "country_of_incorporation": "DE",
            "legal_form": "GmbH",
            "website": "https://example.com",
            "address": {
                "line1": "Unter den Linden 1",
                "city": "Berlin",
                "postal_code": "10117",
                "country": "DE",
            },
            "ubos": [
                {"first_name": "Ada", "last_name": "Lovelace", "roles": ["ubo"], "ownership_percent": 60},
                {
                    "first_name": "Alan",
                    "last_name": "Turing",
                    "roles": ["ubo", "director"],
                    "ownership_percent": 40,
                },
            ],
            "directors": [{"first_name": "Grace", "last_name": "Hopper", "roles": ["director"]}],
        },
    }


def person(first: str, last: str) -> dict[str, Any]:
    return {
        "type": "individual",
        "id": f"p-{secrets.token_hex(4)}",
        "individual": {"first_name": first, "last_name": last},
    }


def case_in_review(tenant: Any, entity: dict[str, Any], **extra: Any) -> str:
    """A case of the manual-review workflow, once it waits for a reviewer."""
    api = tenant.api()
    response = api.post("/v1/cases", json={"workflow": "manual-review", "entity": entity, **extra})
    assert response.is_success, response.text
    case_id = response.json()["id"]
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")
    return str(case_id)


def case_state(tenant: Any, case_id: str) -> dict[str, Any]:
    return dict(tenant.api().get(f"/v1/cases/{case_id}").json())


#: What a KYC applicant fills in on the collection journey's steps.
APPLICANT_DETAILS = {
    "first_name": "Ada",
    "last_name": "King",
    "date_of_birth": "1985-12-10",
    "nationality": "GB",
    "id_document_type": "passport",
}
APPLICANT_HOME = {
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def submitted_application(stack: Any, tenant: Any, email: str | None = None) -> tuple[str, str]:
    """A KYC case its applicant filled in (details, home, an ID's front) and submitted through their link, now in
    manual review: its id and the link."""
    import httpx

    from tests.support.documents import png, post_upload

    api = tenant.api()
    person = {"first_name": "Ada", **({"email": email} if email else {})}
    entity = {"type": "individual", "id": f"p-{secrets.token_hex(4)}", "individual": person}
    started = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity, "collect": True})
    assert started.status_code == 202, started.text
    case_id, url = started.json()["id"], started.json()["collection"]["url"]
    applicant = httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {url.split('#')[1]}"}, timeout=30
    )
    for step, data in (
        ("personal_details", APPLICANT_DETAILS),
        ("address", APPLICANT_HOME),
        ("id_documents", {}),
    ):
        assert applicant.put(f"/v1/collection/steps/{step}", json=data).status_code == 200
    declared = applicant.post(
        "/v1/collection/documents", json={"id": "id_front", "type": "id_card", "content_type": "image/png"}
    )
    assert post_upload(declared.json()["uploads"][0], png(300, 200), "id.png").is_success
    wait_for(
        lambda: applicant.get("/v1/collection/journey").json()["uploaded"] == ["id_front"],
        what="the ID stored",
    )
    assert applicant.post("/v1/collection/submit").status_code == 200
    wait_for(lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", what="manual review")
    return case_id, url
