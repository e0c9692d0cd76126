"""The composition root of the plugins function: settings from the environment, adapters, the registry.

`dependencies()` is cached, so a warm container reuses its clients, egress settings and secret cache. Nothing
here runs at import time.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arbiter.domain.errors import InvalidInput
from arbiter.egress import AllowList, EgressClient, EgressPolicy
from arbiter.plugins.builtin import builtin_registry
from arbiter.plugins.dependencies import PluginsDependencies

# Environment variable → settings field.
_ENV = {
    "ALLOWED_EGRESS_HOSTS": "allowed_egress_hosts",
    "PLUGINS_MAX_CONCURRENCY": "max_concurrency",
    "SECRETS_MAX_AGE_SECONDS": "secrets_max_age_seconds",
    "WATCHLISTS_BUCKET": "watchlists_bucket",
    "TABLE_NAME": "table_name",
}


class PluginsSettings(BaseModel):
    """The plugins function's settings (template.yaml sets the variables)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Hosts and CIDRs outbound requests may reach although they are internal, comma-separated.
    allowed_egress_hosts: str = ""
    max_concurrency: int = Field(default=8, ge=1, le=32)
    secrets_max_age_seconds: int = Field(default=300, ge=0, le=3600)
    #: Where the sanctions check reads its watchlists (template.yaml: the documents bucket).
    watchlists_bucket: str = ""
    #: The table holding reviewers' clearances of screening matches.
    table_name: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PluginsSettings:
        """Read the settings; `InvalidInput` naming the variable when one is malformed."""
        values = {name: environ[var] for var, name in _ENV.items() if environ.get(var, "") != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            field = str(e.errors()[0]["loc"][0])
            variable = next(var for var, name in _ENV.items() if name == field)
            raise InvalidInput(
                f"environment variable {variable}: {e.errors()[0]['msg']}", path=variable
            ) from e


def build_dependencies(settings: PluginsSettings, *, session: Any = None) -> PluginsDependencies:
    """Build the adapters and the registry of built-in plugins (a boto3 session may be given for tests)."""
    import boto3
    from botocore.config import Config

    from arbiter.adapters.lambda_invoker import LambdaFunctionInvoker
    from arbiter.adapters.secrets import PowertoolsSecretResolver

    session = session or boto3.session.Session()
    egress = EgressClient(EgressPolicy(allow=AllowList.parse(settings.allowed_egress_hosts)))
    secrets = PowertoolsSecretResolver(
        secrets_client=session.client("secretsmanager"),
        ssm_client=session.client("ssm"),
        max_age_seconds=settings.secrets_max_age_seconds,
    )
    # The runner retries and bounds each invocation; the client itself must neither retry nor give up first.
    lambda_client = session.client("lambda", config=Config(read_timeout=310, retries={"max_attempts": 0}))
    watchlists = clearances = None
    if settings.watchlists_bucket:
        from arbiter.adapters.watchlists import S3WatchlistSource

        watchlists = S3WatchlistSource(session.client("s3"), settings.watchlists_bucket)
    if settings.table_name:
        from arbiter.adapters.dynamodb.clearances import DynamoClearanceStore

        clearances = DynamoClearanceStore(session.client("dynamodb"), settings.table_name)
    registry = builtin_registry(
        egress=egress,
        invoker=LambdaFunctionInvoker(lambda_client),
        watchlists=watchlists,
        clearances=clearances,
    )
    return PluginsDependencies(registry=registry, secrets=secrets, max_concurrency=settings.max_concurrency)


@functools.lru_cache(maxsize=1)
def dependencies() -> PluginsDependencies:
    """The dependencies for this container, built on first use from the environment."""
    return build_dependencies(PluginsSettings.from_env(os.environ))
