"""Re-underwriting: an approved merchant's monthly figures, reported by the integrator or read from transaction
monitoring, against the terms it was granted. Processing over the monthly limit, or chargebacks over the tier's
threshold (`UnderwritingPolicy.triggers`), open a review case of the underwriting workflow at once — the periodic
review's machinery (`periodic_reviews.open_review`), with the figures beside the application in its context —
instead of waiting for the review's due day. One month's figures open at most one case, however often they are sent
and whichever source sends them: the case's id is the merchant's and the month's.

From monitoring: the decision on each of the merchant's payments reads its daily counters and its monitored record
(the granted limit) already, so the month's volume costs no read (`monitoring.monthly_volume`); the payment that
takes the month over the limit asks for the review (`review_volume`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Protocol

from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from arbiter.domain.monitoring import MonthlyVolume
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.domain.underwriting import MerchantMetrics
from arbiter.services.periodic_reviews import PeriodicReviewDeps, open_review, review_case_id

__all__ = ["VolumeReviewDeps", "report_metrics", "review_volume"]


def report_metrics(
    deps: PeriodicReviewDeps, principal: Principal, tenant: Tenant, entity_id: str, metrics: MerchantMetrics
) -> dict[str, Any]:
    """Check a month's figures against the merchant's terms: `{"triggers", "case_id", "opened"}` (`case_id`: the
    review case the triggers opened, or had opened already)."""
    return _check_metrics(deps, tenant, entity_id, metrics, source="reported")


class VolumeReviewDeps(PeriodicReviewDeps, Protocol):
    """The review's ports (the tenants found one by one among them)."""


def review_volume(
    deps: VolumeReviewDeps, tenant_id: str, customer_id: str, volume: MonthlyVolume
) -> dict[str, Any]:
    """Transaction monitoring found the merchant's month over its limit: check it as reported figures are
    (`report_metrics`'s answer; the volume is what came in, no chargeback ratio)."""
    tenant = deps.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found", tenant_id=tenant_id)
    metrics = MerchantMetrics(
        period=volume.month, processed_volume=float(volume.after), currency=volume.currency
    )
    return _check_metrics(deps, tenant, customer_id, metrics, source="transactions")


def _check_metrics(
    deps: PeriodicReviewDeps,
    tenant: Tenant,
    entity_id: str,
    metrics: MerchantMetrics,
    *,
    source: Literal["reported", "transactions"],
) -> dict[str, Any]:
    record = deps.monitored.get(tenant.id, entity_id)
    if record is None:
        raise NotFound(f"no approved customer {entity_id!r}", entity_id=entity_id)
    onboarding = deps.cases.get(tenant.id, record.case_id)
    definition = deps.workflows.get(onboarding.tenant_id, onboarding.workflow_id, onboarding.workflow_version)
    terms = onboarding.decision.terms if onboarding.decision else None
    if definition.underwriting is None or terms is None:
        raise Conflict(
            f"customer {entity_id!r} was approved without underwriting terms (workflow {definition.id})",
            entity_id=entity_id,
        )
    if terms.currency and metrics.currency != terms.currency:
        raise InvalidInput(
            f"currency: the terms are in {terms.currency}, the figures in {metrics.currency}", path="currency"
        )
    triggers = definition.underwriting.triggers(terms, metrics)
    answer: dict[str, Any] = {
        "entity_id": entity_id,
        "onboarding_case_id": onboarding.id,
        "terms": terms.model_dump(mode="json", exclude_none=True),
        "triggers": [t.model_dump() for t in triggers],
        "case_id": None,
        "opened": False,
    }
    if not triggers:
        return answer
    month = dt.date.fromisoformat(f"{metrics.period}-01")
    case_id = review_case_id(tenant.id, f"{record.key}#underwriting", month)
    opened = open_review(
        deps,
        tenant,
        record,
        month,
        case_id=case_id,
        reported={**metrics.model_dump(mode="json", exclude_none=True), "source": source},
        triggers=[t.code for t in triggers],
    )
    if isinstance(opened, str):
        answer["case_id"] = case_id if opened == "opened already" else None
        answer["not_opened"] = opened
    else:
        answer.update(case_id=opened.id, opened=True)
    return answer
