"""Seeded random JSON Logic rules and data that probe json-logic-js's coercions (for the differential test)."""

from __future__ import annotations

import random
from typing import Any

# Values whose coercions differ between languages: truthiness, loose ==, string numbers, null, arrays.
EDGE_VALUES: list[Any] = [
    0, 1, -1, 2, 0.5, -2.5, 10, 1e21, 1e-7, 123456789.125, "", "0", "1", "2", "-1", " 12 ", "1e3", "0x10",
    "abc", "Abc", "a,b", "true", "null", "  ", "3px", "Infinity", None, True, False, [], [0], [1], ["1"],
    [1, 2], ["a", "b"], [None], [[]], {}, {"k": 1, "j": 2},
]  # fmt: skip
PATHS = [
    "a", "b", "c", "n", "s", "z", "o.x", "o.y", "o.y.z", "o.missing", "arr.0", "arr.1", "arr.9", "arr.length",
    "s.length", "s.0", "missing", "missing.deep", "nul.x", "people.0.name", "people.1.age", "",
]  # fmt: skip
ARRAY_PATHS = ["arr", "nums", "people", "strs", "missing", "o", "s", "empty"]
ITEM_PATHS = ["", "age", "name", "x", "tags", "missing"]
BINARY = ["==", "===", "!=", "!==", "<", ">", "<=", ">=", "%", "/", "-", "in"]
VARIADIC = ["+", "*", "min", "max", "cat", "merge", "and", "or", "if", "missing"]


def data_for(rng: random.Random) -> dict[str, Any]:
    """A data object with nested objects, arrays of numbers, strings and records, and edge values."""
    pick = lambda: rng.choice(EDGE_VALUES)  # noqa: E731
    return {
        "a": pick(),
        "b": pick(),
        "c": pick(),
        "n": rng.choice([0, 1, 2, 3.5, -4, 100, "7", "x"]),
        "s": rng.choice(["hello", "", "42", "a,b", "IR"]),
        "z": None,
        "nul": None,
        "o": {"x": pick(), "y": {"z": pick()}},
        "arr": [pick() for _ in range(rng.randint(0, 4))],
        "nums": [rng.choice([0, 1, 2, 5, -3, 2.5, "4", "x", None, True]) for _ in range(rng.randint(0, 5))],
        "strs": [rng.choice(["a", "b", "", "0", "IR"]) for _ in range(rng.randint(0, 4))],
        "empty": [],
        "people": [
            {"name": rng.choice(["Ann", "Bob", ""]), "age": rng.choice([17, 30, "45", None]), "tags": ["x"]}
            for _ in range(rng.randint(0, 3))
        ],
    }


def rule_for(rng: random.Random, depth: int = 0, scoped: bool = False) -> Any:
    """A random rule; deeper nodes lean to values and vars."""
    if depth >= 3 or rng.random() < 0.25 + depth * 0.15:
        return leaf(rng, scoped)
    kind = rng.random()
    sub = lambda: rule_for(rng, depth + 1, scoped)  # noqa: E731
    if kind < 0.4:
        return {rng.choice(BINARY): [sub(), sub()]}
    if kind < 0.6:
        op = rng.choice(VARIADIC)
        if op == "missing":  # keys as rules write them (json-logic-js would run a key that is an object)
            keys = [rng.choice(PATHS) for _ in range(rng.randint(0, 3))]
            return {"missing": rng.choice([keys, [keys], {"merge": [keys, [rng.choice(PATHS)]]}])}
        return {op: [sub() for _ in range(rng.randint(0, 4))]}
    if kind < 0.7:
        return {rng.choice(["!", "!!"]): rng.choice([sub(), [sub()]])}
    if kind < 0.75:
        return {rng.choice(["<", "<="]): [sub(), sub(), sub()]}
    if kind < 0.8:
        args = [sub()] + [rng.choice([0, 1, -1, 2, -2, "1", None]) for _ in range(rng.randint(0, 2))]
        return {"substr": args}
    if kind < 0.84:
        return {"missing_some": [rng.choice([0, 1, 2, "1"]), [rng.choice(PATHS) for _ in range(3)]]}
    if kind < 0.88:
        return {"var": [rng.choice(PATHS), sub()]}
    return scoped_rule(rng, depth)


def scoped_rule(rng: random.Random, depth: int) -> Any:
    op = rng.choice(["map", "filter", "all", "some", "none", "reduce"])
    items = {"var": rng.choice(ARRAY_PATHS)} if rng.random() < 0.85 else rule_for(rng, depth + 1)
    if op == "reduce":
        body = rng.choice(
            [
                {"+": [{"var": "accumulator"}, {"var": "current"}]},
                {"+": [{"var": "accumulator"}, {"var": "current.age"}]},
                {"max": [{"var": "accumulator"}, {"var": "current"}]},
                {"cat": [{"var": "accumulator"}, {"var": "current"}]},
                {"or": [{"var": "accumulator"}, {"var": "current"}]},
            ]
        )
        args = [items, body] + ([rng.choice([0, "", None, [], 1])] if rng.random() < 0.8 else [])
        return {"reduce": args}
    body = rule_for(rng, depth + 1, scoped=True)
    return {op: [items, body]}


def leaf(rng: random.Random, scoped: bool) -> Any:
    roll = rng.random()
    if roll < 0.5:
        path = rng.choice(ITEM_PATHS if scoped and rng.random() < 0.6 else PATHS)
        if rng.random() < 0.2:
            return {"var": [path, rng.choice(EDGE_VALUES[:30])]}
        return {"var": path} if rng.random() < 0.8 else {"var": [path]}
    value = rng.choice(EDGE_VALUES)
    return value if value != {} else {"k": 1, "j": 2}


def cases(seed: int, count: int) -> list[tuple[Any, Any]]:
    """`count` (rule, data) pairs from `seed`."""
    rng = random.Random(seed)
    return [(rule_for(rng), data_for(rng)) for _ in range(count)]
