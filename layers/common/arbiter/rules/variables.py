"""The variables a rule can read (`{"var": path}`), with a type, a description and example values.

A listing is built from what the engine really puts in the rule context: the paths of a context built by
`arbiter.services.assessment.rule_context`, the JSON Schema of the models it dumps (the entity, a workflow's
`context_schema`), and the contexts of real cases for what has no schema (a check's `data`, `metadata`).
Nothing here is a hand-kept list of fields: a field the engine adds shows up by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["Variable", "VariableCatalog", "VariableType", "leaves", "schema_leaves", "value_type"]

VariableType = Literal["number", "string", "boolean", "list", "date", "object"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
#: Example values kept per variable, and their length: enough to pick a value, never a whole document.
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 120


class Variable(BaseModel):
    """One path of the rule context."""

    path: str = Field(description='What a rule reads it with: {"var": path}')
    type: VariableType
    description: str = ""
    examples: list[Any] = Field(default_factory=list, description="Values seen on the tenant's recent cases")


def value_type(value: Any) -> VariableType | None:
    """The editor's type of a JSON value (None for null: it says nothing of the type)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "date" if _DATE.match(value) else "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return None


#: Items of a list of objects walked for their fields (a rule reads them in `some`, `all`, `none`).
MAX_ITEMS_WALKED = 5


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every path of a JSON document a rule reads as one value: objects are walked into, lists are values (a rule
    reads them whole, or their `length`); an empty object is a value too. The fields of a list's objects follow as
    `list[].field`: what a rule reads as `{"var": "field"}` inside `{"some": [{"var": "list"}, …]}`."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            if not isinstance(key, str) or "." in key or "[]" in key:
                continue  # `var` splits paths on dots: such a key cannot be read by its path
            yield from leaves(child, f"{prefix}.{key}" if prefix else key)
    elif prefix:
        yield prefix, value
        if isinstance(value, list):
            for item in [v for v in value if isinstance(v, dict)][:MAX_ITEMS_WALKED]:
                yield from leaves(item, f"{prefix}[]")


def schema_leaves(
    schema: dict[str, Any], prefix: str, defs: dict[str, Any] | None = None
) -> Iterator[tuple[str, VariableType, str]]:
    """The paths a JSON Schema describes (`properties`, `$ref`, nullable `anyOf`), with their type and
    description; an object without properties is a leaf of type object."""
    defs = defs if defs is not None else schema.get("$defs", {})
    schema = _resolved(schema, defs)
    description = str(schema.get("description") or schema.get("title") or "")
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        for name, child in properties.items():
            if isinstance(child, dict) and "." not in name:
                yield from schema_leaves(child, f"{prefix}.{name}", defs)
        return
    kind = _schema_type(schema)
    if kind is not None:
        yield prefix, kind, description
    items = schema.get("items")
    if kind == "list" and isinstance(items, dict):
        item = _resolved(items, defs)
        if isinstance(item.get("properties"), dict):
            yield from schema_leaves(item, f"{prefix}[]", defs)


def _resolved(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema with `$ref` followed and a nullable `anyOf` (`X | None`) reduced to X."""
    seen = 0
    while seen < 20:
        seen += 1
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = defs.get(ref.removeprefix("#/$defs/"), {})
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            continue
        options = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(options, list):
            concrete = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            if len(concrete) == 1:
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                schema = {**concrete[0], **rest}
                continue
        return schema
    return schema


def _schema_type(schema: dict[str, Any]) -> VariableType | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None and "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        kind = "string" if values and all(isinstance(v, str) for v in values) else None
    if kind is None and "const" in schema:
        found = value_type(schema["const"])
        return found
    if kind == "string":
        return "date" if schema.get("format") in ("date", "date-time") else "string"
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        return "list"
    if kind == "object":
        return "object"
    return None


class VariableCatalog:
    """Variables collected from several sources: the first type seen for a path stands (a schema's before a
    value's), descriptions fill in, examples gather from the values seen."""

    def __init__(self) -> None:
        self._variables: dict[str, Variable] = {}

    def add(self, path: str, kind: VariableType, description: str = "") -> None:
        known = self._variables.get(path)
        if known is None:
            self._variables[path] = Variable(path=path, type=kind, description=description)
        elif description and not known.description:
            known.description = description

    def add_values(self, document: dict[str, Any], describe: Any = None) -> None:
        """Each leaf of `document` as a variable, its value an example; `describe(path)` gives a description."""
        for path, value in leaves(document):
            kind = value_type(value)
            if kind is None:
                if path not in self._variables:
                    continue  # a null says nothing of its type, and is no example
                kind = self._variables[path].type
            self.add(path, kind, describe(path) if describe else "")
            self.example(path, value)

    def example(self, path: str, value: Any) -> None:
        variable = self._variables.get(path)
        if variable is None or value is None or len(variable.examples) >= MAX_EXAMPLES:
            return
        if isinstance(value, list | dict):
            if isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value):
                value = value[:5]
            else:
                return  # nested values are shown by their own paths
        if isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
            value = value[:MAX_EXAMPLE_CHARS] + "…"
        if value not in variable.examples:
            variable.examples.append(value)

    def __contains__(self, path: str) -> bool:
        return path in self._variables

    def get(self, path: str) -> Variable | None:
        return self._variables.get(path)

    def variables(self) -> list[Variable]:
        """Every variable, sorted by path."""
        return [self._variables[p] for p in sorted(self._variables)]
