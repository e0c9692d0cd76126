"""The size guard: results that fit are untouched; the largest are cut first when all together are too big."""

from __future__ import annotations

from arbiter.plugins import PluginResult, ResultLimits, fit_results, result_size


def test_results_within_the_limits_are_untouched() -> None:
    results = {"a": PluginResult.ok({"x": 1}), "b": PluginResult.failed("boom")}
    assert fit_results(results, ResultLimits()) == results


def test_together_too_large_cuts_the_largest_first() -> None:
    results = {
        "small": PluginResult.ok({"blob": "s" * 3_000}),
        "large": PluginResult.ok({"blob": "l" * 9_000, "status_code": 200}),
        "medium": PluginResult.ok({"blob": "m" * 6_000}),
    }
    fitted = fit_results(results, ResultLimits(per_result_bytes=10_000, total_bytes=12_000))
    assert fitted["small"] == results["small"]
    assert fitted["medium"] == results["medium"]
    assert fitted["large"].data == {
        "truncated": True,
        "original_bytes": result_size(results["large"]),
        "kept": {"status_code": 200},
    }
    assert fitted["large"].flags[-1].code == "result_truncated"
    assert sum(result_size(r) for r in fitted.values()) <= 12_000


def test_cutting_stops_when_nothing_is_left_to_cut() -> None:
    results = {"a": PluginResult.failed("e" * 2_000), "b": PluginResult.ok({"blob": "b" * 500})}
    fitted = fit_results(results, ResultLimits(total_bytes=100))
    assert fitted["a"] == results["a"]
    assert fitted["b"].data["truncated"] is True
