"""The rule engine: JSON Logic compiled to Python (json-logic-js semantics), rule sets, scoring, explanations."""
