"""The composition root: every adapter a function may use, built from one `Settings` when first asked for.

Each function's `deps()` comes from `composition_root()`: one `Dependencies` per cold start, from the environment the
template gives the function. An adapter is built the first time a use case reads it, so a route that lists
cases builds the case store and nothing else: each boto3 client loads its service model, some 20-40 ms of a
cold start, and the rule engine, the checks' libraries and the egress client are larger still. The services
declare what they need as protocols (`CaseDeps`, `DocumentDeps`, `AutomationDeps`, `WebhookDeps`); this one
object satisfies all of them, and the unit tests' fake does the same with in-memory ports.

boto3 is imported here and in the adapters only. Endpoints come from the SDK's own configuration
(`AWS_ENDPOINT_URL` on the local stack and in tests), so nothing here knows where it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from arbiter.settings import Settings, SettingsError

if TYPE_CHECKING:
    from botocore.config import Config

    from arbiter.adapters.cognito import CognitoReviewerDirectory
    from arbiter.adapters.digest_archive import S3DigestArchive
    from arbiter.adapters.dynamodb.audit_digests import DynamoAuditHeadLog
    from arbiter.adapters.dynamodb.auth_failures import DynamoAuthFailureCounter
    from arbiter.adapters.dynamodb.backtest_jobs import DynamoBacktestJobs
    from arbiter.adapters.dynamodb.cases import DynamoCaseRepository
    from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore
    from arbiter.adapters.dynamodb.collection_links import DynamoCollectionLinks
    from arbiter.adapters.dynamodb.document_hashes import DynamoDocumentHashes
    from arbiter.adapters.dynamodb.monitored import DynamoMonitoredEntities
    from arbiter.adapters.dynamodb.round_robin import DynamoRoundRobin
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository
    from arbiter.adapters.dynamodb.transaction_batches import DynamoTransactionBatches
    from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore
    from arbiter.adapters.dynamodb.webhooks import DynamoWebhookRepository
    from arbiter.adapters.dynamodb.workflow_versions import DynamoWorkflowVersions
    from arbiter.adapters.eventbridge import EventBusPublisher
    from arbiter.adapters.kms import KmsSecretBox
    from arbiter.adapters.list_fingerprints import S3ListFingerprints
    from arbiter.adapters.remote_pages import EgressPageFetcher
    from arbiter.adapters.rescreen_manifests import S3RescreenManifests
    from arbiter.adapters.s3 import S3DocumentStore
    from arbiter.adapters.ses import SesMailer
    from arbiter.adapters.sqs import SqsTransactionQueue
    from arbiter.adapters.stepfunctions import StepFunctionsEngine, StepFunctionsRescreens
    from arbiter.adapters.watchlists import S3WatchlistSource
    from arbiter.adapters.webhook_delivery import EgressWebhookSender, StepFunctionsDeliveryScheduler
    from arbiter.adapters.workflow_files import TenantWorkflowCatalog
    from arbiter.api.auth import CognitoTokenVerifier
    from arbiter.egress import AllowList, EgressClient, Resolver
    from arbiter.plugins.screening_delegation import CheckRunning
    from arbiter.services.authorization import FailureLimit, VerifiedKeys
    from arbiter.services.rule_sets import CompiledRuleSets, RuleSetAssessor
    from arbiter.services.webhook_routing import WebhookRouter

__all__ = [
    "FULL_RESCREEN_MACHINE",
    "WEBHOOK_DELIVERY_MACHINE",
    "Dependencies",
    "aws_client",
    "composition_root",
]

#: The state machine that paces webhook attempts (template: WebhookDeliveryStateMachine).
WEBHOOK_DELIVERY_MACHINE = "webhook-delivery"
#: The full re-screen state machine's name after the stack's (template.yaml: FullRescreenStateMachine).
FULL_RESCREEN_MACHINE = "full-rescreen"


@cache
def _config() -> Config:
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


def aws_client(service: str, region: str, variant: str = "") -> Any:
    """The process's one boto3 client for `service` in `region` (clients are thread-safe), with the shared
    retry configuration; `variant` names the few clients that need other settings (see `_VARIANTS`)."""
    return _aws_client(service, region, variant)  # one cache key however the arguments are passed


@cache
def _aws_client(service: str, region: str, variant: str) -> Any:
    import boto3

    config = _config().merge(_VARIANTS[variant]()) if variant else _config()
    return boto3.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def _s3v4() -> Config:
    from botocore.config import Config

    # Presigned URLs and POSTs signed with SigV4 (the SDK may pick the legacy scheme, which some regions refuse).
    return Config(signature_version="s3v4")


def _no_retries() -> Config:
    from botocore.config import Config

    # The check runner retries and bounds each plugin invocation; the client must neither retry nor give up first.
    return Config(read_timeout=310, retries={"mode": "standard", "max_attempts": 1})


_VARIANTS: dict[str, Callable[[], Config]] = {"s3v4": _s3v4, "no_retries": _no_retries}


class Dependencies:
    """Every port a function's use cases may need, each built on first use (then kept for the process)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.settings = settings
        #: Where the time comes from; None: the system clock (tests may set another).
        self.clock = clock

    def now(self) -> dt.datetime:
        """The current time, aware."""
        return self.clock() if self.clock else dt.datetime.now(dt.UTC)

    def client(self, service: str, variant: str = "") -> Any:
        """The boto3 client for `service` in the function's region."""
        return aws_client(service, self.settings.region, variant)

    # ------------------------------------------------------------------ cases

    @cached_property
    def cases(self) -> DynamoCaseRepository:
        """Cases, their audit trail, outbox and check results."""
        from arbiter.adapters.dynamodb.cases import DynamoCaseRepository

        return DynamoCaseRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def workflows(self) -> TenantWorkflowCatalog:
        """The workflow definitions: the built-in ones and each tenant's own versions."""
        from arbiter.adapters.workflow_files import TenantWorkflowCatalog

        return TenantWorkflowCatalog(self.workflow_versions)

    @cached_property
    def workflow_versions(self) -> DynamoWorkflowVersions:
        """Tenants' own workflow versions."""
        from arbiter.adapters.dynamodb.workflow_versions import DynamoWorkflowVersions

        return DynamoWorkflowVersions(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def engine(self) -> StepFunctionsEngine:
        """The workflows' state machines."""
        from arbiter.adapters.stepfunctions import StepFunctionsEngine

        return StepFunctionsEngine(self.client("stepfunctions"), self.settings.state_machine_arn_prefix)

    @cached_property
    def rule_sets(self) -> DynamoRuleSetRepository:
        """Rule set versions."""
        from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository

        return DynamoRuleSetRepository(self.client("dynamodb"), self.settings.table_name)

    @property
    def compiled_rule_sets(self) -> CompiledRuleSets:
        """Compiled rule set versions, one cache per table for the process (versions never change)."""
        return _compiled_rule_sets(self.settings.table_name, self.settings.region)

    @cached_property
    def assessor(self) -> RuleSetAssessor:
        """How cases are assessed: the rule set version pinned on the case (see arbiter.rules)."""
        from arbiter.services.rule_sets import RuleSetAssessor

        return RuleSetAssessor(self.compiled_rule_sets)

    @cached_property
    def transactions(self) -> DynamoTransactionStore:
        """Decided transactions, the customers' history buckets, alerts (transaction monitoring)."""
        from arbiter.adapters.dynamodb.transactions import DynamoTransactionStore

        return DynamoTransactionStore(self.client("dynamodb"), self.settings.table_name)

    @property
    def transaction_history(self) -> DynamoTransactionStore:
        """The stored transactions backtests read (the transaction store)."""
        return self.transactions

    @cached_property
    def backtest_jobs(self) -> DynamoBacktestJobs:
        """Monitoring backtests run as jobs: their requests, status and results."""
        from arbiter.adapters.dynamodb.backtest_jobs import DynamoBacktestJobs

        return DynamoBacktestJobs(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def transaction_batches(self) -> DynamoTransactionBatches:
        """Transaction batches as accepted, and what their scoring left (their status)."""
        from arbiter.adapters.dynamodb.transaction_batches import DynamoTransactionBatches

        return DynamoTransactionBatches(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def transaction_queue(self) -> SqsTransactionQueue:
        """The FIFO queue batch transactions wait in before they are decided."""
        from arbiter.adapters.sqs import SqsTransactionQueue

        if not self.settings.transactions_queue_url:
            raise SettingsError("TRANSACTIONS_QUEUE_URL is not set for this function")
        return SqsTransactionQueue(self.client("sqs"), self.settings.transactions_queue_url)

    @cached_property
    def tenants(self) -> DynamoTenantRepository:
        """Tenants and API keys (a tenant's shared secret sealed as it is written)."""
        from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository

        return DynamoTenantRepository(
            self.client("dynamodb"), self.settings.table_name, secrets=self._secret_box_if_configured
        )

    @cached_property
    def collection_links(self) -> DynamoCollectionLinks:
        """Collection links, by their token's hash."""
        from arbiter.adapters.dynamodb.collection_links import DynamoCollectionLinks

        return DynamoCollectionLinks(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def mailer(self) -> SesMailer:
        """E-mail to applicants (SES); the client is built when a tenant first sends one."""
        from arbiter.adapters.ses import SesMailer

        return SesMailer(self.client("sesv2"))

    def collection_url(self, token: str) -> str:
        """The link an applicant opens with `token`."""
        return self.settings.collection_link(token)

    @cached_property
    def secret_box(self) -> KmsSecretBox:
        """Seals and opens the secrets kept in the table (KMS; the client is built when a secret is first sealed
        or opened, so reading a record costs nothing more)."""
        from arbiter.adapters.kms import KmsSecretBox

        if not self.settings.secrets_key_id:
            raise SettingsError("SECRETS_KEY_ID is required to seal and open secrets")
        return KmsSecretBox(lambda: self.client("kms"), self.settings.secrets_key_id)

    @property
    def _secret_box_if_configured(self) -> KmsSecretBox | None:
        # Without a key a repository still reads and writes records; it refuses only to store a secret in clear.
        return self.secret_box if self.settings.secrets_key_id else None

    @cached_property
    def clearances(self) -> DynamoClearanceStore:
        """Reviewers' clearances of screening matches (false positives remembered per party and list entry)."""
        from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore

        return DynamoClearanceStore(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def monitored(self) -> DynamoMonitoredEntities:
        """The monitored index: approved entities that list updates are matched against."""
        from arbiter.adapters.dynamodb.monitored import DynamoMonitoredEntities

        return DynamoMonitoredEntities(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def watchlists(self) -> S3WatchlistSource:
        """The watchlists bucket, each list kept loaded per version."""
        from arbiter.adapters.watchlists import S3WatchlistSource

        if not self.settings.watchlists_bucket:
            raise SettingsError("WATCHLISTS_BUCKET is required to read watchlists")
        return S3WatchlistSource(self.client("s3"), self.settings.watchlists_bucket)

    @cached_property
    def fingerprints(self) -> S3ListFingerprints:
        """The entry fingerprints of each list's version last matched by ongoing screening (same bucket)."""
        from arbiter.adapters.list_fingerprints import S3ListFingerprints

        if not self.settings.watchlists_bucket:
            raise SettingsError("WATCHLISTS_BUCKET is required to keep list fingerprints")
        return S3ListFingerprints(self.client("s3"), self.settings.watchlists_bucket)

    @cached_property
    def rescreens(self) -> StepFunctionsRescreens:
        """The full re-screen state machine (its runs read lists and write manifests in the documents bucket)."""
        from arbiter.adapters.stepfunctions import StepFunctionsRescreens

        if not self.settings.documents_bucket:
            raise SettingsError("DOCUMENTS_BUCKET is required to start full re-screens")
        return StepFunctionsRescreens(
            self.client("stepfunctions"),
            self.settings.state_machine_arn(FULL_RESCREEN_MACHINE),
            self.settings.documents_bucket,
            shard_size=self.settings.rescreen_shard_size,
            max_concurrency=self.settings.rescreen_max_concurrency,
        )

    @cached_property
    def manifests(self) -> S3RescreenManifests:
        """Where a full re-screen's shards are written for its distributed Map (the documents bucket)."""
        from arbiter.adapters.rescreen_manifests import S3RescreenManifests

        if not self.settings.documents_bucket:
            raise SettingsError("DOCUMENTS_BUCKET is required to plan full re-screens")
        return S3RescreenManifests(self.client("s3"), self.settings.documents_bucket)

    @cached_property
    def audit_heads(self) -> DynamoAuditHeadLog:
        """The heads of the audit chains that moved on a day, and the daily digests' records."""
        from arbiter.adapters.dynamodb.audit_digests import DynamoAuditHeadLog

        return DynamoAuditHeadLog(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def digest_archive(self) -> S3DigestArchive:
        """The audit digest bucket (Object Lock, compliance mode)."""
        from arbiter.adapters.digest_archive import S3DigestArchive

        if not self.settings.audit_digest_bucket:
            raise SettingsError("AUDIT_DIGEST_BUCKET is required to write audit digests")
        return S3DigestArchive(self.client("s3", "s3v4"), self.settings.audit_digest_bucket)

    @cached_property
    def checks(self) -> CheckRunning:
        """Runs a workflow's checks: the registry of built-in plugins, their secrets, the egress policy. Without a
        watchlists bucket but with SCREENING_FUNCTION, the screening checks run in that function (it holds the
        lists)."""
        from arbiter.adapters.lambda_invoker import LambdaFunctionInvoker
        from arbiter.adapters.secrets import PowertoolsSecretResolver
        from arbiter.plugins.builtin import builtin_registry
        from arbiter.plugins.check_runner import PluginCheckRunner

        settings = self.settings
        watchlists = None
        if settings.watchlists_bucket:
            from arbiter.adapters.watchlists import S3WatchlistSource

            watchlists = S3WatchlistSource(self.client("s3"), settings.watchlists_bucket)
        invoker = LambdaFunctionInvoker(self.client("lambda", "no_retries"))
        registry = builtin_registry(
            egress=self.egress,
            invoker=invoker,
            watchlists=watchlists,
            clearances=self.clearances,
        )
        secrets = PowertoolsSecretResolver(
            secrets_client=self.client("secretsmanager"),
            ssm_client=self.client("ssm"),
            max_age_seconds=settings.secrets_max_age_seconds,
        )
        runner = PluginCheckRunner(
            registry=registry, secrets=secrets, max_concurrency=settings.plugins_max_concurrency
        )
        if watchlists is not None or not settings.screening_function:
            return runner
        from arbiter.adapters.screening_function import LambdaScreeningService
        from arbiter.plugins.screening_delegation import DelegatingCheckRunner

        return DelegatingCheckRunner(runner, LambdaScreeningService(invoker, settings.screening_function))

    @cached_property
    def publisher(self) -> EventBusPublisher:
        """The decision event bus (the outbox is published to it)."""
        from arbiter.adapters.eventbridge import EventBusPublisher

        return EventBusPublisher(self.client("events"), self.settings.event_bus_name)

    @property
    def outbox_inflate(self) -> Callable[[bytes], bytes]:
        """How the table's stream images' compressed events are read (zlib, with the store's preset dictionaries)."""
        from arbiter.adapters.dynamodb.packing import unpack

        return unpack

    # ------------------------------------------------------------------ documents

    @property
    def max_page_bytes(self) -> int:
        """The largest page accepted (upload or remote)."""
        from arbiter.domain.document import MAX_PAGE_BYTES

        return MAX_PAGE_BYTES

    @cached_property
    def store(self) -> S3DocumentStore:
        """The documents bucket."""
        from arbiter.adapters.s3 import S3DocumentStore

        if not self.settings.documents_bucket:
            raise SettingsError("DOCUMENTS_BUCKET is required to store documents")
        return S3DocumentStore(self.client("s3", "s3v4"), self.settings.documents_bucket)

    @cached_property
    def hashes(self) -> DynamoDocumentHashes:
        """The tenant's index of page hashes (the same file on two cases)."""
        from arbiter.adapters.dynamodb.document_hashes import DynamoDocumentHashes

        return DynamoDocumentHashes(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def fetcher(self) -> EgressPageFetcher:
        """Remote pages, through the egress guard."""
        from arbiter.adapters.remote_pages import EgressPageFetcher

        return EgressPageFetcher(self.egress)

    # ------------------------------------------------------------------ outbound HTTP and webhooks

    @cached_property
    def allow(self) -> AllowList:
        """Private hosts and CIDRs outbound requests may reach anyway (ALLOWED_EGRESS_HOSTS)."""
        from arbiter.egress import AllowList

        return AllowList.parse(self.settings.allowed_egress_hosts)

    @property
    def resolve(self) -> Resolver:
        """How outbound host names are resolved (the system's resolver)."""
        from arbiter.egress import system_resolver

        return system_resolver

    @cached_property
    def egress(self) -> EgressClient:
        """The one guarded outbound HTTP client."""
        from arbiter.egress import EgressClient, EgressPolicy

        return EgressClient(EgressPolicy(allow=self.allow))

    @cached_property
    def webhooks(self) -> DynamoWebhookRepository:
        """Webhook subscriptions and the delivery log."""
        from arbiter.adapters.dynamodb.webhooks import DynamoWebhookRepository

        return DynamoWebhookRepository(
            self.client("dynamodb"), self.settings.table_name, secrets=self._secret_box_if_configured
        )

    @cached_property
    def webhook_router(self) -> WebhookRouter:
        """Which published events go to the webhooks function (the tenant's routes, kept per warm publisher)."""
        from arbiter.services.webhook_routing import WebhookRouter

        return WebhookRouter(self.webhooks, self.tenants)

    @cached_property
    def scheduler(self) -> StepFunctionsDeliveryScheduler:
        """The state machine that paces webhook attempts."""
        from arbiter.adapters.webhook_delivery import StepFunctionsDeliveryScheduler

        return StepFunctionsDeliveryScheduler(
            self.client("stepfunctions"), self.settings.state_machine_arn(WEBHOOK_DELIVERY_MACHINE)
        )

    @cached_property
    def sender(self) -> EgressWebhookSender:
        """Signed webhook requests, through the egress guard."""
        from arbiter.adapters.webhook_delivery import EgressWebhookSender

        return EgressWebhookSender(self.egress)

    @cached_property
    def schedule(self) -> tuple[int, ...]:
        """Seconds before each webhook attempt."""
        from arbiter.domain.webhooks import parse_schedule

        try:
            return parse_schedule(self.settings.webhook_retry_schedule)
        except ValueError as exc:
            raise SettingsError(f"WEBHOOK_RETRY_SCHEDULE: {exc}") from exc

    @property
    def rotation_overlap(self) -> dt.timedelta:
        """How long a rotated webhook secret keeps signing beside the new one."""
        return dt.timedelta(seconds=self.settings.webhook_secret_overlap_seconds)

    @property
    def environment(self) -> str:
        """The stage, as Ballerine's webhook payloads name it."""
        return self.settings.stage

    # ------------------------------------------------------------------ the authorizer

    @cached_property
    def auth_failures(self) -> DynamoAuthFailureCounter:
        """Failed authentications per source address and minute."""
        from arbiter.adapters.dynamodb.auth_failures import DynamoAuthFailureCounter

        return DynamoAuthFailureCounter(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def failure_limit(self) -> FailureLimit:
        """How many failed authentications a source may have per minute."""
        from arbiter.services.authorization import FailureLimit

        return FailureLimit(failures=self.settings.auth_failures_per_minute, window=dt.timedelta(minutes=1))

    @cached_property
    def verified_keys(self) -> VerifiedKeys:
        """Keys this (warm) authorizer verified recently; kept for the life of the container."""
        from arbiter.services.authorization import VerifiedKeys

        return VerifiedKeys(ttl=dt.timedelta(seconds=self.settings.authorizer_cache_seconds))

    @property
    def shared_usage_key(self) -> str:
        """The usage key of tenants that have none of their own."""
        if not self.settings.shared_usage_key:
            raise SettingsError("SHARED_USAGE_KEY is required to authorize requests")
        return self.settings.shared_usage_key

    # ------------------------------------------------------------------ reviewers

    @cached_property
    def reviewer_directory(self) -> CognitoReviewerDirectory:
        """The tenant's reviewers: the accounts of the stack's Cognito user pool."""
        from arbiter.adapters.cognito import CognitoReviewerDirectory

        if not self.settings.user_pool_id:
            raise SettingsError("USER_POOL_ID is required to list reviewers")
        return CognitoReviewerDirectory(self.client("cognito-idp"), self.settings.user_pool_id)

    @cached_property
    def round_robin(self) -> DynamoRoundRobin:
        """Round-robin turns per tenant and queue."""
        from arbiter.adapters.dynamodb.round_robin import DynamoRoundRobin

        return DynamoRoundRobin(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def verifier(self) -> CognitoTokenVerifier:
        """Verifies reviewers' Cognito ID tokens for the stack's user pool and back-office client."""
        from arbiter.api.auth import CognitoTokenVerifier

        settings = self.settings
        if not settings.user_pool_id or not settings.user_pool_client_id:
            raise SettingsError("USER_POOL_ID and USER_POOL_CLIENT_ID are required to verify reviewers")
        return CognitoTokenVerifier(
            region=settings.region,
            user_pool_id=settings.user_pool_id,
            client_id=settings.user_pool_client_id,
            endpoint_url=settings.aws_endpoint_url,
        )


@cache
def _compiled_rule_sets(table_name: str, region: str) -> CompiledRuleSets:
    from arbiter.adapters.dynamodb.rule_sets import DynamoRuleSetRepository
    from arbiter.services.rule_sets import CompiledRuleSets

    return CompiledRuleSets(DynamoRuleSetRepository(aws_client("dynamodb", region), table_name))


def composition_root() -> Callable[[], Dependencies]:
    """A function's `deps()`: its Dependencies from its own environment, built by the first call and kept for
    the life of the container (each function module makes its own, so functions sharing a process, as on the
    local stack, never share settings)."""

    @lru_cache(maxsize=1)
    def deps() -> Dependencies:
        return Dependencies(Settings.from_environ())

    return deps
