"""The events Arbiter publishes (EventBridge source `arbiter`): what happened to a case, and when.

Each class is one event type; `type` is the EventBridge detail-type, the model is the detail. Their JSON
Schemas (generated from these models, checked in under `schemas/events/`) are part of the public API:
add optional fields freely, but removing or retyping a field is a new `schema_version`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from arbiter.domain.underwriting import Terms

__all__ = [
    "EVENT_TYPES",
    "AlertAssigned",
    "AlertClosed",
    "AlertEscalated",
    "AlertNoted",
    "AlertOpened",
    "AlertReportFiled",
    "AlertUpdated",
    "ArbiterEvent",
    "AssigneeRef",
    "CaseAssigned",
    "CaseAwaitingReview",
    "CaseCreated",
    "CaseDeEscalated",
    "CaseDecided",
    "CaseDecisionConfirmed",
    "CaseDecisionProposed",
    "CaseDecisionReturned",
    "CaseEscalated",
    "CaseEvent",
    "CaseNoteAdded",
    "CaseRevisionRequested",
    "CaseStatusChanged",
    "CaseUnassigned",
    "CollectionLinkIssued",
    "CollectionPersonSubmitted",
    "CollectionRevisionRequested",
    "CollectionSubmitted",
    "DocumentDecided",
    "DocumentUploaded",
    "EntityMonitoringHit",
    "EntityReviewDue",
    "EventActor",
    "PluginFailed",
    "RuleSetPublished",
    "ScreeningClearanceAdded",
    "ScreeningClearanceRevoked",
    "TransactionDecided",
    "WebhookDeliveryFailed",
]

CaseStateName = Literal[
    "collecting",
    "awaiting_people",
    "processing",
    "manual_review",
    "revision_requested",
    "approved",
    "rejected",
    "failed",
]


class EventActor(BaseModel):
    """Who caused the event: the system (a workflow), a reviewer, an integrator, or an applicant (through a
    collection link)."""

    type: Literal["system", "reviewer", "integrator", "applicant"]
    id: str
    email: str | None = None


class ArbiterEvent(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid")

    type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    id: str = Field(
        default_factory=lambda: str(uuid.uuid4()), description="Unique per event; use it to deduplicate"
    )
    time: dt.datetime = Field(description="When it happened (UTC, ISO 8601)")
    tenant_id: str

    def envelope(self) -> dict[str, Any]:
        """The event as a partner receives it in EventBridge's `detail`, with its type and schema version."""
        return {"type": self.type, "schema_version": self.schema_version, **self.model_dump(mode="json")}


class CaseEvent(ArbiterEvent):
    """Fields every case event carries."""

    case_id: str
    workflow_id: str
    workflow_version: int
    entity_id: str | None = Field(default=None, description="The integrator's id for the entity")
    entity_type: Literal["individual", "business"]
    correlation_id: str | None = None
    parent_case_id: str | None = None


class CaseCreated(CaseEvent):
    """A case was opened for an entity."""

    type: ClassVar[str] = "case.created"
    state: CaseStateName
    source: Literal["api", "ballerine", "workflow"] = "api"


class CaseStatusChanged(CaseEvent):
    """The case moved from one state to another."""

    type: ClassVar[str] = "case.status_changed"
    from_state: CaseStateName
    to_state: CaseStateName
    actor: EventActor


class CaseAwaitingReview(CaseEvent):
    """The workflow stopped for a reviewer."""

    type: ClassVar[str] = "case.awaiting_review"
    risk_score: float | None = None
    recommendation: Literal["approve", "review", "reject"] | None = None
    flags: list[str] = Field(default_factory=list, description="Codes of the flags that sent it to review")


class CaseRevisionRequested(CaseEvent):
    """A reviewer asked the integrator to correct or resend something."""

    type: ClassVar[str] = "case.revision_requested"
    reason: str
    document_ids: list[str] = Field(default_factory=list)
    actor: EventActor


class CollectionLinkIssued(CaseEvent):
    """A collection link was sent for the case: its applicant (or one person of it) can fill in the application.
    The link's token is never in an event: it exists only in the answer to whoever issued the link."""

    type: ClassVar[str] = "collection.link_issued"
    link_id: str
    person_id: str | None = Field(
        default=None, description="The person the link is for (a UBO's or director's id)"
    )
    language: str | None = Field(default=None, description="The journey's language (en, de or es)")
    expires_at: dt.datetime
    actor: EventActor


class CollectionSubmitted(CaseEvent):
    """The applicant submitted their application through a collection link; the case's checks start (or, after a
    revision, start again) on the answers, which the case's entity now carries; or the case waits for the people
    it invited to finish their own part (`awaiting_people`)."""

    type: ClassVar[str] = "collection.submitted"
    resubmission: bool = Field(description="True when it answers a revision request")
    steps: list[str] = Field(description="Ids of the journey's steps the applicant filled in")
    document_ids: list[str] = Field(description="Ids of the case's documents uploaded through the link")
    actor: EventActor


