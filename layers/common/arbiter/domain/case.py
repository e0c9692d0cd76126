"""The case: one run of one workflow version for one entity, and the rules of how its state may change.

Every transition is a method that checks the current state, changes the case and returns what happened: the
audit entry to append and the events to publish. The repository writes all three in one transaction, guarded
by the case's `version` (optimistic locking), so two reviewers deciding at once cannot both win.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from arbiter.domain.document import Document, DocumentDecision, Page
from arbiter.domain.entity import Business, Entity, Person
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.domain.events import (
    AssigneeRef,
    CaseAssigned,
    CaseAwaitingReview,
    CaseCreated,
    CaseDecided,
    CaseDecisionConfirmed,
    CaseDecisionProposed,
    CaseDecisionReturned,
    CaseDeEscalated,
    CaseEscalated,
    CaseEvent,
    CaseNoteAdded,
    CaseRevisionRequested,
    CaseStatusChanged,
    CaseUnassigned,
    CollectionLinkIssued,
    CollectionPersonSubmitted,
    CollectionRevisionRequested,
    CollectionSubmitted,
    DocumentDecided,
    DocumentUploaded,
    EntityMonitoringHit,
    EntityReviewDue,
    EventActor,
    PluginFailed,
)
from arbiter.domain.monitored import MONITORING_WORKFLOW, MonitoredEntity, RiskLevel, monitored_key
from arbiter.domain.replay import AssessmentInputs
from arbiter.domain.underwriting import Terms

__all__ = [
    "AUTOMATION_MACHINE",
    "REVISION_REQUESTED",
    "SYSTEM",
    "Actor",
    "AuditEntry",
    "AutomationRun",
    "AwaitedPerson",
    "Case",
    "CaseState",
    "Change",
    "Continuation",
    "Decision",
    "Erasure",
    "Escalation",
    "EscalationRole",
    "Flag",
    "LegalHold",
    "Proposal",
    "Recommendation",
    "RevisionRequest",
    "RiskAssessment",
    "RiskLevel",
    "RuleSetRef",
    "StepRecord",
    "new_case_id",
]


class CaseState(StrEnum):
    COLLECTING = "collecting"
    #: The applicant submitted; owners or directors sent links of their own have not finished their part yet. No
    #: execution runs meanwhile: the last person's submit starts the case's checks.
    AWAITING_PEOPLE = "awaiting_people"
    PROCESSING = "processing"
    MANUAL_REVIEW = "manual_review"
    REVISION_REQUESTED = "revision_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        """Approved, rejected and failed cases never change state again."""
        return self in (CaseState.APPROVED, CaseState.REJECTED, CaseState.FAILED)


ACTIVE_STATES = tuple(s for s in CaseState if not s.terminal)


def new_case_id() -> str:
    """Sortable by creation time (millisecond prefix), unguessable (random suffix)."""
    return f"case_{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


class Actor(BaseModel):
    """Who did something: the system (a workflow step), a reviewer, an integrator (an API key), or an applicant
    (a collection link)."""

    type: Literal["system", "reviewer", "integrator", "applicant"]
    id: str
    email: str | None = None

    def as_event_actor(self) -> EventActor:
        return EventActor(type=self.type, id=self.id, email=self.email)


SYSTEM = Actor(type="system", id="arbiter")


class Flag(BaseModel):
    """Something a reviewer should look at (a failed check, a duplicate document, a rule that wants review)."""

    code: str
    message: str
    severity: Literal["info", "low", "medium", "high", "critical"] = "medium"
    source: str | None = Field(default=None, description="The check or rule that raised it")


class RuleSetRef(BaseModel):
    id: str
    version: int


#: What the rules recommend (RiskLevel, how risky they found the case, is arbiter.domain.monitored's).
Recommendation = Literal["approve", "review", "reject"]


class RiskAssessment(BaseModel):
    """The outcome of the rule set on the case: score, level, recommendation and the hits that explain it."""

    model_config = ConfigDict(extra="allow")

    score: float = 0
    level: RiskLevel = "low"
    recommendation: Recommendation
    rule_set: RuleSetRef | None = None
    hits: list[dict[str, Any]] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)
    evaluated_at: dt.datetime
    #: What the rules read, for a replay (domain/replay.py); None for an assessment made without a rule set.
    inputs: AssessmentInputs | None = None
    #: Underwriting: the terms the hits propose (the strictest of each), None when no hit proposes any.
    terms: Terms | None = None


class Decision(BaseModel):
    outcome: Literal["approved", "rejected"]
    reason: str = Field(min_length=1, max_length=4000)
    actor: Actor
    at: dt.datetime
    automatic: bool = False
    #: The second reviewer who confirmed `actor`'s proposal, when the workflow's review policy asked for one.
    confirmed_by: Actor | None = None
    #: Underwriting: the terms the approval grants (the rules' proposal, or a reviewer's within their authority).
    terms: Terms | None = None


class Proposal(BaseModel):
    """A reviewer's decision that the workflow's review policy wants a second reviewer to confirm: the case waits
    in manual review (`pending_second_review`) until another reviewer with `role` confirms it or sends it back."""

    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=1, max_length=4000)
    #: Why a second reviewer is needed (`critical_flags`, `high_risk`, `override`).
    requires: list[str] = Field(default_factory=list)
    role: Literal["reviewer", "admin"] = "reviewer"
    actor: Actor
    at: dt.datetime
    #: Underwriting: the terms the proposer set, which a confirmation grants (None: the assessment's).
    terms: Terms | None = None


class RevisionRequest(BaseModel):
    reason: str
    document_ids: list[str] = Field(default_factory=list)
    #: Fields of the collection journey asked for again (`<step id>.<field>`, checked against the journey).
    fields: list[str] = Field(default_factory=list)
    actor: Actor
    at: dt.datetime


class AwaitedPerson(BaseModel):
    """An owner or director the case waited for after its applicant submitted (a link of their own not finished):
    who, and when they finished their part (None: still awaited)."""

    id: str
    name: str
    done_at: dt.datetime | None = None


class LegalHold(BaseModel):
    """While set, nothing of the case is deleted: neither by retention nor by an erasure request."""

    reason: str
    actor: Actor
    at: dt.datetime


class Erasure(BaseModel):
    """The entity's personal data and documents were erased; the decision and the audit trail remain."""

    reason: str
    actor: Actor
    at: dt.datetime


class Assignee(BaseModel):
    id: str
    email: str | None = None


#: The roles a case can be escalated to (arbiter.domain.principal.ESCALATION_ROLES).
EscalationRole = Literal["senior", "admin"]


class Escalation(BaseModel):
    """The case waits for a reviewer holding `to`: only they may decide it (or hand it back)."""

    to: EscalationRole
    reason: str = Field(min_length=1, max_length=2000)
    actor: Actor
    at: dt.datetime


