"""The built-in workflow definitions, shipped as JSON beside this module."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from pydantic import ValidationError

from arbiter.domain.errors import InvalidInput
from arbiter.domain.workflow import WorkflowDefinition

__all__ = ["builtin_workflows"]


@lru_cache(maxsize=1)
def builtin_workflows() -> dict[str, WorkflowDefinition]:
    """Every definition in this folder, validated; the error names the file and the field."""
    found: dict[str, WorkflowDefinition] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            definition = WorkflowDefinition.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"workflows/{entry.name}: {path}: {first['msg']}", path=path) from exc
        found[definition.id] = definition
    return found