class CollectionPersonSubmitted(CaseEvent):
    """An owner or director sent a link of their own submitted their part (their details, their ID). While the case
    waits for its invited people (`awaiting_people`), `awaiting` names who it still waits for; the last one's
    submit starts the case's checks. Names are not in the event: only the people's ids."""

    type: ClassVar[str] = "collection.person_submitted"
    person_id: str = Field(description="The person's id (a UBO's or director's `id` in the case's entity)")
    awaiting: list[str] = Field(
        default_factory=list,
        description="Ids of the people the case still waits for (empty: none, or not waiting)",
    )
    actor: EventActor


class CollectionRevisionRequested(CaseEvent):
    """A reviewer sent a case that collects through links back to its applicant: the same links open again, on
    what was sent back."""

    type: ClassVar[str] = "collection.revision_requested"
    reason: str
    document_ids: list[str] = Field(default_factory=list, description="The documents to upload again")
    fields: list[str] = Field(
        default_factory=list, description="The journey's fields to answer again (`<step id>.<field>`)"
    )
    actor: EventActor


class CaseDecided(CaseEvent):
    """The case reached its final decision."""

    type: ClassVar[str] = "case.decided"
    outcome: Literal["approved", "rejected"]
    reason: str
    automatic: bool
    actor: EventActor
    risk_score: float | None = None
    rule_set_id: str | None = None
    rule_set_version: int | None = None
    #: Underwriting: the terms an approval grants (risk tier, monthly limit, reserve, settlement delay,
    #: conditions); absent for workflows that do not underwrite and for rejections.
    terms: Terms | None = None


class CaseDecisionProposed(CaseEvent):
    """A reviewer proposed a decision the workflow's review policy wants a second reviewer to confirm."""

    type: ClassVar[str] = "case.decision_proposed"
    decision: Literal["approve", "reject"]
    reason: str
    actor: EventActor
    second_review_reasons: list[str] = Field(
        description="Why a second reviewer is needed: critical_flags, high_risk, override"
    )
    second_reviewer_role: Literal["reviewer", "admin"]


class CaseDecisionConfirmed(CaseEvent):
    """A second reviewer confirmed the proposed decision (`case.decided` follows in the same write)."""

    type: ClassVar[str] = "case.decision_confirmed"
    decision: Literal["approve", "reject"]
    proposed_by: EventActor
    actor: EventActor


class CaseDecisionReturned(CaseEvent):
    """A second reviewer sent the proposed decision back: the case is in manual review with no proposal."""

    type: ClassVar[str] = "case.decision_returned"
    decision: Literal["approve", "reject"]
    reason: str
    proposed_by: EventActor
    actor: EventActor


class AssigneeRef(BaseModel):
    """A reviewer a case is assigned to."""

    id: str = Field(description="The reviewer's id (their Cognito `sub`)")
    email: str | None = None


class CaseAssigned(CaseEvent):
    """A reviewer assigned the case to themselves or to a colleague (or round-robin assignment did)."""

    type: ClassVar[str] = "case.assigned"
    assignee: AssigneeRef
    previous: AssigneeRef | None = Field(default=None, description="Who it was assigned to before, if anyone")
    actor: EventActor


class CaseUnassigned(CaseEvent):
    """The case was taken off its reviewer: nobody holds it."""

    type: ClassVar[str] = "case.unassigned"
    previous: AssigneeRef | None = None
    actor: EventActor


class CaseEscalated(CaseEvent):
    """A reviewer escalated the case to a role: only reviewers holding it may decide the case now."""

    type: ClassVar[str] = "case.escalated"
    to: Literal["senior", "admin"] = Field(description="The role (queue) the case is escalated to")
    reason: str
    previous: Literal["senior", "admin"] | None = Field(
        default=None, description="The role it was escalated to before, when escalated again"
    )
    actor: EventActor


class CaseDeEscalated(CaseEvent):
    """A reviewer holding the escalation's role handed the case back to every reviewer."""

    type: ClassVar[str] = "case.de_escalated"
    escalated_to: Literal["senior", "admin"] = Field(description="The role the case was escalated to")
    reason: str
    actor: EventActor


class CaseNoteAdded(CaseEvent):
    """A reviewer added a note to the case's history."""

    type: ClassVar[str] = "case.note_added"
    note_id: str = Field(description="The audit entry that holds the note")
    text: str
    actor: EventActor


class DocumentDecided(CaseEvent):
    """A reviewer accepted or rejected a document, or asked for a new version of it."""

    type: ClassVar[str] = "document.decided"
    document_id: str
    document_version: int | None = None
    decision: Literal["approved", "rejected", "revision"]
    reason: str | None = None
    actor: EventActor


