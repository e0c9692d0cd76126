"""Building the adapters from Settings: what each function's composition root calls once per cold start.

boto3 is imported here and in the adapters only. Endpoints come from the SDK's own configuration
(`AWS_ENDPOINT_URL` on the local stack and in tests), so nothing here knows where it runs.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository
from arbiter.adapters.stepfunctions import StepFunctionsEngine
from arbiter.adapters.workflow_files import BuiltinWorkflowCatalog
from arbiter.services.assessment import Assessor
from arbiter.services.cases import CaseDeps
from arbiter.services.checks import CheckRunner
from arbiter.settings import Settings, SettingsError

if TYPE_CHECKING:  # the rule engine and the documents code load with the first function that uses them
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.services.documents import DocumentDeps
    from arbiter.services.rule_sets import CompiledRuleSets

__all__ = [
    "assessor",
    "aws_client",
    "case_deps",
    "check_runner",
    "clearance_store",
    "compiled_rule_sets",
    "document_deps",
    "rule_set_repository",
    "tenant_repository",
    "token_verifier",
    "webhook_deps",
    "webhook_repository",
]

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


def aws_client(service: str, settings: Settings) -> Any:
    """The boto3 client for `service` in the function's region (one per service: clients are thread-safe)."""
    return _client(service, settings.region)


@cache
def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]


@cache
def _s3v4_client(region: str) -> Any:
    # Presigned URLs and POSTs signed with SigV4 (the SDK may pick the legacy scheme, which some regions refuse).
    config = _CONFIG.merge(Config(signature_version="s3v4"))
    return boto3.client("s3", region_name=region, config=config)  # type: ignore[call-overload]


def case_deps(settings: Settings) -> CaseDeps:
    """The case store, the workflow catalog and the workflow engine."""
    return CaseDeps(
        cases=DynamoCaseRepository(aws_client("dynamodb", settings), settings.table_name),
        workflows=BuiltinWorkflowCatalog(),
        engine=StepFunctionsEngine(aws_client("stepfunctions", settings), settings.state_machine_arn_prefix),
        rule_sets=rule_set_repository(settings),
        clearances=clearance_store(settings),
    )


def rule_set_repository(settings: Settings) -> DynamoRuleSetRepository:
    """Rule set versions."""
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository

    return DynamoRuleSetRepository(aws_client("dynamodb", settings), settings.table_name)


@cache
def _compiled_rule_sets(table_name: str, region: str) -> CompiledRuleSets:
    # One cache per table for the life of the process: versions never change, so compiled ones stay valid.
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.services.rule_sets import CompiledRuleSets

    return CompiledRuleSets(DynamoRuleSetRepository(_client("dynamodb", region), table_name))


def compiled_rule_sets(settings: Settings) -> CompiledRuleSets:
    """Compiled rule set versions, cached per process."""
    return _compiled_rule_sets(settings.table_name, settings.region)


def document_deps(settings: Settings, cases: CaseDeps | None = None) -> DocumentDeps:
    """The documents bucket, the SHA-256 index and the guarded fetcher of remote pages."""
    from arbiter.adapters.dynamodb.document_hashes import DynamoDocumentHashes
    from arbiter.adapters.remote_pages import EgressPageFetcher
    from arbiter.adapters.s3 import S3DocumentStore
    from arbiter.egress import AllowList, EgressClient, EgressPolicy
    from arbiter.services.documents import DocumentDeps

    if not settings.documents_bucket:
        raise SettingsError("DOCUMENTS_BUCKET is required to store documents")
    egress = EgressClient(EgressPolicy(allow=AllowList.parse(settings.allowed_egress_hosts)))
    return DocumentDeps(
        cases=cases or case_deps(settings),
        store=S3DocumentStore(_s3v4_client(settings.region), settings.documents_bucket),
        hashes=DynamoDocumentHashes(aws_client("dynamodb", settings), settings.table_name),
        fetcher=EgressPageFetcher(egress),
    )


def tenant_repository(settings: Settings) -> DynamoTenantRepository:
    """Tenants and API keys."""
    return DynamoTenantRepository(aws_client("dynamodb", settings), settings.table_name)


def clearance_store(settings: Settings) -> Any:
    """Reviewers' clearances of screening matches (false positives remembered per party and list entry)."""
    from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore

    return DynamoClearanceStore(aws_client("dynamodb", settings), settings.table_name)


def assessor(settings: Settings) -> Assessor:
    """How cases are assessed: the rule set version pinned on the case (see arbiter.rules)."""
    from arbiter.services.rule_sets import RuleSetAssessor

    return RuleSetAssessor(compiled_rule_sets(settings))


def check_runner(settings: Settings) -> CheckRunner:
    """Runs a workflow's configured plugins: the registry of built-in checks, secrets, the egress policy."""
    from arbiter.plugins.bootstrap import (
        dependencies,  # the checks' libraries: only the plugins function loads them
    )

    return dependencies()


def token_verifier(settings: Settings) -> Any:
    """Verifies reviewers' Cognito ID tokens for the stack's user pool and back-office client."""
    from arbiter.api.auth import (
        CognitoTokenVerifier,  # PyJWT and cryptography: only the reviewers' API needs them
    )

    if not settings.user_pool_id or not settings.user_pool_client_id:
        raise SettingsError("USER_POOL_ID and USER_POOL_CLIENT_ID are required to verify reviewers")
    return CognitoTokenVerifier(
        region=settings.region,
        user_pool_id=settings.user_pool_id,
        client_id=settings.user_pool_client_id,
        endpoint_url=settings.aws_endpoint_url,
    )


#: The state machine that paces webhook attempts (template: WebhookDeliveryStateMachine).
WEBHOOK_DELIVERY_MACHINE = "webhook-delivery"


def webhook_deps(settings: Settings) -> Any:
    """Webhook subscriptions and deliveries: the table, the delivery state machine, the egress client."""
    from arbiter.adapters.webhook_delivery import EgressWebhookSender, StepFunctionsDeliveryScheduler
    from arbiter.domain.webhooks import parse_schedule
    from arbiter.egress import AllowList, EgressClient, EgressPolicy
    from arbiter.services.webhook_delivery import WebhookDeps

    try:
        schedule = parse_schedule(settings.webhook_retry_schedule)
    except ValueError as exc:
        raise SettingsError(f"WEBHOOK_RETRY_SCHEDULE: {exc}") from exc
    allow = AllowList.parse(settings.allowed_egress_hosts)
    return WebhookDeps(
        webhooks=webhook_repository(settings),
        scheduler=StepFunctionsDeliveryScheduler(
            aws_client("stepfunctions", settings), settings.state_machine_arn(WEBHOOK_DELIVERY_MACHINE)
        ),
        sender=EgressWebhookSender(EgressClient(EgressPolicy(allow=allow))),
        tenants=tenant_repository(settings),
        cases=DynamoCaseRepository(aws_client("dynamodb", settings), settings.table_name),
        allow=allow,
        schedule=schedule,
        rotation_overlap=dt.timedelta(seconds=settings.webhook_secret_overlap_seconds),
        environment=settings.stage,
    )


def webhook_repository(settings: Settings) -> Any:
    """Webhook subscriptions and the delivery log (what the reviewers' case view reads)."""
    from arbiter.adapters.dynamodb.webhooks import DynamoWebhookRepository

    return DynamoWebhookRepository(aws_client("dynamodb", settings), settings.table_name)
