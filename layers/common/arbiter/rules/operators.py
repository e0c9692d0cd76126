"""Custom operators: the only way a rule reaches beyond json-logic-js's own operators.

An `OperatorRegistry` maps operator names to plain functions of JSON values, and holds the named lists
(`in_list`). Rules are compiled against one registry; an operator the registry does not hold is a malformed
rule, reported with its JSON path when the rule is saved. The default registry has `years_since` and
`in_list` with the lists below; a rule set adds its own lists (`lists` in the rule set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arbiter.rules.jsvalues import UNDEFINED, js_to_string

__all__ = ["DEFAULT_LISTS", "CustomOperator", "OperatorRegistry", "default_registry"]

#: Named lists every rule set can use with `in_list`. FATF's "black and grey lists" (2025) as ISO alpha-2.
DEFAULT_LISTS: dict[str, tuple[str, ...]] = {
    "high_risk_countries": ("IR", "KP", "MM"),
    "increased_monitoring_countries": (
        "DZ", "AO", "BO", "BG", "CM", "CI", "HR", "CD", "HT", "KE", "LA", "LB", "MC", "MZ", "NA", "NP",
        "NG", "ZA", "SS", "SY", "VE", "VN", "YE",
    ),
    "sanctioned_countries": ("CU", "IR", "KP", "SY", "RU", "BY"),
}  # fmt: skip


@dataclass(frozen=True)
class CustomOperator:
    """A registered operator: a function of the evaluated arguments, and how many it takes."""

    name: str
    function: Callable[..., Any]
    min_args: int = 0
    max_args: int | None = None
    description: str = ""
    #: Compile-time check of the literal arguments: returns an error message, or None if fine.
    check: Callable[[list[Any], OperatorRegistry], str | None] | None = None


@dataclass(frozen=True)
class OperatorRegistry:
    """The custom operators and named lists a rule may use."""

    operators: Mapping[str, CustomOperator] = field(default_factory=dict)
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def with_lists(self, lists: Mapping[str, list[str] | tuple[str, ...]]) -> OperatorRegistry:
        """This registry plus more named lists (a rule set's own): same operators, merged lists."""
        merged = dict(self.lists)
        merged.update({name: _normalised(values) for name, values in lists.items()})
        registry = OperatorRegistry(operators={}, lists=merged)
        bound = {name: _bind(op, registry) for name, op in self.operators.items()}
        object.__setattr__(registry, "operators", bound)
        return registry

    def key(self) -> tuple[Any, ...]:
        """Identity of what the registry offers (compiled rules are cached per key)."""
        return (
            tuple(sorted(self.operators)),
            tuple(sorted((k, tuple(sorted(v))) for k, v in self.lists.items())),
        )


def _normalised(values: Any) -> frozenset[str]:
    return frozenset(js_to_string(v).strip().casefold() for v in values)


def _bind(op: CustomOperator, registry: OperatorRegistry) -> CustomOperator:
    if op.name != "in_list":
        return op
    return CustomOperator(
        name=op.name,
        function=lambda value, name=UNDEFINED: _in_list(registry, value, name),
        min_args=op.min_args,
        max_args=op.max_args,
        description=op.description,
        check=op.check,
    )


def _in_list(registry: OperatorRegistry, value: Any, name: Any) -> bool:
    members = registry.lists.get(name) if name.__class__ is str else None
    if members is None or value is None or value is UNDEFINED:
        return False
    if value.__class__ is list:
        return any(_in_list(registry, item, name) for item in value)
    return js_to_string(value).strip().casefold() in members


def _check_in_list(args: list[Any], registry: OperatorRegistry) -> str | None:
    if len(args) < 2 or not isinstance(args[1], str):
        return "in_list takes a value and the name of a list as a literal string"
    if args[1] not in registry.lists:
        known = ", ".join(sorted(registry.lists)) or "none"
        return f"unknown list {args[1]!r} (known lists: {known})"
    return None


def _parse_date(value: Any) -> dt.date | None:
    if value.__class__ is not str or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def years_since(value: Any, reference: Any = UNDEFINED) -> int | None:
    """Whole years from an ISO date (YYYY-MM-DD…) to `reference` (another ISO date) or today; null if not a date."""
    start = _parse_date(value)
    if start is None:
        return None
    end = _parse_date(reference) if reference is not UNDEFINED and reference is not None else None
    if end is None:
        if reference is not UNDEFINED and reference is not None:
            return None
        end = dt.datetime.now(dt.UTC).date()
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return years


def default_registry(lists: Mapping[str, list[str] | tuple[str, ...]] | None = None) -> OperatorRegistry:
    """`years_since` and `in_list` with DEFAULT_LISTS (plus `lists`, e.g. a rule set's own)."""
    base = OperatorRegistry(
        operators={
            "years_since": CustomOperator(
                "years_since",
                years_since,
                min_args=1,
                max_args=2,
                description="whole years from an ISO date to a reference date or today",
            ),
            "in_list": CustomOperator(
                "in_list",
                lambda value, name=UNDEFINED: False,
                min_args=2,
                max_args=2,
                description="membership in a named list (case-insensitive)",
                check=_check_in_list,
            ),
        },
    )
    return base.with_lists({**DEFAULT_LISTS, **(lists or {})})
