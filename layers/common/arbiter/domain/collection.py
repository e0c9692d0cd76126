"""Collection links: a hosted journey where an applicant fills in their own application, opened by a token.

A link's token is random (`secrets.token_urlsafe(32)` behind the prefix `clk_`), single-purpose (it opens the
collection journey of one case of one tenant, optionally for one person of that case) and stored only as its
SHA-256: the table never holds a token that works. A link ends at its expiry or when revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from pydantic import BaseModel, ConfigDict

__all__ = [
    "DEFAULT_LINK_DAYS",
    "MAX_LINK_DAYS",
    "TOKEN_PREFIX",
    "CollectionLink",
    "generate_collection_token",
    "hash_collection_token",
    "is_collection_token",
]

#: What every collection token starts with: a token is told from an API key (and from a leaked secret in a scan)
#: by its prefix.
TOKEN_PREFIX = "clk_"  # noqa: S105 - a prefix, not a secret
DEFAULT_LINK_DAYS = 7
MAX_LINK_DAYS = 30
#: `clk_` and 43 URL-safe characters (32 random bytes); anything else is not a token we issued.
_TOKEN_SHAPE = re.compile(r"clk_[A-Za-z0-9_-]{43}")


def generate_collection_token() -> str:
    """A new token: the prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_collection_token(value: str | None) -> bool:
    """True if `value` has the shape of a token we issue (not that it is valid)."""
    return bool(value) and _TOKEN_SHAPE.fullmatch(value or "") is not None


def hash_collection_token(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


class CollectionLink(BaseModel):
    """A link to a case's collection journey, as stored (its token's hash, never the token)."""

    model_config = ConfigDict(frozen=True)

    id: str
    tenant_id: str
    case_id: str
    token_hash: str
    person_id: str | None = None
    language: str | None = None
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def usable_at(self, at: dt.datetime) -> bool:
        """True if the link opens its journey at `at`: not revoked, not expired."""
        return self.revoked_at is None and at < self.expires_at

    def revoked(self, at: dt.datetime) -> CollectionLink:
        """This link, revoked at `at` (a link revoked before keeps its first time)."""
        return self if self.revoked_at else self.model_copy(update={"revoked_at": at})
