"""The rule engine: JSON Logic compiled to Python (json-logic-js semantics), rule sets, scoring, explanations.

See docs/rules.md. `jsonlogic` is the engine; `ruleset` the format of rule sets; `evaluation` compiles a
version and scores a context; `operators` is the registry of custom operators and named lists. The names
below load their module on first use, so importing `arbiter.rules.ruleset` alone does not load the engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CompiledRuleSet": "evaluation",
    "Evaluation": "evaluation",
    "compile_rule_set": "evaluation",
    "CompiledBatch": "jsonlogic",
    "CompiledRule": "jsonlogic",
    "apply": "jsonlogic",
    "compile": "jsonlogic",
    "compile_batch": "jsonlogic",
    "DEFAULT_LISTS": "operators",
    "CustomOperator": "operators",
    "OperatorRegistry": "operators",
    "default_registry": "operators",
    "RuleSetDraft": "ruleset",
    "RuleSetVersion": "ruleset",
    "parse_draft": "ruleset",
    "RuleRuntimeError": "runtime",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'arbiter.rules' has no attribute {name!r}")
    return getattr(importlib.import_module(f"arbiter.rules.{_WHERE[name]}"), name)
