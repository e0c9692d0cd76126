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
