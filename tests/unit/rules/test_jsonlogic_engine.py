"""The compiled engine beyond the official suite: checks at save time, custom operators, JavaScript edges."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from arbiter.domain.errors import InvalidRule
from arbiter.rules.jsonlogic import apply, compile, compile_batch, variables_read
from arbiter.rules.jsvalues import js_number_to_string, js_to_number
from arbiter.rules.operators import default_registry
from arbiter.rules.runtime import RuleRuntimeError


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ({"and": [True, {"nope": [1]}]}, "condition.and[1].nope", "unknown operator: 'nope'"),
        ({"method": [{"var": "s"}, "upper"]}, "condition.method", "method is not supported"),
        ({"if": [True, 1, {"===": [1, {"bad op": []}]}]}, 'condition.if[2]["==="][1]["bad op"]', "unknown"),
        ({"in_list": [{"var": "c"}, "no_such_list"]}, "condition.in_list", "unknown list 'no_such_list'"),
        ({"in_list": [{"var": "c"}, {"var": "name"}]}, "condition.in_list", "literal string"),
        ({"years_since": []}, "condition.years_since", "takes 1 to 2 arguments"),
        ({"==": [1, math.inf]}, 'condition["=="][1]', "finite"),
        ({"==": [1, {1, 2}]}, 'condition["=="][1]', "not a JSON value: set"),
    ],
)
def test_a_malformed_rule_is_refused_with_the_json_path_of_the_problem(rule, path, message):
    with pytest.raises(InvalidRule) as error:
        compile(rule, path="condition")
    assert error.value.path == path
    assert message in error.value.message


def test_a_rule_in_a_branch_never_taken_is_still_checked():
    with pytest.raises(InvalidRule):
        compile({"if": [False, {"unknown": []}, 1]})


def test_objects_with_other_than_one_key_are_literals():
    assert apply({"var": ""}, {"a": 1}) == {"a": 1}
    assert apply({"merge": [[{"a": 1, "b": 2}], {}]}, None) == [{"a": 1, "b": 2}, {}]


def test_undefined_comes_back_as_null_and_compares_loosely_equal_to_null():
    assert apply({"and": []}) is None
    assert apply({"==": [{"and": []}, None]}) is True
    assert apply({"===": [{"and": []}, None]}) is False
    assert apply({"map": [[1, 2], {"and": []}]}) == [None, None]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"*": ["3"]}, "3"),  # reduce without initial value: one argument comes back as is
        ({"+": ["3", " 4px"]}, 7),  # parseFloat
        ({"-": ["0x10", "1"]}, 15),  # ToNumber reads hex
        ({"/": [1, {"-": [0]}]}, -math.inf),
        ({"%": [-7, 2]}, -1),
        ({"cat": [1e21, "|", 1e-7, "|", 0.1, "|", None, [1, [2, None]]]}, "1e+21|1e-7|0.1|1,2,"),
        ({"substr": ["jsonlogic", 4, -2]}, "log"),
        ({"in": [1, "a1"]}, True),
        ({"in": ["1", [1]]}, False),
        ({"==": [[1], "1"]}, True),
        ({"==": [{"var": "o"}, {"var": "o"}]}, True),  # the same object
        ({"==": [[1], [1]]}, False),  # two arrays: compared by identity
        ({"!!": [{}]}, True),
        ({"!!": [[]]}, False),
        ({"var": "list.length"}, 3),
        ({"var": "list.03"}, None),
        ({"<": [None, 1]}, True),
        ({"<=": ["a", None]}, False),
        ({"max": []}, -math.inf),
    ],
)
def test_javascript_coercions(rule, expected):
    assert apply(rule, {"list": [1, 2, 3], "o": {"k": 1}}) == expected


def test_multiplying_nothing_fails_like_json_logic_js():
    with pytest.raises(RuleRuntimeError, match="at least one argument"):
        apply({"*": []})


def test_numbers_print_as_javascript_prints_them():
    for number, text in [(1.0, "1"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e-7, "1.5e-7"),
                         (0.000001, "0.000001"), (-2.5, "-2.5"), (123456789.125, "123456789.125"),
                         (math.nan, "NaN"), (-0.0, "0")]:  # fmt: skip
        assert js_number_to_string(number) == text


def test_strings_become_numbers_as_javascript_reads_them():
    assert js_to_number(" 12\n") == 12
    assert js_to_number("1_000") != js_to_number("1_000")  # NaN: no Python literals
    assert js_to_number("inf") != js_to_number("inf")
    assert js_to_number("-Infinity") == -math.inf
    assert js_to_number("0b101") == 5


def test_years_since_counts_whole_years():
    today = dt.datetime.now(dt.UTC).date()
    ten_years_ago = today.replace(year=today.year - 10).isoformat()
    assert apply({"years_since": [{"var": "d"}]}, {"d": ten_years_ago}) == 10
    assert apply({"years_since": ["2000-03-01", "2024-02-29"]}) == 23
    assert apply({"years_since": ["not a date"]}) is None
    assert apply({"years_since": [{"var": "missing"}]}, {}) is None


def test_in_list_reads_named_lists_case_insensitively():
    assert apply({"in_list": [{"var": "c"}, "high_risk_countries"]}, {"c": "ir"}) is True
    assert apply({"in_list": [{"var": "c"}, "high_risk_countries"]}, {"c": "FR"}) is False
    assert apply({"in_list": [{"var": "cs"}, "high_risk_countries"]}, {"cs": ["FR", "KP"]}) is True
    registry = default_registry({"blocked_domains": ["example.test"]})
    assert compile({"in_list": [{"var": "d"}, "blocked_domains"]}, registry)({"d": "EXAMPLE.test"}) is True
    with pytest.raises(InvalidRule):
        compile({"in_list": [{"var": "d"}, "blocked_domains"]})  # not in the default registry


def test_rules_cannot_reach_python_objects():
    data = {"s": "abc", "d": {}}
    for path in ["s.__class__", "d.__class__", "s.upper", "d.items", "s.__len__"]:
        assert apply({"var": path}, data) is None
    hostile = "__import__('os')\\n\"'"
    assert apply({"var": hostile}, {hostile: 5}) == 5  # names and strings stay data in the generated code
    assert apply({"cat": [hostile, {"var": "s"}]}, data) == hostile + "abc"


def test_compiling_is_cached_per_rule():
    rule = {"and": [{"==": [{"var": "a"}, 1]}, {">": [{"var": "b"}, 2]}]}
    assert compile(rule) is compile(rule)


def test_variables_read_lists_literal_paths_outside_scoped_bodies():
    rule = {
        "and": [
            {"in": [{"var": "entity.country"}, ["IR"]]},
            {"some": [{"var": "entity.ubos"}, {"==": [{"var": "pep"}, True]}]},
            {"missing": ["entity.name"]},
        ]
    }
    assert variables_read(rule) == ["entity.country", "entity.ubos", "entity.name"]


def test_rules_compiled_together_compute_a_repeated_operation_once_with_the_same_results():
    total = {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]}
    rules = [
        {"<": [total, 10]},
        {"if": [{"var": "flag"}, {">": [total, 3]}, False]},
        {"and": [{"var": "flag"}, {"==": [total, 6]}]},
        {"some": [{"var": "xs"}, {"==": [{"var": ""}, 2]}]},
    ]
    together = compile_batch(rules)
    assert together.source.count("_PENDING") >= 2
    for data in [{"xs": [1, 2, 3], "flag": True}, {"xs": [5, 9], "flag": False}, {"xs": "nope"}, {}]:
        assert list(together(data)) == [compile(rule).truthy(data) for rule in rules]
