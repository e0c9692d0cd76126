"""The transaction routes live in run_workflow, which serves cases too: starting it must not load the rule engine
(the first decision does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_run_workflow_leaves_the_rule_engine_for_the_first_decision():
    script = (
        "import sys, functions.run_workflow.app; "
        "loaded = sorted(m for m in sys.modules if m.startswith(('arbiter.rules.', 'arbiter.services.rule_sets'))); "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    path = os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
