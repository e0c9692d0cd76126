"""Suite-wide fixtures. Tests never reach a real AWS account: credentials are fake and the region fixed.

AWS-backed tests share one local stack per test process (moto in server mode, provisioned from
template.yaml, handlers in process); each test gets its own tenant, so tests cannot see each other's data.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.ports import free_port

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # moto's fake credentials
os.environ.pop("AWS_PROFILE", None)
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


# Tests of the local stack's patches to moto's internals use moto's in-process mock, which resets the backends the
# suite's stack shares: they run in a process of their own (tests/unit/local/test_moto_patches.py), not here.
collect_ignore_glob = [] if os.environ.get("ARBITER_MOTO_PROCESS") else ["moto_process/*"]

#: Template parameters the suite changes: webhook retries a second apart instead of minutes and hours.
TEST_PARAMETERS = {"WebhookRetrySchedule": "0,1,1,1,1,1,1,1"}


@pytest.fixture(scope="session")
def stack() -> Iterator[Any]:
    """The whole system, started once for this test process."""
    from arbiter_local.stack import LOCAL_PARAMETERS, LocalStack, StackConfig

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parameters = {**LOCAL_PARAMETERS, **TEST_PARAMETERS}
    config = StackConfig(api_port=free_port(), moto_port=free_port(), parameters=parameters)
    local = LocalStack(config, progress=lambda _: None)
    local.start()
    # A partner subscribed from the start: every event the session publishes is checked against its schema.
    local.partner = BusEvents(local)
    try:
        yield local
        validate_published_events(local.partner.drain())
    finally:
        local.stop()


@dataclass
class TenantFixture:
    """A tenant of its own for one test, with an API key and HTTP clients."""

    id: str
    api_key: str
    stack: Any
    reviewer_tokens: dict[str, str] = field(default_factory=dict)

    def api(self, key: str | None = None) -> Any:
        """An HTTP client for the integrator API, authenticated with this tenant's key."""
        import httpx

        return httpx.Client(
            base_url=self.stack.api_url,
            headers={"Authorization": f"Bearer {key or self.api_key}"},
            timeout=30,
        )

    def set_settings(self, **changes: Any) -> None:
        """Change this tenant's settings in the stack's table, as an operator does (`arbiter-admin set-setting`)."""
        from arbiter.services import tenants

        repository = tenant_repository(self.stack)
        for name, value in changes.items():
            tenants.change_setting(repository, self.id, name, value)

    def stored_case(self, case_id: str) -> Any:
        """The case as the table holds it (what no API shows: its execution's ARN, its task tokens)."""
        from arbiter.adapters.dynamodb.cases import DynamoCaseRepository

        repository = DynamoCaseRepository(
            self.stack.client("dynamodb"), self.stack.physical_id("ArbiterTable")
        )
        return repository.get(self.id, case_id)

    def reviewer(self, role: str = "reviewer") -> Any:
        """An HTTP client signed in as a reviewer with `role` in this tenant (a real Cognito ID token)."""
        import httpx

        if role not in self.reviewer_tokens:
            self.reviewer_tokens[role] = sign_in(self.stack, self.id, role)
        return httpx.Client(
            base_url=self.stack.api_url,
            headers={"Authorization": f"Bearer {self.reviewer_tokens[role]}"},
            timeout=30,
        )


def tenant_repository(stack: Any) -> Any:
    """The stack's tenants as an operator reaches them: shared secrets sealed with the stack's key."""
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.adapters.kms import KmsSecretBox

    box = KmsSecretBox(lambda: stack.client("kms"), stack.physical_id("SecretsKey"))
    return DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"), secrets=box)


def sign_in(stack: Any, tenant_id: str, role: str) -> str:
    """Create a Cognito user with `role` in the tenant and return its ID token."""
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    client_id = stack.physical_id("ReviewerPoolClient")
    email = f"{role}-{secrets.token_hex(4)}@{tenant_id}.example.com"
    password = "test-password-1"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:tenant_id", "Value": tenant_id}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


@pytest.fixture
def tenant(stack: Any) -> TenantFixture:
    """A fresh tenant with its own API key, in the standard tier with a usage key of its own (as the operator's
    `arbiter-admin create-tenant` makes them), so that no test's requests count against another's limits."""
    return make_tenant(stack)


def make_tenant(stack: Any) -> TenantFixture:
    """A new tenant as `tenant` makes them (for fixtures of a wider scope than `tenant`)."""
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.domain.tenant import TenantSettings
    from arbiter.services import tenants

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    tenant_id = f"t-{secrets.token_hex(5)}"
    tenants.create_tenant(
        repository,
        tenant_id,
        "Test Tenant",
        TenantSettings(workflow_aliases={"kyb-onboarding": "kyb"}),
        usage_plans=stack.usage_plans(),
    )
    key = tenants.issue_api_key(repository, tenant_id, label="tests")
    return TenantFixture(id=tenant_id, api_key=key, stack=stack)


class BusEvents:
    """Every event published on the bus, as a partner's SQS queue subscribed with a rule would receive it."""

    def __init__(self, stack: Any) -> None:
        self._sqs = stack.client("sqs")
        events = stack.client("events")
        bus = stack.physical_id("EventBus")
        self._url = self._sqs.create_queue(QueueName=f"test-partner-{secrets.token_hex(4)}")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="test-partner-all", EventBusName=bus, EventPattern=json.dumps({"source": ["arbiter"]})
        )
        events.put_targets(Rule="test-partner-all", EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
        self.received: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Everything received so far (EventBridge's full event: source, detail-type, detail)."""
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return self.received
            for message in messages:
                self.received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        """The events of one case, in the order they were published."""
        return [e for e in self.drain() if e["detail"].get("case_id") == case_id]


@pytest.fixture
def bus_events(stack: Any) -> BusEvents:
    """A partner's view of the bus, subscribed when the stack started (filter by case id)."""
    return stack.partner


def validate_published_events(received: list[dict[str, Any]]) -> None:
    """Each event's detail must match the schema of its detail-type (schemas/events)."""
    import jsonschema

    from arbiter.domain.event_schemas import catalog

    schemas = {schema["properties"]["type"]["const"]: schema for schema in catalog().values()}
    for event in received:
        assert event["detail-type"] in schemas, f"no schema for published event {event['detail-type']}"
        jsonschema.validate(event["detail"], schemas[event["detail-type"]])
