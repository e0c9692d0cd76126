"""Compiling a rule set once and evaluating it: hits, score, level, recommendation, and why.

Scoring (docs/rules.md):
- every enabled rule whose condition is truthy hits; a decision table hits its first matching row
  (`first`) or every matching row (`collect`);
- score = the sum of the hits' scores, floored at 0;
- recommendation: `reject` if a hit's outcome is reject or the score reaches `thresholds.reject`; else
  `review` if a hit's outcome is review, the score reaches `thresholds.review` or a rule failed to evaluate;
  else `approve` if an approve rule hit (or `approve_requires_hit` is false); else `review`;
- level: `critical` if a hit is critical or rejects, `high` at or above `reject`, `medium` at or above
  `review`, `low` below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from arbiter.domain.errors import InvalidRule
from arbiter.rules import jsonlogic
from arbiter.rules.operators import OperatorRegistry, default_registry
from arbiter.rules.ruleset import DecisionTable, RuleSetDraft
from arbiter.rules.runtime import RuleRuntimeError, var_dynamic

__all__ = ["CompiledRuleSet", "Evaluation", "compile_rule_set", "explain", "table_row_condition"]

_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True)
class _Check:
    """One compiled condition and what a hit of it reports."""

    id: str
    name: str
    description: str
    domain: str
    outcome: str
    score: float
    severity: str
    condition: Any
    test: jsonlogic.CompiledRule
    variables: tuple[str, ...]
    table: str | None = None


@dataclass
class Evaluation:
    """The result of a rule set on one context."""

    score: float
    level: str
    recommendation: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "recommendation": self.recommendation,
            "hits": self.hits,
            "errors": self.errors,
        }


def table_row_condition(table: DecisionTable, row_index: int) -> Any:
    """A row's cells as one JSON Logic condition: null matches anything, a literal equals, {op: x} applies op."""
    parts = []
    for column, cell in zip(table.inputs, table.rows[row_index].when, strict=True):
        if cell is None:
            continue
        if isinstance(cell, dict) and len(cell) == 1:
            op, operand = next(iter(cell.items()))
            parts.append({op: [column.expression, operand]})
        else:
            parts.append({"==": [column.expression, cell]})
    return {"and": parts} if parts else True


