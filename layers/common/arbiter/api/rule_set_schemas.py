"""Response bodies of the admins' rule set API (`/v1/admin/rule-sets`), as the OpenAPI document shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "RULE_SET_EXAMPLE",
    "BacktestResult",
    "DryRunResult",
    "RuleSetDetail",
    "RuleSetList",
    "RuleSetListItem",
    "RuleSetVersionSummary",
    "RuleVariables",
]

#: A rule set the API saves as it is (the body of `POST /v1/admin/rule-sets`, shown in the document).
RULE_SET_EXAMPLE: dict[str, Any] = {
    "id": "kyb-high-risk",
    "name": "KYB: high-risk countries",
    "rules": [
        {
            "id": "high-risk-country",
            "name": "Incorporated in a high-risk country",
            "condition": {
                "in_list": [{"var": "entity.business.country_of_incorporation"}, "high_risk_countries"]
            },
            "score": 40,
            "severity": "high",
            "outcome": "review",
        }
    ],
}


class RuleSetListItem(BaseModel):
    id: str
    name: str | None
    latest_version: int | None
    published_version: int | None
    updated_at: str | None


class RuleSetList(BaseModel):
    items: list[RuleSetListItem]
    cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class RuleSetVersionSummary(BaseModel):
    id: str
    version: int
    name: str
    status: str
    rules: int = Field(description="How many rules")
    tables: int = Field(description="How many decision tables")
    created_at: dt.datetime
    created_by: str | None = None
    published_at: dt.datetime | None
    published_by: str | None = None
    publish_reason: str | None = Field(
        default=None, description="Why it was published (null: no reason given)"
    )


class RuleSetDetail(BaseModel):
    """A rule set's versions (newest first) and which one is published."""

    id: str
    name: str
    latest_version: int
    published_version: int | None
    versions: list[RuleSetVersionSummary]


class RuleSetVersionRef(BaseModel):
    id: str
    version: int | None = Field(description="null for a rule set that is not saved")


class DryRunResult(BaseModel):
    """What the rule set says on a context: hits, score, level, recommendation, and rules that failed."""

    rule_set: RuleSetVersionRef
    case_id: str | None
    score: float
    level: str
    recommendation: str
    hits: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class BacktestRow(BaseModel):
    model_config = ConfigDict(extra="allow")

    case_id: str
    decision: str
    automatic: bool
    previous_recommendation: str | None
    previous_rule_set: dict[str, Any] | None
    recommendation: str
    score: float
    hits: list[str]


class BacktestResult(BaseModel):
    """The last decided cases of a workflow re-assessed with a version: which recommendations change."""

    rule_set: RuleSetVersionRef
    workflow: str
    cases: int
    changed: int
    changes: list[BacktestRow]
    agrees_with_decision: int
    results: list[BacktestRow]


class RuleVariable(BaseModel):
    path: str = Field(description='What a rule reads it with: {"var": path}')
    type: Literal["number", "string", "boolean", "list", "date", "object"]
    description: str
    examples: list[Any] = Field(description="Values seen on the tenant's recent cases of the workflow")


class RuleVariables(BaseModel):
    """What a workflow's rules can read: the rule context's paths, from the engine and the tenant's recent cases."""

    workflow: str
    rule_set_id: str | None
    cases_sampled: int = Field(description="How many of the workflow's recent cases gave examples")
    variables: list[RuleVariable]
