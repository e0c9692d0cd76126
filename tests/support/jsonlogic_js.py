"""json-logic-js (the reference, from node_modules) run in one node process per batch of cases."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# undefined → null (as JSON.stringify does in arrays); NaN and the infinities tagged; errors caught per case.
_SCRIPT = r"""
const jsonLogic = require("json-logic-js");
console.log = () => {};
const tag = (key, value) => {
  if (typeof value === "number" && !Number.isFinite(value)) return {"$number": String(value)};
  return value === undefined ? null : value;
};
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([rule, data]) => {
    try {
      const result = jsonLogic.apply(rule, data);
      return {ok: JSON.parse(JSON.stringify(result === undefined ? null : result, tag))};
    } catch (e) {
      return {error: String(e && e.message)};
    }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def node_available() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "json-logic-js").is_dir()


def run_reference(cases: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """Each case's result from json-logic-js: {"ok": value} or {"error": message}."""
    completed = subprocess.run(
        ["node", "-e", _SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return list(json.loads(completed.stdout))


def tagged(value: Any) -> Any:
    """A Python result in the reference's encoding (non-finite numbers tagged)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$number": "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if isinstance(value, dict):
        return {k: tagged(v) for k, v in value.items()}
    return value


def canonical(value: Any) -> Any:
    """Compare as JSON does: true is not 1, 1 equals 1.0."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list):
        return ("array", tuple(canonical(v) for v in value))
    return ("object", tuple(sorted((k, canonical(v)) for k, v in value.items())))
