"""Rule engine bench: the compiled engine, json-logic-qubit and json-logic-js on one KYB rule set.

Every engine evaluates the same 24 rules on the same generated contexts, in this run. Rounds are interleaved
(ours, node, qubit, ours, …) so that load from other processes falls on all engines alike; the best round
of each counts. Prints rule evaluations per second, the ratios (goals: at least 2x json-logic-js and 15x
json-logic-qubit), compile time per rule and whether the engines agree. Run with `make bench-rules`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT / "layers" / "common")]

import json_logic  # noqa: E402
from workload import RULES, contexts  # noqa: E402

from arbiter.rules import jsonlogic  # noqa: E402
from arbiter.rules.jsvalues import json_truthy  # noqa: E402
from arbiter.rules.operators import default_registry  # noqa: E402

GOAL_JS, GOAL_QUBIT = 2.0, 15.0


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


class NodeEngine:
    """json-logic-js in one node process, timed inside node one round at a time."""

    def __init__(self, rules: list, data: list) -> None:
        self.process = subprocess.Popen(
            ["node", str(HERE / "js_side.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self._ask(json.dumps({"rules": rules, "contexts": data}))

    def _ask(self, line: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def round(self) -> float:
        return float(self._ask("round"))

    def results(self) -> list[list[bool]]:
        return list(json.loads(self._ask("results")))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def compile_time_per_rule(rules: list, repeat: int = 20) -> float:
    """Seconds to check and compile one rule (uncached), the median over the rule set."""
    registry = default_registry()
    per_rule = []
    for rule in rules:
        start = time.perf_counter()
        for _ in range(repeat):
            jsonlogic._build(rule, registry, "")
        per_rule.append((time.perf_counter() - start) / repeat)
    per_rule.sort()
    return per_rule[len(per_rule) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contexts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data = contexts(args.contexts)
    evaluations = len(data) * len(RULES)
    print(f"rule set: {len(RULES)} rules; contexts: {len(data)}; rule evaluations per round: {evaluations}")

    compiled = [jsonlogic.compile(rule) for rule in RULES]
    together = jsonlogic.compile_batch(RULES)
    qubit_errors = 0

    def rule_set() -> None:
        for context in data:
            together(context)

    def rule_by_rule() -> None:
        for context in data:
            for rule in compiled:
                json_truthy(rule(context))

    def qubit() -> None:
        nonlocal qubit_errors
        qubit_errors = 0
        for context in data:
            for rule in RULES:
                try:
                    json_logic.jsonLogic(rule, context)
                except Exception:  # qubit fails on some rules json-logic-js runs; count them
                    qubit_errors += 1

    node = NodeEngine(RULES, data)
    best = {
        "rule set": float("inf"),
        "rule by rule": float("inf"),
        "node": float("inf"),
        "qubit": float("inf"),
    }
    try:
        node.round()  # warm the JIT
        for _ in range(args.rounds):
            best["rule set"] = min(best["rule set"], timed(rule_set))
            best["node"] = min(best["node"], node.round())
            best["rule by rule"] = min(best["rule by rule"], timed(rule_by_rule))
            best["qubit"] = min(best["qubit"], timed(qubit))
        js_results = node.results()
    finally:
        node.close()

    ours_results = [list(together(context)) for context in data]
    assert ours_results == [[json_truthy(rule(context)) for rule in compiled] for context in data]
    agree = sum(
        a == b
        for row_a, row_b in zip(ours_results, js_results, strict=True)
        for a, b in zip(row_a, row_b, strict=True)
    )
    hits = sum(sum(row) for row in ours_results)
    compile_s = compile_time_per_rule(RULES)

    print()
    print(f"{'engine':<24}{'evaluations/s':>16}{'µs/evaluation':>16}{'rule sets/s':>14}")
    for name, key in [
        ("arbiter (rule set)", "rule set"),
        ("arbiter (rule by rule)", "rule by rule"),
        ("json-logic-js (node)", "node"),
        ("json-logic-qubit", "qubit"),
    ]:
        seconds = best[key]
        print(
            f"{name:<24}{evaluations / seconds:>16,.0f}{seconds / evaluations * 1e6:>16.3f}{len(data) / seconds:>14,.0f}"
        )
    print()
    ours = best["rule set"]
    vs_js, vs_qubit = best["node"] / ours, best["qubit"] / ours
    print(
        f"vs json-logic-js:    {vs_js:6.2f}x  (goal >= {GOAL_JS:g}x: {'met' if vs_js >= GOAL_JS else 'NOT met'})"
    )
    print(
        f"vs json-logic-qubit: {vs_qubit:6.2f}x  (goal >= {GOAL_QUBIT:g}x: {'met' if vs_qubit >= GOAL_QUBIT else 'NOT met'})"
    )
    single = best["rule by rule"]
    print(
        f"rule by rule (one call per rule): {best['node'] / single:.2f}x json-logic-js, {best['qubit'] / single:.2f}x qubit"
    )
    print(f"compile time per rule (median, uncached): {compile_s * 1e6:,.0f} µs")
    print(f"agreement with json-logic-js: {agree}/{evaluations} results; rules that hit: {hits}")
    print(f"json-logic-qubit errors (raised where json-logic-js answers): {qubit_errors} of {evaluations}")


if __name__ == "__main__":
    main()
