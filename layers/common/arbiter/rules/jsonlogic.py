"""JSON Logic with json-logic-js 2.x semantics, compiled once per rule into a Python function.

`compile(rule)` checks the rule (unknown operators, custom operators' arguments, non-JSON values) and
raises `InvalidRule` naming the JSON path of the problem (`condition.and[1]`); it then generates the
source of one Python function for the whole rule and compiles it. Evaluating is one call of that function:
no dispatch on operator names, no re-reading of the rule. `apply(rule, data)` compiles (cached) and calls.

Semantics follow json-logic-js 2.0.5 exactly, including its JavaScript coercions (see `jsvalues`); there
is no `method` operator, and a rule reads only the data it is given through `var`, `missing` and
`missing_some`. Custom operators come only from an `OperatorRegistry`.
"""

from __future__ import annotations

import builtins
import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from arbiter.domain.errors import InvalidRule
from arbiter.rules import runtime
from arbiter.rules.jsvalues import UNDEFINED, js_to_string, json_truthy, to_json
from arbiter.rules.operators import OperatorRegistry, default_registry

__all__ = ["CompiledRule", "apply", "compile", "operators_used", "variables_read"]

BUILTIN_OPERATORS = frozenset(
    [
        "==",
        "===",
        "!=",
        "!==",
        ">",
        ">=",
        "<",
        "<=",
        "!!",
        "!",
        "%",
        "log",
        "in",
        "cat",
        "substr",
        "+",
        "*",
        "-",
        "/",
        "min",
        "max",
        "merge",
        "var",
        "missing",
        "missing_some",
        "if",
        "?:",
        "and",
        "or",
        "filter",
        "map",
        "reduce",
        "all",
        "none",
        "some",
    ]
)
_SCOPED = {"filter": "filter_", "map": "map_", "all": "all_", "some": "some_", "none": "none_"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


class CompiledRule:
    """A rule compiled to a Python function: call it with the data, get a JSON value back."""

    __slots__ = ("_function", "rule", "source")

    def __init__(self, rule: Any, function: Callable[[Any], Any], source: str) -> None:
        self.rule = rule
        self.source = source
        self._function = function

    def __call__(self, data: Any = None) -> Any:
        """Evaluate on `data`; JavaScript's undefined comes back as None."""
        try:
            result = self._function(data)
        except runtime.RuleRuntimeError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise runtime.RuleRuntimeError(f"the rule failed: {exc}") from exc
        return to_json(result) if result is UNDEFINED or result.__class__ is list else result

    def truthy(self, data: Any = None) -> bool:
        """json-logic's truthiness of the result (what `if` and `and` test)."""
        return json_truthy(self(data))


class _Generator:
    """Turns a checked rule into the source of one function; literals become constants."""

    def __init__(self, registry: OperatorRegistry) -> None:
        self.registry = registry
        self.constants: dict[str, Any] = {}
        self.functions: list[str] = []
        self._count = 0

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any) -> str:
        name = self.name("_c")
        self.constants[name] = value
        return name

    def literal(self, value: Any) -> str:
        if value is None or value is True or value is False:
            return repr(value)
        if isinstance(value, str):
            return repr(value)
        if isinstance(value, int):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else self.constant(value)
        return self.constant(value)

    def function(self, rule: Any, path: str) -> str:
        """A nested function for scoped logic (the body of map, filter, reduce, all, some, none)."""
        name = self.name("_f")
        body, _ = self.expr(rule, path)
        self.functions.append(f"def {name}(d):\n    return {body}\n")
        return name

    def truthy(self, expr: str, kind: str) -> str:
        if kind == "bool":
            return expr
        if kind in ("str", "list"):
            return f"bool({expr})"
        return f"_truthy({expr})"

    # ------------------------------------------------------------------ nodes
    def expr(self, rule: Any, path: str) -> tuple[str, str]:
        """(Python expression, kind) for a node; kind is bool, num, str, list or any."""
        if isinstance(rule, list):
            items = [self.expr(item, _child(path, i))[0] for i, item in enumerate(rule)]
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

    def args(self, values: Any, path: str, op: str) -> tuple[list[Any], list[str], list[tuple[str, str]]]:
        raw = values if isinstance(values, list) else [values]
        base = _child(path, op)
        paths = [_child(base, i) for i in range(len(raw))] if isinstance(values, list) else [base] * len(raw)
        return raw, paths, [self.expr(r, p) for r, p in zip(raw, paths, strict=True)]

    def eager(self, exprs: list[str], params: int) -> tuple[str, list[str]]:
        """Arguments evaluated in order (json-logic-js evaluates all, used or not), padded with undefined."""
        if len(exprs) <= params:
            return "", exprs + ["_U"] * (params - len(exprs))
        tmp = self.name("_t")
        return f"({tmp} := ({', '.join(exprs)},))", [f"{tmp}[{i}]" for i in range(params)]

    @staticmethod
    def wrap(prefix: str, expr: str) -> str:
        return f"({prefix}, {expr})[-1]" if prefix else expr

    def operation(self, op: str, values: Any, path: str) -> tuple[str, str]:
        if op == "var":
            return self.var(values, path)
        if op in _SCOPED or op == "reduce":
            raw, paths = self.raw(values, path, op)
            return self.scoped(op, raw, paths)
        raw, _, compiled = self.args(values, path, op)
        exprs = [e for e, _ in compiled]
        if op in ("if", "?:"):
            return self.if_(compiled)
        if op in ("and", "or"):
            return self.and_or(op, compiled)
        if op in ("==", "!=", "===", "!=="):
            return self.equality(op, raw, exprs)
        if op in ("<", "<=", ">", ">="):
            return self.relational(op, raw, exprs)
        if op in ("!", "!!"):
            prefix, (a,) = self.eager(exprs, 1)
            kind = compiled[0][1] if compiled and not prefix else "any"
            test = self.truthy(a, kind)
            return self.wrap(prefix, f"(not {test})" if op == "!" else test), "bool"
        if op == "in":
            return self.in_(raw, exprs)
        fixed = {
            "%": ("_rt.mod", 2, "num"),
            "/": ("_rt.div", 2, "num"),
            "log": ("_rt.log_value", 1, "any"),
            "substr": ("_rt.substr", 3, "str"),
            "missing_some": ("_rt.missing_some", 2, "list"),
        }
        if op in fixed:
            function, params, kind = fixed[op]
            prefix, args = self.eager(exprs, params)
            if op == "missing_some":
                args = ["d", *args]
            return self.wrap(prefix, f"{function}({', '.join(args)})"), kind
        if op == "-":
            if len(exprs) == 1:
                return f"_rt.neg({exprs[0]})", "num"
            prefix, (a, b) = self.eager(exprs, 2)
            return self.wrap(prefix, f"_rt.minus({a}, {b})"), "num"
        if op == "+":
            if not exprs:
                return "0", "num"
            parts = []
            for expr in exprs:
                t = self.name("_t")
                parts.append(f"(float({t}) if ({t} := {expr}).__class__ in _NUM else _rt.parse_float({t}))")
            return f"(0 + {' + '.join(parts)})", "num"
        variadic = {
            "*": ("_rt.times", "any"),
            "min": ("_rt.minimum", "num"),
            "max": ("_rt.maximum", "num"),
            "cat": ("_rt.cat", "str"),
            "merge": ("_rt.merge", "list"),
        }
        if op in variadic:
            function, kind = variadic[op]
            return f"{function}(({''.join(e + ', ' for e in exprs)}))", kind
        if op == "missing":
            return f"_rt.missing(d, [{', '.join(exprs)}])", "list"
        custom = self.registry.operators[op]
        return f"{self.constant(custom.function)}({', '.join(exprs)})", "any"

    @staticmethod
    def raw(values: Any, path: str, op: str) -> tuple[list[Any], list[str]]:
        raw = values if isinstance(values, list) else [values]
        base = _child(path, op)
        return raw, [_child(base, i) for i in range(len(raw))] if isinstance(values, list) else [base] * len(
            raw
        )

    def var(self, values: Any, path: str) -> tuple[str, str]:
        raw = values if isinstance(values, list) else [values]
        literal = all(not isinstance(v, dict | list) for v in raw[:2])
        if not literal:
            _, _, compiled = self.args(values, path, "var")
            prefix, (a, b) = self.eager([e for e, _ in compiled], 2)
            return self.wrap(prefix, f"_rt.var_dynamic(d, {a}, {b})"), "any"
        key = raw[0] if raw else None
        default = self.literal(raw[1] if len(raw) > 1 else None)
        if key is None or key == "":
            return "d", "any"
        keys = tuple(js_to_string(key).split("."))
        if len(keys) == 1:
            k = repr(keys[0])
            return (
                f"(d.get({k}, {default}) if d.__class__ is dict else _rt.var_path(d, ({k},), {default}))",
                "any",
            )
        if len(keys) == 2:
            return f"_rt.var2(d, {keys[0]!r}, {keys[1]!r}, {default})", "any"
        return f"_rt.var_path(d, {keys!r}, {default})", "any"

    def if_(self, compiled: list[tuple[str, str]]) -> tuple[str, str]:
        if not compiled:
            return "None", "any"
        pairs = len(compiled) // 2
        out, kind = compiled[-1] if len(compiled) % 2 else ("None", "any")
        kinds = {kind}
        for i in reversed(range(pairs)):
            condition = self.truthy(*compiled[2 * i])
            out = f"({compiled[2 * i + 1][0]} if {condition} else {out})"
            kinds.add(compiled[2 * i + 1][1])
        return out, kinds.pop() if len(kinds) == 1 else "any"

    def and_or(self, op: str, compiled: list[tuple[str, str]]) -> tuple[str, str]:
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

    def scoped(self, op: str, raw: list[Any], paths: list[str]) -> tuple[str, str]:
        items = self.expr(raw[0], paths[0])[0] if raw else "_U"
        body = self.function(raw[1], paths[1]) if len(raw) > 1 else "_undefined_logic"
        if op == "reduce":
            initial = self.expr(raw[2], paths[2])[0] if len(raw) > 2 else "None"
            extra = [self.expr(r, p)[0] for r, p in zip(raw[3:], paths[3:], strict=True)]
            call = f"_rt.reduce_({items}, {body}, {initial})"
            return (f"({', '.join(extra)}, {call})[-1]" if extra else call), "any"
        kind = "list" if op in ("map", "filter") else "bool"
        return f"_rt.{_SCOPED[op]}({items}, {body})", kind

    def equality(self, op: str, raw: list[Any], exprs: list[str]) -> tuple[str, str]:
        prefix, (a, b) = self.eager(exprs, 2)
        negate = op in ("!=", "!==")
        strict = op in ("===", "!==")
        literal = raw[1] if len(raw) == 2 else None
        if (
            not prefix
            and len(raw) == 2
            and isinstance(literal, str | int | float)
            and not isinstance(literal, bool)
        ):
            t = self.name("_t")
            same = "_STR" if isinstance(literal, str) else "_NUM"
            if isinstance(literal, float) and not math.isfinite(literal):
                same = None
            if same:
                test = "is" if same == "_STR" else "in"
                check = f"({t} := {a}).__class__ {test} {same}"
                if strict:
                    expr = f"({check} and {t} == {b})"
                else:
                    expr = f"({t} == {b} if {check} else _rt.eq({t}, {b}))"
                return (f"(not {expr})" if negate else expr), "bool"
        function = "_rt.strict_eq" if strict else "_rt.eq"
        expr = f"{function}({a}, {b})"
        if negate:
            expr = f"(not {expr})"
        return self.wrap(prefix, expr), "bool"

    def relational(self, op: str, raw: list[Any], exprs: list[str]) -> tuple[str, str]:
        if op in ("<", "<=") and len(exprs) >= 3:
            prefix, (a, b, c) = self.eager(exprs, 3)
            return self.wrap(prefix, f"_rt.between({op!r}, {a}, {b}, {c})"), "bool"
        prefix, (a, b) = self.eager(exprs, 2)
        if prefix:
            return self.wrap(prefix, f"_rt.compare({op!r}, {a}, {b})"), "bool"
        ta, tb = self.name("_t"), self.name("_t")
        literal = raw[1] if len(raw) == 2 else None
        if isinstance(literal, int | float) and not isinstance(literal, bool) and math.isfinite(literal):
            return (
                f"({ta} {op} {b} if ({ta} := {a}).__class__ in _NUM else _rt.compare({op!r}, {ta}, {b}))",
                "bool",
            )
        return (
            f"({ta} {op} {tb} if (({ta} := {a}).__class__ in _NUM) & (({tb} := {b}).__class__ in _NUM) "
            f"else _rt.compare({op!r}, {ta}, {tb}))"
        ), "bool"

    def in_(self, raw: list[Any], exprs: list[str]) -> tuple[str, str]:
        prefix, (a, b) = self.eager(exprs, 2)
        haystack = raw[1] if len(raw) == 2 else None
        if (
            not prefix
            and isinstance(haystack, list)
            and haystack
            and all(isinstance(x, str) for x in haystack)
        ):
            members = self.constant(frozenset(haystack))
            t = self.name("_t")
            return f"(({t} := {a}).__class__ is str and {t} in {members})", "bool"
        if not prefix and isinstance(haystack, str) and haystack:
            return f"(_tostr({a}) in {b})", "bool"
        return self.wrap(prefix, f"_rt.in_({a}, {b})"), "bool"


