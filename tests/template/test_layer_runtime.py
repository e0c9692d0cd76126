"""The common layer and every function load under the functions' runtime Python (template.yaml's Runtime).

The suite runs on the machine's Python 3.11; Lambda runs the layer's wheels for its own Python. Here a real
interpreter of the runtime's version (pyenv's, where the machine has one) imports every module of the layer and
every function, with the dependencies `sam build` installs for that runtime (layers/common/Makefile, installed once
into .make/runtime-site.d by `make deps-test`) and what the runtime provides (boto3, snapshot_restore_py), with
`sys.path` as Lambda builds it (no site-packages processing). Then SnapStart's hooks run as Lambda runs them.
The pins are the layer's, their wheels this machine's: the functions run on arm64, whose code an x86_64 machine
cannot load (test_layer_platform.py checks the arm64 install itself).
"""

from __future__ import annotations

import json
import os
import pkgutil
import shutil
import subprocess
from pathlib import Path

import pytest

import arbiter
from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.make import make

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
VERSION = TEMPLATE.globals["Function"]["Runtime"].removeprefix("python")  # e.g. 3.13
SITE = PROJECT_ROOT / ".make" / "runtime-site.d"
PROBE = PROJECT_ROOT / "tests" / "support" / "lambda_init_probe.py"


def runtime_interpreter() -> Path | None:
    """A Python of the runtime's version that runs: pyenv's installs first, then PATH (pyenv's shims may not run)."""
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(pyenv.glob(f"versions/{VERSION}.*/bin/python{VERSION}"), reverse=True)
    on_path = shutil.which(f"python{VERSION}")
    for candidate in [*candidates, *([Path(on_path)] if on_path else [])]:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == VERSION:
            return candidate
    return None


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_layer_and_every_function_import_under_the_runtime_python(tmp_path: Path) -> None:
    interpreter = runtime_interpreter()
    if interpreter is None:
        pytest.skip(f"no Python {VERSION} interpreter on this machine (looked in pyenv's versions and PATH)")
    # Up to date after `make deps-test`; otherwise this installs the layer's wheels for the runtime (~1 min).
    make(".make/runtime-site")
    extensions = [p.name for p in SITE.glob("pydantic_core/*.so")]
    assert extensions
    assert all(f"cpython-{VERSION.replace('.', '')}-" in name for name in extensions), extensions

    functions = TEMPLATE.of_type("AWS::Serverless::Function").values()
    handlers = [str(PROJECT_ROOT / f["Properties"]["CodeUri"] / "app.py") for f in functions]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "layers" / "common"), str(SITE)]),
        "PYTHONPYCACHEPREFIX": str(PROJECT_ROOT / ".make" / "runtime-pycache"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    result = subprocess.run(
        [interpreter, "-S", PROBE, json.dumps({"handlers": handlers, "all_modules": True})],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["python"] == [int(part) for part in VERSION.split(".")]
    assert report["modules"] == sum(1 for _ in pkgutil.walk_packages(arbiter.__path__, "arbiter."))
    assert report["handlers_callable"] == [True] * len(handlers)
    assert report["hooks"] == {"before_snapshot": 1, "after_restore": 1}
    assert report["connections_at_import"] == []
    assert report["connections_before_snapshot"] == []
    assert report["clients_before_snapshot"] == 0
