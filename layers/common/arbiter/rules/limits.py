"""Limits on what a rule may be and what one evaluation may do (docs/rules.md, "Limits").

Save-time limits refuse a rule whose size, nesting or loops would make an evaluation costly whatever the data:
`check_condition` walks one condition and raises `InvalidRule` with the JSON path of the first problem and
the `limit` it is over (`evaluation` names the rule). Run-time limits are enforced by the compiled code
(`budget`, `runtime`): they stop a rule that the data makes costly.
"""

from __future__ import annotations

import json
from typing import Any

from arbiter.domain.errors import InvalidRule
from arbiter.rules.ruleset import child_path

__all__ = [
    "CHARACTERS_PER_STEP",
    "LOOPS",
    "MAX_ARRAY_LENGTH",
    "MAX_EVALUATION_SECONDS",
    "MAX_LITERAL_ELEMENTS",
    "MAX_LOOP_NESTING",
    "MAX_RULE_BYTES",
    "MAX_RULE_DEPTH",
    "MAX_RULE_NODES",
    "MAX_RULE_SET_STEPS",
    "MAX_RULE_STEPS",
    "MAX_STRING_LENGTH",
    "check_condition",
]

# ------------------------------------------------------------------ when a rule set is saved (per condition)
#: Bytes of the condition as compact JSON.
MAX_RULE_BYTES = 16_384
#: JSON values in the condition (operations, arguments, literals and their elements).
MAX_RULE_NODES = 2_000
#: Operations, literal arrays and literal objects nested inside one another.
MAX_RULE_DEPTH = 32
#: Elements of the condition's literal arrays, all together (long lists belong in the rule set's `lists`).
MAX_LITERAL_ELEMENTS = 1_000
#: Loops (map, filter, reduce, all, some, none) nested in one another's logic: a loop inside a loop, no deeper.
MAX_LOOP_NESTING = 2

# ------------------------------------------------------------------ while a rule set is evaluated
#: Characters of a string that cat or substr returns.
MAX_STRING_LENGTH = 100_000
#: Elements of an array that merge, map or filter returns.
MAX_ARRAY_LENGTH = 10_000
#: Steps one rule may take on one context; a step is an element a loop visits, an element merge returns or
#: `in` looks through, or CHARACTERS_PER_STEP characters that cat or substr returns.
MAX_RULE_STEPS = 100_000
#: Steps all the rules of a rule set may take on one context.
MAX_RULE_SET_STEPS = 1_000_000
#: Wall-clock guard for one evaluation of a rule set (read as the steps are counted).
MAX_EVALUATION_SECONDS = 1.0
CHARACTERS_PER_STEP = 1_000

LOOPS = ("filter", "map", "all", "some", "none", "reduce")


def _operation(node: Any) -> tuple[str, list[Any], bool] | None:
    """(operator, arguments, whether the arguments were written as an array) of a one-key object."""
    if isinstance(node, dict) and len(node) == 1:
        op, values = next(iter(node.items()))
        return op, (values if isinstance(values, list) else [values]), isinstance(values, list)
    return None


def _argument_paths(path: str, op: str, count: int, listed: bool) -> list[str]:
    where = child_path(path, op)
    return [child_path(where, i) for i in range(count)] if listed else [where] * count


