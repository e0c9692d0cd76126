"""JavaScript's value semantics on JSON values, as json-logic-js 2.x relies on them.

JSON maps to Python as usual (null → None, arrays → list, objects → dict, numbers → int/float); `UNDEFINED`
stands for JavaScript's `undefined` (what `{"and": []}` or a missing argument evaluates to). Objects and
arrays compare by identity, as in JavaScript. Strings are compared and indexed by code point (JavaScript
uses UTF-16 code units: the two differ only outside the Basic Multilingual Plane).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "UNDEFINED",
    "js_add_numbers",
    "js_compare",
    "js_div",
    "js_loose_eq",
    "js_mod",
    "js_number_to_string",
    "js_parse_float",
    "js_prop",
    "js_strict_eq",
    "js_to_integer",
    "js_to_number",
    "js_to_string",
    "js_truthy",
    "json_truthy",
    "to_json",
]


class _Undefined:
    """JavaScript's `undefined`: falsy, equal (loosely) only to null and itself."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED: Any = _Undefined()
NAN = math.nan
INF = math.inf

# StrWhiteSpaceChar: WhiteSpace and LineTerminator of ECMAScript.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\Z")
_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)\Z")
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def js_truthy(value: Any) -> bool:
    """JavaScript's `!!value`: false for undefined, null, false, 0, NaN and ""; true for every object."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if value is True:
        return True
    cls = value.__class__
    if cls is str:
        return value != ""
    if cls is int:
        return value != 0
    if cls is float:
        return value == value and value != 0
    return True


def json_truthy(value: Any) -> bool:
    """json-logic's truthiness: JavaScript's, except that an empty array is false."""
    if value.__class__ is list:
        return len(value) > 0
    return js_truthy(value)


def js_type(value: Any) -> str:
    """The JavaScript type of a JSON value: undefined, null, boolean, number, string or object."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    cls = value.__class__
    if cls is bool:
        return "boolean"
    if cls is int or cls is float:
        return "number"
    if cls is str:
        return "string"
    return "object"


def _string_to_number(text: str) -> float | int:
    if text.isdigit() and text.isascii():
        return int(text)
    text = text.strip(_JS_SPACE)
    if text == "":
        return 0.0
    if _DECIMAL.match(text):
        return float(text.replace("Infinity", "inf"))
    radix = _RADIX.match(text)
    if radix:
        base = {"x": 16, "o": 8, "b": 2}[radix.group(1).lower()]
        try:
            return float(int(radix.group(2), base))
        except ValueError:
            return NAN
    return NAN


def js_to_number(value: Any) -> float | int:
    """ToNumber: null → 0, true → 1, "" → 0, " 12 " → 12, "0x1A" → 26, "abc" → NaN, [] → 0, [5] → 5, {} → NaN."""
    cls = value.__class__
    if cls is int or cls is float:
        return value
    if cls is str:
        return _string_to_number(value)
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if value is UNDEFINED:
        return NAN
    if cls is list:
        return _string_to_number(js_to_string(value))
    return NAN


def js_to_integer(value: Any) -> float | int:
    """ToIntegerOrInfinity: NaN → 0, otherwise truncated toward zero (infinities kept)."""
    number = js_to_number(value)
    if number != number:
        return 0
    if number in (INF, -INF):
        return number
    return int(number)


def js_number_to_string(number: float | int) -> str:
    """Number::toString: 1 → "1", 1.5 → "1.5", 1e21 → "1e+21", 1e-7 → "1e-7", NaN → "NaN"."""
    if number.__class__ is int:
        if -(10**21) < number < 10**21:
            return str(number)
        number = float(number)
    if number != number:
        return "NaN"
    if number == INF:
        return "Infinity"
    if number == -INF:
        return "-Infinity"
    if number == 0:
        return "0"
    if number < 0:
        return "-" + js_number_to_string(-number)
    mantissa, _, exponent = repr(number).partition("e")
    digits_part = mantissa.replace(".", "")
    point = mantissa.index(".") if "." in mantissa else len(mantissa)
    exp = int(exponent) if exponent else 0
    digits = digits_part.lstrip("0")
    leading_zeros = len(digits_part) - len(digits)
    digits = digits.rstrip("0") or "0"
    # n: position of the decimal point relative to the digit string (ECMAScript's n).
    n = point - leading_zeros + exp
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    sign = "+" if n - 1 >= 0 else "-"
    if k == 1:
        return f"{digits}e{sign}{abs(n - 1)}"
    return f"{digits[0]}.{digits[1:]}e{sign}{abs(n - 1)}"


