"""Limits of the rule engine: refused when saved (naming the rule and where), stopped when evaluated."""

from __future__ import annotations

import copy
import json
import time

import pytest

from arbiter.domain.errors import InvalidRule
from arbiter.rules import budget, limits
from arbiter.rules.budget import Allowance
from arbiter.rules.evaluation import compile_rule_set
from arbiter.rules.jsonlogic import compile
from arbiter.rules.ruleset import parse_draft
from arbiter.rules.runtime import LimitExceeded

A900 = list(range(900))
#: Observed: a dry run of this ran 729M iterations (5 s) while other tenants' requests waited.
NESTED_LOOPS = {"all": [A900, {"all": [A900, {"all": [A900, True]}]}]}
#: Observed: 155 bytes that built an 8.4 MB string (the accumulator doubled 23 times).
DOUBLING = {"reduce": [list(range(1, 24)), {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "x"]}
#: Under every save-time limit, but its string passes MAX_STRING_LENGTH at the 589th element.
GROWING = {"reduce": [list(range(600)), {"cat": [{"var": "accumulator"}, "x" * 170]}, ""]}


def rule(id, condition, **extra):
    return {"id": id, "name": id, "condition": condition, **extra}


def rule_set(*conditions, approve=True):
    rules = [rule("known", True, outcome="approve")] if approve else []
    rules += [rule(f"r{i}", c) for i, c in enumerate(conditions)]
    return {"id": "limits", "name": "limits", "rules": rules}


def refused(body):
    start = time.monotonic()
    with pytest.raises(InvalidRule) as error:
        compile_rule_set(parse_draft(body))
    assert time.monotonic() - start < 1
    return error.value


# ------------------------------------------------------------------------------------------- when saved
def test_the_observed_729m_iteration_rule_is_refused_naming_the_rule():
    error = refused(rule_set(NESTED_LOOPS))
    assert error.path.startswith("rules[1].condition.all[1]")
    assert error.context["rule_id"] == "r0"
    assert error.message.startswith("rule 'r0': ")


def test_the_observed_8mb_string_rule_is_refused_naming_the_rule():
    assert len(json.dumps(DOUBLING, separators=(",", ":"))) < 160
    error = refused(rule_set(DOUBLING))
    assert (error.path, error.context["limit"], error.context["rule_id"]) == (
        "rules[1].condition.reduce[1]",
        "accumulator",
        "r0",
    )
    assert error.message.startswith("rule 'r0': ")
    assert "doubling" in error.message


def test_loops_nest_two_deep_and_no_deeper():
    data = {"var": "a"}
    two = {"some": [data, {"all": [{"var": "xs"}, {">": [{"var": ""}, 1]}]}]}
    compile_rule_set(parse_draft(rule_set(two)))
    three = {"some": [data, {"all": [{"var": "xs"}, {"none": [{"var": "ys"}, True]}]}]}
    error = refused(rule_set(three))
    assert error.path == "rules[1].condition.some[1].all[1].none"
    assert error.context["limit"] == "loop_nesting"
    assert "third loop" in error.message


def test_a_loop_over_what_another_loop_returns_is_not_nested():
    # The filter runs once, before the some: only loops in another loop's logic multiply.
    inner = {"filter": [{"var": "a"}, {"some": [{"var": "xs"}, True]}]}
    compile_rule_set(parse_draft(rule_set({"some": [inner, {"all": [{"var": "ys"}, True]}]})))
    reduce_initial = {
        "reduce": [{"var": "a"}, {"+": [{"var": "accumulator"}, 1]}, {"map": [{"var": "b"}, 1]}]
    }
    compile_rule_set(parse_draft(rule_set({"some": [{"var": "c"}, reduce_initial]})))


@pytest.mark.parametrize(
    ("condition", "limit", "path"),
    [
        ({"in": [{"var": "x"}, ["a" * 1000] * 20]}, "bytes", "rules[1].condition"),
        ({"and": [{"==": [{"var": f"v{i}"}, i]} for i in range(700)]}, "nodes", "rules[1].condition"),
        ({"in": [{"var": "x"}, list(range(600))]}, None, None),
        ({"or": [{"in": [{"var": "x"}, list(range(600))]}, {"in": [{"var": "y"}, list(range(600))]}]},
         "literal_elements", "rules[1].condition.or[1].in[1]"),
        ({"merge": [{"cat": ["a", "a"]}, {"cat": ["b", {"var": "accumulator"}]}]}, None, None),
    ],
)  # fmt: skip
def test_size_nodes_and_literal_arrays_are_bounded(condition, limit, path):
    body = rule_set(condition)
    if limit is None:
        compile_rule_set(parse_draft(body))
        return
    error = refused(body)
    assert (error.context["limit"], error.path, error.context["rule_id"]) == (limit, path, "r0")


def test_nesting_is_bounded_and_a_very_deep_rule_is_refused_not_crashed():
    deep = True
    for _ in range(limits.MAX_RULE_DEPTH):
        deep = {"!": [deep]}
    compile_rule_set(parse_draft(rule_set(deep)))
    error = refused(rule_set({"!": [deep]}))
    assert error.context["limit"] == "depth"
    very_deep = True
    for _ in range(50_000):
        very_deep = [very_deep]
    error = refused(rule_set(very_deep))
    assert error.context["limit"] == "depth"


@pytest.mark.parametrize(
    "logic",
    [
        {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]},
        [{"var": "accumulator"}, {"var": "accumulator"}],
        {"cat": [{"var": "accumulator"}, {"substr": [{"var": "accumulator"}, 1]}]},
        {"if": [{"var": "current"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator.x"}]}, ""]},
        {"map": [{"var": "accumulator"}, [{"var": ""}, {"var": ""}]]},
        {"cat": [{"var": ""}, {"var": ""}]},  # the whole {current, accumulator}
    ],
)
def test_reduce_logic_that_can_double_its_accumulator_is_refused(logic):
    error = refused(rule_set({"reduce": [{"var": "xs"}, logic, []]}))
    assert (error.path, error.context["limit"]) == ("rules[1].condition.reduce[1]", "accumulator")


@pytest.mark.parametrize(
    "logic",
    [
        {"+": [{"var": "accumulator"}, {"var": "current"}]},
        {"if": [{">": [{"var": "current"}, {"var": "accumulator"}]}, {"var": "current"}, {"var": "accumulator"}]},
        {"merge": [{"var": "accumulator"}, [{"var": "current"}]]},
        {"cat": [{"var": "accumulator"}, {"var": "current"}, {"var": "current"}]},
    ],
)  # fmt: skip
def test_reduce_logic_that_uses_its_accumulator_once_is_accepted(logic):
    compiled = compile_rule_set(parse_draft(rule_set({"reduce": [{"var": "xs"}, logic, 0]})))
    assert compiled.evaluate({"xs": [1, 2, 3]}).errors == []


def test_tables_inputs_and_rows_are_checked_and_named():
    table = {
        "id": "volume",
        "name": "Volume",
        "inputs": [{"name": "v", "expression": {"var": "v"}}],
        "rows": [{"id": "big", "when": [{">=": 10}]}, {"id": "listed", "when": [{"in": list(range(1001))}]}],
    }
    error = refused({**rule_set(), "tables": [table]})
    assert error.path == "tables[0].rows[1].when"
    assert error.message.startswith("table 'volume' row 'listed': ")
    assert error.context["rule_id"] == "volume.listed"
    table["rows"].pop()
    table["inputs"][0]["expression"] = {"some": [{"var": "a"}, NESTED_LOOPS]}
    error = refused({**rule_set(), "tables": [table]})
    assert error.path.startswith("tables[0].inputs[0].expression.some[1].all[1]")
    assert error.message.startswith("table 'volume': ")


def test_a_malformed_rule_names_the_rule_too():
    error = refused(rule_set({"and": [True, {"nope": 1}]}))
    assert (error.path, error.context["rule_id"]) == ("rules[1].condition.and[1].nope", "r0")
    assert error.message == "rule 'r0': unknown operator: 'nope'"


def test_a_stored_version_over_the_limits_still_runs_and_its_rule_fails():
    draft = parse_draft(rule_set(NESTED_LOOPS, {"==": [{"var": "x"}, 1]}))
    compiled = compile_rule_set(draft, over_limits="fail")
    result = compiled.evaluate({"x": 1})
    assert [h["rule_id"] for h in result.hits] == ["known", "r1"]
    assert result.errors == [
        {"rule_id": "r0", "error": result.errors[0]["error"], "limit": "size"},
    ]
    assert "rules[1].condition.all[1]" in result.errors[0]["error"]
    assert result.recommendation == "review"


# ------------------------------------------------------------------------------------------- when evaluated
def evaluated(condition, data):
    start = time.monotonic()
    result = compile_rule_set(parse_draft(rule_set(condition))).evaluate(data)
    assert time.monotonic() - start < 1
    return result


def test_a_string_grown_past_the_cap_fails_its_rule_and_sends_to_review():
    result = evaluated(GROWING, {})
    assert result.recommendation == "review"
    assert result.errors == [{"rule_id": "r0", "error": result.errors[0]["error"], "limit": "string"}]
    assert "cat would return a string of 100," in result.errors[0]["error"]
    shorter = copy.deepcopy(GROWING)
    shorter["reduce"][0] = list(range(500))
    assert compile(shorter)() == "x" * 85_000  # within the cap: the same result as json-logic-js


def test_substr_merge_map_and_filter_results_are_capped():
    text = "y" * 150_000
    cases = [
        ({"substr": [{"var": "s"}, 10]}, {"s": text}, "string"),
        ({"merge": [{"var": "a"}, {"var": "a"}]}, {"a": list(range(6000))}, "array"),
        ({"map": [{"var": "a"}, {"var": ""}]}, {"a": list(range(10_001))}, "array"),
        ({"filter": [{"var": "a"}, True]}, {"a": list(range(10_001))}, "array"),
    ]
    for condition, data, limit in cases:
        result = evaluated(condition, data)
        assert [(e["rule_id"], e["limit"]) for e in result.errors] == [("r0", limit)], condition
    assert compile({"substr": [{"var": "s"}, 50_001]})({"s": text}) == "y" * 99_999
    assert len(compile({"merge": [{"var": "a"}, {"var": "a"}]})({"a": list(range(5000))})) == 10_000
    assert compile({"filter": [{"var": "a"}, {"<": [{"var": ""}, 3]}]})({"a": list(range(20_000))}) == [
        0,
        1,
        2,
    ]


def test_nested_loops_over_the_data_stop_at_the_rules_steps_quickly_and_deterministically():
    condition = {"all": [{"var": "a"}, {"all": [A900, True]}]}  # 200 x 900 = 180,000 iterations
    data = {"a": list(range(200))}
    first = evaluated(condition, data)
    assert first.errors == [
        {"rule_id": "r0", "error": "the rule took more than 100,000 steps", "limit": "steps"}
    ]
    assert evaluated(condition, data).errors == first.errors
    assert evaluated(condition, {"a": list(range(100))}).errors == []  # 90,100 steps


def test_steps_count_the_elements_loops_visit_and_in_looks_through():
    some = compile({"some": [{"var": "a"}, False]})
    data = {"a": list(range(100))}
    assert some(data, Allowance().budget(steps=100)) is False
    with pytest.raises(LimitExceeded, match="more than 99 steps"):
        some(data, Allowance().budget(steps=99))
    looked_up = compile({"in": [{"var": "x"}, {"var": "a"}]})
    assert looked_up({"x": 99, **data}, Allowance().budget(steps=100)) is True
    with pytest.raises(LimitExceeded):
        looked_up({"x": 99, **data}, Allowance().budget(steps=99))
    few = {"a": list(range(budget.FREE_LOOP))}
    assert some(few, Allowance().budget(steps=0)) is False  # loops over a few elements are not counted


def test_the_rule_sets_steps_bound_all_its_rules_together():
    # Each rule takes 95,000 steps (within its own 100,000); eleven of them pass the rule set's 1,000,000.
    conditions = [{"some": [{"var": "a"}, {"==": [{"var": ""}, -i - 1]}]} for i in range(11)]
    result = compile_rule_set(parse_draft(rule_set(*conditions))).evaluate({"a": list(range(95_000))})
    assert [e["rule_id"] for e in result.errors] == ["r10"]
    assert result.errors[0]["error"] == "the rule set took more than 1,000,000 steps in all"


def test_the_wall_clock_stops_an_evaluation_that_steps_do_not(monkeypatch):
    monkeypatch.setattr(budget, "MAX_EVALUATION_SECONDS", 0.0)
    result = evaluated({"some": [{"var": "a"}, False]}, {"a": list(range(5000))})
    assert result.errors == [{"rule_id": "r0", "error": result.errors[0]["error"], "limit": "time"}]
    assert "took more than 0 s" in result.errors[0]["error"]


def test_a_long_loop_reads_the_clock_while_it_runs(monkeypatch):
    monkeypatch.setattr(budget, "MAX_EVALUATION_SECONDS", 0.05)
    slow = {"some": [{"var": "a"}, {"in": ["zz", {"cat": [{"var": ""}, {"var": ""}]}]}]}
    start = time.monotonic()
    with pytest.raises(LimitExceeded) as error:
        compile(slow)({"a": ["y" * 4000] * 200_000}, Allowance(steps=10**9).budget(steps=10**9))
    assert error.value.limit == "time"
    assert time.monotonic() - start < 0.5