def check_condition(condition: Any, path: str = "") -> None:
    """Refuse a condition over the save-time limits: InvalidRule with the JSON path of the first problem."""
    nodes = 0
    elements = 0
    # (node, path, depth, loops around it, inside a literal object: plain data)
    pending: list[tuple[Any, str, int, int, bool]] = [(condition, path, 0, 0, False)]
    while pending:
        node, where, depth, loops, data = pending.pop()
        nodes += 1
        if nodes > MAX_RULE_NODES:
            raise InvalidRule(
                f"more than {MAX_RULE_NODES:,} values in the condition", path=path or "$", limit="nodes"
            )
        operation = None if data else _operation(node)
        if operation is None and not isinstance(node, list | dict):
            continue
        depth += 1
        if depth > MAX_RULE_DEPTH:
            raise InvalidRule(f"nested more than {MAX_RULE_DEPTH} deep", path=where or "$", limit="depth")
        children: list[tuple[Any, str, int, bool]] = []
        if operation is not None:
            op, args, listed = operation
            paths = _argument_paths(where, op, len(args), listed)
            nested = 0
            if op in LOOPS:
                if loops + 1 > MAX_LOOP_NESTING:
                    raise InvalidRule(
                        f"{op} would be the {_ordinal(loops + 1)} loop nested in loops' logic (map, filter, "
                        f"reduce, all, some and none nest at most {MAX_LOOP_NESTING} deep)",
                        path=child_path(where, op),
                        limit="loop_nesting",
                    )
                nested = 1
            children = [
                (arg, p, loops + (nested if i == 1 else 0), False)
                for i, (arg, p) in enumerate(zip(args, paths, strict=True))
            ]
            if op == "reduce" and len(args) > 1:
                _check_accumulator(args[1], paths[1])
        elif isinstance(node, list):
            elements += len(node)
            if elements > MAX_LITERAL_ELEMENTS:
                raise InvalidRule(
                    f"more than {MAX_LITERAL_ELEMENTS:,} elements in the condition's literal arrays "
                    "(a long list belongs in the rule set's lists, read with in_list)",
                    path=where or "$",
                    limit="literal_elements",
                )
            children = [(item, child_path(where, i), loops, data) for i, item in enumerate(node)]
        else:  # a literal object: its values are data, never operations
            children = [(value, child_path(where, str(key)), loops, True) for key, value in node.items()]
        pending.extend((child, p, depth, n, d) for child, p, n, d in reversed(children))
    size = len(json.dumps(condition, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_RULE_BYTES:
        raise InvalidRule(
            f"the condition is {size:,} bytes of JSON (at most {MAX_RULE_BYTES:,})",
            path=path or "$",
            limit="bytes",
        )


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _check_accumulator(logic: Any, path: str) -> None:
    """Refuse reduce logic that can put its accumulator twice into what it returns: the size would double
    with every element (a 155-byte rule reached 8 MB that way)."""
    copies = _copies(logic, _accumulator)
    if copies >= 2:
        raise InvalidRule(
            f"this reduce logic can put its accumulator {copies} times into the next accumulator, "
            "doubling its size with every element (use it once in cat, merge or a literal array)",
            path=path or "$",
            limit="accumulator",
        )


def _accumulator(args: list[Any]) -> bool:
    """Whether a `var` in reduce logic may read the accumulator (or the whole {current, accumulator})."""
    name = args[0] if args else None
    if isinstance(name, dict | list):
        return True  # a computed path may name it
    text = "" if name is None else str(name)
    return text == "" or text == "accumulator" or text.startswith("accumulator.")


def _anything(_args: list[Any]) -> bool:
    return True


def _copies(node: Any, reads: Any) -> int:
    """How many copies of the tracked value (what `reads` says a var reads) the node's result may hold."""
    if isinstance(node, list):
        return sum(_copies(item, reads) for item in node)
    operation = _operation(node)
    if operation is None:
        return 0
    op, args, _ = operation
    if op == "var":
        return 1 if reads(args) else 0
    if op in ("cat", "merge"):
        return sum(_copies(arg, reads) for arg in args)
    if op in ("substr", "log", "filter"):
        return _copies(args[0], reads) if args else 0
    if op in ("if", "?:", "and", "or"):
        return max((_copies(arg, reads) for arg in args), default=0)
    if op == "map":
        array = _copies(args[0], reads) if args else 0
        # The logic sees one element: each copy of it in the result repeats the element.
        return array * max(1, _copies(args[1], _anything)) if array and len(args) > 1 else array
    if op == "reduce":
        return sum(_copies(arg, reads) for arg in (args[0:1] + args[2:3]))
    return 0  # numbers, booleans, and what custom operators return
