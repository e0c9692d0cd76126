"""Demo data for the local stack, written through the same services and adapters the functions use.

The demo tenant's API key is `secret`, as in Ballerine's documented example requests, so they work unchanged; it is
shorter than any key Arbiter issues anywhere else (`MIN_API_KEY_LENGTH`) and exists only on the local stack.
Reviewers sign in with the password `arbiter-demo`. Other parts of the system add their own seed steps to
`SEED_STEPS` (rule sets, watchlists, sample cases).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arbiter.adapters.dynamodb import DynamoTenantRepository
from arbiter.domain.tenant import CollectionEmail, TenantSettings
from arbiter.services import tenants as tenant_services
from arbiter_local.stack import DEMO_EMAIL_DOMAIN

if TYPE_CHECKING:
    from arbiter_local.stack import LocalStack

__all__ = ["DEMO_API_KEY", "DEMO_PASSWORD", "DEMO_REVIEWERS", "DEMO_TENANT_ID", "SEED_STEPS", "seed_demo"]

DEMO_TENANT_ID = "demo"
DEMO_API_KEY = "secret"
DEMO_PASSWORD = "arbiter-demo"  # noqa: S105 - the documented demo password, local stack only
DEMO_REVIEWERS = {
    "admin@arbiter.local": "admin",
    "senior@arbiter.local": "senior",
    "reviewer@arbiter.local": "reviewer",
    "viewer@arbiter.local": "viewer",
}
# Ballerine's seeded example workflow ids, so its example requests reach Arbiter's workflows.
DEMO_WORKFLOW_ALIASES = {
    "risk-score-improvement-dev": "manual-review",
    "kyc-manual-review": "manual-review",
    "kyb-onboarding": "kyb",
}


@dataclass
class SeedContext:
    """What a seed step can use: the stack (clients, physical ids) and what earlier steps produced."""

    stack: LocalStack
    produced: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        assert self.stack.client is not None
        return self.stack.client(service)

    def physical_id(self, logical_id: str) -> str:
        return self.stack.physical_id(logical_id)


def tenant_repository(ctx: SeedContext) -> DynamoTenantRepository:
    """The stack's tenants, a shared secret sealed with the stack's key as the functions seal it."""
    from arbiter.adapters.kms import KmsSecretBox

    box = KmsSecretBox(lambda: ctx.client("kms"), ctx.physical_id("SecretsKey"))
    return DynamoTenantRepository(ctx.client("dynamodb"), ctx.physical_id("ArbiterTable"), secrets=box)


def seed_tenant(ctx: SeedContext) -> dict[str, Any]:
    """The demo tenant, in the standard tier, and its API key."""
    repository = tenant_repository(ctx)
    tenant_services.create_tenant(
        repository,
        DEMO_TENANT_ID,
        "Demo Fintech",
        TenantSettings(
            workflow_aliases=DEMO_WORKFLOW_ALIASES,
            webhook_shared_secret="demo-webhook-secret",  # noqa: S106
            # Applicants' e-mail, from the local stack's SES identity (read at /mail).
            collection_email=CollectionEmail(sender=f"applications@{DEMO_EMAIL_DOMAIN}"),
        ),
        usage_plans=ctx.stack.usage_plans(),
    )
    # Shorter than any key Arbiter issues (MIN_API_KEY_LENGTH): Ballerine's example key, for the local demo only.
    tenant_services.issue_api_key(
        repository, DEMO_TENANT_ID, label="demo", key=DEMO_API_KEY, allow_short_key=True
    )
    return {"tenant_id": DEMO_TENANT_ID, "api_key": DEMO_API_KEY}


def seed_reviewers(ctx: SeedContext) -> dict[str, Any]:
    """One Cognito user per role, in the demo tenant."""
    cognito = ctx.client("cognito-idp")
    pool_id = ctx.physical_id("ReviewerPool")
    for email, group in DEMO_REVIEWERS.items():
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                {"Name": "custom:tenant_id", "Value": DEMO_TENANT_ID},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=DEMO_PASSWORD, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return {"reviewers": dict(DEMO_REVIEWERS), "password": DEMO_PASSWORD}


DEMO_RULE_SETS = Path(__file__).parent / "rule_sets"


def install_rule_sets(repository: Any, tenant_id: str) -> dict[str, int]:
    """Save and publish the demo rule sets (kyb-default, kyc-default, merchant-underwriting-default) in a tenant;
    returns id → version."""
    from arbiter.rules.evaluation import compile_rule_set
    from arbiter.rules.ruleset import parse_draft

    published = {}
    for path in sorted(DEMO_RULE_SETS.glob("*.json")):
        draft = parse_draft(json.loads(path.read_text()))
        compile_rule_set(draft)
        at = dt.datetime.now(dt.UTC)
        version = repository.add_version(tenant_id, draft, actor="seed", at=at)
        repository.publish(tenant_id, draft.id, version.version, actor="seed", at=at)
        published[draft.id] = version.version
    return published


def seed_rule_sets(ctx: SeedContext) -> dict[str, Any]:
    """The demo tenant's published rule sets: clean cases approve, bad ones reject, the rest go to review."""
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository

    repository = DynamoRuleSetRepository(ctx.client("dynamodb"), ctx.physical_id("ArbiterTable"))
    return {"rule_sets": install_rule_sets(repository, DEMO_TENANT_ID)}


