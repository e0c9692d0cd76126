"""Tenants of the local stack for system tests, each with its own API key and usage key, as the operator's
`arbiter-admin create-tenant` makes them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from tests.support.reviewers import sign_in


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
