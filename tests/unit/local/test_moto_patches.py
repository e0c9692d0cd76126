"""The local stack's patches to moto's internals (memory bounds, queries), tested in a process of their own: those
tests use moto's in-process mock, whose start and stop reset the backends this process's stack shares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_moto_patches_hold_in_a_clean_process():
    # Nothing of this process's stack: its endpoint would send the mock's calls to the stack's moto server.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "MOTO_"))}
    env["ARBITER_MOTO_PROCESS"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/moto_process", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
