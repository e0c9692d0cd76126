"""What the services need from the outside world. Adapters implement these; tests use in-memory fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from arbiter.domain.audit_chain import AuditChain
from arbiter.domain.case import AuditEntry, Case, CaseState, Change
from arbiter.domain.collection import CollectionLink
from arbiter.domain.collection_mail import OutgoingEmail
from arbiter.domain.errors import InvalidInput
from arbiter.domain.events import ArbiterEvent
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.screening import Clearance
from arbiter.domain.search import fold, search_terms
from arbiter.domain.tenant import ApiKey, Tenant, UsageKey
from arbiter.domain.workflow import WorkflowContent, WorkflowDefinition, WorkflowSummary, WorkflowVersion

if TYPE_CHECKING:  # the rule engine is loaded only where rules run (named in a base class, hence the noqa)
    from arbiter.rules.ruleset import RuleSetDraft, RuleSetSummary, RuleSetVersion  # noqa: F401

if TYPE_CHECKING:  # the rule engine is loaded only where rules run
    pass

__all__ = [
    "AuthFailureCounter",
    "CaseDetail",
    "CaseQuery",
    "CaseRepository",
    "ClearanceStore",
    "FullRescreens",
    "ListFingerprints",
    "Mailer",
    "MonitoredEntities",
    "Page",
    "RescreenManifests",
    "RescreenRun",
    "RuleSetRepository",
    "TenantDirectory",
    "TenantRepository",
    "UsagePlans",
    "WorkflowCatalog",
    "WorkflowEngine",
    "WorkflowVersions",
]


class TenantRepository(Protocol):
    def add(self, tenant: Tenant) -> None: ...
    def update(self, tenant: Tenant) -> None: ...
    def get(self, tenant_id: str) -> Tenant | None: ...
    def add_api_key(self, key: ApiKey) -> None: ...
    def get_api_key(self, key_hash: str) -> ApiKey | None: ...
    def api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included, with the day each was last used."""

    def revoke_api_key(self, tenant_id: str, key_id: str, at: dt.datetime) -> ApiKey:
        """Revoke one of the tenant's keys; NotFound for another tenant's or an unknown id."""

    def record_key_use(self, key: ApiKey, day: dt.date) -> None:
        """Note the day a key was used (one write a day at most)."""


class Mailer(Protocol):
    """Sends e-mail (SES): the message id, or an exception when the message was not accepted."""

    def send(self, message: OutgoingEmail) -> str: ...


