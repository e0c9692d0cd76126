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

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from arbiter.domain.case import Recommendation, RiskLevel
from arbiter.domain.errors import InvalidRule
from arbiter.domain.underwriting import Terms, merge_terms
from arbiter.rules import jsonlogic, limits
from arbiter.rules.budget import FIRST_GRANT, UNSTARTED, Allowance, deadline
from arbiter.rules.operators import OperatorRegistry, default_registry
from arbiter.rules.ruleset import DecisionTable, RuleSetDraft
from arbiter.rules.runtime import LimitExceeded, RuleRuntimeError, var_dynamic

__all__ = ["CompiledRuleSet", "Evaluation", "compile_rule_set", "explain", "table_row_condition"]

#: What a condition over the save-time limits does: refused (saving), or failing when evaluated (stored).
OverLimits = Literal["refuse", "fail"]
_ABSENT = object()
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
    test: jsonlogic.CompiledRule | None
    variables: tuple[str, ...]
    path: str
    table: str | None = None
    #: Underwriting terms a hit proposes (a rule's or a table row's `terms`).
    terms: Terms | None = None
    #: Over the save-time limits (a stored version): the error each evaluation reports instead of testing it.
    refused: LimitExceeded | None = None

    @functools.cached_property
    def listed(self) -> tuple[tuple[str, Any], ...]:
        """What its explanation says of the values tested against a list (`_listed`): worked out once, not per hit."""
        return _listed(self.condition)


@dataclass
class Evaluation:
    """The result of a rule set on one context."""

    score: float
    level: RiskLevel
    recommendation: Recommendation
    hits: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    #: The strictest of the terms the hits propose (underwriting), None when no hit proposes any.
    terms: Terms | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "score": self.score,
            "level": self.level,
            "recommendation": self.recommendation,
            "hits": self.hits,
            "errors": self.errors,
        }
        if self.terms is not None:
            out["terms"] = self.terms.model_dump(mode="json", exclude_none=True)
        return out


def _compile(
    condition: Any,
    path: str,
    name: str,
    rule_id: str,
    *,
    registry: OperatorRegistry,
    over_limits: OverLimits,
    cells: bool = False,
) -> tuple[jsonlogic.CompiledRule | None, LimitExceeded | None]:
    """A condition checked against the limits and compiled; InvalidRule names the rule (`name`) and where.

    Over the limits with over_limits="fail": no compiled test, and the error each evaluation reports."""
    try:
        limits.check_condition(condition, "" if cells else path)
        return jsonlogic.compile(condition, registry, path="" if cells else path), None
    except InvalidRule as exc:
        # A table row's condition is its cells applied to the inputs: the row's path says where it is.
        where = path if cells else (exc.path or path)
        detail = f"{exc.message} (in its cells)" if cells else exc.message
        if over_limits == "fail" and exc.context.get("limit"):
            return None, LimitExceeded(f"{name} is over the rule limits: {detail} (at {where})", "size")
        raise InvalidRule(f"{name}: {detail}", path=where, rule_id=rule_id, **_extra(exc)) from exc


def _extra(error: InvalidRule) -> dict[str, Any]:
    return {k: v for k, v in error.context.items() if k not in ("path", "rule_id")}


def _error(check: _Check, error: RuleRuntimeError) -> dict[str, Any]:
    """A rule's failure as recorded on the case: which rule, the message, and the limit it went past."""
    out: dict[str, Any] = {"rule_id": check.id, "error": str(error)}
    if isinstance(error, LimitExceeded):
        out["limit"] = error.limit
    return out


def table_row_condition(table: DecisionTable, row_index: int) -> Any:
    """A row's cells as one JSON Logic condition (see `DecisionTable.row_condition`)."""
    return table.row_condition(row_index)


