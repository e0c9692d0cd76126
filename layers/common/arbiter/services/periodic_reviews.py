"""Periodic reviews: an approved customer is reviewed again when its tenant's interval for its risk level has passed
since its approval (high risk yearly, low every three years by default: `TenantSettings.review_interval_months`).

Once a day, every tenant's monitored index (the approved customers, see arbiter.domain.monitored) is read and a
review case is opened for each customer due that day or before: a case of the workflow that approved it, with the
entity as its onboarding case holds it, which runs the workflow's checks and rules again and is decided by them or
by a reviewer. Its approval writes the customer's record anew, so the next review is due one interval after it.
The case's id is derived from the customer and the day it was due, so a day run twice opens nothing twice; a
customer switched out of monitoring, or with an active case of that workflow, gets none.

Documents expire: an ID's expiry date (`Document.expires_on`) is kept on the customer's record, and a customer one
of whose documents expires within the tenant's margin (`document_expiry_margin_days`) is due that day even before
its review. Its review case (or a review on schedule finding such a document on the onboarding case) asks for the
document again first: the case waits, as a revision, for the new version, through a collection link Arbiter
issues when the workflow collects through links; its checks run once the revision is resubmitted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from arbiter.domain.case import SYSTEM, Case
from arbiter.domain.collection import MAX_LINK_DAYS
from arbiter.domain.document import Document
from arbiter.domain.errors import ConcurrentUpdate, Conflict, NotFound
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.tenant import Tenant
from arbiter.services import collection, collection_mail
from arbiter.services.cases import CaseDeps, active_case, pin_rule_set
from arbiter.services.collection import CollectionLinkDeps, CollectionLinkRequest
from arbiter.services.ports import MonitoredEntities, TenantStore

__all__ = [
    "DOCUMENT_EXPIRING",
    "PeriodicReviewDeps",
    "ReviewRun",
    "expiring_documents",
    "open_due_reviews",
    "open_review",
    "review_case_id",
]

#: The trigger of a review opened before it was due because a document expires (`entity.review_due`'s `triggers`).
DOCUMENT_EXPIRING = "document_expiring"

log = Logger(child=True)


class PeriodicReviewDeps(CaseDeps, CollectionLinkDeps, Protocol):
    """The case store, the monitored index, the tenants (for their intervals) and the collection links and their
    e-mail (a review asking for an expired document sends one)."""

    @property
    def monitored(self) -> MonitoredEntities: ...
    @property
    def tenants(self) -> TenantStore: ...


@dataclass
class ReviewRun:
    """What one day's run did (logged by the function)."""

    day: dt.date
    tenants: int = 0
    customers: int = 0
    due: int = 0
    opened: list[str] = field(default_factory=list)
    #: Due, but left for now: switched out of monitoring, an active case of the workflow, opened already.
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def review_case_id(tenant_id: str, key: str, due: dt.date) -> str:
    """The review case of customer `key` due on `due`: the same id however often the day is run."""
    digest = hashlib.sha256(f"{tenant_id}\x00{key}\x00{due.isoformat()}".encode()).hexdigest()[:32]
    return f"rev_{digest}"


def open_due_reviews(deps: PeriodicReviewDeps, day: dt.date, *, tenant_id: str | None = None) -> ReviewRun:
    """Open a review case for every monitored customer of every tenant (or of `tenant_id` only) due on `day` or
    before."""
    run = ReviewRun(day=day)
    for tenant in deps.tenants.all():
        if tenant_id is not None and tenant.id != tenant_id:
            continue
        run.tenants += 1
        intervals = tenant.settings.review_interval_months.model_dump()
        margin = tenant.settings.document_expiry_margin_days
        for record in deps.monitored.of_tenant(tenant.id):
            run.customers += 1
            scheduled, expiring = record.review_due(intervals), record.documents_due(margin)
            due = min((d for d in (scheduled, expiring) if d is not None), default=None)
            if due is None or due > day:
                continue
            run.due += 1
            if not record.enabled:
                run.skip("monitoring switched off")
                continue
            early = scheduled is None or due < scheduled  # only a document expiring makes it due
            opened = open_review(
                deps, tenant, record, due, triggers=[DOCUMENT_EXPIRING] if early else None, day=day
            )
            if isinstance(opened, str):
                run.skip(opened)
            else:
                run.opened.append(opened.id)
    return run


def open_review(
    deps: PeriodicReviewDeps,
    tenant: Tenant,
    record: MonitoredEntity,
    due: dt.date,
    *,
    case_id: str | None = None,
    reported: dict[str, Any] | None = None,
    triggers: list[str] | None = None,
    day: dt.date | None = None,
) -> Case | str:
    """The review case, stored with its workflow's start; or why none was opened. The case reads the onboarding
    case's entity and context, with `reported` (what the customer reported) beside it. Given the `day` reviewed, the
    onboarding case's documents that expire by then and the tenant's margin are asked for again first (see the
    module's docstring)."""
    case_id = case_id or review_case_id(tenant.id, record.key, due)
    try:
        deps.cases.get(tenant.id, case_id)
        return "opened already"
    except NotFound:
        pass
    try:
        onboarding = deps.cases.get(tenant.id, record.case_id)
    except NotFound:
        return "onboarding case gone"  # erased: there is no one to review
    entity = onboarding.entity
    if entity.id and active_case(deps, tenant.id, entity.id, record.workflow_id) is not None:
        return "active case of the workflow"
    definition = deps.workflows.get(tenant.id, record.workflow_id)
    margin = tenant.settings.document_expiry_margin_days
    expiring = []
    if day is not None and margin is not None:
        expiring = expiring_documents(onboarding, day + dt.timedelta(days=margin))
    collecting = bool(expiring) and definition.collection is not None
    case, change = Case.open_for_review(
        tenant_id=tenant.id,
        case_id=case_id,
        workflow_id=definition.id,
        workflow_version=definition.version,
        machine=definition.machine,
        entity=entity,
        record=record,
        due=due,
        at=deps.now(),
        context={**onboarding.context, **({"reported": reported} if reported else {})},
        triggers=triggers,
        expiring=expiring,
        today=day,
        collecting=collecting,
    )
    case.rule_set = pin_rule_set(deps, tenant.id, definition.rule_set_id)
    answers = deps.collection_links.answers(tenant.id, onboarding.id) if collecting else {}
    if collecting:
        # The applicant resubmits their onboarding answers with the new document: the journey starts from them.
        for step, data in answers.items():
            deps.collection_links.save_answer(tenant.id, case.id, step, data, deps.now())
    try:
        deps.cases.add(case, change)
    except (ConcurrentUpdate, Conflict):
        log.info("review case %s was opened by another run", case_id)
        return "opened already"
    if collecting:
        # The longest a link lasts: the applicant is asked ahead of the expiry (the margin), not for a same-day answer.
        issued = collection.issue_system_link(
            deps, case, CollectionLinkRequest(expires_in_days=MAX_LINK_DAYS)
        )
        # Sent to the applicant's address on the case (or in the answers carried over), as a link an integrator
        # asks for without naming one.
        collection_mail.link_email(deps, case, issued.link, issued.token, SYSTEM, to=None, answers=answers)
    return case


def expiring_documents(case: Case, by: dt.date) -> list[tuple[Document, dt.date]]:
    """The case's documents that expire on `by` or before, with their expiry days (documents without one: none)."""
    return [(d, day) for d in case.documents if (day := d.expires_on()) is not None and day <= by]
