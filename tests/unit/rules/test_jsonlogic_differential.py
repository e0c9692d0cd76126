"""Generated rules and data through this engine and through json-logic-js (node): identical results."""

from __future__ import annotations

import json
import re

import pytest

from arbiter.rules.jsonlogic import compile, compile_batch
from arbiter.rules.jsvalues import json_truthy
from arbiter.rules.runtime import RuleRuntimeError
from tests.support.jsonlogic_js import canonical, node_available, run_reference, tagged
from tests.unit.rules.generated_rules import cases

pytestmark = pytest.mark.skipif(not node_available(), reason="node and node_modules/json-logic-js are needed")


def ours(rule, data):
    rule, data = (
        json.loads(json.dumps(rule)),
        json.loads(json.dumps(data)),
    )  # fresh objects, as node parses them
    try:
        return {"ok": tagged(compile(rule)(data))}
    except RuleRuntimeError as exc:
        return {"error": str(exc)}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_generated_rules_agree_with_json_logic_js(seed):
    batch = cases(seed, 400)
    reference = run_reference(batch)
    mismatches = []
    for (rule, data), expected in zip(batch, reference, strict=True):
        got = ours(rule, data)
        same = ("error" in got and "error" in expected) or (
            "ok" in got and "ok" in expected and canonical(got["ok"]) == canonical(expected["ok"])
        )
        if not same:
            mismatches.append(f"{json.dumps(rule)} on {json.dumps(data)}: js {expected}, ours {got}")
    assert not mismatches, f"{len(mismatches)} of {len(batch)} differ:\n" + "\n".join(mismatches[:10])


@pytest.mark.parametrize("seed", [11, 12])
def test_rules_compiled_together_agree_with_json_logic_js(seed):
    batch = cases(seed, 300)
    rules = [json.loads(json.dumps(rule)) for rule, _ in batch[:60]]
    contexts = [json.loads(json.dumps(data)) for _, data in batch[:25]]
    reference = run_reference([(rule, data) for data in contexts for rule in rules])
    together = compile_batch(rules)
    for index, data in enumerate(contexts):
        expected = reference[index * len(rules) : (index + 1) * len(rules)]
        if any("error" in e for e in expected):
            with pytest.raises(RuleRuntimeError):
                together(data)
            continue
        assert list(together(data)) == [js_truthy_of(e["ok"]) for e in expected]


def js_truthy_of(tagged_value):
    if isinstance(tagged_value, dict) and "$number" in tagged_value:
        return tagged_value["$number"] != "NaN"
    return json_truthy(tagged_value)


def test_the_generated_cases_cover_every_operator_and_both_outcomes():
    batch = cases(1, 400)
    text = json.dumps([rule for rule, _ in batch])
    for op in ["==", "===", "!=", "<", "<=", "in", "+", "*", "-", "/", "%", "cat", "substr", "merge", "map",
               "filter", "reduce", "all", "some", "none", "missing", "missing_some", "if", "and", "or", "!!"]:  # fmt: skip
        assert f'"{op}"' in text, op
    results = [ours(rule, data) for rule, data in batch]
    assert any(r.get("ok") is True for r in results)
    assert any(r.get("ok") is False for r in results)
    assert any(isinstance(r.get("ok"), float) for r in results)


def test_ranges_agree_with_json_logic_js_on_numbers_and_on_everything_else():
    # A range's three operands compared in one chained comparison when all are numbers, json-logic-js's
    # coercions otherwise: both branches, each bound read as a literal, a variable or a computed value.
    values = [9000, 8000, 9999.99, 10000, -1, 0, 0.5, "9000", "abc", "", True, False, None, [9000], [], {}]
    rules = (
        [{op: [8000, {"var": "a"}, 9999.99]} for op in ("<", "<=")]
        + [{op: [{"var": "a"}, {"var": "b"}, {"+": [{"var": "b"}, 1]}]} for op in ("<", "<=")]
        + [{"<=": [{"var": "b"}, {"var": "a"}, {"var": "c"}]}, {"<": [1, 2, 3]}, {"<=": [3, 2, 3]}]
    )
    batch = [
        (rule, {"a": a, "b": b, "c": 9999})
        for rule in rules
        for a in values
        for b in (8000, "8000", None, 9000.5)
    ]
    reference = run_reference(batch)
    for rule in rules:  # each compiled with the chained comparison, json-logic-js's own only past a type test
        assert re.search(r" (<=?) \S+ \1 ", compile(rule).source), compile(rule).source
    mismatches = [
        f"{json.dumps(rule)} on {json.dumps(data)}: js {expected}, ours {got}"
        for (rule, data), expected in zip(batch, reference, strict=True)
        if canonical((got := ours(rule, data)).get("ok")) != canonical(expected.get("ok"))
    ]
    assert not mismatches, "\n".join(mismatches[:10])