class ScreeningClearanceAdded(CaseEvent):
    """A reviewer cleared a screening match as a false positive: the party is not the list entry."""

    type: ClassVar[str] = "screening.clearance_added"
    check: str = Field(description="The screening check whose match was cleared")
    subject: str = Field(description="The party screened (entity, ubos[0], directors[1]…)")
    party_key: str
    entry_id: str = Field(description="The list entry the party is not")
    reason: str
    actor: EventActor


class ScreeningClearanceRevoked(CaseEvent):
    """A reviewer revoked a clearance: the next screening raises the match again."""

    type: ClassVar[str] = "screening.clearance_revoked"
    check: str
    subject: str
    party_key: str
    entry_id: str
    reason: str
    cleared_on_case: str = Field(description="The case the clearance was made on")
    actor: EventActor


class DocumentUploaded(CaseEvent):
    """A document page was stored and checked."""

    type: ClassVar[str] = "document.uploaded"
    document_id: str
    document_type: str
    document_version: int | None = Field(default=None, description="1 for the first upload, then 2, 3…")
    page_index: int
    status: Literal["available", "unavailable", "rejected"]
    content_type: str | None = None
    sha256: str | None = None
    reason: str | None = None
    duplicate_of_case_ids: list[str] = Field(default_factory=list)


class PluginFailed(CaseEvent):
    """A check could not run (after its retries); the case goes to review with a flag."""

    type: ClassVar[str] = "plugin.failed"
    plugin: str
    error: str


class MonitoredList(BaseModel):
    """The watchlist version whose update raised the hit."""

    key: str = Field(description="The list's key in the watchlists bucket")
    etag: str
    sha256: str
    entries: int = Field(description="Entries in this version of the list")
    changed_entries: int = Field(
        description="Entries new or changed since the version screened before (a full re-screen: every entry)"
    )


class EntityMonitoringHit(CaseEvent):
    """A watchlist update matched a monitored customer, and a monitoring case was opened for a reviewer (`case_id`;
    its workflow is `monitoring`). Published once per customer's party and list entry."""

    type: ClassVar[str] = "entity.monitoring_hit"
    onboarding_case_id: str = Field(description="The case that approved the entity")
    subject: str = Field(
        description="Which party of the entity matched: individual, business, business.ubos[0]…"
    )
    party_key: str = Field(description="The party's screening key (clearances are kept under it)")
    entry_id: str = Field(description="The list entry's id")
    listed_name: str = Field(description="The listed name the party's name met")
    code: Literal["sanctions_match", "pep_match", "watchlist_match"]
    score: float
    entry_change: Literal["new", "changed", "rescreen"] = Field(
        description="Whether the entry is new in this version or changed, or `rescreen`: matched by a full "
        "re-screen (a list's first version, a matcher change, an admin's request)"
    )
    list: MonitoredList


class EntityReviewDue(CaseEvent):
    """An approved customer is due for its periodic review (by the tenant's interval for its risk level), and a
    review case was opened (`case_id`, of the workflow that approved it), which runs the workflow's checks again."""

    type: ClassVar[str] = "entity.review_due"
    onboarding_case_id: str = Field(description="The case whose approval the review renews")
    approved_at: dt.datetime = Field(description="When that approval was made")
    risk_level: Literal["low", "medium", "high", "critical"] | None = Field(
        description="The approving case's risk level, which set the interval (none: counted as low)"
    )
    due: dt.date = Field(description="The day the review was due")
    triggers: list[str] = Field(
        default_factory=list,
        description="Why the review was opened before it was due (re-underwriting: `volume_over_limit`, "
        "`chargebacks_over_threshold`; a document expiring: `document_expiring`); empty for a review on schedule",
    )


class WebhookDeliveryFailed(ArbiterEvent):
    """A webhook could not be delivered after every retry; replay it once the receiver is fixed."""

    type: ClassVar[str] = "webhook.delivery_failed"
    subscription_id: str
    delivery_id: str = Field(description="Also the `webhook-id` header the receiver saw on every attempt")
    url: str
    event_type: str = Field(description="The type of the event that was not delivered")
    event_id: str | None = None
    case_id: str | None = None
    attempts: int = Field(description="Attempts made in this round of retries")
    last_status_code: int | None = None
    last_error: str | None = None


class RuleSetPublished(ArbiterEvent):
    """An admin published a rule set version: cases that start from then on use it."""

    type: ClassVar[str] = "rule_set.published"
    rule_set_id: str
    version: int
    name: str
    previous_version: int | None = Field(description="The version new cases used until then (null: none)")
    reason: str | None = Field(description="Why, as the admin gave it (null: the API client sent no reason)")
    actor: EventActor


