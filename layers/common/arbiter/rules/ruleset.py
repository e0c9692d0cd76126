"""Rule sets: versioned lists of JSON Logic rules and decision tables, with the thresholds that score them.

A rule set is data an operator writes (`RuleSetDraft`); the store gives each saved draft the next version
and keeps it unchanged for ever (`RuleSetVersion`); publishing a version makes it the one new cases pin.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from arbiter.domain.errors import InvalidRule
from arbiter.domain.underwriting import Terms
from arbiter.domain.versions import VersionSummary

__all__ = [
    "Cell",
    "DecisionRow",
    "DecisionTable",
    "Outcome",
    "Rule",
    "RuleSetDraft",
    "RuleSetSummary",
    "RuleSetVersion",
    "Severity",
    "TableInput",
    "Thresholds",
    "child_path",
    "parse_draft",
]

Outcome = Literal["flag", "review", "reject", "approve"]
Severity = Literal["info", "low", "medium", "high", "critical"]
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: A decision-table cell: null (any value), a literal (equals), or {operator: operand} applied to the input.
Cell = Any


class Rule(BaseModel):
    """One rule: when `condition` (JSON Logic on the rule context) is truthy, the rule hits."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    condition: Any
    score: float = Field(default=0, ge=-1000, le=1000)
    severity: Severity = "medium"
    outcome: Outcome = "flag"
    domain: str = Field(
        default="general", max_length=64, description="What the rule is about (country, ownership…)"
    )
    enabled: bool = True
    #: Underwriting terms a hit proposes (the strictest of every hit's wins: arbiter.domain.underwriting).
    terms: Terms | None = None


class TableInput(BaseModel):
    """A column of a decision table: a name and the JSON Logic expression that gives its value."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expression: Any


class DecisionRow(BaseModel):
    """A row: one cell per input (all must match) → outcome and score."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID)
    when: list[Cell]
    outcome: Outcome = "flag"
    score: float = Field(default=0, ge=-1000, le=1000)
    severity: Severity = "medium"
    description: str = Field(default="", max_length=2000)
    #: Underwriting terms the row proposes when it hits.
    terms: Terms | None = None


class DecisionTable(BaseModel):
    """Rows of conditions on the inputs; `first` hits the first matching row only, `collect` every one."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    domain: str = Field(default="general", max_length=64)
    hit_policy: Literal["first", "collect"] = "first"
    inputs: list[TableInput] = Field(min_length=1, max_length=20)
    rows: list[DecisionRow] = Field(min_length=1, max_length=500)

    def row_condition(self, row_index: int) -> Any:
        """A row's cells as one JSON Logic condition: null matches anything, a literal equals, {op: x} applies op."""
        parts = []
        for column, cell in zip(self.inputs, self.rows[row_index].when, strict=True):
            if cell is None:
                continue
            if isinstance(cell, dict) and len(cell) == 1:
                op, operand = next(iter(cell.items()))
                parts.append({op: [column.expression, operand]})
            else:
                parts.append({"==": [column.expression, cell]})
        return {"and": parts} if parts else True

    @model_validator(mode="after")
    def _cells_match_inputs(self) -> DecisionTable:
        for index, row in enumerate(self.rows):
            if len(row.when) != len(self.inputs):
                raise ValueError(
                    f"rows[{index}].when has {len(row.when)} cells for {len(self.inputs)} inputs"
                )
        return self


class Thresholds(BaseModel):
    """Score boundaries: at or above `review` a reviewer looks; at or above `reject` the case is rejected."""

    model_config = ConfigDict(extra="forbid")

    review: float = 30
    reject: float = 80
    #: Approve automatically only when an `approve` rule hit (positive evidence), not merely when nothing hit.
    approve_requires_hit: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.reject < self.review:
            raise ValueError("reject must be at or above review")
        return self


class RuleSetDraft(BaseModel):
    """What an operator saves: the content of one version."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    rules: list[Rule] = Field(default_factory=list, max_length=500)
    tables: list[DecisionTable] = Field(default_factory=list, max_length=50)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    #: Named lists for `in_list`, beside the built-in ones (high_risk_countries…).
    lists: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSetDraft:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise InvalidRule(f"duplicate rule id {rule.id!r}", path=f"rules[{index}].id")
            seen.add(rule.id)
        for index, table in enumerate(self.tables):
            if table.id in seen:
                raise InvalidRule(f"duplicate id {table.id!r}", path=f"tables[{index}].id")
            seen.add(table.id)
        return self


class RuleSetVersion(RuleSetDraft):
    """A stored version: immutable content, plus when it was saved and published and by whom."""

    version: int = Field(ge=1)
    status: Literal["draft", "published"] = "draft"
    created_at: dt.datetime
    created_by: str | None = None
    published_at: dt.datetime | None = None
    published_by: str | None = None
    #: Why it was published, as the admin gave it (None: published by a client that sent no reason).
    publish_reason: str | None = None

    def content(self) -> RuleSetDraft:
        return RuleSetDraft.model_validate(self.model_dump(include=set(RuleSetDraft.model_fields)))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "status": self.status,
            "rules": len(self.rules),
            "tables": len(self.tables),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_by": self.published_by,
            "publish_reason": self.publish_reason,
        }


class RuleSetSummary(VersionSummary):
    """One rule set in the tenant's list: its newest version and the one new cases pin."""


def child_path(path: str, key: str | int) -> str:
    """`condition` + 1 → `condition[1]`; + "and" → `condition.and`; + "==" → `condition["=="]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _path(location: tuple[Any, ...]) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def parse_draft(data: Any) -> RuleSetDraft:
    """A draft from JSON, or InvalidRule naming the path of the first problem."""
    try:
        return RuleSetDraft.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        raise InvalidRule(message, path=_path(tuple(error.get("loc", ())))) from exc
