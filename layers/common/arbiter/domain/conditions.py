"""Conditions in definitions (a check's `when`, a collection step's `show_if`): JSON Logic in the rules' dialect,
checked when the definition loads and evaluated on the data they are about. The rule engine loads with the first
condition, not with the definitions."""

from __future__ import annotations

from typing import Any

from arbiter.domain.errors import InvalidRule

__all__ = ["checked_condition", "holds"]


def checked_condition(condition: dict[str, Any] | None, path: str) -> dict[str, Any] | None:
    """`condition` if it compiles; ValueError naming where not (for a pydantic validator, which adds the field)."""
    if condition is not None:
        from arbiter.rules.jsonlogic import compile as compile_rule

        try:
            compile_rule(condition, path=path)
        except InvalidRule as exc:
            raise ValueError(f"{exc.path}: {exc.message}") from exc
    return condition


def holds(condition: dict[str, Any] | None, data: dict[str, Any], path: str) -> bool:
    """True when `condition` is truthy on `data` (no condition: always)."""
    if condition is None:
        return True
    from arbiter.rules.jsonlogic import compile as compile_rule

    return bool(compile_rule(condition, path=path).truthy(data))
