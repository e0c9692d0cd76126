"""The official JsonLogic suite (jsonlogic.com/tests.json): json-logic-js passes all 277 cases, so must we."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arbiter.rules.jsonlogic import apply
from tests.support.jsonlogic_js import canonical

SUITE = Path(__file__).resolve().parents[2] / "data" / "jsonlogic" / "tests.json"
CASES = [case for case in json.loads(SUITE.read_text()) if not isinstance(case, str)]


def test_the_suite_has_all_277_cases():
    assert len(CASES) == 277


@pytest.mark.parametrize(("rule", "data", "expected"), CASES, ids=[json.dumps(c[0])[:60] for c in CASES])
def test_official_case(rule, data, expected):
    assert canonical(apply(rule, data)) == canonical(expected)
