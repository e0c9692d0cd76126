"""Reviewers' evidence route (`/v1/review/cases/{id}/evidence`): build a case's evidence bundle and link to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from arbiter.api.openapi import responses
from arbiter.domain.principal import Principal
from arbiter.services import evidence

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["review_evidence_router"]


def review_evidence_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The evidence route, bound to the including function's dependencies and authenticated reviewer."""
    router = Router()

    @router.get(
        "/v1/review/cases/<case_id>/evidence",
        summary="Build the case's evidence bundle (PDF report, JSON, documents; zipped) and link to it",
        description="The zip is stored in the documents bucket and linked by a presigned GET valid 15 minutes; "
        "its SHA-256 is recorded in the case's audit trail (`evidence.exported`). See docs/api.md for its contents.",
        operation_id="exportEvidenceBundle",
        tags=["review"],
        responses=responses(403, 404, 409),
    )
    def export_evidence(case_id: str) -> evidence.EvidenceLink:
        principal = caller()

        def deliveries() -> list[dict[str, Any]]:
            from arbiter.api.webhook_schemas import case_delivery_view
            from arbiter.services import webhooks

            return [
                case_delivery_view(d)
                for d in webhooks.recent_case_deliveries(deps().webhooks, principal, case_id)
            ]

        return evidence.export_evidence(deps(), principal, case_id, webhook_deliveries=deliveries)

    return router
