"""An automated run is claimed by the first execution that plans it: Express executions are not idempotent by
name, so a start continuation delivered twice can start the same run twice, and the second must do nothing (no
vendor called again). The DynamoDB store and the in-memory one answer alike."""

from __future__ import annotations

import secrets
from typing import Any

import boto3
import pytest

from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from tests.unit.fakes import InMemoryCases


@pytest.fixture(params=["dynamodb", "memory"])
def cases(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemoryCases()
    stack = request.getfixturevalue("stack")
    return DynamoCaseRepository(
        boto3.client("dynamodb", region_name="us-east-1"), stack.physical_id("ArbiterTable")
    )


def test_the_first_execution_claims_a_run_and_only_it_may_claim_it_again(cases: Any) -> None:
    tenant_id, case_id = f"t-{secrets.token_hex(4)}", "case-1"
    first, second = (
        "arn:aws:states:::express:automation:case-1-a1:one",
        "arn:aws:states:::express:automation:case-1-a1:two",
    )
    assert cases.claim_run(tenant_id, case_id, 1, first)
    assert cases.claim_run(tenant_id, case_id, 1, first)  # its Plan retried
    assert not cases.claim_run(tenant_id, case_id, 1, second)  # the same start delivered twice
    assert cases.claim_run(tenant_id, case_id, 2, second)  # the next run is claimed anew
    assert cases.claim_run(f"{tenant_id}-x", case_id, 1, second)  # another tenant's case of the same id
