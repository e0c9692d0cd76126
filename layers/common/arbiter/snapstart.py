"""Lambda SnapStart runtime hooks: what a function's snapshot holds, and what each copy resumed from it renews.

With SnapStart (template.yaml), Lambda runs a published version's init once, snapshots its memory, and resumes every
new execution environment of that version from the snapshot: the first caller waits for a restore, not for the
imports. Two hooks (docs/operations.md, "SnapStart"):

- `before_snapshot` (`warm`): import what a first request would still import (the adapters
  `arbiter.bootstrap` builds on first use, country names, token verification), and parse the botocore service models and endpoint rule
  sets of the clients `arbiter.bootstrap` creates into boto3's default session. No client is created: creating
  one resolves credentials (under SnapStart, from the container credentials endpoint) and sets up TLS, and both
  must belong to one environment, not to every environment resumed from the same snapshot.
- `after_restore` (`renew`): reseed `random`, whose state would otherwise be the same in every environment
  resumed from one snapshot (retry jitter and write sharding would move in step). Ids, keys and secrets come
  from `secrets` and `uuid.uuid4`, which read the kernel's random source at each call; AWS documents that
  software reading /dev/urandom keeps its randomness under SnapStart, so they need nothing.

Importing this module registers both with `snapshot_restore_py`, which the Lambda Python runtimes provide; where
it is missing (the local stack, a plain interpreter) nothing is registered.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterable

__all__ = [
    "AWS_SERVICES",
    "FIRST_REQUEST_MODULES",
    "after_restore",
    "before_snapshot",
    "register",
    "renew",
    "warm",
]

#: The services of the clients `arbiter.bootstrap` creates from boto3's default session.
AWS_SERVICES = ("dynamodb", "events", "kms", "s3", "stepfunctions")

#: Modules a function imports on first use, not at import, to keep cold starts without SnapStart short: the
#: adapters `arbiter.bootstrap.Dependencies` builds when a use case first asks, and the libraries the first
#: request of an API function reads (country names, token verification).
FIRST_REQUEST_MODULES = (
    "aws_lambda_powertools.event_handler",
    "arbiter.adapters.dynamodb.auth_failures",
    "arbiter.adapters.dynamodb.cases",
    "arbiter.adapters.dynamodb.tenants",
    "arbiter.adapters.dynamodb.rule_sets",
    "arbiter.adapters.dynamodb.clearances",
    "arbiter.adapters.dynamodb.webhooks",
    "arbiter.adapters.dynamodb.transactions",
    "arbiter.adapters.kms",
    "arbiter.adapters.stepfunctions",
    "arbiter.adapters.workflow_files",
    "pycountry",
    "jwt",
)

_registered = False


def warm(modules: Iterable[str] = FIRST_REQUEST_MODULES, services: Iterable[str] = AWS_SERVICES) -> None:
    """Import `modules` and load the botocore data of `services` into boto3's default session; no client."""
    import boto3
    import botocore.session

    for name in modules:
        importlib.import_module(name)
    session = botocore.session.get_session()
    # boto3's default session over it: every `boto3.client(...)` after this uses the loader warmed below (and
    # boto3 adds its own data path to that loader first).
    boto3.setup_default_session(botocore_session=session)
    loader = session.get_component("data_loader")
    for service in services:
        # The same calls, with the same arguments, as botocore's client creator: its loader caches by arguments.
        loader.load_service_model(service, "service-2", api_version=None)
        loader.load_service_model(service, "endpoint-rule-set-1", api_version=None)
    for name in ("_retry", "partitions", "sdk-default-configuration"):
        loader.load_data(name)
    loader.load_data_with_path("endpoints")


def renew() -> None:
    """Give this execution environment its own `random` state (from os.urandom)."""
    random.seed()


def before_snapshot() -> None:
    """SnapStart's before-snapshot hook."""
    warm()


def after_restore() -> None:
    """SnapStart's after-restore hook."""
    renew()


def register() -> bool:
    """Register the hooks with the Lambda runtime's `snapshot_restore_py`, once; False where it does not exist."""
    global _registered  # one registration per process, however many modules import this one
    if _registered:
        return True
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    _registered = True
    return True


register()
