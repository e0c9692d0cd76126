"""Bodies of the reviewers' API (`/v1/review`): what the back office sends and reads."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from arbiter.domain.case import Case
from arbiter.services.ports import CaseDetail

__all__ = ["AssignRequest", "NoteRequest", "review_case_view", "review_detail_view"]


class AssignRequest(BaseModel):
    assignee: str | None = Field(
        default="me", max_length=200, description='"me", a reviewer id, or null to unassign'
    )
    email: str | None = Field(default=None, max_length=320)


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


#: Kept on the case for the service layer, never shown: task tokens, and the execution's ARN (the AWS account id,
#: the stack's names); the case view's `path` is what reviewers see of the execution.
_HIDDEN_CASE_FIELDS = {"task_tokens", "execution_arn"}


def review_case_view(case: Case) -> dict[str, Any]:
    """The whole case for reviewers, without task tokens or the execution's ARN."""
    data = case.model_dump(mode="json", exclude=_HIDDEN_CASE_FIELDS)
    data["entity_name"] = case.entity.display_name()
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
