"""The OpenAPI documents the API functions serve, written to docs/ (`make openapi`); a unit test keeps them equal.

Each function builds its document from its routes (`openapi_json` in its app.py) and serves it, without
authentication, at the paths below; docs/ holds the same bytes so a reader (or a client generator) needs no stack.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOCUMENTS", "ApiDocument", "main", "render"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ApiDocument:
    """One OpenAPI document: the function that builds it, where it is served, where it is checked in."""

    function: str
    served_at: tuple[str, ...]
    checked_in: str


DOCUMENTS = (
    ApiDocument("run_workflow", ("/v1/openapi.json",), "docs/openapi.json"),
    ApiDocument(
        "review_actions",
        ("/v1/review/openapi.json", "/v1/admin/openapi.json"),
        "docs/openapi-backoffice.json",
    ),
    ApiDocument("webhooks", ("/v1/webhooks/openapi.json",), "docs/openapi-webhooks.json"),
)


def render(document: ApiDocument) -> str:
    """The document as the function builds it now."""
    name = f"arbiter_openapi_{document.function}"
    module = sys.modules.get(name)
    if module is None:
        path = PROJECT_ROOT / "functions" / document.function / "app.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return str(module.openapi_json())


def main() -> None:
    """Write every document to docs/."""
    for document in DOCUMENTS:
        (PROJECT_ROOT / document.checked_in).write_text(render(document), encoding="utf-8")
        print(document.checked_in)


if __name__ == "__main__":
    main()