class CompiledRuleSet:
    """A rule set version compiled once: evaluate it on many contexts.

    `over_limits` says what a condition over the save-time limits (`limits.check_condition`) does: "refuse"
    raises InvalidRule naming it (saving, trying a draft); "fail" keeps the version usable and makes that
    condition fail at every evaluation (a version stored before the limits were what they are).
    """

    def __init__(
        self, draft: RuleSetDraft, registry: OperatorRegistry, over_limits: OverLimits = "refuse"
    ) -> None:
        self.draft = draft
        self.registry = registry
        self.checks: list[_Check] = []
        self.tables: list[tuple[DecisionTable, list[_Check]]] = []
        compile_condition = functools.partial(_compile, registry=registry, over_limits=over_limits)
        for index, rule in enumerate(draft.rules):
            if not rule.enabled:
                continue
            path = f"rules[{index}].condition"
            test, refused = compile_condition(rule.condition, path, f"rule {rule.id!r}", rule.id)
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
                    test=test,
                    variables=tuple(jsonlogic.variables_read(rule.condition)),
                    path=path,
                    terms=rule.terms,
                    refused=refused,
                )
            )
        for t_index, table in enumerate(draft.tables):
            inputs_refused = None
            for c_index, column in enumerate(table.inputs):
                path = f"tables[{t_index}].inputs[{c_index}].expression"
                _, refused = compile_condition(column.expression, path, f"table {table.id!r}", table.id)
                inputs_refused = inputs_refused or refused
            rows = []
            for r_index, row in enumerate(table.rows):
                check_id = f"{table.id}.{row.id}"
                path = f"tables[{t_index}].rows[{r_index}].when"
                condition = table.row_condition(r_index)
                test, refused = compile_condition(
                    condition, path, f"table {table.id!r} row {row.id!r}", check_id, cells=True
                )
                rows.append(
                    _Check(
                        id=check_id,
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
                        path=path,
                        terms=row.terms,
                        refused=inputs_refused or refused,
                    )
                )
            self.tables.append((table, rows))

        self._everything = self.checks + [check for _, rows in self.tables for check in rows]
        self._tested = [c for c in self._everything if c.refused is None]
        # One function tests every condition (reads shared); a failure falls back to one rule at a time.
        self._batch = jsonlogic.compile_batch([c.condition for c in self._tested], registry)
        #: Rules only, every one tested (none over the limits): what most monitoring versions are.
        self._rules_only = not self.tables and len(self._tested) == len(self.checks)

    @property
    def size(self) -> int:
        """How many conditions one evaluation may test."""
        return len(self.checks) + sum(len(rows) for _, rows in self.tables)

    def outline(self) -> list[dict[str, Any]]:
        """Every rule and table row that can hit, in order: its id, name, outcome and score."""
        return [
            {"rule_id": c.id, "name": c.name, "outcome": c.outcome, "score": c.score}
            for c in self._everything
        ]

    @functools.cached_property
    def variables(self) -> list[str]:
        """Every literal path any rule or table row of the version reads, in rule order."""
        seen: dict[str, None] = {}
        for check in self._everything:
            seen.update(dict.fromkeys(check.variables))
        return list(seen)

    @functools.cached_property
    def reads_computed_paths(self) -> bool:
        """Whether a rule or table row reads a path known only when it runs: then `variables` is not all it reads."""
        return any(jsonlogic.reads_computed_paths(check.condition) for check in self._everything)

    def read(self, context: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """What the version reads of `context`: the values found by path, and the paths with no value."""
        values: dict[str, Any] = {}
        absent: list[str] = []
        for path in self.variables:
            value = var_dynamic(context, path, _ABSENT)
            if value is _ABSENT:
                absent.append(path)
            else:
                values[path] = value
        return values, absent

    def path_of(self, check_id: str) -> str:
        """Where a rule (or a table's row) is in the rule set: `rules[2].condition`."""
        return next(c.path for c in self._everything if c.id == check_id)

    def evaluate(self, context: dict[str, Any]) -> Evaluation:
        """Every rule and table on `context`; the hits carry the values their conditions read."""
        errors: list[dict[str, Any]] = []
        budget = [FIRST_GRANT, UNSTARTED]
        results: Sequence[bool | RuleRuntimeError]
        try:
            results = self._batch(context, budget)
        except RuleRuntimeError:
            # Each rule alone, with its own steps, all of them within the rule set's steps and time.
            results = self._batch.each(context, Allowance(deadline=deadline(budget)))
        else:
            if (
                self._rules_only
            ):  # every condition tested, no table, none failed: the hits are the truthy ones
                return self._score(
                    [c for c, hit in zip(self.checks, results, strict=True) if hit], errors, context
                )
        if len(self._tested) == len(self._everything):
            outcomes = results
        else:
            tested = iter(results)
            outcomes = [c.refused if c.refused is not None else next(tested) for c in self._everything]
        fired: list[_Check] = []
        position = 0
        for check in self.checks:
            outcome = outcomes[position]
            position += 1
            if isinstance(outcome, RuleRuntimeError):
                errors.append(_error(check, outcome))
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
                    errors.append(_error(check, outcome))
                elif outcome:
                    fired.append(check)
                    matched = table.hit_policy == "first"
        return self._score(fired, errors, context)

    def _score(self, fired: list[_Check], errors: list[dict[str, Any]], context: Any) -> Evaluation:
        if not fired and not errors:  # most evaluations: worked out once
            quiet = self._quiet
            return Evaluation(score=quiet.score, level=quiet.level, recommendation=quiet.recommendation)
        return self._scored(fired, errors, context)

    @functools.cached_property
    def _quiet(self) -> Evaluation:
        """What an evaluation where nothing hit and nothing failed comes to (the same every time)."""
        return self._scored([], [], None)

    def _scored(self, fired: list[_Check], errors: list[dict[str, Any]], context: Any) -> Evaluation:
        thresholds = self.draft.thresholds
        score = max(0.0, float(sum(c.score for c in fired)))
        outcomes = {c.outcome for c in fired}
        recommendation: Recommendation
        level: RiskLevel
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
        terms = merge_terms(c.terms for c in fired if c.terms is not None)
        return Evaluation(
            score=score, level=level, recommendation=recommendation, hits=hits, errors=errors, terms=terms
        )

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
            "explanation": _explained(check.listed, values),
        }
        if check.table:
            hit["table_id"] = check.table
        if check.terms is not None:
            hit["terms"] = check.terms.model_dump(mode="json", exclude_none=True)
        return hit


