"""The suite's own layout: pytest imports test modules outside packages by their file name, so two such modules
with one name make the whole run stop at collection, whichever of them a narrower run skips."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_modules_outside_packages_have_names_of_their_own():
    loose = [path.name for path in TESTS.rglob("test_*.py") if not (path.parent / "__init__.py").exists()]
    assert [name for name, count in Counter(loose).items() if count > 1] == []