class AuditEntry(BaseModel):
    """One line of the case's append-only history: who did what, when, why."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    at: dt.datetime
    actor: Actor
    action: str
    from_state: CaseState | None = None
    to_state: CaseState | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Continuation(BaseModel):
    """What a change asks of the case's workflow: start an execution, or resume the step waiting on `token` with
    `output`. Saved with the change that causes it (the outbox) and carried out once the change is stored.

    A start names its state machine (`machine`: `automation`, the Express machine running a workflow's automated
    part, or the workflow's own Standard machine, the default), the execution (`execution`, default the case id)
    and its input (default `{"case": {tenant_id, case_id}}`)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: secrets.token_hex(8))
    kind: Literal["start", "resume"]
    tenant_id: str
    case_id: str
    workflow_id: str
    machine: str | None = None
    execution: str | None = None
    input: dict[str, Any] | None = None
    token: str | None = Field(default=None, repr=False)
    output: dict[str, Any] = Field(default_factory=dict)
    #: A resume that fails the waiting step with this error instead (SendTaskFailure), which the state machine
    #: catches to route: `RevisionRequested` takes a review step to `AwaitResubmission`.
    error: str | None = None
    at: dt.datetime = Field(default_factory=lambda: _now())

    @property
    def state_machine(self) -> str:
        return self.machine or self.workflow_id

    @property
    def execution_name(self) -> str:
        return self.execution or self.case_id

    @property
    def execution_input(self) -> dict[str, Any]:
        return self.input or {"case": {"tenant_id": self.tenant_id, "case_id": self.case_id}}


#: What a case's Standard execution waits for: a reviewer, the owners' reviews, or checks a run had no time for.
Wait = Literal["review", "owners", "checks"]
#: The Standard state machine that runs the checks a run had no time for, for every workflow (template.yaml).
CHECKS_MACHINE = "checks"
#: The Express state machine that runs the automated part of every automated workflow (template.yaml).
AUTOMATION_MACHINE = "automation"
#: The error a review step fails with when the reviewer asks for a revision (the Standard machines catch it).
REVISION_REQUESTED = "RevisionRequested"


