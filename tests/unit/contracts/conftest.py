"""The ports' contracts, each run against the in-memory fake the service tests use and the DynamoDB adapter on the
local stack's moto: whatever a service test learns from a fake holds for the store it stands in for.

A contract test takes one of the fixtures below and asserts through the port only, or through `Backend.written`
where the promise is about what a change writes beside the case (its outbox). The DynamoDB side starts the suite's
one local stack the first time a contract needs it; every test has a tenant of its own.
"""

from __future__ import annotations

import pytest

from arbiter.services.ports import (
    CaseRepository,
    ClearanceStore,
    RuleSetRepository,
    TenantRepository,
    WorkflowVersions,
)
from arbiter.services.webhook_delivery import WebhookRepository
from tests.unit.contracts.backends import BACKENDS, Backend, dynamodb_backend, memory_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """The fakes, then the DynamoDB adapters (the stack starts only when a DynamoDB contract runs)."""
    if request.param == "memory":
        return memory_backend()
    return dynamodb_backend(request.getfixturevalue("stack"))


@pytest.fixture
def cases(backend: Backend) -> CaseRepository:
    return backend.ports.cases


@pytest.fixture
def tenants(backend: Backend) -> TenantRepository:
    return backend.ports.tenants


@pytest.fixture
def rule_sets(backend: Backend) -> RuleSetRepository:
    return backend.ports.rule_sets


@pytest.fixture
def workflow_versions(backend: Backend) -> WorkflowVersions:
    return backend.ports.workflow_versions


@pytest.fixture
def clearances(backend: Backend) -> ClearanceStore:
    return backend.ports.clearances


@pytest.fixture
def webhooks(backend: Backend) -> WebhookRepository:
    return backend.ports.webhooks
