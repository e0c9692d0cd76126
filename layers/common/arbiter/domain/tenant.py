"""Tenants (the operator's customers) and their API keys.

An API key is shown once, when issued; only its SHA-256 is stored. Keys are long random strings, so a plain
hash is enough to make the stored value useless to a reader of the table (no salt or slow hash needed, unlike
passwords); the lookup by hash stays a single GetItem.

A tenant's requests are throttled under its usage key (`UsageKey`): an API Gateway API key in the usage plan of
its tier, which the authorizer names for each request it allows. Integrators never see or send it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

__all__ = [
    "DEFAULT_TIER",
    "MIN_API_KEY_LENGTH",
    "ApiKey",
    "CollectionEmail",
    "ReviewIntervals",
    "Tenant",
    "TenantId",
    "TenantSettings",
    "UsageKey",
    "generate_api_key",
    "hash_api_key",
    "key_prefix",
]

#: The tier (API Gateway usage plan) a new tenant is put in (template.yaml: StandardUsagePlan).
DEFAULT_TIER = "standard"
#: The shortest key that may be issued: a plain SHA-256 protects only a key too long to guess, and generated keys
#: are 48 characters (32 random bytes). The local demo's `secret` is imported below this, knowingly (seed.py).
MIN_API_KEY_LENGTH = 32
#: The most of a key its stored record keeps in clear, to recognise it in a list.
KEY_PREFIX_MAX = 4

TenantId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
_WORKFLOW_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ReviewIntervals(BaseModel):
    """Months from a customer's approval to its periodic review, per risk level; None: never reviewed."""

    model_config = ConfigDict(extra="forbid")

    critical: int | None = Field(default=6, ge=1, le=120)
    high: int | None = Field(default=12, ge=1, le=120)
    medium: int | None = Field(default=24, ge=1, le=120)
    low: int | None = Field(default=36, ge=1, le=120)


class CollectionEmail(BaseModel):
    """E-mail to applicants through SES (a link issued, a revision requested, a submission confirmed): on once a
    sender is set, unless switched off. The sender is an address of the stack's verified SES identity
    (template.yaml: `EmailIdentity`)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    sender: EmailStr | None = None

    @property
    def on(self) -> bool:
        """True when messages are sent: switched on and a sender set."""
        return self.enabled and self.sender is not None


class TenantSettings(BaseModel):
    """Per-tenant behaviour an admin can change."""

    model_config = ConfigDict(extra="forbid")

    #: Ballerine workflow ids (and any other names integrators use) mapped to Arbiter workflow ids.
    workflow_aliases: dict[str, str] = Field(default_factory=dict)
    #: Like Ballerine: a run for an entity with an active case of the same workflow updates that case,
    #: unless the tenant allows several active cases per entity and workflow.
    allow_multiple_active_cases: bool = False
    #: Days after a case is decided before its documents are deleted; None keeps them.
    document_retention_days: int | None = Field(default=None, ge=1, le=3650)
    #: Shared secret for Ballerine-compatible webhooks (X-HMAC-Signature).
    webhook_shared_secret: str | None = None
    #: Like Ballerine: the tenant's API keys may approve, reject or ask for a revision (`approve`, `reject`,
    #: `revision` events). Off by default, so that only reviewers decide; an approval never goes over an
    #: uncleared sanctions or PEP hit either way.
    allow_integrator_decisions: bool = False
    #: Periodic reviews: months between an approval and the customer's next review, by the approving case's risk
    #: level (a level set to None is never reviewed; a case without a level counts as `low`).
    review_interval_months: ReviewIntervals = Field(default_factory=ReviewIntervals)
    #: Days before an approved customer's document (an ID) expires that it is asked for again through a review
    #: case (0: on the day it expires; None: expiring documents are never asked for).
    document_expiry_margin_days: int | None = Field(default=30, ge=0, le=365)
    #: Round-robin assignment per queue: a workflow id mapped to the role whose enabled holders get its cases in
    #: turn as they enter manual review (e.g. {"kyb": "senior"}); a workflow not listed is left unassigned.
    round_robin: dict[str, Literal["reviewer", "senior", "admin"]] = Field(
        default_factory=dict, max_length=100
    )

    #: E-mail to applicants of the collection journey; off while no sender is set.
    collection_email: CollectionEmail = Field(default_factory=CollectionEmail)

    def resolve_workflow(self, workflow: str) -> str:
        """The Arbiter workflow id for a name an integrator sent (an alias, or the id itself)."""
        return self.workflow_aliases.get(workflow, workflow)


class UsageKey(BaseModel):
    """The tenant's API Gateway API key: what its requests are throttled and counted under.

    API Gateway takes it from the authorizer (`usageIdentifierKey`, the API's key source being AUTHORIZER), never
    from a request, so its value is an identifier, not a credential.
    """

    tier: str = Field(description="The usage plan the key is in (standard, high-volume, or one of your own)")
    key_id: str = Field(description="The API Gateway API key's id")
    value: str = Field(description="The API Gateway API key's value, which the authorizer returns")


class Tenant(BaseModel):
    """A customer of the operator: every case, key and configuration belongs to exactly one."""

    id: TenantId
    name: str = Field(min_length=1, max_length=200)
    created_at: dt.datetime
    settings: TenantSettings = Field(default_factory=TenantSettings)
    #: None for a tenant created without one (before tiers existed, or by a test): it shares the standard tier's
    #: shared key until an operator gives it its own (`arbiter-admin set-tier`).
    usage: UsageKey | None = None


class ApiKey(BaseModel):
    """A stored API key: the hash, never the key."""

    key_hash: str
    tenant_id: TenantId
    key_id: str
    label: str = ""
    prefix: str = Field(
        description="At most the first 4 characters of the key and never more than a third of it (`key_prefix`); "
        "keys issued before this rule keep the 6 they were stored with"
    )
    created_at: dt.datetime
    revoked: bool = False
    revoked_at: dt.datetime | None = None
    #: The last day a request was authenticated with it (recorded at most once a day per authorizer instance).
    last_used_on: dt.date | None = None


def hash_api_key(key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """What a stored key keeps of its plaintext: too little to guess any key from, however short
    (`arb_` for generated keys, whose id tells them apart)."""
    return key[: min(KEY_PREFIX_MAX, len(key) // 3)]


def generate_api_key() -> str:
    """A new random key: 32 bytes of entropy, recognisable prefix."""
    return f"arb_{secrets.token_urlsafe(32)}"


def valid_workflow_id(value: str) -> bool:
    """Workflow ids are lower-case slugs; they name state machines."""
    return bool(_WORKFLOW_ID.match(value))
