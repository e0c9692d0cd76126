"""Secrets that configurations refer to but never contain: the reference grammar, the port, the config type.

A configuration (a vendor's API key header, a webhook signing key) holds a *reference*:
`secretsmanager:<name-or-arn>[#json-key]` or `ssm:<parameter name>[#json-key]`. Saving a configuration checks
the reference's form only; the value is read when a check runs, through a `SecretResolver`, and lives in a
`SecretRef` whose repr, str and dump never show it. Values that were read are also scrubbed from anything a
check returns or logs (`SecretScrubber`), in case a vendor echoes a key back in an error message.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from arbiter.domain.errors import ArbiterError, InvalidInput

MASK = "***"
# Scrubbing a one- or two-character "secret" would mangle ordinary text; such values are not secrets anyway.
_MIN_SCRUBBED_LENGTH = 4
_SSM_NAME = re.compile(r"^/?[A-Za-z0-9_.\-/]{1,2048}$")


class SecretResolver(Protocol):
    """Reads the value a reference points at; raises `SecretUnavailable` when it cannot."""

    def resolve(self, reference: str) -> str:
        """The secret's value (a string; a JSON key picks one field of a JSON secret)."""
        ...


class SecretUnavailable(ArbiterError):
    """A secret could not be read; the message names the reference and the reason, never a value."""

    kind = "unavailable"

    def __init__(self, reference: str, reason: str, *, transient: bool = False) -> None:
        super().__init__(f"secret {reference} is unavailable: {reason}", reference=reference, reason=reason)
        self.reference = reference
        self.reason = reason
        #: Whether reading it again later may work (throttling, a network blip), so a retry makes sense.
        self.transient = transient


@dataclass(frozen=True)
class SecretReference:
    """A parsed reference."""

    service: Literal["secretsmanager", "ssm"]
    name: str
    json_key: str | None = None


def parse_reference(reference: str) -> SecretReference:
    """Parse `secretsmanager:<name-or-arn>[#json-key]` or `ssm:<name>[#json-key]`, or raise `InvalidInput`."""
    service, sep, rest = reference.partition(":")
    if not sep or service not in ("secretsmanager", "ssm"):
        raise InvalidInput(
            f"secret reference {reference!r} must start with 'secretsmanager:' or 'ssm:'", path="secret"
        )
    name, _, json_key = rest.partition("#")
    if not name or (service == "ssm" and not _SSM_NAME.match(name)) or len(name) > 2048:
        raise InvalidInput(f"secret reference {reference!r} has no valid name", path="secret")
    if "#" in rest and not json_key:
        raise InvalidInput(f"secret reference {reference!r} has an empty JSON key", path="secret")
    return SecretReference(service, name, json_key or None)  # type: ignore[arg-type]


class SecretRef(BaseModel):
    """A configuration value read from a secret: `{"secret": "<reference>", "prefix": "Bearer "}`.

    Validating with `context={"secrets": resolver}` reads the value (the runner does this when a check runs);
    without it, only the reference's form is checked (as when a configuration is saved).
    """

    model_config = ConfigDict(extra="forbid")

    secret: str = Field(min_length=5, max_length=2100, description="secretsmanager:… or ssm:… reference")
    prefix: str = Field(default="", max_length=64, description="Text put before the value, e.g. 'Bearer '")
    _value: SecretStr | None = PrivateAttr(default=None)

    @field_validator("secret")
    @classmethod
    def _well_formed(cls, reference: str) -> str:
        try:
            parse_reference(reference)
        except InvalidInput as e:
            raise ValueError(e.message) from None
        return reference

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> SecretRef:
        resolver = (info.context or {}).get("secrets") if isinstance(info.context, dict) else None
        if resolver is not None:
            self._value = SecretStr(self.prefix + resolver.resolve(self.secret))
        return self

    @property
    def resolved(self) -> bool:
        """Whether the value was read."""
        return self._value is not None

    def reveal(self) -> str:
        """The value, for the one place that sends it (a header); `SecretUnavailable` if it was not read."""
        if self._value is None:
            raise SecretUnavailable(self.secret, "it was not resolved before use")
        return self._value.get_secret_value()

    def __repr__(self) -> str:
        return f"SecretRef({self.secret!r}, resolved={self.resolved})"

    __str__ = __repr__


class SecretScrubber:
    """A resolver wrapper that remembers the values it handed out and masks them in text and JSON."""

    def __init__(self, inner: SecretResolver) -> None:
        self._inner = inner
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def resolve(self, reference: str) -> str:
        """Resolve through the wrapped resolver and remember the value."""
        value = self._inner.resolve(reference)
        self.remember([value])
        return value

    def remember(self, values: Iterable[str]) -> None:
        """Also mask these values (e.g. parts of a secret that was split)."""
        with self._lock:
            self._values.update(v for v in values if len(v) >= _MIN_SCRUBBED_LENGTH)

    def scrub_text(self, text: str) -> str:
        """`text` with every remembered value replaced by the mask, longest first."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def scrub(self, value: Any) -> Any:
        """A copy of a JSON value with every remembered secret masked in its strings and keys."""
        if not self._values:
            return value
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {self.scrub_text(str(k)): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value
