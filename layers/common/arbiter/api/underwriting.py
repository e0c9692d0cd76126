"""Re-underwriting route (`/v1/entities/{id}/underwriting-metrics`): an approved merchant's monthly figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict

from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.domain.tenant import Tenant
from arbiter.domain.underwriting import MerchantMetrics, Trigger
from arbiter.services import underwriting

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["underwriting_router"]


class MetricsRequest(MerchantMetrics):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"period": "2026-11", "processed_volume": 182000, "currency": "EUR", "chargeback_ratio": 0.4}
            ]
        },
    )


class MetricsAnswer(BaseModel):
    entity_id: str
    onboarding_case_id: str
    terms: dict[str, Any]
    triggers: list[Trigger]
    case_id: str | None = None
    opened: bool
    not_opened: str | None = None


def underwriting_router(
    deps: Callable[[], Dependencies], caller: Callable[[], tuple[Principal, Tenant]]
) -> Router:
    """The re-underwriting route, bound to the function's dependencies and its authenticated caller."""
    router = Router()

    @router.post(
        "/v1/entities/<entity_id>/underwriting-metrics",
        summary="Report a merchant's month: over its limit or chargeback threshold, it is underwritten again",
        operation_id="reportUnderwritingMetrics",
        tags=["underwriting"],
        responses=responses(404, 409),
    )
    def report(entity_id: Annotated[str, Path(max_length=200)], body: MetricsRequest) -> MetricsAnswer:
        principal, tenant = caller()
        answer = underwriting.report_metrics(deps(), principal, tenant, entity_id, body)
        return MetricsAnswer.model_validate(answer)

    return router
