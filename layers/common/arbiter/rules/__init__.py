"""The rule engine: JSON Logic compiled to Python (json-logic-js semantics), rule sets, scoring, explanations.

See docs/rules.md. `jsonlogic` is the engine; `ruleset` the format of rule sets; `evaluation` compiles a
version and scores a context; `operators` is the registry of custom operators and named lists.
"""

from arbiter.rules.evaluation import CompiledRuleSet, Evaluation, compile_rule_set
from arbiter.rules.jsonlogic import CompiledBatch, CompiledRule, apply, compile, compile_batch
from arbiter.rules.operators import DEFAULT_LISTS, CustomOperator, OperatorRegistry, default_registry
from arbiter.rules.ruleset import RuleSetDraft, RuleSetVersion, parse_draft
from arbiter.rules.runtime import RuleRuntimeError

__all__ = [
    "DEFAULT_LISTS",
    "CompiledBatch",
    "CompiledRule",
    "CompiledRuleSet",
    "CustomOperator",
    "Evaluation",
    "OperatorRegistry",
    "RuleRuntimeError",
    "RuleSetDraft",
    "RuleSetVersion",
    "apply",
    "compile",
    "compile_batch",
    "compile_rule_set",
    "default_registry",
    "parse_draft",
]