#: The largest integer whose JSON is short enough to keep without measuring it (`_bounded`).
_SHORT_INT = 10**18


def _bounded(value: Any, limit: int = 2000) -> Any:
    """Values as stored on the case: large arrays and objects are cut to a readable size."""
    if (
        value is None
        or value.__class__ in (bool, float)
        or (value.__class__ is int and -_SHORT_INT < value < _SHORT_INT)
        or (value.__class__ is str and 12 * len(value) + 2 <= limit)
    ):
        return value  # its JSON is within the limit, whatever it holds (a character is at most 12 in JSON: two \uXXXX)
    text = json.dumps(value, default=str)
    return value if len(text) <= limit else text[:limit] + "…"


def _json(value: Any) -> str:
    """`json.dumps(value, default=str)`, its text written here for the values rules read most (json.dumps with a
    `default` makes an encoder on every call: most of what explaining a hit cost)."""
    kind = value.__class__
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (math.inf, -math.inf):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    return json.dumps(value, default=str)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else _json(value)
    return text if len(text) <= 80 else text[:77] + "…"


def explain(condition: Any, values: dict[str, Any]) -> str:
    """'entity.country = IR in high_risk_countries; checks.ownership.data.total = 60' for a hit."""
    return _explained(_listed(condition), values)


def _listed(condition: Any) -> tuple[tuple[str, Any], ...]:
    """The variables a condition tests against a list (`in_list`, `in` with an array), in the condition's order, each
    with the list (its name, or the array as shown)."""
    found: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not (isinstance(node, dict) and len(node) == 1):
            return
        op, args = next(iter(node.items()))
        items = args if isinstance(args, list) else [args]
        name = _var_name(items[0]) if items else None
        if op in ("in_list", "in") and len(items) == 2 and name is not None:
            found.append((name, items[1] if op == "in_list" else _show(items[1])))
        walk(items)

    walk(condition)
    return tuple(found)


def _explained(listed: tuple[tuple[str, Any], ...], values: dict[str, Any]) -> str:
    """`explain`'s sentence, given what the condition tests against lists (`_listed`)."""
    said: dict[str, str] = {}
    for name, where in listed:
        if name in values:
            said.setdefault(name, f"{name} = {_show(values[name])} in {where}")
    for path, value in values.items():
        said.setdefault(path, f"{path} = {_show(value)}")
    return "; ".join(said.values())


def _var_name(node: Any) -> str | None:
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        args = node["var"] if isinstance(node["var"], list) else [node["var"]]
        return str(args[0]) if args and isinstance(args[0], str) else None
    return None


def compile_rule_set(
    draft: RuleSetDraft, registry: OperatorRegistry | None = None, *, over_limits: OverLimits = "refuse"
) -> CompiledRuleSet:
    """Check and compile every condition of a rule set (InvalidRule with the path of the first problem)."""
    base = registry or default_registry()
    return CompiledRuleSet(draft, base.with_lists(draft.lists) if draft.lists else base, over_limits)
