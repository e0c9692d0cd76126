"""JSON Schemas of the published events, generated from the event models (checked in under schemas/events/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arbiter.domain.events import EVENT_TYPES, ArbiterEvent

__all__ = ["catalog", "schema_file_name", "schema_of", "write_catalog"]

BASE_ID = "https://arbiter.dev/schemas/events"


def schema_file_name(event_type: type[ArbiterEvent]) -> str:
    """`case.decided` v1 -> `case.decided.v1.json`."""
    return f"{event_type.type}.v{event_type.schema_version}.json"


def schema_of(event_type: type[ArbiterEvent]) -> dict[str, Any]:
    """The schema of the event's EventBridge `detail` (its envelope: type, schema_version and fields)."""
    schema = event_type.model_json_schema(mode="serialization")
    schema["properties"] = {
        "type": {"const": event_type.type, "description": "The event type, also the EventBridge detail-type"},
        "schema_version": {"const": event_type.schema_version},
        **schema["properties"],
    }
    schema["required"] = ["type", "schema_version", *schema.get("required", [])]
    schema["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_ID}/{schema_file_name(event_type)}",
        **schema,
    }


def catalog() -> dict[str, dict[str, Any]]:
    """Every event's schema by file name."""
    return {schema_file_name(cls): schema_of(cls) for cls in EVENT_TYPES.values()}


def write_catalog(folder: Path) -> list[Path]:
    """Write every schema into `folder` (what `make schemas` runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in catalog().items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_catalog(Path(__file__).resolve().parents[4] / "schemas" / "events"):
        print(path)
