"""Settings read from the environment variables template.yaml gives each function, in one place.

`Settings.from_environ()` fails fast and names the missing or invalid variable. Nothing here is read at
import time; each function's composition root calls it once per cold start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["Settings", "SettingsError"]


class SettingsError(Exception):
    """A required environment variable is missing or invalid."""


class Settings(BaseModel):
    """Everything a function may need; each function's template entry sets the part it uses."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    region: str = Field(alias="AWS_REGION", min_length=1)
    stage: str = Field(default="prod", alias="STAGE")
    table_name: str = Field(alias="TABLE_NAME")
    event_bus_name: str = Field(alias="EVENT_BUS_NAME")
    state_machine_arn_prefix: str = Field(alias="STATE_MACHINE_ARN_PREFIX")
    idempotency_table_name: str | None = Field(default=None, alias="IDEMPOTENCY_TABLE_NAME")
    documents_bucket: str | None = Field(default=None, alias="DOCUMENTS_BUCKET")
    #: Where batch transactions wait to be decided (template.yaml: TransactionsQueue, FIFO).
    transactions_queue_url: str | None = Field(default=None, alias="TRANSACTIONS_QUEUE_URL")
    user_pool_id: str | None = Field(default=None, alias="USER_POOL_ID")
    user_pool_client_id: str | None = Field(default=None, alias="USER_POOL_CLIENT_ID")
    allowed_egress_hosts: tuple[str, ...] = Field(default=(), alias="ALLOWED_EGRESS_HOSTS")
    #: Set on the local stack and in tests (moto); in AWS the SDK's default endpoints are used.
    aws_endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    public_api_url: str | None = Field(default=None, alias="ARBITER_PUBLIC_API_URL")
    #: Where applicants open collection links (the hosted collection site); unset: the API's own `/collect/`.
    collection_site_url: str | None = Field(default=None, alias="COLLECTION_SITE_URL")
    #: Seconds before each webhook attempt ("0,5,300,…"); empty: the standard schedule (arbiter.domain.webhooks).
    webhook_retry_schedule: str | None = Field(default=None, alias="WEBHOOK_RETRY_SCHEDULE")
    #: How long a rotated webhook secret keeps signing beside the new one.
    webhook_secret_overlap_seconds: int = Field(default=86400, ge=0, alias="WEBHOOK_SECRET_OVERLAP_SECONDS")
    #: Minutes a case may stay in processing unchanged before the reconciler checks its execution still runs.
    reconcile_after_minutes: int = Field(default=15, ge=1, alias="RECONCILE_AFTER_MINUTES")
    #: The origin browsers may call the API from (the back office's); answers allow it and no other.
    cors_allowed_origin: str | None = Field(default=None, alias="CORS_ALLOWED_ORIGIN")
    #: The KMS key that seals webhook secrets in the table (template.yaml: SecretsKey).
    secrets_key_id: str | None = Field(default=None, alias="SECRETS_KEY_ID")
    #: Where the daily audit digests go (template.yaml: AuditDigestBucket, Object Lock in compliance mode).
    audit_digest_bucket: str | None = Field(default=None, alias="AUDIT_DIGEST_BUCKET")
    #: Where the sanctions check reads its watchlists (template.yaml: the documents bucket).
    watchlists_bucket: str | None = Field(default=None, alias="WATCHLISTS_BUCKET")
    #: The function that holds the watchlists and runs the screening checks (template.yaml: ScreeningFunction), for
    #: the functions that run a workflow's other checks; unused where WATCHLISTS_BUCKET is set.
    screening_function: str | None = Field(default=None, alias="SCREENING_FUNCTION")
    #: Checks of one case run at once.
    plugins_max_concurrency: int = Field(default=8, ge=1, le=32, alias="PLUGINS_MAX_CONCURRENCY")
    #: How long a plugin's secret (vendor key) stays cached in a warm function.
    secrets_max_age_seconds: int = Field(default=300, ge=0, le=3600, alias="SECRETS_MAX_AGE_SECONDS")
    #: The authorizer: the usage key of tenants without one of their own (template.yaml: SharedUsageKey).
    shared_usage_key: str | None = Field(default=None, alias="SHARED_USAGE_KEY")
    #: The authorizer: failed authentications one source address may have per minute before it gets 429s.
    auth_failures_per_minute: int = Field(default=20, ge=1, le=10_000, alias="AUTH_FAILURES_PER_MINUTE")
    #: The authorizer: how long a warm authorizer remembers a key it verified (a revoked key works that long).
    authorizer_cache_seconds: int = Field(default=60, ge=0, le=3600, alias="AUTHORIZER_CACHE_SECONDS")

    #: Monitored customers per shard of a full re-screen (one child execution of its distributed Map each).
    rescreen_shard_size: int = Field(default=1000, ge=1, le=100_000, alias="RESCREEN_SHARD_SIZE")
    #: Shards of one full re-screen screened at once (the Map's MaxConcurrency).
    rescreen_max_concurrency: int = Field(default=10, ge=1, le=1000, alias="RESCREEN_MAX_CONCURRENCY")

    @field_validator("allowed_egress_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(h.strip() for h in value.split(",") if h.strip())
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value:
            from arbiter.domain.webhooks import parse_schedule  # only where the stack sets a schedule

            parse_schedule(value)  # ValueError naming the problem
        return value

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate; the error names every missing or invalid variable."""
        source = dict(os.environ if environ is None else environ)
        source.setdefault("AWS_REGION", source.get("AWS_DEFAULT_REGION", ""))
        try:
            return cls.model_validate({k: v for k, v in source.items() if v != "" or k == "AWS_REGION"})
        except ValidationError as exc:
            problems = ", ".join(
                f"{err['loc'][0]} ({'missing' if err['type'] == 'missing' else err['msg']})"
                for err in exc.errors()
            )
            raise SettingsError(f"environment variables not set correctly: {problems}") from exc

    def collection_link(self, token: str) -> str:
        """An applicant's link: the collection site with the token in the fragment, which browsers send to no server
        (not in access logs, not in a Referer)."""
        base = self.collection_site_url or f"{(self.public_api_url or '').rstrip('/')}/collect/"
        return f"{base}#{token}"

    def state_machine_arn(self, workflow_id: str) -> str:
        """The state machine that runs workflow `workflow_id`."""
        return f"{self.state_machine_arn_prefix}{workflow_id}"
