"""Workflow definitions: its checks, its rule set, its options.

Definitions are data (JSON files shipped in `arbiter/workflows/`, validated on load with errors naming the
path of the problem). Every workflow's automated part runs on the Express machine `<stack>-automation`; the
Standard machine that waits for people on its cases is the one named `<stack>-<id>`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.collection_journey import CollectionJourney
from arbiter.domain.review_policy import ReviewPolicy

__all__ = ["OwnerChecks", "WorkflowDefinition"]


class OwnerChecks(BaseModel):
    """KYB: open a KYC case for each beneficial owner at or above the threshold, and wait for them."""

    model_config = ConfigDict(extra="forbid")

    workflow: str = "kyc"
    min_ownership_percent: float = Field(default=25, ge=0, le=100)
    include_directors: bool = False


class WorkflowDefinition(BaseModel):
    """A workflow an integrator can start."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    version: int = Field(ge=1)
    name: str
    description: str = ""
    entity_types: list[Literal["individual", "business"]] = Field(min_length=1)
    #: The checks to run: `{plugin, name?, config, timeout_seconds?, retry?}` each, validated against the plugin
    #: registry when the definition is saved or seeded (`arbiter.plugins.validate_configs`).
    plugins: list[dict[str, Any]] = Field(default_factory=list)
    rule_set_id: str | None = None
    owner_checks: OwnerChecks | None = None
    #: Events an integrator may send besides `resubmitted` (accepted while the case is active).
    custom_events: list[str] = Field(default_factory=list)
    #: `system`: only Arbiter opens its cases (ongoing screening's `monitoring`), straight into manual review, with
    #: no state machine; integrators cannot start it.
    opened_by: Literal["integrator", "system"] = "integrator"
    #: Which reviewers' decisions a second reviewer confirms (four eyes), and the role they need.
    review_policy: ReviewPolicy = Field(default_factory=ReviewPolicy)
    #: How many hours a case may wait in manual review before it is overdue (None: no SLA).
    review_sla_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    #: The hosted journey where an applicant fills in the case themselves (`arbiter.domain.collection_journey`).
    collection: CollectionJourney | None = None

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
            "events": ["resubmitted", *self.custom_events],
            "review_policy": self.review_policy.model_dump(mode="json"),
            "review_sla_hours": self.review_sla_hours,
        }