def _check(rule: Any, path: str, registry: OperatorRegistry) -> None:
    """Reject what cannot be a JSON Logic rule here, naming where."""
    if isinstance(rule, list):
        for i, item in enumerate(rule):
            _check(item, _child(path, i), registry)
        return
    if isinstance(rule, dict):
        for key in rule:
            if not isinstance(key, str):
                raise InvalidRule(f"object keys must be strings, not {key!r}", path=path or "$")
        if len(rule) != 1:
            return  # a literal object (json-logic treats only one-key objects as operations)
        op, values = next(iter(rule.items()))
        where = _child(path, op)
        if op not in BUILTIN_OPERATORS and op not in registry.operators:
            known = "method is not supported" if op == "method" else "unknown operator"
            raise InvalidRule(f"{known}: {op!r}", path=where, operator=op)
        args = values if isinstance(values, list) else [values]
        if op in registry.operators and op not in BUILTIN_OPERATORS:
            custom = registry.operators[op]
            if len(args) < custom.min_args or (custom.max_args is not None and len(args) > custom.max_args):
                most = custom.max_args if custom.max_args is not None else "any"
                raise InvalidRule(
                    f"{op} takes {custom.min_args} to {most} arguments, not {len(args)}",
                    path=where,
                    operator=op,
                )
            if custom.check is not None:
                message = custom.check(args, registry)
                if message:
                    raise InvalidRule(message, path=where, operator=op)
        if isinstance(values, list):
            for i, item in enumerate(values):
                _check(item, _child(where, i), registry)
        else:
            _check(values, where, registry)
        return
    if rule is None or isinstance(rule, str | bool | int):
        return
    if isinstance(rule, float):
        if not math.isfinite(rule):
            raise InvalidRule("numbers must be finite", path=path or "$")
        return
    raise InvalidRule(f"not a JSON value: {type(rule).__name__}", path=path or "$")


