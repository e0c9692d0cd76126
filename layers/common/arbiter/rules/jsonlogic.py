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
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from arbiter.domain.errors import InvalidRule
from arbiter.rules import runtime
from arbiter.rules.budget import FIRST_GRANT, UNSTARTED, Allowance
from arbiter.rules.codegen import BUILTINS, RUNTIME_NAMES, SCOPED, Generator, child_path
from arbiter.rules.jsvalues import UNDEFINED, js_to_string, json_truthy, to_json
from arbiter.rules.operators import OperatorRegistry, default_registry

__all__ = [
    "CompiledBatch",
    "CompiledRule",
    "apply",
    "compile",
    "compile_batch",
    "operators_used",
    "reads_computed_paths",
    "variables_read",
]

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
_child = child_path


class CompiledRule:
    """A rule compiled to a Python function: call it with the data, get a JSON value back."""

    __slots__ = ("_budgeted", "_function", "rule", "source")

    def __init__(
        self, rule: Any, function: Callable[[Any, Any], Any], source: str, budgeted: bool = True
    ) -> None:
        self.rule = rule
        self.source = source
        self._function = function
        self._budgeted = budgeted

    def __call__(self, data: Any = None, budget: list[Any] | None = None) -> Any:
        """Evaluate on `data`; JavaScript's undefined comes back as None.

        `budget` (from `arbiter.rules.budget`) bounds what the evaluation may do; by default, one rule's."""
        if budget is None and self._budgeted:  # a rule that counts no steps needs none
            budget = [FIRST_GRANT, UNSTARTED]
        try:
            result = self._function(data, budget)
        except runtime.RuleRuntimeError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError) as exc:
            raise runtime.RuleRuntimeError(f"the rule failed: {exc}") from exc
        return to_json(result) if result is UNDEFINED or result.__class__ is list else result

    def truthy(self, data: Any = None, budget: list[Any] | None = None) -> bool:
        """json-logic's truthiness of the result (what `if` and `and` test)."""
        return json_truthy(self(data, budget))


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


def _exec(source: str, constants: dict[str, Any], name: str, path: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__builtins__": BUILTINS, **RUNTIME_NAMES, **constants}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. `1 is True` from a rule comparing literals
            code = builtins.compile(source, "<jsonlogic>", "exec")
        exec(code, namespace)  # noqa: S102 - generated from a checked rule
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise InvalidRule(f"the rule is too deeply nested to compile ({exc})", path=path or "$") from exc
    function: Callable[..., Any] = namespace[name]
    return function


def _build(rule: Any, registry: OperatorRegistry, path: str) -> CompiledRule:
    _check(rule, path, registry)
    generator = Generator(registry)
    body, _ = generator.expr(rule, path)
    source = generator.source("_rule", body)
    function = _exec(source, generator.constants, "_rule", path)
    return CompiledRule(rule, function, source, generator.budgeted)


class CompiledBatch:
    """Several rules compiled into one function that returns the truthiness of each, in order.

    The rules share the reads of their data (each `var` path is looked up once per evaluation), and one
    rule's budget (MAX_RULE_STEPS): within it, no rule alone can have gone past its own. If one of them fails,
    or they go past it, every rule is evaluated alone (`each`), so the others still count and the failing
    one is known.
    """

    __slots__ = ("_function", "rules", "source")

    def __init__(
        self, rules: list[CompiledRule], function: Callable[[Any, list[Any]], tuple[bool, ...]], source: str
    ) -> None:
        self.rules = rules
        self.source = source
        self._function = function

    def __call__(self, data: Any, budget: list[Any] | None = None) -> tuple[bool, ...]:
        """The truthiness of every rule on `data`; RuleRuntimeError if one of them fails or the budget ends."""
        try:
            return self._function(data, [FIRST_GRANT, UNSTARTED] if budget is None else budget)
        except runtime.RuleRuntimeError:
            raise
        except Exception as exc:
            raise runtime.RuleRuntimeError(f"the rules failed: {exc}") from exc

    def each(self, data: Any, allowance: Allowance | None = None) -> list[bool | runtime.RuleRuntimeError]:
        """Every rule alone, each with its own budget drawn from `allowance`: its truthiness, or its error."""
        allowance = allowance or Allowance()
        out: list[bool | runtime.RuleRuntimeError] = []
        for rule in self.rules:
            try:
                out.append(rule.truthy(data, allowance.budget()))
            except runtime.RuleRuntimeError as exc:
                out.append(exc)
        return out


def compile_batch(
    rules: list[Any], registry: OperatorRegistry | None = None, *, paths: list[str] | None = None
) -> CompiledBatch:
    """Check and compile rules to be evaluated together (InvalidRule names the path of the first problem)."""
    registry = registry or _default()
    paths = paths or [f"[{i}]" for i in range(len(rules))]
    single = [compile(rule, registry, path=path) for rule, path in zip(rules, paths, strict=True)]
    generator = Generator(registry)
    generator.share(rules)
    tests = [generator.truthy(*generator.expr(rule, path)) for rule, path in zip(rules, paths, strict=True)]
    source = generator.source("_batch", f"({''.join(t + ', ' for t in tests)})")
    return CompiledBatch(single, _exec(source, generator.constants, "_batch", ""), source)


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
    return _reads(rule)[0]


def reads_computed_paths(rule: Any) -> bool:
    """Whether a rule reads a path known only when it runs (`{"var": {"cat": …}}`, `{"var": ""}`, the whole data,
    `missing` of computed keys): what it reads of the data cannot be told from `variables_read`."""
    return _reads(rule)[1]


def _reads(rule: Any) -> tuple[list[str], bool]:
    found: list[str] = []
    computed = False

    def walk(node: Any) -> None:
        nonlocal computed
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
                    computed = True
                    walk(args)
            elif op in ("missing", "missing_some"):
                keys = args[1] if op == "missing_some" and len(args) > 1 else args
                keys = keys[0] if isinstance(keys, list) and keys and isinstance(keys[0], list) else keys
                for key in keys if isinstance(keys, list) else [keys]:
                    if isinstance(key, str) and key not in found:
                        found.append(key)
                    elif not isinstance(key, str):
                        computed = True
            elif op in SCOPED:
                walk(args[0] if args else None)
                if op == "reduce" and len(args) > 2:
                    walk(args[2])
            else:
                walk(args)

    walk(rule)
    return found, computed


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