def seed_watchlist(ctx: SeedContext) -> dict[str, Any]:
    """The demo watchlist the sanctions check screens against (generated; see arbiter_local.demo_watchlist)."""
    from arbiter_local.demo_watchlist import DEMO_TARGETS, DEMO_WATCHLIST_KEY, demo_watchlist_csv

    ctx.client("s3").put_object(
        Bucket=ctx.physical_id("DocumentsBucket"),
        Key=DEMO_WATCHLIST_KEY,
        Body=demo_watchlist_csv(),
        ContentType="text/csv",
    )
    return {"watchlist": {"key": DEMO_WATCHLIST_KEY, "listed_for_demo": [t[2] for t in DEMO_TARGETS]}}


SEED_STEPS: list[Callable[[SeedContext], dict[str, Any]]] = [
    seed_tenant,
    seed_reviewers,
    seed_rule_sets,
    seed_watchlist,
]


def seed_demo(stack: LocalStack) -> dict[str, Any]:
    """Run every seed step in order; returns what they produced (printed at start)."""
    ctx = SeedContext(stack)
    for step in SEED_STEPS:
        ctx.produced.update(step(ctx))
    return ctx.produced


#: Sample cases started through the API once it serves (what an integrator would send): one for each path.
SAMPLE_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "/v1/cases",
        {
            "workflow": "kyb",
            "correlation_id": "sample-kyb-review",
            "entity": {
                "type": "business",
                "id": "sample-acme",
                "business": {
                    "name": "Acme Payments GmbH",
                    "registration_number": "HRB 123456",
                    "country_of_incorporation": "DE",
                    "website": "https://acme.example",
                    "ubos": [
                        {
                            "first_name": "Ada",
                            "last_name": "Lovelace",
                            "date_of_birth": "1985-12-10",
                            "nationality": "GB",
                            "ownership_percent": 60,
                        }
                    ],
                },
            },
        },
    ),
    (
        "/v1/cases",
        {
            "workflow": "kyb",
            "correlation_id": "sample-kyb-high-risk",
            "entity": {
                "type": "business",
                "id": "sample-tehran-trading",
                "business": {
                    "name": "Tehran Trading Co",
                    "registration_number": "10103456789",
                    "country_of_incorporation": "IR",
                },
            },
        },
    ),
    (
        "/api/v1/external/workflows/run",
        {
            "workflowId": "kyc-manual-review",
            "context": {
                "entity": {
                    "id": "sample-john-doe",
                    "type": "individual",
                    "data": {"firstName": "John", "lastName": "Doe", "email": "john.doe@example.com"},
                },
                "documents": [],
            },
        },
    ),
    (
        "/v1/cases",
        {
            "workflow": "kyb",
            "correlation_id": "sample-kyb-collecting",
            "collect": True,
            "entity": {
                "type": "business",
                "id": "sample-globex",
                "business": {"name": "Globex Ltd", "email": "applicant@globex.example"},
            },
        },
    ),
]


def seed_sample_cases(stack: LocalStack) -> dict[str, Any]:
    """Start the sample cases through the demo tenant's API key, then send the demo's generated transactions in
    the background (`demo_transactions`); returns the cases' ids, the collection links and what is being sent."""
    import httpx

    from arbiter_local.demo_transactions import send_in_background

    started, links = [], []
    with httpx.Client(base_url=stack.api_url, headers={"X-API-Key": DEMO_API_KEY}, timeout=60) as client:
        for path, body in SAMPLE_CASES:
            response = client.post(path, json=body)
            response.raise_for_status()
            answer = response.json()
            started.append(answer.get("id") or answer.get("workflowRuntimeId"))
            if answer.get("collection"):  # a case waiting for its applicant: the link they would be sent
                links.append(answer["collection"]["url"])
    assert stack.client is not None
    sqs, queue_url = stack.client("sqs"), stack.physical_id("TransactionsQueue")

    def backlog() -> int:
        counts = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(counts["ApproximateNumberOfMessages"]) + int(
            counts["ApproximateNumberOfMessagesNotVisible"]
        )

    sent = send_in_background(stack.api_url, DEMO_API_KEY, backlog, stack.progress)
    return {"sample_cases": started, "collection_links": links, "demo_transactions": sent}