_RUNTIME_NAMES = {
    "_rt": runtime,
    "_U": UNDEFINED,
    "_NUM": (int, float),
    "_STR": str,
    "_truthy": json_truthy,
    "_tostr": js_to_string,
    "_undefined_logic": lambda _d: UNDEFINED,
}


def _build(rule: Any, registry: OperatorRegistry, path: str) -> CompiledRule:
    _check(rule, path, registry)
    generator = _Generator(registry)
    body, _ = generator.expr(rule, path)
    source = "".join(generator.functions) + f"def _rule(d):\n    return {body}\n"
    namespace: dict[str, Any] = {"__builtins__": {"float": float, "bool": bool, "dict": dict, "str": str}}
    namespace.update(_RUNTIME_NAMES)
    namespace.update(generator.constants)
    try:
        exec(builtins.compile(source, "<jsonlogic>", "exec"), namespace)  # noqa: S102 - source generated from a checked rule
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise InvalidRule(f"the rule is too deeply nested to compile ({exc})", path=path or "$") from exc
    return CompiledRule(rule, namespace["_rule"], source)


@lru_cache(maxsize=4096)
def _cached(text: str, registry_key: Any, path: str) -> CompiledRule:
    return _build(json.loads(text), _REGISTRIES[registry_key], path)


