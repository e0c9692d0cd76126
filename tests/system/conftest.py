"""Fixtures of the system tests: local HTTP servers, a case in review with a watchlist match."""

import secrets

import pytest

from tests.support.fixtures import serve  # noqa: F401 - a fixture
from tests.unit.plugins.test_sanctions_plugin import generated_rows
from tests.unit.screening.generated_lists import write_targets_csv
from tests.waiting import wait_for


@pytest.fixture
def listed_case(tenant) -> str:
    """A KYC case of a listed name (the tenant's own generated list), in review with its match."""
    tenant.stack.client("s3").put_object(
        Bucket=tenant.stack.physical_id("DocumentsBucket"),
        Key=f"watchlists/tenants/{tenant.id}/targets.simple.csv",
        Body=write_targets_csv(generated_rows(seed=int(secrets.token_hex(2), 16))),
    )
    api = tenant.api()
    entity = {
        "type": "individual",
        "id": f"listed-{secrets.token_hex(3)}",
        "individual": {"first_name": "Viktor", "last_name": "Orlov", "date_of_birth": "1962-04-17"},
    }
    created = api.post("/v1/cases", json={"workflow": "kyc", "entity": entity})
    assert created.status_code == 202, created.text
    case_id = str(created.json()["id"])
    wait_for(
        lambda: api.get(f"/v1/cases/{case_id}").json()["state"] == "manual_review", timeout=60, what="review"
    )
    return case_id