class AlertedHit(BaseModel):
    """A rule that hit, with the values it read."""

    rule: str = Field(description="The rule's id in the monitoring rule set")
    name: str
    severity: Literal["info", "low", "medium", "high", "critical"]
    score: float
    outcome: Literal["flag", "review", "reject", "approve"]
    values: dict[str, Any] = Field(default_factory=dict, description="What the rule read, by variable")


class TransactionDecided(ArbiterEvent):
    """A transaction was decided `review` or `block` (never `allow`, so partners are not flooded), with the alert
    it opened."""

    type: ClassVar[str] = "transaction.decided"
    alert_id: str
    transaction_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    decision: Literal["review", "block"]
    score: float
    severity: Literal["info", "low", "medium", "high", "critical"]
    amount: str = Field(description="The transaction's amount, as a decimal string")
    currency: str
    rule_set_id: str
    rule_set_version: int
    hits: list[AlertedHit] = Field(default_factory=list)


class AlertOpened(ArbiterEvent):
    """A transaction opened a monitoring alert: its customer had no open alert for this scenario."""

    type: ClassVar[str] = "alert.opened"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str = Field(description="The alert's primary scenario: the id of its most severe rule")
    transaction_id: str = Field(description="The transaction that opened it")
    decision: Literal["review", "block"]
    severity: Literal["info", "low", "medium", "high", "critical"]
    score: float
    rule_set_id: str
    rule_set_version: int


class AlertUpdated(ArbiterEvent):
    """A transaction joined an open alert of its customer with the same scenario instead of opening another."""

    type: ClassVar[str] = "alert.updated"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    transaction_id: str = Field(description="The transaction that joined it")
    transaction_count: int = Field(
        description="Transactions on the alert now, the one that opened it included"
    )
    decision: Literal["review", "block"] = Field(description="The worst decision of its transactions")
    severity: Literal["info", "low", "medium", "high", "critical"] = Field(
        description="The highest severity seen"
    )
    score: float = Field(description="The highest score seen")


class AlertClosed(ArbiterEvent):
    """A reviewer closed a monitoring alert; the customer's next hit of its scenario opens a new one."""

    type: ClassVar[str] = "alert.closed"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    resolution: Literal["true_positive", "false_positive", "no_action"]
    reason: str
    transaction_count: int = Field(description="Transactions the alert held")
    actor: EventActor


class AlertAssigned(ArbiterEvent):
    """A reviewer assigned a monitoring alert (to themselves or another reviewer), or unassigned it."""

    type: ClassVar[str] = "alert.assigned"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    assignee: str | None = Field(description="The reviewer it is assigned to now; null: unassigned")
    previous_assignee: str | None = None
    actor: EventActor


class AlertNoted(ArbiterEvent):
    """A reviewer added a note to a monitoring alert (the text is read through the review API)."""

    type: ClassVar[str] = "alert.noted"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    note_id: str
    actor: EventActor


class AlertEscalated(ArbiterEvent):
    """A reviewer escalated a monitoring alert; it stays open for whoever takes escalations."""

    type: ClassVar[str] = "alert.escalated"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    reason: str
    actor: EventActor


class AlertReportFiled(ArbiterEvent):
    """A reviewer filed a report with the authority (a suspicious activity report) about a monitoring alert; the
    alert is closed as a true positive (`alert.closed` follows)."""

    type: ClassVar[str] = "alert.report_filed"
    alert_id: str
    customer_id: str = Field(description="The integrator's id for the customer")
    scenario: str
    reason: str
    reference: str = Field(description="The report's reference with the authority")
    actor: EventActor


EVENT_TYPES: dict[str, type[ArbiterEvent]] = {
    cls.type: cls
    for cls in (
        CaseCreated,
        CaseStatusChanged,
        CaseAwaitingReview,
        CaseRevisionRequested,
        CollectionLinkIssued,
        CollectionSubmitted,
        CollectionPersonSubmitted,
        CollectionRevisionRequested,
        CaseDecided,
        CaseDecisionProposed,
        CaseDecisionConfirmed,
        CaseDecisionReturned,
        CaseAssigned,
        CaseUnassigned,
        CaseEscalated,
        CaseDeEscalated,
        CaseNoteAdded,
        DocumentDecided,
        ScreeningClearanceAdded,
        ScreeningClearanceRevoked,
        DocumentUploaded,
        PluginFailed,
        EntityMonitoringHit,
        EntityReviewDue,
        WebhookDeliveryFailed,
        TransactionDecided,
        AlertOpened,
        AlertUpdated,
        AlertClosed,
        AlertAssigned,
        AlertNoted,
        AlertEscalated,
        AlertReportFiled,
        RuleSetPublished,
    )
}
