"""Workflow definitions: its checks, its rule set, its options.

Definitions are data: the built-in ones are JSON files shipped in `arbiter/workflows/` (validated on load with
errors naming the path of the problem), and a tenant saves and publishes versions of its own through the admin
API (`arbiter.services.workflows`); a case is pinned to the version it started on. Every workflow's automated
part runs on the Express machine `<stack>-automation`; the Standard machine that waits for people on its cases
is one of the deployed `STANDARD_MACHINES` (`WorkflowDefinition.machine`), so a new workflow needs no deploy.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from arbiter.domain.collection_journey import CollectionJourney
from arbiter.domain.errors import InvalidInput
from arbiter.domain.json_schemas import check_schema, first_error
from arbiter.domain.review_policy import ReviewPolicy
from arbiter.domain.underwriting import UnderwritingPolicy
from arbiter.domain.versions import VersionSummary

__all__ = [
    "BUILTIN_EVENTS",
    "STANDARD_MACHINES",
    "CustomEvent",
    "OwnerChecks",
    "WorkflowContent",
    "WorkflowDefinition",
    "WorkflowSummary",
    "WorkflowVersion",
]

#: The deployed Standard machines that wait for people (`<stack>-<name>`): `kyb` also waits for the owners'
#: reviews; `kyc` and `manual-review` wait for a reviewer only.
STANDARD_MACHINES = ("kyb", "kyc", "manual-review")


class OwnerChecks(BaseModel):
    """KYB: open a KYC case for each beneficial owner at or above the threshold, and wait for them."""

    model_config = ConfigDict(extra="forbid")

    workflow: str = "kyc"
    min_ownership_percent: float = Field(default=25, ge=0, le=100)
    include_directors: bool = False


#: Events every workflow takes (submit a collecting case, resubmit after a revision): no custom event may be named so.
BUILTIN_EVENTS = ("submitted", "submit", "resubmitted", "resubmit")


class CustomEvent(BaseModel):
    """An event an integrator may send to the workflow's cases (`POST /v1/cases/{id}/events`, Ballerine's
    `send-event`), and what it does:

    - `record`: kept in the case's history with its payload (any state but a final one);
    - `rerun_checks`: a case in review goes back to its automated part (documents, checks, rules, the decision):
      the Standard execution waiting for a reviewer ends and a new run starts, as after a resubmission;
    - `request_revision`: a case in review is sent back for corrections, as a reviewer's revision request does
      (`reason` and `document_ids` from the payload, else the event's `reason`).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,62}$")
    action: Literal["record", "rerun_checks", "request_revision"] = "record"
    description: str = Field(default="", max_length=2000)
    reason: str | None = Field(default=None, min_length=1, max_length=2000)


def _event_entry(value: Any) -> Any:
    """A plain name (how definitions first declared events) is an event that is recorded."""
    return {"name": value} if isinstance(value, str) else value


class WorkflowContent(BaseModel):
    """What an admin saves: the content of one version of a workflow."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    entity_types: list[Literal["individual", "business"]] = Field(min_length=1)
    #: The checks to run: `{plugin, name?, config, timeout_seconds?, retry?}` each, validated against the plugin
    #: registry when the definition is saved or seeded (`arbiter.plugins.validate_configs`).
    plugins: list[dict[str, Any]] = Field(default_factory=list)
    rule_set_id: str | None = None
    owner_checks: OwnerChecks | None = None
    #: Events an integrator may send besides `resubmitted` (accepted while the case is active).
    custom_events: list[Annotated[CustomEvent, BeforeValidator(_event_entry)]] = Field(default_factory=list)
    #: `system`: only Arbiter opens its cases (ongoing screening's `monitoring`), straight into manual review, with
    #: no state machine; integrators cannot start it.
    opened_by: Literal["integrator", "system"] = "integrator"
    #: Which reviewers' decisions a second reviewer confirms (four eyes), and the role they need.
    review_policy: ReviewPolicy = Field(default_factory=ReviewPolicy)
    #: How many hours a case may wait in manual review before it is overdue (None: no SLA).
    review_sla_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    #: The hosted journey where an applicant fills in the case themselves (`arbiter.domain.collection_journey`).
    collection: CollectionJourney | None = None
    #: Underwriting (payment merchants): approvals grant terms (limit, reserve, conditions) the rules propose, and
    #: each role's authority to change them (`arbiter.domain.underwriting`).
    underwriting: UnderwritingPolicy | None = None
    #: A JSON Schema the case's `context` must satisfy when the case starts (e.g. the merchant's application);
    #: 422 naming the field otherwise.
    context_schema: dict[str, Any] | None = None
    #: The Standard machine that waits for people on its cases (one of STANDARD_MACHINES); by default the one
    #: named after the workflow, else `kyb` when it waits for owners' reviews and `kyc` when it does not.
    waits_on: Literal["kyb", "kyc", "manual-review"] | None = None

    @field_validator("context_schema")
    @classmethod
    def _valid_context_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_schema(schema) if schema is not None else None

    def check_context(self, context: dict[str, Any]) -> None:
        """InvalidInput naming the first field of `context` that breaks the workflow's `context_schema`."""
        found = first_error(self.context_schema, context) if self.context_schema is not None else None
        if found is not None:
            field, message = found
            path = f"context.{field}" if field else "context"
            raise InvalidInput(f"{path}: {message}", path=path)

    @model_validator(mode="after")
    def _events_have_names_of_their_own(self) -> WorkflowContent:
        seen: set[str] = set()
        for index, event in enumerate(self.custom_events):
            if event.name in BUILTIN_EVENTS or event.name in seen:
                why = "every workflow takes it" if event.name in BUILTIN_EVENTS else "declared twice"
                raise InvalidInput(f"event {event.name!r}: {why}", path=f"custom_events[{index}].name")
            seen.add(event.name)
        return self

    def custom_event(self, name: str) -> CustomEvent | None:
        """The declared event of that name, if any."""
        return next((e for e in self.custom_events if e.name == name), None)

    @model_validator(mode="after")
    def _owners_need_a_machine_that_waits_for_them(self) -> WorkflowContent:
        if self.owner_checks is not None and self.machine != "kyb":
            raise InvalidInput(
                f"a workflow with owner_checks waits for the owners' reviews: waits_on must be kyb, not "
                f"{self.machine}",
                path="waits_on",
            )
        return self

    @property
    def machine(self) -> str:
        """The Standard machine its cases wait on (`<stack>-<machine>`)."""
        if self.waits_on is not None:
            return self.waits_on
        if self.id in STANDARD_MACHINES:
            return self.id
        return "kyb" if self.owner_checks is not None else "kyc"


class WorkflowDefinition(WorkflowContent):
    """A workflow an integrator can start: one version of it."""

    version: int = Field(ge=1)

    def summary(self) -> dict[str, Any]:
        """What GET /v1/workflows shows."""
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "entity_types": list(self.entity_types),
            "checks": [str(p.get("name") or p.get("plugin")) for p in self.plugins],
            "rule_set_id": self.rule_set_id,
            "events": ["resubmitted", *(e.name for e in self.custom_events)],
            "review_policy": self.review_policy.model_dump(mode="json"),
            "review_sla_hours": self.review_sla_hours,
        }


class WorkflowVersion(WorkflowDefinition):
    """A stored version of a tenant's workflow: immutable content, plus when it was saved and published."""

    status: Literal["draft", "published"] = "draft"
    created_at: dt.datetime
    created_by: str | None = None
    published_at: dt.datetime | None = None
    published_by: str | None = None

    def content(self) -> WorkflowContent:
        return WorkflowContent.model_validate(self.model_dump(include=set(WorkflowContent.model_fields)))

    def definition(self) -> WorkflowDefinition:
        return WorkflowDefinition.model_validate(
            self.model_dump(include=set(WorkflowDefinition.model_fields))
        )

    def version_summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }


class WorkflowSummary(VersionSummary):
    """One of the tenant's own workflows: its newest version and the one new cases start on."""