class CollectionLinkRepository(Protocol):
    """Collection links, found by their token's hash (the authorizer) or by case (the people who send them), and
    the answers applicants saved through them, one record per step (saving one step never touches another)."""

    def answers(self, tenant_id: str, case_id: str) -> dict[str, Any]:
        """The case's saved step data, by step id ({} when none)."""

    def save_answer(
        self, tenant_id: str, case_id: str, step_id: str, data: dict[str, Any], at: dt.datetime
    ) -> None:
        """Store one step's data, replacing that step's only."""

    def erase_answers(self, tenant_id: str, case_id: str) -> None:
        """Delete every step's data of the case (an erasure of its entity)."""

    def add(self, link: CollectionLink) -> None:
        """Store a new link; Conflict if its token hash is stored already."""

    def update(self, link: CollectionLink) -> None:
        """Replace a stored link (revocation); NotFound if there is none."""

    def by_token_hash(self, token_hash: str) -> CollectionLink | None:
        """The link whose token hashes to `token_hash`, revoked or expired ones included; None if none."""

    def for_case(self, tenant_id: str, case_id: str) -> list[CollectionLink]:
        """The case's links, oldest first."""


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
    #: True: only cases whose proposed decision awaits a second reviewer; False: only those with none.
    pending_second_review: bool | None = None
    #: Only cases escalated to this role; "any": escalated to any; "none": not escalated.
    escalated_to: str | None = None
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
            or self.pending_second_review is not None
            or self.escalated_to
        )

    @property
    def search_prefix(self) -> str | None:
        """The folded search text (its words run together) that one of a case's search terms must start with;
        None without a search (or an empty one), InvalidInput when the text has no letter or digit."""
        if not self.search:
            return None
        prefix = "".join(fold(self.search).split())
        if not prefix:
            raise InvalidInput("search needs at least one letter or digit", path="q")
        return prefix

    def matches(self, case: Case) -> bool:
        """Whether `case` passes every filter of the query: what a store applies to the cases an index found.

        A search matches a case whose id or entity id is exactly the text, or one of whose search terms starts
        with `search_prefix`."""
        if case.tenant_id != self.tenant_id:
            return False
        if self.search:
            exact = self.search.strip() in (case.id, case.entity.id)
            prefix = self.search_prefix or ""
            if not exact and not any(term.startswith(prefix) for term in search_terms(case)):
                return False
        return (
            (not self.states or case.state in self.states)
            and (not self.workflow_id or case.workflow_id == self.workflow_id)
            and (not self.entity_id or case.entity.id == self.entity_id)
            and (
                not self.assignee
                or (self.assignee == "unassigned" and case.assignee is None)
                or (case.assignee is not None and case.assignee.id == self.assignee)
            )
            and (not self.risk_levels or (case.risk is not None and case.risk.level in self.risk_levels))
            and (not self.created_from or case.created_at >= self.created_from)
            and (not self.created_to or case.created_at <= self.created_to)
            and (
                self.pending_second_review is None
                or (case.proposal is not None) == self.pending_second_review
            )
            and self._escalation_matches(case)
        )

    def _escalation_matches(self, case: Case) -> bool:
        if not self.escalated_to:
            return True
        if self.escalated_to == "none":
            return case.escalation is None
        if self.escalated_to == "any":
            return case.escalation is not None
        return case.escalation is not None and case.escalation.to == self.escalated_to


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of results and the cursor to the next (None at the end)."""

    items: list[T]
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
        """Store a new case (version 1) with its audit entries, events and continuations, atomically; Conflict if
        the id exists."""

    def save(self, case: Case, change: Change, *, expected_version: int) -> None:
        """Store the case if its stored version is `expected_version` (else ConcurrentUpdate), with its audit
        entries, events and continuations, atomically; the audit trail is append-only (an entry already stored:
        Conflict, nothing written)."""

    def get(self, tenant_id: str, case_id: str) -> Case:
        """The case, or NotFound (also for another tenant's case)."""

    def detail(self, tenant_id: str, case_id: str) -> CaseDetail:
        """The case, its audit trail (by time, then entry id) and its check results; NotFound."""

    def audit_chain(self, tenant_id: str, case_id: str) -> AuditChain:
        """The case's audit entries as stored (by time, then entry id) with their links, its chain head and its
        latest anchor, for the verifier; NotFound."""

    def query(self, query: CaseQuery) -> Page[Case]:
        """Cases matching the query, one page at a time, in the order of the index that serves it: creation order
        (newest first if asked), except through an assignee (by state, then creation) or an entity (by workflow,
        then creation); a workflow's are in creation order too (entries stored before its index dropped the state
        come after the others, by state). A search is one page (`limit`) in creation order, without a cursor. A cursor
        another query returned is InvalidInput."""

    def query_page(self, query: CaseQuery, number: int) -> list[Case]:
        """Page `number` (from 1) of `query.limit` cases in creation order, for a query by state only
        (`query.by_state_only`; ValueError otherwise); its cost does not grow with the number."""

    def find_by_ids(self, tenant_id: str, case_ids: list[str]) -> list[Case]:
        """The cases that exist among `case_ids`, in that order."""

    def claim_run(self, tenant_id: str, case_id: str, run: int, execution: str) -> bool:
        """Claim the case's automated run number `run` for `execution`: True for the first execution to claim it
        (and for that one again), False for any other (a start delivered twice)."""

    def save_checks(
        self, tenant_id: str, case_id: str, results: dict[str, dict[str, Any]], *, replace: bool = False
    ) -> None:
        """Store check results beside the case: each replaces its check's previous result, the others stay;
        `replace` (erasure): no previous result of any check stays stored."""

    def counts(self, tenant_id: str) -> dict[str, int]:
        """How many cases the tenant has in each state."""

    def pending_second_review(self, tenant_id: str) -> int:
        """How many of the tenant's cases have a proposed decision awaiting a second reviewer."""


DraftT = TypeVar("DraftT", contravariant=True)
VersionT = TypeVar("VersionT")
SummaryT = TypeVar("SummaryT")


class VersionStore(Protocol[DraftT, VersionT, SummaryT]):
    """Versions of what a tenant saves as drafts and publishes (rule sets, workflows); versions never change once
    saved, and a published one is never behind a newer published one."""

    def add_version(
        self,
        tenant_id: str,
        draft: DraftT,
        *,
        actor: str | None,
        at: dt.datetime,
        after: int | None = None,
        floor: int = 0,
    ) -> VersionT:
        """Store the draft as the next version (above `floor`); Conflict if that number was just taken (or, given
        `after`, if the newest stored version is not `after`, 0 meaning none), InvalidInput if too large."""

    def get_version(self, tenant_id: str, document_id: str, version: int) -> VersionT:
        """One version, or NotFound."""

    def versions(self, tenant_id: str, document_id: str, *, limit: int = 100) -> list[VersionT]:
        """The newest versions first, or NotFound."""

    def published_version(self, tenant_id: str, document_id: str) -> int | None:
        """The version new cases pin."""

    def publish(
        self,
        tenant_id: str,
        document_id: str,
        version: int,
        *,
        actor: str | None,
        at: dt.datetime,
        reason: str | None = None,
        events: Sequence[ArbiterEvent] = (),
    ) -> None:
        """Publish a draft version (kept with who, when and why) and `events` with it, all or nothing; Conflict if it
        (or a newer one) already is, unless it is this very publication (the same `at`) asked again."""

    def list(self, tenant_id: str, *, cursor: str | None = None, limit: int = 50) -> Page[SummaryT]:
        """The tenant's documents by id, one page at a time; a cursor this list did not return is InvalidInput."""


class RuleSetRepository(VersionStore["RuleSetDraft", "RuleSetVersion", "RuleSetSummary"], Protocol):
    """Rule set versions (see arbiter.rules.ruleset); its bad input is InvalidRule."""


class WorkflowVersions(VersionStore[WorkflowContent, WorkflowVersion, WorkflowSummary], Protocol):
    """A tenant's own workflow versions (see arbiter.domain.workflow)."""


class ClearanceStore(Protocol):
    """Reviewers' clearances of screening matches, remembered per party and list entry."""

    def cleared_entries(self, tenant_id: str, party_keys: Sequence[str]) -> dict[str, set[str]]:
        """For each of the parties that has any, the list entry ids cleared for it."""

    def get(self, tenant_id: str, party_key: str, entry_id: str) -> Clearance | None:
        """The clearance of `entry_id` for the party, if any."""

    def add(self, clearance: Clearance, audit: AuditEntry, event: ArbiterEvent | None = None) -> bool:
        """Store it with its audit entry (and the event to publish) on the case, atomically; False if it already
        existed (nothing written), NotFound if the case does not exist."""

    def for_party(self, tenant_id: str, party_key: str) -> list[Clearance]:
        """Every clearance of one party, by list entry id."""

    def remove(
        self, clearance: Clearance, case_id: str, audit: AuditEntry, event: ArbiterEvent | None = None
    ) -> bool:
        """Delete it with an audit entry (and the event to publish) on `case_id`, atomically; False if it was already
        gone (nothing written)."""


class TenantDirectory(Protocol):
    """Every tenant, for the jobs that go through all of them (list updates, periodic reviews)."""

    def all(self) -> Iterator[Tenant]:
        """Every tenant."""
        ...


class TenantStore(TenantRepository, TenantDirectory, Protocol):
    """The tenants one by one and all of them (a daily job that also sends e-mail in a tenant's name)."""


class MonitoredEntities(Protocol):
    """The monitored index: approved entities, one record each (the case store writes it with the approval)."""

    def get(self, tenant_id: str, key: str) -> MonitoredEntity | None:
        """The entity's record, if it is monitored (switched on or off)."""

    def of_tenant(self, tenant_id: str) -> Iterator[MonitoredEntity]:
        """Every record of the tenant, switched on or off."""

    def set_enabled(self, tenant_id: str, key: str, enabled: bool, audit: AuditEntry, case_id: str) -> bool:
        """Switch monitoring on or off with `audit` on `case_id`, atomically; False (nothing written) if it already
        was, NotFound if the entity is not in the index."""

    def keys_of_tenant(self, tenant_id: str) -> Iterator[str]:
        """The keys of every record of the tenant, in key order (what a full re-screen cuts into shards)."""

    def in_range(self, tenant_id: str, first: str, last: str) -> Iterator[MonitoredEntity]:
        """The tenant's records whose keys lie between `first` and `last` (both included), in key order."""


@dataclass(frozen=True)
class StoredFingerprints:
    """The fingerprints of the list version last screened (arbiter.screening.delta), and which version it was."""

    etag: str
    sha256: str
    entries: dict[str, str]
    #: The matcher version (`arbiter.screening.MATCHER_VERSION`) they were matched with; None (kept before it was
    #: recorded) counts as the current one.
    matcher_version: int | None = None


class ListFingerprints(Protocol):
    """Per watchlist key, the entry fingerprints of the version ongoing screening last matched."""

    def get(self, list_key: str) -> StoredFingerprints | None:
        """What was kept for the list, if it was ever screened."""

    def put(self, list_key: str, fingerprints: StoredFingerprints) -> None:
        """Keep them (replacing the previous version's)."""


@dataclass(frozen=True)
class RescreenRun:
    """One full re-screen (an execution of the full re-screen state machine): its id (the execution's name), the list,
    `running`, `succeeded` or `failed`, when it started and stopped, and once it succeeded its totals."""

    id: str
    list: str
    status: Literal["running", "succeeded", "failed"]
    started_at: dt.datetime
    stopped_at: dt.datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None
    #: The list version (ETag) whose update started the run; None when an admin did.
    etag: str | None = None


class FullRescreens(Protocol):
    """The full re-screen state machine."""

    def start(
        self, list_key: str, *, reason: str, etag: str | None = None, shard_size: int | None = None
    ) -> RescreenRun:
        """Start a full re-screen of the list (`etag`: the version that asked for it, if a list update did;
        `shard_size`: customers per shard, None for the deployment's setting)."""

    def running(self, list_key: str) -> RescreenRun | None:
        """The run under way for the list, if any."""

    def get(self, rescreen_id: str) -> RescreenRun | None:
        """A run by its id, if it exists."""


class RescreenManifests(Protocol):
    """The shards of each full re-screen, as the state machine's distributed Map reads them."""

    def put(self, rescreen_id: str, shards: list[dict[str, Any]]) -> str:
        """Store the manifest; its key in the bucket."""


class WorkflowCatalog(Protocol):
    def get(self, tenant_id: str, workflow_id: str, version: int | None = None) -> WorkflowDefinition:
        """The version (None: the one new cases start on), or NotFound."""

    def list(self, tenant_id: str) -> list[WorkflowDefinition]: ...


class WorkflowEngine(Protocol):
    def start(self, workflow_id: str, execution_name: str, payload: dict[str, Any]) -> str:
        """Start the workflow's state machine; returns the execution ARN."""

    def complete_task(self, task_token: str, output: dict[str, Any]) -> None:
        """Resume a `.waitForTaskToken` step with `output` (SendTaskSuccess)."""

    def fail_task(self, task_token: str, error: str) -> None:
        """Fail a `.waitForTaskToken` step with `error` (SendTaskFailure), for the machine's Catch to route."""

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
