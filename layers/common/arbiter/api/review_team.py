"""Reviewers' team routes: the reviewer directory, assigning to a colleague (one case or many), escalation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from arbiter.api import content_types
from arbiter.api.openapi import responses
from arbiter.api.review_schemas import AssignRequest, ReviewCaseView, review_case_view
from arbiter.domain.case import Case
from arbiter.domain.principal import ESCALATION_ROLES, Principal
from arbiter.domain.reviewer import Reviewer
from arbiter.services import review_team

if TYPE_CHECKING:
    from arbiter.bootstrap import Dependencies

__all__ = ["BulkAssignment", "ReviewerList", "review_team_router"]


class ReviewerList(BaseModel):
    """The tenant's reviewers, and the roles a case can be escalated to."""

    items: list[Reviewer]
    escalation_roles: list[str] = Field(
        default_factory=lambda: [str(r) for r in ESCALATION_ROLES],
        description="What `to` of an escalation accepts",
    )


class BulkAssignment(BaseModel):
    """The cases as they are after the assignment."""

    items: list[ReviewCaseView]


def review_team_router(deps: Callable[[], Dependencies], caller: Callable[[], Principal]) -> Router:
    """The team routes, bound to the including function's dependencies and authenticated reviewer."""
    router = Router()
    tags = ["review"]

    def view(case: Case) -> ReviewCaseView:
        due = review_team.review_deadlines(deps(), [case]).get(case.id)
        return ReviewCaseView.model_validate(review_case_view(case, due, deps().now()))

    @router.get(
        "/v1/review/reviewers",
        summary="The reviewer directory: the tenant's reviewers with their roles",
        operation_id="listReviewers",
        tags=tags,
        responses=responses(403),
    )
    def reviewers() -> ReviewerList:
        return ReviewerList(items=review_team.list_reviewers(deps().reviewer_directory, caller()))

    @router.post(
        "/v1/admin/reviewers",
        summary="Invite a reviewer: Cognito e-mails a temporary password, replaced at the first sign-in",
        operation_id="inviteReviewer",
        tags=["admin"],
        responses=responses(403, 409, status=201, description="The new account"),
    )
    def invite(body: review_team.InviteRequest) -> Response[Reviewer]:
        reviewer = review_team.invite_reviewer(deps().reviewer_directory, caller(), body)
        return Response(201, content_types.APPLICATION_JSON, reviewer)

    @router.patch(
        "/v1/admin/reviewers/<reviewer_id>",
        summary="Change a reviewer's roles, or disable or enable their account",
        operation_id="changeReviewer",
        tags=["admin"],
        responses=responses(403, 404),
    )
    def change(reviewer_id: str, body: review_team.ReviewerChange) -> Reviewer:
        return review_team.change_reviewer(deps().reviewer_directory, caller(), reviewer_id, body)

    @router.post(
        "/v1/review/cases/<case_id>/assign",
        summary='Assign the case: to me ("me", the default), to a colleague (id or e-mail), or to nobody (null)',
        operation_id="assignReviewCase",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def assign(case_id: str, body: AssignRequest) -> ReviewCaseView:
        principal = caller()
        return view(
            review_team.assign_case(deps(), deps().reviewer_directory, principal, case_id, body.assignee)
        )

    @router.post(
        "/v1/review/cases/<case_id>/unassign",
        summary="Unassign the case",
        operation_id="unassignReviewCase",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def unassign(case_id: str) -> ReviewCaseView:
        return view(review_team.assign_case(deps(), deps().reviewer_directory, caller(), case_id, None))

    @router.post(
        "/v1/review/cases/assign",
        summary="Assign up to 100 cases to one reviewer (all checked before any is assigned)",
        operation_id="assignReviewCases",
        tags=tags,
        responses=responses(403),
    )
    def assign_many(body: review_team.BulkAssignRequest) -> BulkAssignment:
        cases = review_team.assign_cases(deps(), deps().reviewer_directory, caller(), body)
        return BulkAssignment(items=[view(c) for c in cases])

    @router.post(
        "/v1/review/cases/<case_id>/escalate",
        summary="Escalate the case to a role (senior, admin): only reviewers holding it decide it",
        operation_id="escalateReviewCase",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def escalate(case_id: str, body: review_team.EscalateRequest) -> ReviewCaseView:
        return view(review_team.escalate(deps(), caller(), case_id, body))

    @router.post(
        "/v1/review/cases/<case_id>/de-escalate",
        summary="Hand an escalated case back to every reviewer (a holder of its role)",
        operation_id="deEscalateReviewCase",
        tags=tags,
        responses=responses(403, 404, 409),
    )
    def de_escalate(case_id: str, body: review_team.DeEscalateRequest) -> ReviewCaseView:
        return view(review_team.de_escalate(deps(), caller(), case_id, body))

    return router