def js_to_string(value: Any) -> str:
    """ToString: null → "null", true → "true", [1, [2, null]] → "1,2,", {} → "[object Object]"."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int or cls is float:
        return js_number_to_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if cls is list:
        return ",".join("" if v is None or v is UNDEFINED else js_to_string(v) for v in value)
    return "[object Object]"


def _to_primitive(value: Any) -> Any:
    cls = value.__class__
    if cls is list or cls is dict:
        return js_to_string(value)
    return value


def js_strict_eq(a: Any, b: Any) -> bool:
    """`a === b`: same type and value; objects by identity; NaN equals nothing."""
    ca, cb = a.__class__, b.__class__
    if ca is cb:
        if ca is list or ca is dict:
            return a is b
        return a == b  # NaN != NaN as in JavaScript
    if (ca is int or ca is float) and (cb is int or cb is float):
        return a == b
    return False


def js_loose_eq(a: Any, b: Any) -> bool:
    """`a == b` (Abstract Equality): null == undefined, numbers and strings by number, objects by primitive."""
    ta, tb = js_type(a), js_type(b)
    if ta == tb:
        return js_strict_eq(a, b)
    if ta in ("null", "undefined"):
        return tb in ("null", "undefined")
    if tb in ("null", "undefined"):
        return False
    if ta == "boolean":
        return js_loose_eq(1 if a else 0, b)
    if tb == "boolean":
        return js_loose_eq(a, 1 if b else 0)
    if ta == "number" and tb == "string":
        return a == _string_to_number(b)
    if ta == "string" and tb == "number":
        return _string_to_number(a) == b
    if ta == "object":
        return js_loose_eq(_to_primitive(a), b)
    if tb == "object":
        return js_loose_eq(a, _to_primitive(b))
    return False


def js_less(a: Any, b: Any) -> bool | None:
    """Abstract Relational Comparison `a < b`: True, False or None (undefined: a NaN was involved)."""
    pa, pb = _to_primitive(a), _to_primitive(b)
    if pa.__class__ is str and pb.__class__ is str:
        return pa < pb
    na, nb = js_to_number(pa), js_to_number(pb)
    if na != na or nb != nb:
        return None
    return na < nb


def js_compare(op: str, a: Any, b: Any) -> bool:
    """`a op b` for op in <, <=, >, >= with JavaScript's coercions."""
    if op == "<":
        return js_less(a, b) is True
    if op == ">":
        return js_less(b, a) is True
    if op == "<=":
        return js_less(b, a) is False
    return js_less(a, b) is False


def js_parse_float(value: Any) -> float:
    """parseFloat(String(value)): the longest decimal prefix after leading space, else NaN."""
    cls = value.__class__
    if cls is int or cls is float:
        return float(value)
    text = js_to_string(value).lstrip(_JS_SPACE)
    match = _FLOAT_PREFIX.match(text)
    if not match:
        return NAN
    return float(match.group(0).replace("Infinity", "inf"))


def js_add_numbers(a: float, b: float) -> float:
    """a + b on numbers (inf + -inf is NaN in both languages; here for symmetry with the others)."""
    return a + b


def js_div(a: Any, b: Any) -> float:
    """a / b: division by zero gives ±Infinity or NaN instead of raising."""
    x, y = js_to_number(a), js_to_number(b)
    if y == 0:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


def js_mod(a: Any, b: Any) -> float | int:
    """a % b: the remainder takes the dividend's sign; x % 0 and Infinity % y are NaN."""
    x, y = js_to_number(a), js_to_number(b)
    if y == 0 or x != x or y != y or x in (INF, -INF):
        return NAN
    if y in (INF, -INF):
        return x
    if x.__class__ is int and y.__class__ is int:
        result = abs(x) % abs(y)
        return -result if x < 0 else result
    return math.fmod(x, y)


def _canonical_index(key: str) -> int | None:
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0"):
        return int(key)
    return None


def js_prop(value: Any, key: str) -> Any:
    """value[key] for JSON values: own properties only (array indexes, `length`), UNDEFINED otherwise."""
    cls = value.__class__
    if cls is dict:
        return value.get(key, UNDEFINED)
    if cls is list or cls is str:
        if key == "length":
            return len(value)
        index = _canonical_index(key)
        if index is not None and index < len(value):
            return value[index]
    return UNDEFINED


def to_json(value: Any) -> Any:
    """A result as JSON: undefined becomes null (as JSON.stringify does inside arrays)."""
    if value is UNDEFINED:
        return None
    if value.__class__ is list:
        return [to_json(v) for v in value]
    return value
