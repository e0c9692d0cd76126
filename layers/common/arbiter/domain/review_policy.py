"""Four eyes: which reviewers' decisions a workflow wants a second reviewer to confirm, and why.

A workflow's `review_policy` names the kinds of decision that need a second reviewer (`second_reviewer_for`) and the
role that reviewer needs. A decision it covers is stored as the case's `proposal`; another reviewer confirms it
(the decision is then made) or sends it back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ReviewPolicy", "SecondReviewTrigger", "recommended_outcome"]

#: `critical_flags`: approving a case that carries a critical flag (a watchlist match, even one a reviewer cleared:
#: the clearance and the approval are then two people's); `high_risk`: approving a case the rules found high risk
#: (its level in `high_risk_levels`, or its score at or above `high_risk_score`); `override`: approving or rejecting
#: against the rules' recommendation.
SecondReviewTrigger = Literal["critical_flags", "high_risk", "override"]
RiskLevelName = Literal["low", "medium", "high", "critical"]

_REASONS: dict[str, str] = {
    "critical_flags": "approving over a critical flag",
    "high_risk": "approving a high-risk case",
    "override": "overriding the rules' recommendation",
}


def _high_levels() -> list[RiskLevelName]:
    return ["high", "critical"]


class ReviewPolicy(BaseModel):
    """What needs a second reviewer in a workflow's manual review (nothing by default: one reviewer decides)."""

    model_config = ConfigDict(extra="forbid")

    second_reviewer_for: list[SecondReviewTrigger] = Field(default_factory=list)
    #: The role the confirming reviewer needs (`reviewer`: any reviewer but the one who proposed).
    second_reviewer_role: Literal["reviewer", "admin"] = "reviewer"
    high_risk_levels: list[RiskLevelName] = Field(default_factory=_high_levels)
    high_risk_score: float | None = Field(default=None, ge=0)

    def reasons(
        self,
        decision: str,
        *,
        critical_flags: bool,
        risk_level: str | None,
        risk_score: float | None,
        recommendation: str | None,
    ) -> list[str]:
        """Why `decision` (approve, reject, revision) on a case carrying these needs a second reviewer; empty:
        it does not. A revision never does (it decides nothing)."""
        found: list[str] = []
        wanted = set(self.second_reviewer_for)
        if decision == "approve" and "critical_flags" in wanted and critical_flags:
            found.append("critical_flags")
        if decision == "approve" and "high_risk" in wanted:
            by_level = risk_level is not None and risk_level in self.high_risk_levels
            by_score = (
                self.high_risk_score is not None
                and risk_score is not None
                and risk_score >= self.high_risk_score
            )
            if by_level or by_score:
                found.append("high_risk")
        recommended = recommended_outcome(recommendation)
        if "override" in wanted and decision in ("approve", "reject") and recommended not in (None, decision):
            found.append("override")
        return found

    @staticmethod
    def describe(reasons: list[str]) -> str:
        """The reasons in words, as the back office and the audit trail show them."""
        return "; ".join(_REASONS.get(r, r) for r in reasons)


def recommended_outcome(recommendation: str | None) -> str | None:
    """The decision the rules recommended (`approve` or `reject`); None when they left it to a reviewer."""
    return recommendation if recommendation in ("approve", "reject") else None
