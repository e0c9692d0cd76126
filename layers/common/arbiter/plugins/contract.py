"""What a plugin is and what it returns: the contract every check, built-in or third-party, follows.

A plugin is a named, versioned check with a pydantic `Config`. `run(context, config)` receives the case as a
plain dict (`case_id`, `tenant_id`, `entity`, `documents`, `metadata`) and returns a `PluginResult`. It raises
`TransientCheckError` when trying again later may help (the runner retries with backoff) and `CheckError` when
it cannot do its job; anything it raises becomes a `status: error` result, never a lost case.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

from arbiter.domain.entity import Entity
from arbiter.domain.errors import ArbiterError
from arbiter.plugins.policy import RunPolicy

Status = Literal["ok", "error", "skipped"]
Severity = Literal["info", "low", "medium", "high", "critical"]
#: The case as a plugin sees it: {"case_id", "tenant_id", "entity", "documents", "metadata"}.
CaseContext = dict[str, Any]

SEVERITY_ORDER: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


class Flag(BaseModel):
    """Something a reviewer should look at: a stable `code`, how serious, a sentence, and what it is about.

    `subject` names the part of the case, as a path into the entity ("business", "business.ubos[1]") or the
    name of a check (for `check_failed`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    severity: Severity
    message: str = Field(min_length=1, max_length=1000)
    subject: str | None = Field(default=None, max_length=200)


class PluginResult(BaseModel):
    """The outcome of one check, stored on the case and passed through Step Functions (keep `data` small)."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    data: dict[str, JsonValue] = Field(default_factory=dict)
    flags: list[Flag] = Field(default_factory=list)
    error: str | None = Field(default=None, max_length=2000)
    duration_ms: int = Field(default=0, ge=0)
    plugin_version: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _error_goes_with_status(self) -> PluginResult:
        if self.status == "error" and not self.error:
            raise ValueError("a result with status 'error' needs an `error` text")
        if self.status != "error" and self.error is not None:
            raise ValueError("only a result with status 'error' carries an `error` text")
        return self

    @classmethod
    def ok(cls, data: dict[str, Any] | None = None, flags: list[Flag] | None = None) -> PluginResult:
        """The check ran; `flags` say what it found."""
        return cls(status="ok", data=data or {}, flags=flags or [])

    @classmethod
    def skipped(
        cls, reason: str, data: dict[str, Any] | None = None, flags: list[Flag] | None = None
    ) -> PluginResult:
        """The check does not apply to this case (no website, no validator…); `reason` says why."""
        return cls(status="skipped", data={"reason": reason, **(data or {})}, flags=flags or [])

    @classmethod
    def failed(cls, error: str, data: dict[str, Any] | None = None) -> PluginResult:
        """The check could not be carried out; the runner adds the `check_failed` flag."""
        return cls(status="error", error=error[:2000], data=data or {})

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return self.model_dump(mode="json")


class CheckError(ArbiterError):
    """The check cannot be carried out for this case; trying again will not help."""


class TransientCheckError(CheckError):
    """The check failed for a reason that may pass (a timeout, a 5xx, throttling): worth a retry."""


class PluginConfig(BaseModel):
    """Base for plugin configs: unknown keys are refused, so a typo fails when the workflow is saved."""

    model_config = ConfigDict(extra="forbid")


ConfigT = TypeVar("ConfigT", bound=BaseModel)


class Plugin(ABC, Generic[ConfigT]):
    """A check. Subclasses set `name`, `version`, `Config` (a pydantic model) and implement `run`.

    Dependencies (an HTTP client, a function invoker) are given to the constructor, so one instance serves
    every case; `run` must be safe to call from several threads at once.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    Config: ClassVar[type[BaseModel]] = PluginConfig
    #: One line for operators: what the check does.
    description: ClassVar[str] = ""

    def policy(self, config: ConfigT) -> RunPolicy | None:
        """The time limit and retry policy this configuration asks for (None: the runner's defaults)."""
        return None

    @abstractmethod
    def run(self, context: CaseContext, config: ConfigT) -> PluginResult:
        """Carry out the check for one case."""


def case_entity(context: CaseContext) -> Entity:
    """The case's entity as the typed model; `CheckError` naming the field when it does not validate."""
    try:
        return Entity.model_validate(context.get("entity") or {})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in ("entity", *first["loc"]))
        raise CheckError(f"the case's entity is not valid at {where}: {first['msg']}", path=where) from e
