"""Turning Python values into DynamoDB attribute values and back, for the low-level client.

Numbers come back as int or float (never Decimal): Arbiter stores scores and percentages, not money, and
the domain models are plain JSON. Floats go in through Decimal(str(x)) so they round-trip exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

__all__ = ["RIDING_LIMIT", "from_item", "item_size", "to_item"]

#: What an item may weigh with what rides on it (a change's events or workflow continuations on its audit item, an
#: alert's events on its transaction's link): a transaction bills each item per started KB, twice.
RIDING_LIMIT = 1024

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A dict of Python values as a DynamoDB item (None values are left out)."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in values.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a dict of Python values."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def item_size(item: dict[str, Any]) -> int:
    """The bytes DynamoDB bills a low-level item by (attribute names plus values; writes are billed per KB)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(typed: dict[str, Any]) -> int:
    ((kind, value),) = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        return (len(value.lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in value.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in value)
    if kind in ("SS", "BS"):
        return sum(len(v.encode() if isinstance(v, str) else v) for v in value)
    return sum((len(v) + 1) // 2 + 1 for v in value)  # NS
