"""JSON Schemas in definitions (a collection step's data, a workflow's context): checked when the definition loads,
and data checked against them naming the first field in error. Draft 2020-12, with the `date` and `email` formats,
through the `jsonschema` library."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

__all__ = ["check_schema", "first_error"]

_FORMATS = FormatChecker(("date", "email"))


def _dotted(parts: Any) -> str:
    return ".".join(str(p) for p in parts)


def check_schema(schema: dict[str, Any], *, object_only: bool = True) -> dict[str, Any]:
    """`schema` if it is a valid JSON Schema (of an object, with `object_only`); ValueError saying where not."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = _dotted(exc.absolute_path) or "$"
        raise ValueError(f"not a valid JSON Schema at {where}: {exc.message}") from exc
    if object_only and schema.get("type") != "object":
        raise ValueError('the schema describes an object ("type": "object")')
    return schema


def first_error(schema: dict[str, Any], data: Any) -> tuple[str, str] | None:
    """(the dotted path of the first field, in document order, that breaks `schema`; the message), or None. A
    missing required field is named itself, not its parent."""
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return None
    error = errors[0]
    field = _dotted(error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = next((n for n in error.validator_value if n not in (error.instance or {})), "")
        field = _dotted([*error.absolute_path, missing])
    return field, error.message
