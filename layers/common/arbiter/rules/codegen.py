"""Generating the Python source of a compiled rule (or of several rules evaluated together).

Each JSON Logic node becomes a Python expression. What makes it fast, while keeping json-logic-js's results:
- `var` with a literal path is read once per evaluation: every prefix of the path becomes a local at the top
  of the function (`entity`, `entity.business`, …), shared by all the rules compiled together;
- the common cases are inlined with a type test and fall back to the exact JavaScript coercion otherwise
  (`x == "IR"` when x is a string, `a < b` when both are numbers);
- `some`, `all`, `none`, `map` and `filter` are comprehensions over the array, `reduce` is functools.reduce
  over a lambda when its body reads only `current` and `accumulator`;
- the kind of each expression (bool, num, str, list) is tracked so truthiness tests are skipped when the
  value is already a bool.
Names in the generated code are the runtime's functions (`RUNTIME_NAMES`), constants (`_cN`), temporaries
(`_tN`) and hoisted reads (`_vN`); strings from the rule only ever appear as Python literals (repr).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from arbiter.rules import budget, runtime
from arbiter.rules.jsvalues import UNDEFINED, js_prop, js_to_string, json_truthy
from arbiter.rules.limits import LOOPS, MAX_ARRAY_LENGTH
from arbiter.rules.operators import OperatorRegistry
from arbiter.rules.ruleset import child_path

__all__ = ["RUNTIME_NAMES", "Generator", "child_path"]

SCOPED = LOOPS


def _step(value: Any, key: str) -> Any:
    """One level of a var path on something that is not a dictionary (UNDEFINED when there is nothing)."""
    if value is None or value is UNDEFINED:
        return UNDEFINED
    return js_prop(value, key)


RUNTIME_NAMES: dict[str, Any] = {
    "_U": UNDEFINED,
    "_PENDING": object(),
    "_NUM": (int, float),
    "_truthy": json_truthy,
    "_tostr": js_to_string,
    "_step": _step,
    "_varp": runtime.var_path,
    "_vardyn": runtime.var_dynamic,
    "_missing": runtime.missing,
    "_missing_values": runtime.missing_values,
    "_missing_some": runtime.missing_some,
    "_missing_some_values": runtime.missing_some_values,
    "_eq": runtime.eq,
    "_seq": runtime.strict_eq,
    "_compare": runtime.compare,
    "_between": runtime.between,
    "_in": runtime.in_,
    "_pf": runtime.parse_float,
    "_times": runtime.times,
    "_neg": runtime.neg,
    "_minus": runtime.minus,
    "_div": runtime.div,
    "_mod": runtime.mod,
    "_min": runtime.minimum,
    "_max": runtime.maximum,
    "_cat": runtime.cat,
    "_substr": runtime.substr,
    "_merge": runtime.merge,
    "_log": runtime.log_value,
    "_reduce_without_logic": runtime.reduce_without_logic,
    "_loop": budget.loop,
    "_array_too_long": runtime.array_too_long,
}
BUILTINS = {
    "float": float,
    "bool": bool,
    "dict": dict,
    "str": str,
    "list": list,
    "len": len,
    "any": any,
    "all": all,
}

Compiled = tuple[str, str]
_NUMBER_LITERAL = re.compile(r"-?\d+(\.\d+)?(e[+-]?\d+)?\Z")


def _is_number_literal(expr: str) -> bool:
    return bool(_NUMBER_LITERAL.match(expr))


class Generator:
    """Source for one function over the data `d`; several rules may share it (and its hoisted reads)."""

    def __init__(self, registry: OperatorRegistry) -> None:
        self.registry = registry
        self.constants: dict[str, Any] = {}
        self.statements: list[str] = []
        self.functions: list[str] = []
        self._hoisted: dict[tuple[str, ...], str] = {(): "d"}
        self._count = 0
        #: `missing` with literal keys: its list expression → a bool expression "something is missing".
        self._missing_tests: dict[str, str] = {}
        self._missing_parts: dict[str, list[str]] = {}
        #: Repeated operations (JSON of the node) → (memo local, kind, expression), once compiled.
        self._shared: dict[str, Any] = {}
        #: Where the data comes from: "d" at the top, the loop variable in comprehensions, or a reduce lambda.
        self._scopes: list[str] = ["top"]
        #: Whether the code counts steps (loops, cat, merge, substr, `in` on an array) and so needs a budget.
        self.budgeted = False

    # ------------------------------------------------------------------ assembling
    def source(self, name: str, body: str) -> str:
        lines = [f"def {name}(d, _b):"] + [f"    {s}" for s in self.statements] + [f"    return {body}"]
        return "".join(self.functions) + "\n".join(lines) + "\n"

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def bind(self, expr: str) -> tuple[str, str]:
        """(first use, later uses) of a value: a walrus into a temporary, or the name itself if it is one."""
        if expr.isidentifier():
            return expr, expr
        if _is_number_literal(expr):
            return f"({expr})", expr
        t = self.name("_t")
        return f"({t} := {expr})", t

    def constant(self, value: Any) -> str:
        name = self.name("_c")
        self.constants[name] = value
        return name

    def literal(self, value: Any) -> str:
        if value is None or value is True or value is False or isinstance(value, str | int):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else self.constant(value)
        return self.constant(value)

    def truthy(self, expr: str, kind: str) -> str:
        """A Python bool expression for json-logic's truthiness of `expr`."""
        if kind == "bool":
            return expr
        if kind == "missing" and expr in self._missing_tests:
            return self._missing_tests[expr]
        if kind in ("str", "list", "missing"):
            return f"bool({expr})"
        return f"_truthy({expr})"

    def share(self, rules: list[Any]) -> None:
        """Note the operations that occur more than once in `rules`: each is then computed once per evaluation."""
        seen: dict[str, int] = {}

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict) and len(node) == 1:
                op, values = next(iter(node.items()))
                if op in ("var", "log"):
                    return
                key = json.dumps(node, sort_keys=True)
                seen[key] = seen.get(key, 0) + 1
                if op in SCOPED:  # only the array is read from this scope
                    args = values if isinstance(values, list) else [values]
                    walk(args[0] if args else None)
                    walk(args[2:] if op == "reduce" else None)
                else:
                    walk(values)

        walk(rules)
        self._shared = {key: None for key, count in seen.items() if count > 1}

    # ------------------------------------------------------------------ nodes
    def expr(self, rule: Any, path: str) -> Compiled:
        if self._shared and self._scopes[-1] == "top" and isinstance(rule, dict) and len(rule) == 1:
            key = json.dumps(rule, sort_keys=True)
            if key in self._shared:
                memo = self._shared[key]
                if memo is None:
                    self._shared[key] = None
                    del self._shared[key]  # compile the node itself once
                    inner, kind = self.expr(rule, path)
                    name = self.name("_m")
                    self.statements.append(f"{name} = _PENDING")
                    memo = (name, kind, inner)
                    self._shared[key] = memo
                    return f"({name} if {name} is not _PENDING else ({name} := {inner}))", kind
                name, kind, inner = memo
                return f"({name} if {name} is not _PENDING else ({name} := {inner}))", kind
        if isinstance(rule, list):
            items = [self.expr(item, child_path(path, i))[0] for i, item in enumerate(rule)]
            return f"[{', '.join(items)}]", "list"
        if isinstance(rule, dict) and len(rule) == 1:
            op, values = next(iter(rule.items()))
            return self.operation(op, values, path)
        if isinstance(rule, dict):
            return self.constant(rule), "any"
        if rule is True or rule is False:
            return repr(rule), "bool"
        if isinstance(rule, str):
            return repr(rule), "str"
        if isinstance(rule, int | float):
            return self.literal(rule), "num"
        return "None", "any"

    @staticmethod
    def raw(values: Any, path: str, op: str) -> tuple[list[Any], list[str]]:
        raw = values if isinstance(values, list) else [values]
        base = child_path(path, op)
        return raw, [child_path(base, i) for i in range(len(raw))] if isinstance(values, list) else [
            base
        ] * len(raw)

    def args(self, values: Any, path: str, op: str) -> tuple[list[Any], list[Compiled]]:
        raw, paths = self.raw(values, path, op)
        return raw, [self.expr(r, p) for r, p in zip(raw, paths, strict=True)]

    def eager(self, exprs: list[str], params: int) -> tuple[str, list[str]]:
        """Arguments in order (json-logic-js evaluates all of them, used or not), padded with undefined."""
        if len(exprs) <= params:
            return "", exprs + ["_U"] * (params - len(exprs))
        tmp = self.name("_t")
        return f"({tmp} := ({', '.join(exprs)},))", [f"{tmp}[{i}]" for i in range(params)]

    @staticmethod
    def wrap(prefix: str, expr: str) -> str:
        return f"({prefix}, {expr})[-1]" if prefix else expr

    def operation(self, op: str, values: Any, path: str) -> Compiled:
        if op == "var":
            return self.var(values, path)
        if op in SCOPED:
            raw, paths = self.raw(values, path, op)
            return self.scoped(op, raw, paths)
        if op == "missing" or op == "missing_some":
            return self.missing(op, values, path)
        raw, compiled = self.args(values, path, op)
        exprs = [e for e, _ in compiled]
        if op in ("if", "?:"):
            return self.if_(compiled)
        if op in ("and", "or"):
            return self.and_or(op, compiled)
        if op in ("==", "!=", "===", "!=="):
            return self.equality(op, raw, exprs)
        if op in ("<", "<=", ">", ">="):
            return self.relational(op, raw, exprs, [k for _, k in compiled])
        if op in ("!", "!!"):
            prefix, (a,) = self.eager(exprs, 1)
            kind = compiled[0][1] if compiled and not prefix else "any"
            test = self.truthy(a, kind)
            return self.wrap(prefix, f"(not {test})" if op == "!" else test), "bool"
        if op == "in":
            return self.in_(raw, compiled)
        if op in ("+", "*", "-", "/"):
            return self.arithmetic(op, exprs)
        fixed = {"%": ("_mod", 2, "num"), "log": ("_log", 1, "any"), "substr": ("_substr", 3, "str")}
        if op in fixed:
            function, params, kind = fixed[op]
            prefix, args = self.eager(exprs, params)
            budgeted = self._budget() if op == "substr" else ""
            return self.wrap(prefix, f"{function}({', '.join(args)}{budgeted})"), kind
        variadic = {
            "min": ("_min", "num"),
            "max": ("_max", "num"),
            "cat": ("_cat", "str"),
            "merge": ("_merge", "list"),
        }
        if op in variadic:
            function, kind = variadic[op]
            if op == "cat" and len(exprs) == 1 and compiled[0][1] == "str":
                return exprs[0], "str"
            budgeted = self._budget() if op in ("cat", "merge") else ""
            return f"{function}(({''.join(e + ', ' for e in exprs)}){budgeted})", kind
        custom = self.registry.operators[op]
        return f"{self.constant(custom.function)}({', '.join(exprs)})", "any"

    # ------------------------------------------------------------------ data access
    def _base(self, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
        """Where a literal path starts in the current scope: (expression, remaining keys), or None."""
        scope = self._scopes[-1]
        if scope == "reduce":
            if keys and keys[0] in ("current", "accumulator"):
                return ("_rc" if keys[0] == "current" else "_ra"), keys[1:]
            return None
        return "d", keys

    def _hoist(self, keys: tuple[str, ...]) -> str:
        """A local holding the raw value at `keys` (UNDEFINED if absent), computed once per evaluation."""
        if keys in self._hoisted:
            return self._hoisted[keys]
        parent = self._hoist(keys[:-1])
        name = self.name("_v")
        key = repr(keys[-1])
        self.statements.append(
            f"{name} = {parent}.get({key}, _U) if {parent}.__class__ is dict else _step({parent}, {key})"
        )
        self._hoisted[keys] = name
        return name

    def _hoist_value(self, keys: tuple[str, ...], default: str) -> str:
        """A local holding what {"var": [path, default]} gives, read once per evaluation."""
        cache_key = (*keys, "\x00default", default)
        if cache_key not in self._hoisted:
            parent = self._hoist(keys[:-1])
            key = repr(keys[-1])
            name = self.name("_v")
            self.statements.append(
                f"{name} = {parent}.get({key}, {default}) if {parent}.__class__ is dict "
                f"else _varp({parent}, ({key},), {default})"
            )
            self._hoisted[cache_key] = name
        return self._hoisted[cache_key]

    def read(self, base: str, keys: tuple[str, ...], default: str) -> str:
        """The value at `keys` from `base`, `default` where json-logic-js gives its not-found value."""
        if not keys:
            return base if base == "d" else f"({base} if {base} is not _U else {default})"
        if self._scopes[-1] == "top" and base == "d":
            return self._hoist_value(keys, default)
        current = base
        for key in keys[:-1]:
            k = repr(key)
            current = self._get(current, k, "_U", _stepper(k))
        last = repr(keys[-1])
        return self._get(current, last, default, lambda v: f"_varp({v}, ({last},), {default})")

    def _get(self, value: str, key: str, default: str, otherwise: Callable[[str], str]) -> str:
        """value[key] when value is a dictionary (without a temporary when value is a plain name)."""
        if value.isidentifier():
            return f"({value}.get({key}, {default}) if {value}.__class__ is dict else {otherwise(value)})"
        t = self.name("_t")
        return f"({t}.get({key}, {default}) if ({t} := {value}).__class__ is dict else {otherwise(t)})"

    def var(self, values: Any, path: str) -> Compiled:
        raw = values if isinstance(values, list) else [values]
        literal = all(not isinstance(v, dict | list) for v in raw[:2])
        key = raw[0] if raw else None
        if literal and key is not None and key != "":
            keys = tuple(js_to_string(key).split("."))
            base = self._base(keys)
            if base is not None:
                default = self.literal(raw[1] if len(raw) > 1 else None)
                return self.read(base[0], base[1], default), "any"
        if literal and (key is None or key == "") and self._scopes[-1] != "reduce":
            return "d", "any"
        _, compiled = self.args(values, path, "var")
        prefix, (a, b) = self.eager([e for e, _ in compiled], 2)
        return self.wrap(prefix, f"_vardyn({self.data()}, {a}, {b})"), "any"

    def data(self) -> str:
        """The current data as a value (the reduce scope's is built only when something needs all of it)."""
        return '{"current": _rc, "accumulator": _ra}' if self._scopes[-1] == "reduce" else "d"

    def missing(self, op: str, values: Any, path: str) -> Compiled:
        raw, compiled = self.args(values, path, op)
        exprs = [e for e, _ in compiled]
        if op == "missing":
            names = raw[0] if raw and isinstance(raw[0], list) else raw
            if raw and all(isinstance(k, str) for k in names) and (raw is names or len(raw) == 1):
                tests = []
                for key in names:
                    first, t = self.bind(self.var([key], path)[0])
                    tests.append((key, f"({first} is None or {t} == '')"))
                expr = "[" + "".join(f"*(({k!r},) if {test} else ()), " for k, test in tests) + "]"
                self._missing_tests[expr] = (
                    f"({' or '.join(test for _, test in tests)})" if tests else "False"
                )
                self._missing_parts[expr] = [test for _, test in tests]
                return expr, "missing"
            return f"_missing({self.data()}, [{', '.join(exprs)}])", "list"
        prefix, (need, options) = self.eager(exprs, 2)
        keys = raw[1] if len(raw) == 2 else None
        count = raw[0] if raw else None
        if (
            not prefix
            and isinstance(keys, list)
            and all(isinstance(k, str) for k in keys)
            and isinstance(count, int | float)
            and not isinstance(count, bool)
            and math.isfinite(count)
        ):
            listed, _ = self.missing("missing", [keys], path)
            parts = self._missing_parts.get(listed, [])
            t = self.name("_t")
            limit = len(keys) - count  # at least `count` present ⇔ at most len(keys) - count missing
            expr = f"({t} if len({t} := {listed}) > {limit!r} else [])"
            self._missing_tests[expr] = f"(({' + '.join(parts) or '0'}) > {limit!r})"
            return expr, "missing"
        return self.wrap(prefix, f"_missing_some({self.data()}, {need}, {options})"), "list"

    # ------------------------------------------------------------------ control flow
    def if_(self, compiled: list[Compiled]) -> Compiled:
        if not compiled:
            return "None", "any"
        out, kind = compiled[-1] if len(compiled) % 2 else ("None", "any")
        kinds = {kind}
        for i in reversed(range(len(compiled) // 2)):
            out = f"({compiled[2 * i + 1][0]} if {self.truthy(*compiled[2 * i])} else {out})"
            kinds.add(compiled[2 * i + 1][1])
        return out, kinds.pop() if len(kinds) == 1 else "any"

    def and_or(self, op: str, compiled: list[Compiled]) -> Compiled:
        if not compiled:
            return "_U", "any"
        if all(kind == "bool" for _, kind in compiled):
            return f"({f' {op} '.join(e for e, _ in compiled)})", "bool"
        out, kind = compiled[-1]
        kinds = {kind}
        for expr, kind in reversed(compiled[:-1]):
            tmp = self.name("_t")
            test = self.truthy(f"({tmp} := {expr})", kind)
            out = f"({tmp} if not {test} else {out})" if op == "and" else f"({tmp} if {test} else {out})"
            kinds.add(kind)
        return out, kinds.pop() if len(kinds) == 1 else "any"

    def _body(self, scope: str, rule: Any, path: str) -> Compiled:
        self._scopes.append(scope)
        try:
            return self.expr(rule, path)
        finally:
            self._scopes.pop()

    def _helper(self, lines: list[str], params: str) -> str:
        """A module-level function of the generated code (its temporaries are fast locals, not cells)."""
        name = self.name("_h")
        self.functions.append(f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines) + "\n")
        return name

    def _budget(self) -> str:
        """The budget as an argument (and a note that the function needs one)."""
        self.budgeted = True
        return ", _b"

    def _charged(self, op: str) -> list[str]:
        """A loop's entry: its array's length charged to the budget (past the grant, `_loop` settles).

        Loops over a few elements (most of them) are not charged: the test is cheaper than the charge."""
        self.budgeted = True
        return [
            f"if (_n := len(items)) > {budget.FREE_LOOP}:",
            "    _b[0] -= _n",
            "    if _b[0] < 0:",
            f"        items = _loop(items, _b, {op!r})",
        ]

    def scoped(self, op: str, raw: list[Any], paths: list[str]) -> Compiled:
        items = self.expr(raw[0], paths[0])[0] if raw else "_U"
        if op == "reduce":
            return self.reduce(raw, paths, items)
        body, kind = self._body("item", raw[1], paths[1]) if len(raw) > 1 else ("_U", "any")
        test = self.truthy(body, kind)
        guard = "if items.__class__ is not list:"
        if op == "map":
            lines = [
                guard,
                "    return []",
                *self._charged(op),
                "out = []",
                "for d in items:",
                f"    out.append({body})",
                "return out",
            ]
            return f"{self._helper(lines, 'items, _b')}({items}, _b)", "list"
        if op == "filter":
            lines = [
                guard,
                "    return []",
                *self._charged(op),
                "out = []",
                "for d in items:",
                f"    if {test}:",
                "        out.append(d)",
                f"if len(out) > {MAX_ARRAY_LENGTH}:",
                "    raise _array_too_long('filter', len(out))",
                "return out",
            ]
            return f"{self._helper(lines, 'items, _b')}({items}, _b)", "list"
        if op == "all":
            lines = [
                "if items.__class__ is not list or not items:",
                "    return False",
                *self._charged(op),
                "for d in items:",
                f"    if not {test}:",
                "        return False",
                "return True",
            ]
            return f"{self._helper(lines, 'items, _b')}({items}, _b)", "bool"
        found, otherwise = ("True", "False") if op == "some" else ("False", "True")
        lines = [
            "if items.__class__ is not list:",
            f"    return {otherwise}",
            *self._charged(op),
            "for d in items:",
            f"    if {test}:",
            f"        return {found}",
            f"return {otherwise}",
        ]
        return f"{self._helper(lines, 'items, _b')}({items}, _b)", "bool"

    def reduce(self, raw: list[Any], paths: list[str], items: str) -> Compiled:
        initial = self.expr(raw[2], paths[2])[0] if len(raw) > 2 else "None"
        extra = [self.expr(r, p)[0] for r, p in zip(raw[3:], paths[3:], strict=True)]
        if len(raw) < 2:
            call = f"_reduce_without_logic({items}, {initial})"
        else:
            body, _ = self._body("reduce", raw[1], paths[1])
            lines = [
                "if items.__class__ is not list:",
                "    return _ra",
                *self._charged("reduce"),
                "for _rc in items:",
                f"    _ra = {body}",
                "return _ra",
            ]
            call = f"{self._helper(lines, 'items, _ra, _b')}({items}, {initial}, _b)"
        return (f"({', '.join(extra)}, {call})[-1]" if extra else call), "any"

    # ------------------------------------------------------------------ comparisons
    def equality(self, op: str, raw: list[Any], exprs: list[str]) -> Compiled:
        prefix, (a, b) = self.eager(exprs, 2)
        negate = op in ("!=", "!==")
        strict = op in ("===", "!==")
        literal = raw[1] if len(raw) == 2 else object()
        first, t = self.bind(a)
        expr = None
        if not prefix and (literal is True or literal is False):
            expr = (
                f"({first} is {b})"
                if strict
                else f"({t} is {b} if {first}.__class__ is bool else _eq({t}, {b}))"
            )
        elif not prefix and literal is None and len(raw) == 2:
            expr = f"({first} is None)" if strict else f"({first} is None or {t} is _U)"
        elif not prefix and isinstance(literal, str):
            check = f"{first}.__class__ is str"
            expr = f"({check} and {t} == {b})" if strict else f"({t} == {b} if {check} else _eq({t}, {b}))"
        elif not prefix and isinstance(literal, int | float) and math.isfinite(literal):
            check = f"{first}.__class__ in _NUM"
            expr = f"({check} and {t} == {b})" if strict else f"({t} == {b} if {check} else _eq({t}, {b}))"
        if expr is None:
            expr = self.wrap(prefix, f"{'_seq' if strict else '_eq'}({a}, {b})")
        return (f"(not {expr})" if negate else expr), "bool"

    def relational(self, op: str, raw: list[Any], exprs: list[str], kinds: list[str]) -> Compiled:
        if op in ("<", "<=") and len(exprs) >= 3:
            prefix, (a, b, c) = self.eager(exprs, 3)
            if prefix or c == "_U":
                return self.wrap(prefix, f"_between({op!r}, {a}, {b}, {c})"), "bool"
            # Three numbers (a range's bounds and a value): Python's chained comparison is json-logic-js's.
            bound = [(expr, *self.bind(expr)) for expr in (a, b, c)]
            tests = [
                f"({first}.__class__ in _NUM)" for expr, first, _ in bound if not _is_number_literal(expr)
            ]
            ta, tb, tc = (later for _, _, later in bound)
            fast = f"{ta} {op} {tb} {op} {tc}"
            if not tests:
                return f"({fast})", "bool"
            return f"({fast} if {' & '.join(tests)} else _between({op!r}, {ta}, {tb}, {tc}))", "bool"
        prefix, (a, b) = self.eager(exprs, 2)
        if prefix:
            return self.wrap(prefix, f"_compare({op!r}, {a}, {b})"), "bool"
        literal = raw[1] if len(raw) == 2 else None
        first_a, ta = self.bind(a)
        if (
            kinds[0] == "num"
            and isinstance(literal, int | float)
            and not isinstance(literal, bool)
            and math.isfinite(literal)
        ):
            return f"({a} {op} {b})", "bool"  # a number (or NaN) against a number: Python agrees
        if isinstance(literal, int | float) and not isinstance(literal, bool) and math.isfinite(literal):
            return f"({ta} {op} {b} if {first_a}.__class__ in _NUM else _compare({op!r}, {ta}, {b}))", "bool"
        first_b, tb = self.bind(b)
        both = f"({first_a}.__class__ in _NUM) & ({first_b}.__class__ in _NUM)"
        return f"({ta} {op} {tb} if {both} else _compare({op!r}, {ta}, {tb}))", "bool"

    def in_(self, raw: list[Any], compiled: list[Compiled]) -> Compiled:
        prefix, (a, b) = self.eager([e for e, _ in compiled], 2)
        if prefix:
            return self.wrap(prefix, f"_in({a}, {b}{self._budget()})"), "bool"
        needle = raw[0] if raw else None
        haystack = raw[1] if len(raw) == 2 else None
        if isinstance(haystack, list) and haystack and all(isinstance(x, str) for x in haystack):
            members = self.constant(frozenset(haystack))
            first, t = self.bind(a)
            return f"({first}.__class__ is str and {t} in {members})", "bool"
        if isinstance(haystack, str) and haystack:
            return f"(_tostr({a}) in {b})", "bool"
        if isinstance(needle, str) and needle and len(compiled) == 2:
            if compiled[1][1] == "str":
                return f"({a} in {b})", "bool"
            first, t = self.bind(b)
            return f"({a} in {t} if {first}.__class__ is str else _in({a}, {t}{self._budget()}))", "bool"
        return f"_in({a}, {b}{self._budget()})", "bool"

    # ------------------------------------------------------------------ arithmetic
    def _number(self, expr: str) -> str:
        """parseFloat(expr), inline for numbers."""
        if _is_number_literal(expr):
            return repr(float(expr))
        first, t = self.bind(expr)
        return f"(float({t}) if {first}.__class__ in _NUM else _pf({t}))"

    def arithmetic(self, op: str, exprs: list[str]) -> Compiled:
        if op == "+":
            if not exprs:
                return "0", "num"
            return f"(0 + {' + '.join(self._number(e) for e in exprs)})", "num"
        if op == "*":
            if len(exprs) < 2:
                return f"_times(({''.join(e + ', ' for e in exprs)}))", "any"
            return f"({' * '.join(self._number(e) for e in exprs)})", "num"
        if op == "-" and len(exprs) == 1:
            return f"_neg({exprs[0]})", "num"
        prefix, (a, b) = self.eager(exprs, 2)
        if prefix:
            return self.wrap(prefix, f"{'_minus' if op == '-' else '_div'}({a}, {b})"), "num"
        first_a, ta = self.bind(a)
        first_b, tb = self.bind(b)
        tests = [
            f"({first}.__class__ in _NUM)" for first in (first_a, first_b) if not _is_number_literal(first)
        ]
        if not tests:
            return f"{'_minus' if op == '-' else '_div'}({a}, {b})", "num"
        both = " & ".join(tests)
        if op == "-":
            return f"({ta} - {tb} if {both} else _minus({ta}, {tb}))", "num"
        return f"({ta} / {tb} if {both} and {tb} != 0 else _div({ta}, {tb}))", "num"


def _stepper(key: str) -> Callable[[str], str]:
    """How a value that is not a dictionary is stepped into (json-logic-js's property access) by `key`."""
    return lambda value: f"_step({value}, {key})"
