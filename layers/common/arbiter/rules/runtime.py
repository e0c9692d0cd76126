"""The operations compiled rules call at run time, each with json-logic-js 2.x's exact behaviour.

Generated code inlines the common cases (a dictionary lookup, two numbers compared) and calls these for the
rest; every function here is a plain function of JSON values, so nothing a rule does can reach further.
Those that build strings or arrays, or look through an array, take the evaluation's budget `b` (see `budget`):
they refuse results over the limits and count their steps.
"""

from __future__ import annotations

import logging
from typing import Any

from arbiter.rules.jsvalues import (
    NAN,
    UNDEFINED,
    js_compare,
    js_div,
    js_less,
    js_loose_eq,
    js_mod,
    js_parse_float,
    js_prop,
    js_strict_eq,
    js_to_integer,
    js_to_number,
    js_to_string,
)
from arbiter.rules.limits import CHARACTERS_PER_STEP, MAX_ARRAY_LENGTH, MAX_STRING_LENGTH

__all__ = ["LimitExceeded", "RuleRuntimeError"]

log = logging.getLogger("arbiter.rules")
NUMBER = (int, float)


class RuleRuntimeError(Exception):
    """A rule failed while evaluating (where json-logic-js throws, e.g. `*` with no arguments)."""


class LimitExceeded(RuleRuntimeError):
    """A rule went past a run-time limit; `limit` says which: steps, time, string or array."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


def _spend(b: list[Any], steps: int) -> None:
    b[0] -= steps
    if b[0] < 0:
        b[1].settle(b)


def _string(text: str, op: str, b: list[Any]) -> str:
    size = len(text)
    if size >= CHARACTERS_PER_STEP:
        if size > MAX_STRING_LENGTH:
            raise LimitExceeded(
                f"{op} would return a string of {size:,} characters (at most {MAX_STRING_LENGTH:,})", "string"
            )
        _spend(b, size // CHARACTERS_PER_STEP)
    return text


def array_too_long(op: str, size: int) -> LimitExceeded:
    """The error for an array over MAX_ARRAY_LENGTH (map and filter raise it from the generated code)."""
    return LimitExceeded(
        f"{op} would return an array of {size:,} elements (at most {MAX_ARRAY_LENGTH:,})", "array"
    )


def var_path(data: Any, keys: tuple[str, ...], default: Any) -> Any:
    """{"var": "a.b.c"} with a literal path split into keys; `default` is what a missing value gives."""
    for key in keys:
        if data.__class__ is dict:
            data = data.get(key, UNDEFINED)
        elif data is None or data is UNDEFINED:
            return default
        else:
            data = js_prop(data, key)
        if data is UNDEFINED:
            return default
    return data


def var2(data: Any, first: str, second: str, default: Any) -> Any:
    """{"var": "a.b"}: the two-key path most rules read, dictionaries first."""
    if data.__class__ is dict:
        inner = data.get(first, UNDEFINED)
        if inner.__class__ is dict:
            return inner.get(second, default)
        return var_path(inner, (second,), default) if inner is not UNDEFINED else default
    return var_path(data, (first, second), default)


def var_dynamic(data: Any, path: Any, default: Any = UNDEFINED) -> Any:
    """{"var": [path, default]} where path or default is computed."""
    not_found = None if default is UNDEFINED else default
    if path is UNDEFINED or path is None or path == "":
        return data
    return var_path(data, tuple(js_to_string(path).split(".")), not_found)


def var_of(data: Any, key: Any) -> Any:
    """jsonLogic.apply({"var": key}, data), as `missing` does it for each key."""
    if key.__class__ is list:
        return var_dynamic(data, *(key[:2] if key else [UNDEFINED]))
    return var_dynamic(data, key)


def missing(data: Any, args: list[Any]) -> list[Any]:
    """The keys (arguments, or one array argument) whose value is null, missing or ""."""
    keys = args[0] if args and args[0].__class__ is list else args
    out = []
    for key in keys:
        value = var_of(data, key)
        if value is None or (value.__class__ is str and value == ""):
            out.append(key)
    return out


def missing_values(keys: tuple[str, ...], values: tuple[Any, ...]) -> list[Any]:
    """`missing` with literal keys whose values the compiled rule already read."""
    return [k for k, v in zip(keys, values, strict=True) if v is None or (v.__class__ is str and v == "")]


def missing_some_values(need: Any, keys: tuple[str, ...], values: tuple[Any, ...]) -> list[Any]:
    """`missing_some` with a literal list of keys whose values the compiled rule already read."""
    are_missing = missing_values(keys, values)
    return [] if js_compare(">=", len(keys) - len(are_missing), need) else are_missing


def missing_some(data: Any, need: Any, options: Any) -> list[Any]:
    """[] if at least `need` of `options` are present, else the missing ones."""
    are_missing = missing(data, options) if options.__class__ is list else missing(data, [options])
    present = js_to_number(js_prop(options, "length")) - len(are_missing)
    return [] if js_compare(">=", present, need) else are_missing


def eq(a: Any, b: Any) -> bool:
    return js_loose_eq(a, b)


def strict_eq(a: Any, b: Any) -> bool:
    return js_strict_eq(a, b)


def compare(op: str, a: Any, b: Any) -> bool:
    return js_compare(op, a, b)


def between(op: str, a: Any, b: Any, c: Any) -> bool:
    """`<` and `<=` with three arguments: a < b < c (only two compared if c is undefined)."""
    if c is UNDEFINED:
        return js_compare(op, a, b)
    return js_compare(op, a, b) and js_compare(op, b, c)


def in_(a: Any, b: Any, budget: list[Any]) -> bool:
    """`in`: substring of a string (a converted to string), or strict membership in an array."""
    if b.__class__ is str:
        return b != "" and js_to_string(a) in b
    if b.__class__ is list:
        _spend(budget, len(b))
        if a.__class__ is list or a.__class__ is dict:
            return any(x is a for x in b)
        return any(js_strict_eq(a, x) for x in b)
    return False


def parse_float(value: Any) -> float:
    return js_parse_float(value)


def plus(args: tuple[Any, ...]) -> float | int:
    total: float | int = 0
    for value in args:
        total = total + (float(value) if value.__class__ in NUMBER else js_parse_float(value))
    return total


def times(args: tuple[Any, ...]) -> Any:
    """`*` is a reduce without an initial value: one argument comes back unchanged, none is an error."""
    if not args:
        raise RuleRuntimeError("* needs at least one argument (reduce of empty array with no initial value)")
    if len(args) == 1:
        return args[0]
    product = js_parse_float(args[0])
    for value in args[1:]:
        product = product * js_parse_float(value)
    return product


def neg(a: Any) -> float | int:
    number = js_to_number(a)
    return -float(number) if number == 0 else -number


def minus(a: Any, b: Any) -> float | int:
    if b is UNDEFINED:
        return neg(a)
    x, y = js_to_number(a), js_to_number(b)
    return x - y


def div(a: Any, b: Any) -> float:
    return js_div(a, b)


def mod(a: Any, b: Any) -> float | int:
    return js_mod(a, b)


def minimum(args: tuple[Any, ...]) -> float | int:
    result: float | int = float("inf")
    for value in args:
        number = js_to_number(value)
        if number != number:
            return NAN
        if number < result or (number == 0 and result == 0 and str(float(number)) == "-0.0"):
            result = number
    return result


def maximum(args: tuple[Any, ...]) -> float | int:
    result: float | int = float("-inf")
    for value in args:
        number = js_to_number(value)
        if number != number:
            return NAN
        if number > result or (number == 0 and result == 0 and str(float(result)) == "-0.0"):
            result = number
    return result


def cat(args: tuple[Any, ...], b: list[Any]) -> str:
    text = "".join("" if v is None or v is UNDEFINED else js_to_string(v) for v in args)
    return _string(text, "cat", b) if len(text) >= CHARACTERS_PER_STEP else text


def _substr(text: str, start: Any, length: Any) -> str:
    size = len(text)
    begin = js_to_integer(start)
    if begin == float("-inf"):
        begin = 0
    elif begin < 0:
        begin = max(size + begin, 0)
    begin = min(begin, size)
    count = size if length is UNDEFINED else js_to_integer(length)
    count = min(max(count, 0), size - begin)
    if count <= 0:
        return ""
    return text[int(begin) : int(begin + count)]


def substr(source: Any, start: Any, end: Any, b: list[Any]) -> str:
    """String(source).substr(start, end), at most MAX_STRING_LENGTH characters."""
    if (
        source.__class__ is str
        and start.__class__ is int
        and start >= 0
        and end.__class__ is int
        and end >= 0
    ):
        text = source[start : start + end]
    else:
        text = _substring(source, start, end)
    return _string(text, "substr", b) if len(text) >= CHARACTERS_PER_STEP else text


def _substring(source: Any, start: Any, end: Any = UNDEFINED) -> str:
    """String(source).substr(start, end); a negative end counts back from the end (as PHP does)."""
    if source.__class__ is str and start.__class__ is int and start >= 0:
        if end is UNDEFINED:
            return source[start:]
        if end.__class__ is int and end >= 0:
            return source[start : start + end]
    text = js_to_string(source)
    if js_less(end, 0) is True:
        temp = _substr(text, start, UNDEFINED)
        # JavaScript's temp.length + end: a string `end` concatenates (and then counts as NaN → 0).
        if end.__class__ in (str, list, dict):
            total: Any = js_to_string(len(temp)) + js_to_string(end)
        else:
            total = len(temp) + js_to_number(end)
        return _substr(temp, 0, total)
    return _substr(text, start, end)


def merge(args: tuple[Any, ...], b: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in args:
        if value.__class__ is list:
            out.extend(value)
        else:
            out.append(value)
    size = len(out)
    if size > MAX_ARRAY_LENGTH:
        raise array_too_long("merge", size)
    b[0] -= size
    if b[0] < 0:
        b[1].settle(b)
    return out


def log_value(value: Any) -> Any:
    """`log`: the value, unchanged (written to the debug log)."""
    log.debug("jsonlogic log: %r", value)
    return value


def reduce_without_logic(items: Any, initial: Any) -> Any:
    """{"reduce": [items]}: each step's logic gives undefined, so the result is undefined unless no step ran."""
    return UNDEFINED if items.__class__ is list and items else initial
