"""Periodic reviews: an approved customer is reviewed again when its tenant's interval for its risk level has passed
since its approval (high risk yearly, low every three years by default: `TenantSettings.review_interval_months`).

Once a day, every tenant's monitored index (the approved customers, see arbiter.domain.monitored) is read and a
review case is opened for each customer due that day or before: a case of the workflow that approved it, with the
entity as its onboarding case holds it, which runs the workflow's checks and rules again and is decided by them or
by a reviewer. Its approval writes the customer's record anew, so the next review is due one interval after it.
The case's id is derived from the customer and the day it was due, so a day run twice opens nothing twice; a
customer switched out of monitoring, or with an active case of that workflow, gets none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from arbiter.domain.case import Case
from arbiter.domain.errors import ConcurrentUpdate, Conflict, NotFound
from arbiter.domain.monitored import MonitoredEntity
from arbiter.domain.tenant import Tenant
from arbiter.services.cases import CaseDeps, active_case, pin_rule_set
from arbiter.services.ports import MonitoredEntities, TenantDirectory

__all__ = ["PeriodicReviewDeps", "ReviewRun", "open_due_reviews", "open_review", "review_case_id"]

log = Logger(child=True)


class PeriodicReviewDeps(CaseDeps, Protocol):
    """The case store, the monitored index and the tenants (for their intervals)."""

    @property
    def monitored(self) -> MonitoredEntities: ...
    @property
    def tenants(self) -> TenantDirectory: ...


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
        for record in deps.monitored.of_tenant(tenant.id):
            run.customers += 1
            due = record.review_due(intervals)
            if due is None or due > day:
                continue
            run.due += 1
            if not record.enabled:
                run.skip("monitoring switched off")
                continue
            opened = open_review(deps, tenant, record, due)
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
) -> Case | str:
    """The review case, stored with its workflow's start; or why none was opened. The case reads the onboarding
    case's entity and context, with `reported` (what the customer reported) beside it."""
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
    )
    case.rule_set = pin_rule_set(deps, tenant.id, definition.rule_set_id)
    try:
        deps.cases.add(case, change)
    except (ConcurrentUpdate, Conflict):
        log.info("review case %s was opened by another run", case_id)
        return "opened already"
    return case
