"""Secrets kept at rest sealed: encrypted under the tenant (and what the secret is for) as encryption context.

Webhook signing secrets and a tenant's Ballerine shared secret must be read back in clear to sign, so they cannot be
hashed like API keys; the table holds them sealed instead (`kms:v1:` and the ciphertext, see
`arbiter.adapters.kms`). The context binds a ciphertext to its tenant and purpose: copied into another tenant's
item, or into another kind of secret, it no longer opens. The repositories seal what they store; the one use case
that needs a secret in clear (signing a webhook) opens it, so only that function may decrypt.

A value without the prefix was stored before secrets were sealed: it is read as it is, and sealed the next time
its record is written (see docs/security.md, "Upgrading").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = [
    "SEALED_PREFIX",
    "SecretBox",
    "ballerine_secret_context",
    "is_sealed",
    "reveal",
    "seal_once",
    "webhook_secret_context",
]

#: What every sealed value starts with: the scheme and its version, so a later scheme can be told apart.
SEALED_PREFIX = "kms:v1:"


class SecretBox(Protocol):
    """Seals and opens small secrets under an encryption context (`arbiter.adapters.kms.KmsSecretBox` in AWS)."""

    def seal(self, plaintext: str, context: Mapping[str, str]) -> str:
        """The secret sealed: `SEALED_PREFIX` and the ciphertext, which opens only with the same context."""

    def open(self, sealed: str, context: Mapping[str, str]) -> str:
        """The secret in clear; SecretUnreadable when the context differs or the value is not sealed by this box."""


def webhook_secret_context(tenant_id: str) -> dict[str, str]:
    """The context of a webhook subscription's signing secrets."""
    return {"tenant_id": tenant_id, "purpose": "webhook-signing-secret"}


def ballerine_secret_context(tenant_id: str) -> dict[str, str]:
    """The context of a tenant's shared secret for Ballerine-format webhooks (`X-HMAC-Signature`)."""
    return {"tenant_id": tenant_id, "purpose": "ballerine-shared-secret"}


def is_sealed(value: str) -> bool:
    """Whether `value` is sealed (else it was stored in clear, before secrets were sealed)."""
    return value.startswith(SEALED_PREFIX)


def seal_once(box: SecretBox, value: str, context: Mapping[str, str]) -> str:
    """`value` sealed; a sealed value is kept as it is (each write of a record need not encrypt again)."""
    return value if is_sealed(value) else box.seal(value, context)


def reveal(box: SecretBox, value: str, context: Mapping[str, str]) -> str:
    """The secret in clear: opened when sealed, as it is when stored before sealing."""
    return box.open(value, context) if is_sealed(value) else value
