"""Keeping check results small enough for the case record and for Step Functions.

Results are stored on the case (a DynamoDB item holds at most 400 KB) and passed between states (a Step
Functions payload holds at most 256 KB). A plugin that returns more than `per_result_bytes` keeps its status,
error and flags, while its `data` is replaced by a stub listing its small top-level values; if all results
together still pass `total_bytes`, the largest are cut first. Flags beyond `max_flags` are dropped, least
severe first. Every cut is itself flagged (`result_truncated`, `flags_truncated`), so a reviewer knows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from arbiter.plugins.contract import SEVERITY_ORDER, Flag, PluginResult

# What a stub keeps of the original data: short scalars only, up to about this many bytes.
_STUB_BUDGET = 2_000
_STUB_STRING = 200


@dataclass(frozen=True)
class ResultLimits:
    """Size limits, in bytes of compact JSON."""

    per_result_bytes: int = 32_768
    total_bytes: int = 200_000
    max_flags: int = 50


def result_size(result: PluginResult) -> int:
    """The size of a result as compact JSON, in bytes."""
    return len(json.dumps(result.to_json(), separators=(",", ":"), ensure_ascii=False).encode())


def fit_results(results: dict[str, PluginResult], limits: ResultLimits) -> dict[str, PluginResult]:
    """The results cut down to the limits (results within them are returned unchanged)."""
    fitted = {name: _fit_one(name, r, limits) for name, r in results.items()}
    sizes = {name: result_size(r) for name, r in fitted.items()}
    while sum(sizes.values()) > limits.total_bytes:
        cuttable = [n for n, r in fitted.items() if not _is_stub(r) and r.data]
        if not cuttable:
            break
        largest = max(cuttable, key=lambda n: sizes[n])
        fitted[largest] = _stub(
            largest, fitted[largest], sizes[largest], "all results together were too large"
        )
        sizes[largest] = result_size(fitted[largest])
    return fitted


def _fit_one(name: str, result: PluginResult, limits: ResultLimits) -> PluginResult:
    if len(result.flags) > limits.max_flags:
        kept = sorted(result.flags, key=lambda f: -SEVERITY_ORDER[f.severity])[: limits.max_flags - 1]
        note = Flag(
            code="flags_truncated",
            severity="info",
            message=f"{len(result.flags) - len(kept)} of {len(result.flags)} flags of {name} were dropped "
            f"(least severe first) to keep the result small",
            subject=name,
        )
        result = result.model_copy(update={"flags": [*kept, note]})
    size = result_size(result)
    if size > limits.per_result_bytes:
        result = _stub(name, result, size, f"over the limit of {limits.per_result_bytes} bytes")
    return result


def _stub(name: str, result: PluginResult, size: int, why: str) -> PluginResult:
    kept: dict[str, Any] = {}
    budget = _STUB_BUDGET
    for key, value in result.data.items():
        if (
            isinstance(value, bool | int | float)
            or value is None
            or (isinstance(value, str) and len(value) <= _STUB_STRING)
        ):
            budget -= len(key) + len(json.dumps(value))
            if budget < 0:
                break
            kept[key] = value
    note = Flag(
        code="result_truncated",
        severity="info",
        message=f"The data of {name} ({size} bytes) was cut: {why}; short top-level values are kept.",
        subject=name,
    )
    return result.model_copy(
        update={
            "data": {"truncated": True, "original_bytes": size, "kept": kept},
            "flags": [*result.flags, note],
        }
    )


def _is_stub(result: PluginResult) -> bool:
    return result.data.get("truncated") is True and "original_bytes" in result.data