class StepRecord(BaseModel):
    """A state an automated run entered: when, how it ended, and what it ran on (a check's or an owner's name)."""

    state: str
    #: `Choice` for a Choice state the run passed (it runs no function: drawn so that the path is unbroken).
    type: Literal["Task", "Choice"] = "Task"
    item: str | None = None
    entered_at: dt.datetime | None = None
    exited_at: dt.datetime | None = None
    #: `deferred`: a check handed to the workflow's Standard execution (it needs more time than a run has).
    status: Literal["succeeded", "failed", "deferred"] = "succeeded"
    retries: int = 0
    error: str | None = None

    # A step's times are kept to the millisecond, as Step Functions gives them (`$$.State.EnteredTime`): a run's
    # dozen steps are two dozen times in the case's body, and their microseconds were about 45 of its packed bytes
    # (a decided KYB case with three owners, 1,058 bytes as an item: two write units in a transaction over one KB).
    @field_validator("entered_at", "exited_at")
    @classmethod
    def _to_the_millisecond(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.replace(microsecond=aware.microsecond // 1000 * 1000)

    @field_serializer("entered_at", "exited_at", when_used="json-unless-none")
    def _milliseconds(self, value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AutomationRun(BaseModel):
    """One run of the automated part (an Express execution): its steps and how it ended (`approved`, `rejected`,
    `review`, `owners` — handed to a person or to the owners' reviews — or `failed`).

    As the case store keeps it (dumped with the context `{"stored": True}`), a run's times are milliseconds after
    its first (`started_at`), and a Choice step drawn where the steps before it ended (as `automation_run` draws
    them) has no times of its own: a run's two dozen times were the larger part of a case body's packed bytes.
    Both shapes read."""

    number: int
    outcome: str
    steps: list[StepRecord] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _stored(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        times = [t for step in self.steps for t in (step.entered_at, step.exited_at) if t is not None]
        if not (info.mode_is_json() and (info.context or {}).get("stored") and times):
            return data
        start = min(times)
        last: dt.datetime | None = None
        for step, dumped in zip(self.steps, data["steps"], strict=True):
            if step.type == "Choice" and step.entered_at == step.exited_at == last:
                del dumped["entered_at"], dumped["exited_at"]
            else:
                for key in ("entered_at", "exited_at"):
                    moment = getattr(step, key)
                    dumped[key] = None if moment is None else (moment - start) // dt.timedelta(milliseconds=1)
            last = _later(last, step.exited_at or step.entered_at)
        started = start.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"started_at": started, **data}

    @model_validator(mode="before")
    @classmethod
    def _from_stored(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "started_at" not in data:
            return data
        start = dt.datetime.fromisoformat(str(data["started_at"]).replace("Z", "+00:00"))
        steps: list[Any] = []
        last: dt.datetime | None = None
        for raw in data.get("steps") or []:
            step = dict(raw) if isinstance(raw, dict) else raw
            if isinstance(step, dict):
                if step.get("type") == "Choice" and "entered_at" not in step and "exited_at" not in step:
                    step["entered_at"] = step["exited_at"] = last
                for key in ("entered_at", "exited_at"):
                    if isinstance(step.get(key), int):
                        step[key] = start + dt.timedelta(milliseconds=step[key])
                last = _later(last, step.get("exited_at") or step.get("entered_at"))
            steps.append(step)
        return {**{k: v for k, v in data.items() if k != "started_at"}, "steps": steps}


def _later(last: dt.datetime | None, moment: Any) -> dt.datetime | None:
    """The later of a run's latest time so far and a step's (`moment`: its time, or none)."""
    if not isinstance(moment, dt.datetime):
        return last
    return moment if last is None or moment > last else last


@dataclass
class Change:
    """What a transition produced: the audit entries, the events and the workflow continuations, saved with the
    case atomically; and the entity's record in the monitored index to write (`monitored`, on approval) or to
    remove (`unmonitored`, its key, on erasure), in the same write."""

    audit: list[AuditEntry] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    continuations: list[Continuation] = field(default_factory=list)
    monitored: MonitoredEntity | None = None
    unmonitored: str | None = None

    def __iadd__(self, other: Change) -> Change:
        self.audit += other.audit
        self.events += other.events
        self.continuations += other.continuations
        self.monitored = other.monitored or self.monitored
        self.unmonitored = other.unmonitored or self.unmonitored
        return self


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Case(BaseModel):
    """A case. Mutate it only through its transition methods."""

    model_config = ConfigDict(validate_assignment=False)

    id: str
    tenant_id: str
    workflow_id: str
    workflow_version: int = 1
    state: CaseState
    entity: Entity
    documents: list[Document] = Field(default_factory=list)
    context: dict[str, Any] = Field(default_factory=dict, description="Everything else the integrator sent")
    metadata: dict[str, Any] = Field(default_factory=dict)
    correlation_id: str | None = None
    source: Literal["api", "ballerine", "workflow"] = "api"
    parent_case_id: str | None = None
    child_case_ids: list[str] = Field(default_factory=list)
    #: A case Arbiter opened about an approved customer (a monitoring hit, a periodic review): the case that
    #: approved it.
    onboarding_case_id: str | None = None
    #: A periodic review: the day the customer was due for it.
    review_due: dt.date | None = None
    assignee: Assignee | None = None
    #: Escalated to a role: only reviewers holding it decide the case (None: any reviewer).
    escalation: Escalation | None = None
    #: When the case last entered manual review (what its workflow's review SLA counts from).
    review_since: dt.datetime | None = None
    risk: RiskAssessment | None = None
    rule_set: RuleSetRef | None = None
    decision: Decision | None = None
    #: A decision awaiting a second reviewer (four eyes); None when there is none.
    proposal: Proposal | None = None
    #: Who opened the case (an integrator's key, a reviewer, the system): they may not decide it.
    opened_by: Actor | None = None
    revision: RevisionRequest | None = None
    #: The people the case waited (or waits, in `awaiting_people`) for after its applicant submitted.
    awaited_people: list[AwaitedPerson] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    #: The Standard machine that waits on people for the case, when it is not the one named after its workflow (a
    #: tenant's own workflow waits on a deployed one: `WorkflowDefinition.machine`).
    waits_on: str | None = None
    #: The Standard execution waiting on people for the case (None while the automated part runs).
    execution_arn: str | None = None
    #: Runs of the automated part started (each an Express execution named `<case id>-a<n>`), and how they went.
    runs_started: int = 0
    #: Standard executions the runs handed the case to (each named `<case id>-w<n>`).
    waits_started: int = 0
    #: The checks a run handed to the Standard execution, which runs them outside a run's time limit (a slow
    #: vendor) and then starts the next run; and that run's number, whose `Plan` then runs no check again.
    deferred_checks: list[str] = Field(default_factory=list)
    #: Those of them that screen against a watchlist: the deferred checks' machine runs them in ScreeningFunction.
    deferred_screening: list[str] = Field(default_factory=list)
    checks_run_for: int | None = None
    automation: list[AutomationRun] = Field(default_factory=list)
    #: Step Functions task tokens the workflow is waiting on; never shown outside the service layer.
    task_tokens: dict[str, str] = Field(default_factory=dict)
    legal_hold: LegalHold | None = None
    erasure: Erasure | None = None
    documents_deleted_at: dt.datetime | None = None
    version: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime

    # ------------------------------------------------------------------ helpers
    def _event_fields(self, at: dt.datetime) -> dict[str, Any]:
        return {
            "time": at,
            "tenant_id": self.tenant_id,
            "case_id": self.id,
            "workflow_id": self.workflow_id,
            "workflow_version": self.workflow_version,
            "entity_id": self.entity.id,
            "entity_type": self.entity.type,
            "correlation_id": self.correlation_id,
            "parent_case_id": self.parent_case_id,
        }

    def _move(self, to: CaseState, actor: Actor, action: str, at: dt.datetime, **details: Any) -> Change:
        previous = self.state
        self.state = to
        self.updated_at = at
        if to == CaseState.MANUAL_REVIEW and previous != to:
            self.review_since = at
        reason = details.pop("reason", None)
        entry = AuditEntry(
            at=at,
            actor=actor,
            action=action,
            from_state=previous,
            to_state=to,
            reason=reason,
            details=details,
        )
        event = CaseStatusChanged(
            **self._event_fields(at),
            from_state=previous.value,
            to_state=to.value,
            actor=actor.as_event_actor(),
        )
        return Change(audit=[entry], events=[event])

    def _require(self, *states: CaseState, doing: str) -> None:
        if self.state not in states:
            allowed = ", ".join(s.value for s in states)
            raise Conflict(
                f"cannot {doing}: the case is {self.state.value} (needs {allowed})",
                case_id=self.id,
                state=self.state.value,
            )

    # ------------------------------------------------------------------ creation
    @classmethod
    def open(
        cls,
        *,
        tenant_id: str,
        workflow_id: str,
        workflow_version: int,
        entity: Entity,
        actor: Actor,
        collecting: bool = False,
        at: dt.datetime | None = None,
        case_id: str | None = None,
        machine: str | None = None,
        **fields: Any,
    ) -> tuple[Case, Change]:
        """A new case, `processing` (or `collecting` while documents are still to come); `machine`: the Standard
        machine that waits on people for it (default: the one named after the workflow)."""
        at = at or _now()
        state = CaseState.COLLECTING if collecting else CaseState.PROCESSING
        case = cls(
            id=case_id or new_case_id(),
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            workflow_version=workflow_version,
            waits_on=machine if machine != workflow_id else None,
            state=state,
            entity=entity,
            created_at=at,
            updated_at=at,
            opened_by=actor,
            **fields,
        )
        entry = AuditEntry(
            at=at, actor=actor, action="case.created", to_state=state, details={"source": case.source}
        )
        event = CaseCreated(**case._event_fields(at), state=state.value, source=case.source)
        return case, Change(audit=[entry], events=[event])

    @classmethod
    def open_for_monitoring(
        cls,
        *,
        tenant_id: str,
        case_id: str,
        workflow_version: int,
        entity: Entity,
        onboarding_case_id: str,
        hit: dict[str, Any],
        at: dt.datetime,
    ) -> tuple[Case, Change]:
        """A monitoring case: a watchlist update matched an approved entity. It has no automated part and waits for
        a reviewer from the start (no workflow execution: a decision is stored and that is all); `hit` is the
        `entity.monitoring_hit` event's own fields. The caller raises the match's flags before storing it."""
        case, change = cls.open(
            tenant_id=tenant_id,
            workflow_id=MONITORING_WORKFLOW,
            workflow_version=workflow_version,
            entity=entity,
            actor=SYSTEM,
            at=at,
            case_id=case_id,
            source="workflow",
            onboarding_case_id=onboarding_case_id,
        )
        change.events.append(
            EntityMonitoringHit(**case._event_fields(at), onboarding_case_id=onboarding_case_id, **hit)
        )
        return case, change

    @classmethod
    def open_for_review(
        cls,
        *,
        tenant_id: str,
        case_id: str,
        workflow_id: str,
        workflow_version: int,
        entity: Entity,
        record: MonitoredEntity,
        due: dt.date,
        at: dt.datetime,
        machine: str | None = None,
        context: dict[str, Any] | None = None,
        triggers: list[str] | None = None,
        expiring: list[tuple[Document, dt.date]] | None = None,
        today: dt.date | None = None,
        collecting: bool = False,
    ) -> tuple[Case, Change]:
        """A periodic review: the customer approved by `record.case_id` is due (`due`), or something it reported
        asks for a review before (`triggers`: re-underwriting), and its workflow runs again from the start (checks,
        rules, the decision or a reviewer) on the entity and `context` (the onboarding case's, and what was
        reported); its approval renews the customer's record in the monitored index, and with it the next due
        day. With `expiring` documents (each with its expiry day, `today` the day reviewed) the case first asks
        for them again, as a revision (through its collection links when `collecting`), and runs once they are
        in."""
        case, change = cls.open(
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            workflow_version=workflow_version,
            entity=entity,
            actor=SYSTEM,
            at=at,
            case_id=case_id,
            source="workflow",
            onboarding_case_id=record.case_id,
            review_due=due,
            machine=machine,
            context=context or {},
        )
        change.events.append(
            EntityReviewDue(
                **case._event_fields(at),
                onboarding_case_id=record.case_id,
                approved_at=record.since,
                risk_level=record.risk_level,
                due=due,
                triggers=triggers or [],
            )
        )
        if expiring:
            change += case.ask_again_for(expiring, at, today=today or at.date(), collecting=collecting)
        else:
            change += case.start_automation()
        return case, change

    def ask_again_for(
        self, expiring: list[tuple[Document, dt.date]], at: dt.datetime, *, today: dt.date, collecting: bool
    ) -> Change:
        """Documents of the onboarding case that expired (or expire soon) are asked for again: each is on the case
        without its pages (they stay the onboarding case's), sent back with why, and the case awaits the new
        versions as it awaits any revision; its automated part runs once they are resubmitted."""
        self._require(CaseState.PROCESSING, doing="ask again for expiring documents")
        reasons: list[str] = []
        for document, day in expiring:
            verb = "expired" if day < today else "expires"
            reason = f"{document.type} {verb} on {day.isoformat()}"
            reasons.append(reason)
            self.documents.append(
                Document(
                    id=document.id,
                    type=document.type,
                    category=document.category,
                    issuer=document.issuer,
                    properties=document.properties,
                    version=document.version,
                    created_at=document.created_at,
                    decision=DocumentDecision(
                        decision="revision", reason=reason, decided_by=SYSTEM.id, decided_at=at
                    ),
                )
            )
        ids = [document.id for document, _ in expiring]
        return self._send_back(SYSTEM, "; ".join(reasons), ids, at, collecting=collecting)

    # ------------------------------------------------------------------ workflow transitions
    def submit(self, actor: Actor, at: dt.datetime | None = None) -> Change:
        """Documents are in: the workflow may start."""
        self._require(CaseState.COLLECTING, doing="submit")
        return self._move(CaseState.PROCESSING, actor, "case.submitted", at or _now())

    def await_review(
        self, task_token: str | None, *, at: dt.datetime | None = None, flags: list[str] | None = None
    ) -> Change:
        """The workflow waits for a reviewer; the token is what the decision will complete (None: the case's
        execution attaches its token when it reaches the review step)."""
        self._require(CaseState.PROCESSING, doing="wait for review")
        at = at or _now()
        if task_token:
            self.task_tokens["review"] = task_token
        change = self._move(CaseState.MANUAL_REVIEW, SYSTEM, "review.requested", at)
        change.events.append(
            CaseAwaitingReview(
                **self._event_fields(at),
                risk_score=self.risk.score if self.risk else None,
                recommendation=self.risk.recommendation if self.risk else None,
                flags=flags if flags is not None else [f.code for f in self.flags],
            )
        )
        return change

    def decide(
        self,
        outcome: Literal["approved", "rejected"],
        *,
        actor: Actor,
        reason: str,
        automatic: bool = False,
        at: dt.datetime | None = None,
        confirmed_by: Actor | None = None,
        terms: Terms | None = None,
    ) -> Change:
        """The final decision: by a reviewer in manual review, or by the workflow while processing. An approval
        carries `terms`, by default those the assessment proposes (underwriting); a rejection none."""
        if automatic:
            self._require(CaseState.PROCESSING, doing="decide automatically")
        else:
            self._require(CaseState.MANUAL_REVIEW, doing="decide")
            if confirmed_by is None:
                self._require_no_proposal(doing="decide")
        at = at or _now()
        if outcome == "rejected":
            terms = None
        elif terms is None and self.risk is not None:
            terms = self.risk.terms
        self.decision = Decision(
            outcome=outcome,
            reason=reason,
            actor=actor,
            at=at,
            automatic=automatic,
            confirmed_by=confirmed_by,
            terms=terms,
        )
        target = CaseState.APPROVED if outcome == "approved" else CaseState.REJECTED
        change = self._move(target, actor, "case.decided", at, reason=reason, automatic=automatic)
        change += self._resume("review", {"decision": outcome})
        change.events.append(
            CaseDecided(
                **self._event_fields(at),
                outcome=outcome,
                reason=reason,
                automatic=automatic,
                actor=actor.as_event_actor(),
                risk_score=self.risk.score if self.risk else None,
                rule_set_id=self.rule_set.id if self.rule_set else None,
                rule_set_version=self.rule_set.version if self.rule_set else None,
                terms=terms,
            )
        )
        if outcome == "approved" and self.workflow_id != MONITORING_WORKFLOW:
            # An approved customer is monitored by default: list updates are matched against it from now on.
            change.monitored = MonitoredEntity.approved(
                self.tenant_id,
                self.id,
                self.workflow_id,
                self.entity,
                at,
                risk_level=self.risk.level if self.risk else None,
                documents_expire=min(
                    (day for d in self.documents if (day := d.expires_on()) is not None), default=None
                ),
                monthly_limit=terms.monthly_limit if terms else None,
                limit_currency=terms.currency if terms else None,
            )
        return change

    def request_revision(
        self,
        *,
        actor: Actor,
        reason: str,
        document_ids: list[str],
        at: dt.datetime | None = None,
        collecting: bool = False,
        fields: list[str] | None = None,
    ) -> Change:
        """A reviewer sends the case back to the integrator for corrections (and, for a case whose workflow
        collects through links, `collecting`, to its applicant, on the documents and the journey's `fields`)."""
        self._require(CaseState.MANUAL_REVIEW, doing="ask for a revision")
        self._require_no_proposal(doing="ask for a revision")
        at = at or _now()
        if self.catches_revision:
            resume = self._resume("review", {}, error=REVISION_REQUESTED)
        else:
            resume = self._resume("review", {"decision": "revision"})
        change = self._send_back(
            actor, reason, document_ids, at, collecting=collecting, fields=list(fields or [])
        )
        change += resume
        return change

    def _send_back(
        self,
        actor: Actor,
        reason: str,
        document_ids: list[str],
        at: dt.datetime,
        *,
        collecting: bool,
        fields: list[str] | None = None,
    ) -> Change:
        """The move to `revision_requested` (the documents and the journey's `fields` sent back), with its history
        entry and events."""
        fields = list(fields or [])
        self.revision = RevisionRequest(
            reason=reason, document_ids=document_ids, fields=fields, actor=actor, at=at
        )
        change = self._move(
            CaseState.REVISION_REQUESTED,
            actor,
            "revision.requested",
            at,
            reason=reason,
            document_ids=document_ids,
            **({"fields": fields} if fields else {}),
        )
        change.events.append(
            CaseRevisionRequested(
                **self._event_fields(at),
                reason=reason,
                document_ids=document_ids,
                actor=actor.as_event_actor(),
            )
        )
        if collecting:
            change.events.append(
                CollectionRevisionRequested(
                    **self._event_fields(at),
                    reason=reason,
                    document_ids=document_ids,
                    fields=fields,
                    actor=actor.as_event_actor(),
                )
            )
        return change

    # ------------------------------------------------------------------ collection
    def record_collection_link(
        self,
        *,
        link_id: str,
        person_id: str | None,
        language: str | None,
        expires_at: dt.datetime,
        actor: Actor,
        at: dt.datetime | None = None,
    ) -> Change:
        """A collection link was sent for the case: in its history and on the bus (its token in neither)."""
        return self._collection_change(
            CollectionLinkIssued,
            actor,
            at or _now(),
            link_id=link_id,
            person_id=person_id,
            language=language,
            expires_at=expires_at,
        )

    def take_collected(
        self,
        entity: Entity,
        *,
        steps: list[str],
        document_ids: list[str],
        actor: Actor,
        at: dt.datetime | None = None,
    ) -> Change:
        """The applicant submitted: their answers become the entity the checks read (join it to the submission's
        own transition); the history and the bus say what they sent."""
        self._require(
            CaseState.COLLECTING, CaseState.REVISION_REQUESTED, doing="take the applicant's answers"
        )
        resubmission = self.state == CaseState.REVISION_REQUESTED
        self.entity = entity
        return self._collection_change(
            CollectionSubmitted,
            actor,
            at or _now(),
            resubmission=resubmission,
            steps=steps,
            document_ids=document_ids,
        )

    def await_people(
        self, people: list[AwaitedPerson], actor: Actor, at: dt.datetime | None = None
    ) -> Change:
        """The applicant submitted (join it after `take_collected`) while people sent links of their own have not
        finished their part: the case waits for them, with no execution (the last one's part starts the checks)."""
        self._require(CaseState.COLLECTING, doing="wait for the invited people")
        if not people:
            raise InvalidInput("a case waits for at least one person", path="people")
        self.awaited_people = [p.model_copy(update={"done_at": None}) for p in people]
        names = ", ".join(p.name for p in people)
        return self._move(
            CaseState.AWAITING_PEOPLE,
            actor,
            "collection.awaiting_people",
            at or _now(),
            reason=f"waiting for {names}",
            people=[p.id for p in people],
        )

    @property
    def people_pending(self) -> list[AwaitedPerson]:
        """The people the case still waits for (none unless `awaiting_people`)."""
        if self.state != CaseState.AWAITING_PEOPLE:
            return []
        return [p for p in self.awaited_people if p.done_at is None]

    def take_person_part(
        self, person_id: str, name: str, actor: Actor, at: dt.datetime | None = None
    ) -> Change:
        """A person sent a link of their own submitted their part: in the history (naming them) and on the bus
        (`collection.person_submitted`). While the case waits for people, they are no longer awaited; Conflict
        for a person it does not (or no longer) await, and in any state where a person's part is not taken."""
        at = at or _now()
        if self.state == CaseState.AWAITING_PEOPLE:
            person = next((p for p in self.people_pending if p.id == person_id), None)
            if person is None:
                raise Conflict(
                    f"the case does not wait for {person_id}: their part was submitted",
                    case_id=self.id,
                    state=self.state.value,
                )
            person.done_at = at
        else:
            self._require(
                CaseState.COLLECTING, CaseState.REVISION_REQUESTED, doing="take a person's own part"
            )
        awaiting = [p.id for p in self.people_pending]
        self.updated_at = at
        entry = AuditEntry(
            at=at,
            actor=actor,
            action=CollectionPersonSubmitted.type,
            reason=f"{name} finished their part",
            details={"person_id": person_id, "awaiting": awaiting},
        )
        event = CollectionPersonSubmitted(
            **self._event_fields(at), person_id=person_id, awaiting=awaiting, actor=actor.as_event_actor()
        )
        return Change(audit=[entry], events=[event])

    def stop_awaiting_people(self, entity: Entity, actor: Actor, at: dt.datetime | None = None) -> Change:
        """The last awaited person finished: their answers join the entity and the case goes on to its checks
        (join the workflow's start), as a submit does."""
        self._require(CaseState.AWAITING_PEOPLE, doing="stop waiting for people")
        if self.people_pending:
            names = ", ".join(p.name for p in self.people_pending)
            raise Conflict(f"the case still waits for {names}", case_id=self.id, state=self.state.value)
        self.entity = entity
        return self._move(CaseState.PROCESSING, actor, "case.submitted", at or _now())

    def _collection_change(
        self, event: type[CaseEvent], actor: Actor, at: dt.datetime, **fields: Any
    ) -> Change:
        """An entry in the case's history (action = the event's type) and its event, with the same fields."""
        details = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in fields.items()}
        return Change(
            audit=[AuditEntry(at=at, actor=actor, action=event.type, details=details)],
            events=[event(**self._event_fields(at), **{**fields, "actor": actor.as_event_actor()})],
        )

    def record_email(
        self,
        *,
        kind: str,
        to: str,
        actor: Actor,
        at: dt.datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> Change:
        """An e-mail of the collection journey was sent (`message_id`) or could not be (`error`): an entry in the
        case's history, naming the message's kind and its masked recipient (never the link it carried)."""
        details = {"kind": kind, "to": to}
        details.update({"message_id": message_id} if message_id else {"error": error or "not sent"})
        action = "collection.email_sent" if message_id else "collection.email_failed"
        return Change(audit=[AuditEntry(at=at, actor=actor, action=action, details=details)])

    # ------------------------------------------------------------------ four eyes
    def _require_no_proposal(self, doing: str) -> None:
        if self.proposal is not None:
            raise Conflict(
                f"cannot {doing}: a decision to {self.proposal.decision} awaits a second reviewer "
                "(confirm it or send it back)",
                case_id=self.id,
                state=self.state.value,
                pending_second_review=True,
            )

    def propose(
        self,
        decision: Literal["approve", "reject"],
        *,
        actor: Actor,
        reason: str,
        requires: list[str],
        role: Literal["reviewer", "admin"],
        at: dt.datetime | None = None,
        terms: Terms | None = None,
    ) -> Change:
        """A reviewer's decision that needs a second reviewer: kept as the case's proposal (with the terms the
        reviewer set, if any); nothing resumes yet."""
        self._require(CaseState.MANUAL_REVIEW, doing="propose a decision")
        self._require_no_proposal(doing="propose a decision")
        at = at or _now()
        self.proposal = Proposal(
            decision=decision, reason=reason, requires=requires, role=role, actor=actor, at=at, terms=terms
        )
        self.updated_at = at
        entry = AuditEntry(
            at=at,
            actor=actor,
            action="decision.proposed",
            reason=reason,
            details={"decision": decision, "requires": requires, "role": role},
        )
        event = CaseDecisionProposed(
            **self._event_fields(at),
            decision=decision,
            reason=reason,
            actor=actor.as_event_actor(),
            second_review_reasons=requires,
            second_reviewer_role=role,
        )
        return Change(audit=[entry], events=[event])

    def confirm_proposal(self, actor: Actor, at: dt.datetime | None = None) -> Change:
        """A second reviewer confirms the proposal: the decision is made (as the proposer's, confirmed by
        `actor`) and the workflow resumes. The service checks who may confirm."""
        self._require(CaseState.MANUAL_REVIEW, doing="confirm a decision")
        proposal = self._pending_proposal(doing="confirm")
        at = at or _now()
        self.proposal = None
        outcome: Literal["approved", "rejected"] = (
            "approved" if proposal.decision == "approve" else "rejected"
        )
        confirmed = Change(
            audit=[
                AuditEntry(
                    at=at,
                    actor=actor,
                    action="decision.confirmed",
                    reason=proposal.reason,
                    details={"decision": proposal.decision, "proposed_by": proposal.actor.model_dump()},
                )
            ],
            events=[
                CaseDecisionConfirmed(
                    **self._event_fields(at),
                    decision=proposal.decision,
                    proposed_by=proposal.actor.as_event_actor(),
                    actor=actor.as_event_actor(),
                )
            ],
        )
        confirmed += self.decide(
            outcome,
            actor=proposal.actor,
            reason=proposal.reason,
            at=at,
            confirmed_by=actor,
            terms=proposal.terms,
        )
        return confirmed

    def return_proposal(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """A second reviewer sends the proposal back: the case is in manual review as before it."""
        self._require(CaseState.MANUAL_REVIEW, doing="send a decision back")
        proposal = self._pending_proposal(doing="send back")
        at = at or _now()
        self.proposal = None
        self.updated_at = at
        entry = AuditEntry(
            at=at,
            actor=actor,
            action="decision.returned",
            reason=reason,
            details={"decision": proposal.decision, "proposed_by": proposal.actor.model_dump()},
        )
        event = CaseDecisionReturned(
            **self._event_fields(at),
            decision=proposal.decision,
            reason=reason,
            proposed_by=proposal.actor.as_event_actor(),
            actor=actor.as_event_actor(),
        )
        return Change(audit=[entry], events=[event])

    def _pending_proposal(self, doing: str) -> Proposal:
        if self.proposal is None:
            raise Conflict(
                f"nothing to {doing}: no decision on the case awaits a second reviewer",
                case_id=self.id,
                state=self.state.value,
            )
        return self.proposal

    def await_resubmission(self, task_token: str) -> bool:
        """Keep the token the resubmission completes; True if the integrator already resubmitted."""
        if self.state == CaseState.PROCESSING and self.revision is not None:
            return True
        self._require(CaseState.REVISION_REQUESTED, doing="wait for a resubmission")
        self.task_tokens["resubmission"] = task_token
        return False

    def resubmit(
        self, actor: Actor, at: dt.datetime | None = None, *, return_to_review: bool = False
    ) -> Change:
        """The integrator corrected the case: its workflow runs the automated part again (or, with
        `return_to_review`, goes straight back to review) once it waits for the resubmission."""
        self._require(CaseState.REVISION_REQUESTED, doing="resubmit")
        change = self._move(CaseState.PROCESSING, actor, "case.resubmitted", at or _now())
        change += self._resume("resubmission", {"resubmitted": True, "return_to_review": return_to_review})
        return change

    def start_workflow(self) -> Change:
        """Start the case's workflow execution (named after the case: starting it twice starts one)."""
        return Change(continuations=[self._continuation("start")])

    def start_automation(self) -> Change:
        """Start a run of the workflow's automated part (the Express machine); the Standard execution, if any, is
        over for the case until the run hands it over again."""
        self.runs_started += 1
        self.execution_arn = None
        payload = {"case": {"tenant_id": self.tenant_id, "case_id": self.id}, "round": self.runs_started}
        return Change(
            continuations=[
                self._continuation(
                    "start",
                    machine=AUTOMATION_MACHINE,
                    execution=f"{self.id}-a{self.runs_started}",
                    input=payload,
                )
            ]
        )

    def hand_over(self, wait: Wait, execution_arn: Callable[[str], str]) -> Change:
        """People are awaited (a reviewer, or the owners' reviews): start a Standard execution of the workflow,
        which waits for them; or checks need more time than a run has (`deferred_checks`): start one of the
        deferred checks' machine. `execution_arn`: the ARN an execution of the workflow (or of the deferred checks'
        machine, for `checks`) gets from its name."""
        self.waits_started += 1
        return self.start_waiting(wait, execution_arn(self.handover_execution))

    def start_waiting(self, wait: Wait, execution_arn: str) -> Change:
        """Start (again: the same name starts it once) the Standard execution `execution_arn` names."""
        self.execution_arn = execution_arn
        payload: dict[str, Any] = {"case": {"tenant_id": self.tenant_id, "case_id": self.id}, "wait": wait}
        name = execution_arn.rsplit(":", 1)[-1]
        if wait == "checks":
            payload["checks"] = list(self.deferred_checks)
            payload["screening"] = list(self.deferred_screening)  # a part of deferred_checks (defer_checks)
            start = self._continuation("start", machine=CHECKS_MACHINE, execution=name, input=payload)
            return Change(continuations=[start])
        return Change(continuations=[self._continuation("start", execution=name, input=payload)])

    def defer_checks(
        self,
        checks: list[str],
        execution_arn: Callable[[str], str],
        at: dt.datetime,
        *,
        screening: Collection[str] = (),
    ) -> Change:
        """Hand `checks` (out of a run's time) to an execution of the deferred checks' machine, which runs them
        and then starts the next run. `execution_arn`: the ARN an execution of that machine gets from its name;
        `screening`: the workflow's checks that screen against a watchlist (that machine runs them in
        ScreeningFunction)."""
        self.deferred_checks = list(dict.fromkeys(checks))
        self.deferred_screening = [c for c in self.deferred_checks if c in screening]
        change = self.hand_over("checks", execution_arn)
        change.audit.append(
            AuditEntry(
                at=at, actor=SYSTEM, action="checks.deferred", details={"checks": self.deferred_checks}
            )
        )
        return change

    def resume_automation(self, at: dt.datetime) -> Change:
        """The deferred checks have run: the next run of the automated part goes on from them (it runs no check
        again). Nothing when no check was deferred (the step ran already)."""
        if self.state != CaseState.PROCESSING or not self.deferred_checks:
            return Change()
        checks, self.deferred_checks, self.deferred_screening = self.deferred_checks, [], []
        change = self.start_automation()
        self.checks_run_for = self.runs_started
        change.audit.append(
            AuditEntry(at=at, actor=SYSTEM, action="checks.completed", details={"checks": checks})
        )
        return change

    @property
    def catches_revision(self) -> bool:
        """Whether the case's Standard execution takes a revision as the review step's failure (`-w<n>`
        executions), or, started before that, as its output."""
        return self.execution_arn is not None and self.waits_started > 0

    @property
    def automating(self) -> bool:
        """Whether the case is in its automated part: processing, not yet handed to a Standard execution."""
        return self.state == CaseState.PROCESSING and self.execution_arn is None

    @property
    def handover_execution(self) -> str:
        """The name of the case's newest Standard execution (`<case id>-w<n>`)."""
        return f"{self.id}-w{self.waits_started}"

    def record_run(self, run: AutomationRun) -> None:
        """Keep what a run of the automated part did (the back office draws it); the last ten runs are kept."""
        self.automation = [*[r for r in self.automation if r.number != run.number][-9:], run]

    def resume_step(self, token: str, output: dict[str, Any]) -> Change:
        """Resume a step of the case's workflow that waits on `token` (one the case does not keep)."""
        return Change(continuations=[self._continuation("resume", token=token, output=output)])

    def release_children(self, children: list[Case]) -> Change:
        """The owners' cases are all decided: the step waiting for them continues with their states."""
        output = {
            "decision": "pending",
            "children": [{"case_id": c.id, "state": c.state.value} for c in children],
        }
        return self._resume("children", output)

    def _resume(self, waiting: str, output: dict[str, Any], *, error: str | None = None) -> Change:
        token = self.task_tokens.pop(waiting, None)
        if not token:
            return Change()
        if error:
            return Change(continuations=[self._continuation("resume", token=token, error=error)])
        return self.resume_step(token, output)

    def review_answer(self, token: str) -> Change:
        """Answer a review step that began after the case left review (a decision or a revision came first), from
        what the case holds."""
        if self.state == CaseState.REVISION_REQUESTED:
            if self.catches_revision:
                return Change(
                    continuations=[self._continuation("resume", token=token, error=REVISION_REQUESTED)]
                )
            return self.resume_step(token, {"decision": "revision"})
        return self.resume_step(token, {"decision": self.state.value})

    @property
    def waiting_machine(self) -> str:
        """The Standard machine that waits on people for the case."""
        return self.waits_on or self.workflow_id

    def _continuation(self, kind: Literal["start", "resume"], **fields: Any) -> Continuation:
        if kind == "start" and self.waits_on is not None:
            fields.setdefault("machine", self.waits_on)
        return Continuation(
            kind=kind, tenant_id=self.tenant_id, case_id=self.id, workflow_id=self.workflow_id, **fields
        )

    def fail(self, error: str, cause: str | None = None, at: dt.datetime | None = None) -> Change:
        """A workflow step failed beyond its retries."""
        if self.state.terminal:
            return Change()
        self.task_tokens.clear()
        self.proposal = None
        return self._move(CaseState.FAILED, SYSTEM, "case.failed", at or _now(), reason=error, cause=cause)

    # ------------------------------------------------------------------ review bookkeeping
    def assign(self, assignee: Assignee | None, actor: Actor, at: dt.datetime | None = None) -> Change:
        """Assign to a reviewer (or unassign with None); allowed until the case is decided."""
        if self.state.terminal:
            raise Conflict(f"cannot change the assignee: the case is {self.state.value}", case_id=self.id)
        at = at or _now()
        previous = self.assignee
        self.assignee = assignee
        self.updated_at = at
        action = "case.assigned" if assignee else "case.unassigned"
        details = {
            "assignee": assignee.model_dump() if assignee else None,
            "previous": previous.model_dump() if previous else None,
        }
        before = AssigneeRef(**previous.model_dump()) if previous else None
        event: CaseEvent
        if assignee is not None:
            event = CaseAssigned(
                **self._event_fields(at),
                assignee=AssigneeRef(**assignee.model_dump()),
                previous=before,
                actor=actor.as_event_actor(),
            )
        else:
            event = CaseUnassigned(**self._event_fields(at), previous=before, actor=actor.as_event_actor())
        return Change(audit=[AuditEntry(at=at, actor=actor, action=action, details=details)], events=[event])

    def escalate(
        self, to: EscalationRole, reason: str, actor: Actor, at: dt.datetime | None = None
    ) -> Change:
        """Escalate to a role (again, to another one): until handed back, only its holders decide the case."""
        if self.state.terminal:
            raise Conflict(f"cannot escalate: the case is {self.state.value}", case_id=self.id)
        previous = self.escalation
        if previous is not None and previous.to == to:
            raise Conflict(f"the case is already escalated to {to}", case_id=self.id, escalated_to=to)
        at = at or _now()
        self.escalation = Escalation(to=to, reason=reason, actor=actor, at=at)
        self.updated_at = at
        before = previous.to if previous else None
        entry = AuditEntry(
            at=at, actor=actor, action="case.escalated", reason=reason, details={"to": to, "previous": before}
        )
        event = CaseEscalated(
            **self._event_fields(at), to=to, reason=reason, previous=before, actor=actor.as_event_actor()
        )
        return Change(audit=[entry], events=[event])

    def de_escalate(self, reason: str, actor: Actor, at: dt.datetime | None = None) -> Change:
        """Hand an escalated case back to every reviewer."""
        if self.escalation is None:
            raise Conflict("the case is not escalated", case_id=self.id)
        if self.state.terminal:
            raise Conflict(f"cannot de-escalate: the case is {self.state.value}", case_id=self.id)
        at = at or _now()
        was = self.escalation.to
        self.escalation = None
        self.updated_at = at
        entry = AuditEntry(
            at=at, actor=actor, action="case.de_escalated", reason=reason, details={"escalated_to": was}
        )
        event = CaseDeEscalated(
            **self._event_fields(at), escalated_to=was, reason=reason, actor=actor.as_event_actor()
        )
        return Change(audit=[entry], events=[event])

    def record_note(self, text: str, actor: Actor, at: dt.datetime | None = None) -> Change:
        """A note is an audit entry: it stays with the case's history."""
        at = at or _now()
        entry = AuditEntry(at=at, actor=actor, action="note.added", reason=text)
        event = CaseNoteAdded(
            **self._event_fields(at), note_id=entry.id, text=text, actor=actor.as_event_actor()
        )
        return Change(audit=[entry], events=[event])

    def decide_document(
        self,
        document: Document,
        decision: Literal["approved", "rejected", "revision"],
        reason: str | None,
        actor: Actor,
        at: dt.datetime,
    ) -> Change:
        """A reviewer's decision on one of the case's documents (already set on `document`): its audit entry and
        event."""
        entry = AuditEntry(
            at=at,
            actor=actor,
            action="document.decided",
            reason=reason,
            details={"document_id": document.id, "version": document.version, "decision": decision},
        )
        event = DocumentDecided(
            **self._event_fields(at),
            document_id=document.id,
            document_version=document.version,
            decision=decision,
            reason=reason,
            actor=actor.as_event_actor(),
        )
        return Change(audit=[entry], events=[event])

    def review_deadline(self, sla_hours: float | None) -> dt.datetime | None:
        """When a reviewer should have decided the case, by its workflow's review SLA counted from when it last
        entered manual review; None when it is not in review or its workflow sets no SLA."""
        if self.state != CaseState.MANUAL_REVIEW or sla_hours is None:
            return None
        return (self.review_since or self.created_at) + dt.timedelta(hours=sla_hours)

    def event_fields(self, at: dt.datetime) -> dict[str, Any]:
        """The fields every event about this case carries (for events written beside the case, as a clearance's)."""
        return self._event_fields(at)

    def rerun_checks(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """Back to the automated part from review (an integrator's event said the data changed): the Standard
        execution waiting for a reviewer ends; the caller starts the next run in the same change."""
        self._require(CaseState.MANUAL_REVIEW, doing="run the checks again")
        self._require_no_proposal(doing="run the checks again")
        resume = self._resume("review", {"decision": "rerun"})
        change = self._move(CaseState.PROCESSING, actor, "checks.rerun", at or _now(), reason=reason)
        change += resume
        return change

    def receive_event(self, name: str, payload: dict[str, Any], actor: Actor) -> Change:
        """A custom event the workflow accepts: kept in the history with its payload."""
        return Change(
            audit=[
                AuditEntry(
                    at=_now(),
                    actor=actor,
                    action="event.received",
                    details={"name": name, "payload": payload},
                )
            ]
        )

    def merge_context(self, patch: dict[str, Any], actor: Actor, *, deep: bool) -> Change:
        """Merge integrator data into the case context (Ballerine's UPDATE_CONTEXT / DEEP_MERGE_CONTEXT)."""
        if self.state.terminal:
            raise Conflict(f"cannot update the context: the case is {self.state.value}", case_id=self.id)
        self.context = _deep_merge(self.context, patch) if deep else {**self.context, **patch}
        self.updated_at = _now()
        action = "context.deep_merged" if deep else "context.updated"
        return Change(
            audit=[
                AuditEntry(at=self.updated_at, actor=actor, action=action, details={"keys": sorted(patch)})
            ]
        )

    # ------------------------------------------------------------------ documents
    def document(self, document_id: str) -> Document | None:
        """The case's document with this id, if any."""
        return next((d for d in self.documents if d.id == document_id), None)

    def declare_document(self, document: Document, actor: Actor, at: dt.datetime | None = None) -> Change:
        """Add a document, or a new version of one the case has (same id): the old version stays in history."""
        if self.state.terminal:
            raise Conflict(f"cannot add documents: the case is {self.state.value}", case_id=self.id)
        if self.erasure is not None:
            raise Conflict("cannot add documents: the entity's data was erased", case_id=self.id)
        at = at or _now()
        existing = self.document(document.id)
        if existing is None:
            self.documents.append(document)
            action, version = "document.added", document.version
        else:
            existing.replace_pages(document.pages, at)
            for name in ("type", "category", "issuer", "properties"):
                setattr(existing, name, getattr(document, name))
            action, version = "document.version_added", existing.version
        self.updated_at = at
        details = {"document_id": document.id, "version": version, "pages": len(document.pages)}
        return Change(audit=[AuditEntry(at=at, actor=actor, action=action, details=details)])

    def record_page(self, document: Document, page: Page, at: dt.datetime | None = None) -> Change:
        """A page was stored and checked (or could not be): history entry and `document.uploaded` event."""
        at = at or _now()
        page.ingested_at = at
        self.updated_at = at
        details = {
            "document_id": document.id,
            "version": document.version,
            "page": page.index,
            "status": page.status,
            "sha256": page.sha256,
            "content_type": page.content_type,
        }
        entry = AuditEntry(
            at=at, actor=SYSTEM, action=f"document.page_{page.status}", reason=page.reason, details=details
        )
        event = DocumentUploaded(
            **self._event_fields(at),
            document_id=document.id,
            document_type=document.type,
            document_version=document.version,
            page_index=page.index,
            status=page.status if page.status != "pending" and page.status != "deleted" else "unavailable",
            content_type=page.content_type,
            sha256=page.sha256,
            reason=page.reason,
            duplicate_of_case_ids=page.duplicate_of_case_ids,
        )
        return Change(audit=[entry], events=[event])

    def record_check_failure(self, check: str, error: str | None, at: dt.datetime | None = None) -> Change:
        """A check failed beyond its retries: the case is flagged for a reviewer (once per check) and the
        failure announced."""
        message = f"the {check} check failed: {error or 'no detail'}"
        if not any(f.code == "check_failed" and f.source == check for f in self.flags):
            self.flags.append(Flag(code="check_failed", message=message[:500], severity="high", source=check))
        failed = PluginFailed(**self._event_fields(at or _now()), plugin=check, error=str(error)[:1000])
        return Change(events=[failed])

    def add_flag(self, flag: Flag, at: dt.datetime | None = None) -> Change:
        """Raise a flag for reviewers (once: the same code and message are not repeated)."""
        if any(f.code == flag.code and f.message == flag.message for f in self.flags):
            return Change()
        at = at or _now()
        self.flags.append(flag)
        self.updated_at = at
        details = {"code": flag.code, "severity": flag.severity}
        return Change(
            audit=[
                AuditEntry(at=at, actor=SYSTEM, action="flag.raised", reason=flag.message, details=details)
            ]
        )

    def stored_keys(self) -> list[str]:
        """Every object the case's documents keep in the documents bucket (all versions, thumbnails)."""
        found: list[str] = []
        for document in self.documents:
            for _version, pages in document.page_versions():
                for page in pages:
                    found += [k for k in (page.object_key, page.thumbnail_key) if k]
        return found

    def delete_documents(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """The documents' files are gone (retention or erasure): pages say so; everything else stays."""
        at = at or _now()
        for document in self.documents:
            for _version, pages in document.page_versions():
                for page in pages:
                    if page.object_key or page.thumbnail_key:
                        page.status = "deleted"
                        page.reason = reason
                        page.object_key = None
                        page.thumbnail_key = None
        self.documents_deleted_at = at
        self.updated_at = at
        return Change(audit=[AuditEntry(at=at, actor=actor, action="documents.deleted", reason=reason)])

    # ------------------------------------------------------------------ legal hold and erasure
    def set_legal_hold(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """Keep everything of the case until the hold is released."""
        at = at or _now()
        self.legal_hold = LegalHold(reason=reason, actor=actor, at=at)
        self.updated_at = at
        return Change(audit=[AuditEntry(at=at, actor=actor, action="legal_hold.set", reason=reason)])

    def release_legal_hold(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """Retention and erasure apply again."""
        if self.legal_hold is None:
            raise Conflict("the case has no legal hold", case_id=self.id)
        at = at or _now()
        self.legal_hold = None
        self.updated_at = at
        return Change(audit=[AuditEntry(at=at, actor=actor, action="legal_hold.released", reason=reason)])

    def erase_personal_data(self, actor: Actor, reason: str, at: dt.datetime | None = None) -> Change:
        """Remove who the entity is (names, dates, contacts, documents' contents and what was sent with
        them); keep the decision, the risk assessment, the flags' codes and the audit trail."""
        if self.legal_hold is not None:
            raise Conflict(
                "the case is under legal hold: nothing of it can be erased",
                case_id=self.id,
                path="legal_hold",
            )
        at = at or _now()
        change = self.delete_documents(actor, reason, at)
        if self.entity.type == "business":
            erased = Entity(type="business", id=self.entity.id, business=Business(name="(erased)"))
        else:
            erased = Entity(type="individual", id=self.entity.id, individual=Person(full_name="(erased)"))
        self.entity = erased
        self.awaited_people = [p.model_copy(update={"name": "(erased)"}) for p in self.awaited_people]
        self.context = {}
        self.metadata = {}
        for document in self.documents:
            document.properties = {}
            document.issuer = {}
            for _version, pages in document.page_versions():
                for page in pages:
                    page.source = page.source.model_copy(update={"uri": None})
                    page.metadata = {}
        if self.risk is not None:
            self.risk.inputs = None  # what the rules read of the entity goes too: the case cannot be replayed
        self.erasure = Erasure(reason=reason, actor=actor, at=at)
        change.audit.append(AuditEntry(at=at, actor=actor, action="entity.erased", reason=reason))
        if self.state == CaseState.APPROVED and self.workflow_id != MONITORING_WORKFLOW:
            change.unmonitored = monitored_key(erased, self.id)  # the names go from the monitored index too
        return change


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