class CompiledRuleSet:
    """A rule set version compiled once: evaluate it on many contexts."""

    def __init__(self, draft: RuleSetDraft, registry: OperatorRegistry) -> None:
        self.draft = draft
        self.registry = registry
        self.checks: list[_Check] = []
        self.tables: list[tuple[DecisionTable, list[_Check]]] = []
        for index, rule in enumerate(draft.rules):
            if not rule.enabled:
                continue
            path = f"rules[{index}].condition"
            self.checks.append(
                _Check(
                    id=rule.id,
                    name=rule.name,
                    description=rule.description,
                    domain=rule.domain,
                    outcome=rule.outcome,
                    score=rule.score,
                    severity=rule.severity,
                    condition=rule.condition,
                    test=jsonlogic.compile(rule.condition, registry, path=path),
                    variables=tuple(jsonlogic.variables_read(rule.condition)),
                )
            )
        for t_index, table in enumerate(draft.tables):
            for c_index, column in enumerate(table.inputs):
                jsonlogic.compile(
                    column.expression, registry, path=f"tables[{t_index}].inputs[{c_index}].expression"
                )
            rows = []
            for r_index, row in enumerate(table.rows):
                condition = table_row_condition(table, r_index)
                try:
                    test = jsonlogic.compile(condition, registry)
                except InvalidRule as exc:
                    raise InvalidRule(
                        f"{exc.message} (in a cell)", path=f"tables[{t_index}].rows[{r_index}].when"
                    ) from exc
                rows.append(
                    _Check(
                        id=f"{table.id}.{row.id}",
                        name=f"{table.name}: {row.id}",
                        description=row.description or table.description,
                        domain=table.domain,
                        outcome=row.outcome,
                        score=row.score,
                        severity=row.severity,
                        condition=condition,
                        test=test,
                        variables=tuple(jsonlogic.variables_read(condition)),
                        table=table.id,
                    )
                )
            self.tables.append((table, rows))

        everything = self.checks + [check for _, rows in self.tables for check in rows]
        # One function tests every condition (reads shared); a failure falls back to one rule at a time.
        self._batch = jsonlogic.compile_batch([c.condition for c in everything], registry)

    @property
    def size(self) -> int:
        """How many conditions one evaluation may test."""
        return len(self.checks) + sum(len(rows) for _, rows in self.tables)

    def evaluate(self, context: dict[str, Any]) -> Evaluation:
        """Every rule and table on `context`; the hits carry the values their conditions read."""
        errors: list[dict[str, Any]] = []
        try:
            outcomes: list[bool | RuleRuntimeError] = list(self._batch(context))
        except RuleRuntimeError:
            outcomes = self._batch.each(context)
        fired: list[_Check] = []
        position = 0
        for check in self.checks:
            outcome = outcomes[position]
            position += 1
            if isinstance(outcome, RuleRuntimeError):
                errors.append({"rule_id": check.id, "error": str(outcome)})
            elif outcome:
                fired.append(check)
        for table, rows in self.tables:
            matched = False
            for check in rows:
                outcome = outcomes[position]
                position += 1
                if matched:
                    continue
                if isinstance(outcome, RuleRuntimeError):
                    errors.append({"rule_id": check.id, "error": str(outcome)})
                elif outcome:
                    fired.append(check)
                    matched = table.hit_policy == "first"
        return self._score(fired, errors, context)

    def _score(self, fired: list[_Check], errors: list[dict[str, Any]], context: Any) -> Evaluation:
        thresholds = self.draft.thresholds
        score = max(0.0, float(sum(c.score for c in fired)))
        outcomes = {c.outcome for c in fired}
        if "reject" in outcomes or score >= thresholds.reject:
            recommendation = "reject"
        elif "review" in outcomes or score >= thresholds.review or errors:
            recommendation = "review"
        elif "approve" in outcomes or not thresholds.approve_requires_hit:
            recommendation = "approve"
        else:
            recommendation = "review"
        if any(c.severity == "critical" or c.outcome == "reject" for c in fired):
            level = "critical"
        elif score >= thresholds.reject:
            level = "high"
        elif score >= thresholds.review:
            level = "medium"
        else:
            level = "low"
        hits = [self._hit(c, context) for c in fired]
        hits.sort(key=lambda h: (-_SEVERITY_RANK[h["severity"]], -h["score"]))
        return Evaluation(score=score, level=level, recommendation=recommendation, hits=hits, errors=errors)

    @staticmethod
    def _hit(check: _Check, context: Any) -> dict[str, Any]:
        values = {path: var_dynamic(context, path, None) for path in check.variables}
        hit: dict[str, Any] = {
            "rule_id": check.id,
            "name": check.name,
            "description": check.description,
            "domain": check.domain,
            "outcome": check.outcome,
            "score": check.score,
            "severity": check.severity,
            "values": {path: _bounded(value) for path, value in values.items()},
            "explanation": explain(check.condition, values),
        }
        if check.table:
            hit["table_id"] = check.table
        return hit


def _bounded(value: Any, limit: int = 2000) -> Any:
    """Values as stored on the case: large arrays and objects are cut to a readable size."""
    text = json.dumps(value, default=str)
    return value if len(text) <= limit else text[:limit] + "…"


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "…"


def explain(condition: Any, values: dict[str, Any]) -> str:
    """'entity.country = IR in high_risk_countries; checks.ownership.data.total = 60' for a hit."""
    said: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not (isinstance(node, dict) and len(node) == 1):
            return
        op, args = next(iter(node.items()))
        items = args if isinstance(args, list) else [args]
        if op in ("in_list", "in") and len(items) == 2 and _var_name(items[0]) in values:
            name = _var_name(items[0])
            where = items[1] if op == "in_list" else _show(items[1])
            said.setdefault(name, f"{name} = {_show(values[name])} in {where}")
        walk(items)

    walk(condition)
    for path, value in values.items():
        said.setdefault(path, f"{path} = {_show(value)}")
    return "; ".join(said.values())


def _var_name(node: Any) -> str | None:
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        return str(args[0]) if args and isinstance(args[0], str) else None
    return None


def compile_rule_set(draft: RuleSetDraft, registry: OperatorRegistry | None = None) -> CompiledRuleSet:
    """Check and compile every condition of a rule set (InvalidRule with the path of the first problem)."""
    base = registry or default_registry()
    return CompiledRuleSet(draft, base.with_lists(draft.lists) if draft.lists else base)
