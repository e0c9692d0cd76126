"""Bodies of the reviewers' API (`/v1/review`): what the back office sends and reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from arbiter.api.schemas import WorkflowSummary
from arbiter.domain.case import AuditEntry, Case
from arbiter.domain.principal import Principal
from arbiter.domain.screening import Clearance
from arbiter.services.ports import CaseDetail

__all__ = [
    "ActionView",
    "AssignRequest",
    "AuditVerification",
    "CaseActions",
    "CaseDetailView",
    "ClearanceList",
    "ClearanceView",
    "ClearedMatch",
    "DocumentRetention",
    "EntityErasure",
    "EntityMonitoring",
    "IsoDateTime",
    "MonitoringSwitch",
    "NoteRequest",
    "PageLinks",
    "ReviewCaseView",
    "ReviewDashboard",
    "ReviewQueue",
    "ReviewerView",
    "RevisionField",
    "RevokedClearance",
    "StateCounts",
    "WorkflowDefinitionView",
    "review_case_view",
    "review_detail_view",
]


def _iso_date_time(value: Any) -> Any:
    # pydantic reads a number as a Unix timestamp; the API documents (and means) an ISO 8601 date-time.
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        raise ValueError("a date-time is ISO 8601 (2026-11-01T09:00:00Z), not a number")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: A date-time parameter: ISO 8601 only.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_date_time)]


class AssignRequest(BaseModel):
    assignee: str | None = Field(
        default="me", max_length=200, description='"me", a reviewer id, or null to unassign'
    )
    email: str | None = Field(default=None, max_length=320)


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


#: Kept on the case for the service layer, never shown: task tokens, the execution's ARN (the AWS account id,
#: the stack's names) and the automated runs' records; the case view's `path` is what reviewers see of them.
_HIDDEN_CASE_FIELDS = {"task_tokens", "execution_arn", "automation", "runs_started"}


def review_case_view(
    case: Case, review_due_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The whole case for reviewers, without task tokens or the execution's ARN; with when its review is due (its
    workflow's SLA) and whether that is past at `now`."""
    data = case.model_dump(mode="json", exclude=_HIDDEN_CASE_FIELDS)
    data["entity_name"] = case.entity.display_name()
    data["pending_second_review"] = case.proposal is not None
    data["review_due_at"] = review_due_at.isoformat() if review_due_at else None
    data["overdue"] = bool(review_due_at and now and review_due_at < now)
    return data


def review_detail_view(
    detail: CaseDetail, path: list[dict[str, Any]], actions: dict[str, Any]
) -> dict[str, Any]:
    """The case view: the case, its history, checks, children, workflow path and what the reviewer may do."""
    return {
        "case": review_case_view(detail.case),
        "audit": [entry.model_dump(mode="json") for entry in detail.audit],
        "checks": detail.checks,
        "children": [review_case_view(child) for child in detail.children],
        "path": path,
        "actions": actions,
    }


# ---------------------------------------------------------------- what the reviewers' API answers


class BrokenLinkView(BaseModel):
    index: int = Field(
        description="Position of the entry in the order verified (unchained ones first), from 0"
    )
    entry_id: str | None = Field(description="The entry there; null for an entry missing at the end")
    reason: str = Field(
        description="edited, missing, inserted, reordered, head_mismatch (the case's chain head) or "
        "anchor_mismatch (the head a daily digest recorded)"
    )
    detail: str


class AnchoredView(BaseModel):
    date: str = Field(description="The day of the digest that recorded the case's head")
    digest_key: str = Field(description="The digest's key in the audit digest bucket (Object Lock)")
    entries: int = Field(description="How many chained entries the recorded head covers")


class AuditVerification(BaseModel):
    """The case's audit chain recomputed: valid with its head, or where it first breaks."""

    valid: bool
    entries: int = Field(description="Audit entries read")
    unchained: int = Field(description="Entries stored before the chain existed (first, not hashed)")
    head: str | None = Field(default=None, description="The chain's last hash (SHA-256, hex) when valid")
    anchored: AnchoredView | None = Field(
        default=None, description="The latest daily digest whose recorded head the chain reproduces"
    )
    broken_at: BrokenLinkView | None = None


class ReviewerView(Principal):
    """The signed-in reviewer: tenant, id, email and roles."""


class ReviewCaseView(Case):
    """A case as reviewers see it: all of it but the workflow's task tokens and its execution's ARN, with the
    entity's display name."""

    task_tokens: SkipJsonSchema[dict[str, str]] = Field(default_factory=dict, exclude=True)
    execution_arn: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    runs_started: SkipJsonSchema[int] = Field(default=0, exclude=True)
    automation: SkipJsonSchema[list[Any]] = Field(default_factory=list, exclude=True)
    entity_name: str = Field(description="The person's or the business's name, as the queue shows it")
    pending_second_review: bool = Field(
        default=False, description="A proposed decision (`proposal`) awaits a second reviewer"
    )
    review_due_at: dt.datetime | None = Field(
        default=None,
        description="When a reviewer should have decided the case (its workflow's review_sla_hours after it "
        "entered manual review); null outside manual review or without an SLA",
    )
    overdue: bool = Field(default=False, description="In manual review past `review_due_at`")