_REGISTRIES: dict[Any, OperatorRegistry] = {}


def compile(rule: Any, registry: OperatorRegistry | None = None, *, path: str = "") -> CompiledRule:
    """Check and compile a rule once; InvalidRule (with the JSON path, prefixed by `path`) if malformed."""
    registry = registry or _default()
    try:
        text = json.dumps(rule, sort_keys=False, allow_nan=True)
    except (TypeError, ValueError) as exc:
        _check(rule, path, registry)  # names the path of the value that is not JSON
        raise InvalidRule(f"not JSON: {exc}", path=path or "$") from exc
    key = registry.key()
    _REGISTRIES.setdefault(key, registry)
    return _cached(text, key, path)


@lru_cache(maxsize=1)
def _default() -> OperatorRegistry:
    return default_registry()


def apply(rule: Any, data: Any = None, registry: OperatorRegistry | None = None) -> Any:
    """Evaluate `rule` on `data` (compiled once and cached)."""
    return compile(rule, registry)(data)


def variables_read(rule: Any) -> list[str]:
    """The literal `var` paths a rule reads from its data (not those inside map/filter/reduce bodies)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict) and len(node) == 1:
            op, values = next(iter(node.items()))
            args = values if isinstance(values, list) else [values]
            if op == "var":
                if (
                    args
                    and isinstance(args[0], str | int)
                    and not isinstance(args[0], bool)
                    and args[0] != ""
                ):
                    name = js_to_string(args[0])
                    if name not in found:
                        found.append(name)
                else:
                    walk(args)
            elif op in ("missing", "missing_some"):
                keys = args[1] if op == "missing_some" and len(args) > 1 else args
                keys = keys[0] if isinstance(keys, list) and keys and isinstance(keys[0], list) else keys
                for key in keys if isinstance(keys, list) else [keys]:
                    if isinstance(key, str) and key not in found:
                        found.append(key)
            elif op in _SCOPED or op == "reduce":
                walk(args[0] if args else None)
                if op == "reduce" and len(args) > 2:
                    walk(args[2])
            else:
                walk(args)

    walk(rule)
    return found


def operators_used(rule: Any) -> set[str]:
    """Every operator name in a rule."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict) and len(node) == 1:
            op, values = next(iter(node.items()))
            found.add(op)
            walk(values)

    walk(rule)
    return found
