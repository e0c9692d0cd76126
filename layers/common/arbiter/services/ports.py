"""What the services need from the outside world. Adapters implement these; tests use in-memory fakes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from arbiter.domain.case import AuditEntry, Case, CaseState, Change
from arbiter.domain.screening import Clearance
from arbiter.domain.tenant import ApiKey, Tenant, UsageKey
from arbiter.domain.workflow import WorkflowDefinition

__all__ = [
    "AuthFailureCounter",
    "CaseDetail",
    "CaseQuery",
    "CaseRepository",
    "ClearanceStore",
    "Page",
    "RuleSetRepository",
    "TenantRepository",
    "UsagePlans",
    "WorkflowCatalog",
    "WorkflowEngine",
]


class TenantRepository(Protocol):
    def add(self, tenant: Tenant) -> None: ...
    def update(self, tenant: Tenant) -> None: ...
    def get(self, tenant_id: str) -> Tenant | None: ...
    def add_api_key(self, key: ApiKey) -> None: ...
    def get_api_key(self, key_hash: str) -> ApiKey | None: ...


class UsagePlans(Protocol):
    """The API's usage plans (one per tier) and the tenants' API Gateway keys in them."""

    def tiers(self) -> list[str]:
        """The tiers tenants can be put in: the usage plans of the API's stage, by name."""

    def issue_key(self, tenant_id: str, tier: str) -> UsageKey:
        """Create an API Gateway key for the tenant, in the tier's plan."""

    def move_key(self, key: UsageKey, tier: str) -> UsageKey:
        """Put an existing key in another tier's plan (out of its current one)."""


class AuthFailureCounter(Protocol):
    """Failed authentications per source address and time window (`window` is the window's start)."""

    def count(self, source: str, window: dt.datetime) -> int:
        """The failures counted so far for `source` in `window` (0 when none)."""

    def record(self, source: str, window: dt.datetime, *, expires_at: dt.datetime) -> int:
        """Count one more failure, atomically; the new count. The counter may be deleted after `expires_at`."""


@dataclass(frozen=True)
class CaseQuery:
    """A filter on a tenant's cases; the repository picks the index that serves it."""

    tenant_id: str
    states: tuple[CaseState, ...] = ()
    workflow_id: str | None = None
    assignee: str | None = None  # a reviewer id; "unassigned" for none
    entity_id: str | None = None
    risk_levels: tuple[str, ...] = ()
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    search: str | None = None
    newest_first: bool = False
    limit: int = 25
    cursor: str | None = None

    @property
    def by_state_only(self) -> bool:
        """Whether the query filters by state and nothing else (what numbered pages, `query_page`, serve)."""
        return not (
            self.workflow_id
            or self.assignee
            or self.entity_id
            or self.risk_levels
            or self.created_from
            or self.created_to
            or self.search
            or self.cursor
        )


@dataclass
class Page:
    """One page of results and the cursor to the next (None at the end)."""

    items: list[Any]
    cursor: str | None = None


@dataclass
class CaseDetail:
    """A case with everything stored beside it."""

    case: Case
    audit: list[AuditEntry] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    children: list[Case] = field(default_factory=list)


class CaseRepository(Protocol):
    def add(self, case: Case, change: Change) -> None:
        """Store a new case with its audit entries and events, atomically."""

    def save(self, case: Case, change: Change, *, expected_version: int) -> None:
        """Store the case if its stored version is `expected_version` (else Conflict), with audit and events."""

    def get(self, tenant_id: str, case_id: str) -> Case:
        """The case, or NotFound (also for another tenant's case)."""

    def detail(self, tenant_id: str, case_id: str) -> CaseDetail:
        """The case, its audit trail and its check results."""

    def query(self, query: CaseQuery) -> Page:
        """Cases matching the query, one page at a time."""

    def query_page(self, query: CaseQuery, number: int) -> list[Case]:
        """Page `number` (from 1) of `query.limit` cases in creation order, for a query by state only
        (`query.by_state_only`; ValueError otherwise); its cost does not grow with the number."""

    def find_by_ids(self, tenant_id: str, case_ids: list[str]) -> list[Case]:
        """The cases that exist among `case_ids`, in that order."""

    def save_checks(self, tenant_id: str, case_id: str, results: dict[str, dict[str, Any]]) -> None:
        """Store check results beside the case (one record per check)."""

    def counts(self, tenant_id: str) -> dict[str, int]:
        """How many cases the tenant has in each state."""


class RuleSetRepository(Protocol):
    """Rule set versions (see arbiter.rules.ruleset); versions never change once saved."""

    def add_version(self, tenant_id: str, draft: Any, *, actor: str | None, at: dt.datetime) -> Any:
        """Store the draft as the next version; Conflict if that number was just taken."""

    def get_version(self, tenant_id: str, rule_set_id: str, version: int) -> Any:
        """One version, or NotFound."""

    def versions(self, tenant_id: str, rule_set_id: str, *, limit: int = 100) -> list[Any]:
        """The newest versions first, or NotFound."""

    def published_version(self, tenant_id: str, rule_set_id: str) -> int | None:
        """The version new cases pin."""

    def publish(
        self, tenant_id: str, rule_set_id: str, version: int, *, actor: str | None, at: dt.datetime
    ) -> None:
        """Publish a draft version; Conflict if it (or a newer one) already is."""

    def list(self, tenant_id: str, *, cursor: str | None = None, limit: int = 50) -> Page:
        """Summaries of the tenant's rule sets."""


class ClearanceStore(Protocol):
    """Reviewers' clearances of screening matches, remembered per party and list entry."""

    def get(self, tenant_id: str, party_key: str, entry_id: str) -> Clearance | None:
        """The clearance of `entry_id` for the party, if any."""

    def add(self, clearance: Clearance, audit: AuditEntry) -> bool:
        """Store it with its audit entry on the case, atomically; False if it already existed (nothing written)."""

    def for_party(self, tenant_id: str, party_key: str) -> list[Clearance]:
        """Every clearance of one party."""

    def remove(self, clearance: Clearance, case_id: str, audit: AuditEntry) -> bool:
        """Delete it with an audit entry on `case_id`, atomically; False if it was already gone (nothing written)."""


class WorkflowCatalog(Protocol):
    def get(self, tenant_id: str, workflow_id: str) -> WorkflowDefinition:
        """The definition, or NotFound."""

    def list(self, tenant_id: str) -> list[WorkflowDefinition]: ...


class WorkflowEngine(Protocol):
    def start(self, workflow_id: str, execution_name: str, payload: dict[str, Any]) -> str:
        """Start the workflow's state machine; returns the execution ARN."""

    def complete_task(self, task_token: str, output: dict[str, Any]) -> None:
        """Resume a `.waitForTaskToken` step with `output` (SendTaskSuccess)."""

    def execution_arn(self, workflow_id: str, execution_name: str) -> str:
        """The ARN an execution of `workflow_id` named `execution_name` has (known before it starts)."""

    def status(self, execution_arn: str) -> ExecutionStatus:
        """Whether the execution runs, ended, or was never started."""

    def path(self, execution_arn: str) -> list[dict[str, Any]]:
        """The states the execution entered, in order, with their outcome."""

    def definition(self, workflow_id: str) -> dict[str, Any]:
        """The workflow's state machine definition (ASL)."""


StepOutcome = Literal["succeeded", "failed", "running"]
ExecutionStatus = Literal["running", "succeeded", "failed", "missing"]