class ReviewQueue(BaseModel):
    items: list[ReviewCaseView]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class StateCounts(BaseModel):
    states: dict[str, int] = Field(description="How many cases are in each state")
    pending_second_review: int = Field(
        default=0, description="How many cases in manual review have a decision awaiting a second reviewer"
    )


class ActionView(BaseModel):
    allowed: bool
    reason: str | None = Field(description="Why not, when not allowed")
    second_review: str | None = Field(
        default=None,
        description="When allowed: why the decision becomes a proposal a second reviewer confirms (four eyes)",
    )


class CaseActions(BaseModel):
    """What the reviewer may do on the case now."""

    approve: ActionView
    reject: ActionView
    revision: ActionView
    confirm: ActionView = Field(description="Confirming the decision another reviewer proposed")
    send_back: ActionView = Field(description="Sending the proposed decision back")
    assign: ActionView
    note: ActionView
    escalate: ActionView = Field(description="Escalating the case to a role (senior, admin)")
    de_escalate: ActionView = Field(description="Handing an escalated case back to every reviewer")


class WebhookDeliverySummary(BaseModel):
    """One of the case's latest webhook deliveries."""

    event_type: str
    status: str
    url: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    updated_at: dt.datetime
    id: str
    subscription_id: str


class RevisionField(BaseModel):
    """A field of the case's collection journey a revision may send back to its applicant."""

    path: str = Field(description="`<step id>.<field>`, what a revision's `fields` names")
    label: str


class CaseDetailView(BaseModel):
    """The case view: the case, its history, checks, children, workflow path and what the reviewer may do."""

    case: ReviewCaseView
    audit: list[AuditEntry]
    checks: dict[str, dict[str, Any]] = Field(description="Each check's result by name")
    children: list[ReviewCaseView]
    path: list[dict[str, Any]] = Field(
        description="The workflow states the case went through, in time order: the automated runs' steps "
        "(`machine` `automation`, with `run`, the check or owner a Map iteration ran as `item` `within` its "
        "top-level state, timings, retries "
        "and the failures caught) and its Standard execution's states (`machine` `workflow`)"
    )
    actions: CaseActions
    webhook_deliveries: list[WebhookDeliverySummary]
    revision_fields: list[RevisionField] = Field(
        default_factory=list,
        description="The fields a revision may send back to the applicant (the workflow's collection journey); "
        "empty for a workflow that collects nothing through links",
    )


class ClearanceView(Clearance):
    """A clearance, with the case's subjects screened under its party key."""

    applies_to: list[str] = Field(default_factory=list)


class ClearanceList(BaseModel):
    items: list[ClearanceView]


class ClearedMatch(BaseModel):
    clearance: ClearanceView
    created: bool = Field(description="false when the same match was already cleared")


class RevokedClearance(BaseModel):
    revoked: ClearanceView


class EntityMonitoring(BaseModel):
    """Whether watchlist updates are matched against the case's entity (ongoing screening)."""

    entity_key: str = Field(
        description="The entity's id (or `case:<case id>` for an entity sent without one)"
    )
    entity_type: Literal["individual", "business"]
    enabled: bool
    onboarding_case_id: str = Field(description="The case that approved the entity")
    workflow_id: str
    since: IsoDateTime = Field(description="When the entity was approved")


class MonitoringSwitch(BaseModel):
    """Switch ongoing screening of the entity off or on; the reason goes to the audit trail."""

    enabled: bool
    reason: str = Field(min_length=1, max_length=2000)


class PageLinks(BaseModel):
    """Short-lived links to one page of a document and its thumbnail."""

    document_id: str
    version: int
    page: int
    content_type: str | None
    url: str
    thumbnail_url: str | None
    expires_in: int = Field(description="Seconds the links stay valid")


class DocumentRetention(BaseModel):
    days: int | None = Field(
        description="Days after a decision before documents are deleted; null keeps them"
    )


class EntityErasure(BaseModel):
    entity_id: str
    cases: list[ReviewCaseView]


class WorkflowDefinitionView(BaseModel):
    workflow: WorkflowSummary
    states: dict[str, Any] = Field(
        description="The picture of the Standard state machine that waits for people: states, their types and "
        "transitions (tasks named by role, no ARNs)"
    )
    automation: dict[str, Any] | None = Field(
        default=None,
        description="For an automated workflow, the picture of the Express state machine that runs its automated "
        "part (documents, checks, owners' cases, rules, decision) before people are awaited",
    )


class DailyDecisions(BaseModel):
    day: dt.date
    approved: int
    rejected: int


class ReviewerWorkload(BaseModel):
    model_config = ConfigDict(extra="allow")  # open cases per state, by state name

    reviewer: str
    email: str | None
    open: int


class ReviewDashboard(BaseModel):
    """The dashboard's figures over the last `days` days."""

    model_config = ConfigDict(populate_by_name=True)

    days: int
    since: dt.datetime = Field(alias="from", description="The first day counted, 00:00 UTC")
    states: dict[str, int]
    decisions_per_day: list[DailyDecisions]
    decided: int
    median_seconds_to_decision: float | None
    workload: list[ReviewerWorkload]
    unassigned: int
    overdue: int = Field(default=0, description="Cases in manual review past their workflow's review SLA")
    escalated: int = Field(default=0, description="Open cases escalated to a role")
    truncated: bool = Field(description="true when a state held more cases than the figures read")
