"""The domain: what a case, an entity, a decision is, free of any infrastructure."""

from arbiter.domain.countries import country_code
from arbiter.domain.errors import (
    ArbiterError,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    Unauthenticated,
)

__all__ = [
    "ArbiterError",
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "NotFound",
    "Unauthenticated",
    "country_code",
]
