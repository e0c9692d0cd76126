"""Bringing one of the Makefile's stamped targets up to date from a test (nothing to do when it already is)."""

from __future__ import annotations

import fcntl
import subprocess

from arbiter_local.stack import PROJECT_ROOT


def make(target: str, timeout: int = 900) -> None:
    """Run `make <target>` in the project; fails the test with the end of its output if it fails. One test process
    at a time (`make test` runs two): targets share stamps and downloads."""
    (PROJECT_ROOT / ".make").mkdir(exist_ok=True)
    with (PROJECT_ROOT / ".make" / "tests.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = subprocess.run(
            ["make", "--no-print-directory", "-s", target],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
