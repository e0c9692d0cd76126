"""The two locks of the same dependencies agree, and the layer is locked and built for the template's runtime.

requirements/dev.txt is resolved for the machine's Python 3.11 (tests, the local stack); layers/common/requirements.txt
for the functions' runtime and architecture (template.yaml), with the first as constraints (`make lock`). The suite
tests the versions the functions run only if every package the layer ships has the same version in both.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.wheels import MACHINES

LAYER = PROJECT_ROOT / "layers" / "common"
TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
RUNTIME = TEMPLATE.globals["Function"]["Runtime"]  # e.g. python3.13
RUNTIME_VERSION = RUNTIME.removeprefix("python")
(ARCHITECTURE,) = TEMPLATE.globals["Function"]["Architectures"]
MACHINE = MACHINES[ARCHITECTURE]  # e.g. aarch64


def pins(path: Path) -> dict[str, str]:
    """name -> version of a `uv pip compile` lock."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", line
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def compile_options(path: Path) -> dict[str, str]:
    """The options of the command in a lock's header (`--python-version 3.13` -> {"python-version": "3.13"})."""
    command = path.read_text(encoding="utf-8").splitlines()[1]
    return dict(re.findall(r"--([a-z-]+) (\S+)", command))


def make_variables(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([A-Z_]+) :?= (.+)$", path.read_text(encoding="utf-8"), re.M))


DEV = pins(PROJECT_ROOT / "requirements" / "dev.txt")
LAYER_LOCK = pins(LAYER / "requirements.txt")
RUNTIME_PROVIDED = pins(PROJECT_ROOT / "requirements" / "runtime-provided.txt")


def test_every_runtime_dependency_is_pinned_and_shipped_at_that_version() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        assert LAYER_LOCK[canonicalize_name(requirement.name)] == specifier.version, line


def test_the_layer_ships_what_the_suite_tests() -> None:
    differ = {
        name: (version, DEV.get(name)) for name, version in LAYER_LOCK.items() if DEV.get(name) != version
    }
    assert differ == {}, "layer lock vs dev lock (run `make lock`)"


def test_what_the_runtime_provides_is_what_the_suite_tests_and_not_in_the_layer() -> None:
    assert {"boto3", "snapshot-restore-py"} <= set(RUNTIME_PROVIDED)
    assert {name: v for name, v in RUNTIME_PROVIDED.items() if DEV.get(name) != v} == {}
    assert "boto3" not in LAYER_LOCK
    assert "botocore" not in LAYER_LOCK


def test_the_layer_is_locked_and_built_for_the_template_runtime() -> None:
    for lock in (LAYER / "requirements.txt", PROJECT_ROOT / "requirements" / "runtime-provided.txt"):
        options = compile_options(lock)
        assert options["python-version"] == RUNTIME_VERSION, lock
        assert options["python-platform"] == f"{MACHINE}-manylinux_2_28", (
            lock
        )  # Amazon Linux 2023: glibc 2.34
        assert options["only-binary"] == ":all:", lock
    build = make_variables(LAYER / "Makefile")
    assert build["RUNTIME_PYTHON"] == RUNTIME_VERSION
    assert build["ARCH"] == MACHINE
    assert build["GLIBC_MINOR"] == "28"
    layer = TEMPLATE.resources["CommonLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == [RUNTIME]
    assert layer["Properties"]["CompatibleArchitectures"] == [ARCHITECTURE]
    assert layer["Metadata"]["BuildArchitecture"] == ARCHITECTURE


def test_the_functions_run_on_graviton() -> None:
    # arm64's GB-second is priced 20% below x86_64's, and every dependency of the layer has aarch64 wheels
    # (tests/template/test_layer_platform.py): going back to x86_64 is a decision, not a side effect.
    assert ARCHITECTURE == "arm64"
    assert MACHINE == "aarch64"


def test_every_function_runs_the_runtime_the_layer_is_built_for() -> None:
    for name, function in TEMPLATE.of_type("AWS::Serverless::Function").items():
        assert function["Properties"]["Runtime"] == RUNTIME, name
        assert function["Properties"]["Architectures"] == [ARCHITECTURE], name


def test_the_suite_python_is_one_the_project_supports() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    supported = SpecifierSet(project["requires-python"])
    assert compile_options(PROJECT_ROOT / "requirements" / "dev.txt")["python-version"] in supported
    assert RUNTIME_VERSION in supported


def test_pyicu_is_replaced_by_the_layer_own_transliterators() -> None:
    # PyICU publishes no wheel (source only, built against the build machine's ICU): see docs/ARCHITECTURE.md.
    assert "pyicu" not in DEV
    assert "pyicu" not in LAYER_LOCK
    assert (LAYER / "icu.py").is_file()
