"""The common layer's dependencies, as `sam build` installs them, are for the functions' architecture.

The functions run on template.yaml's architecture (arm64), which need not be the machine's: test_layer_runtime.py
imports the layer with the same pins installed for the machine. Here the layer's own install (layers/common/Makefile
with its ARCH, put once into .make/layer-site.d by `make .make/layer-site`) is checked without importing it: every
pin of the lock is installed at its version from a wheel for the runtime's Python and the functions' architecture
(or pure Python) that loads on Amazon Linux 2023, and every shared library is machine code for that architecture.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.make import make
from tests.support.wheels import MACHINES, elf_machine, manylinux_glibc, shared_libraries, wheel_tags

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
VERSION = TEMPLATE.globals["Function"]["Runtime"].removeprefix("python")  # e.g. 3.13
(ARCHITECTURE,) = TEMPLATE.globals["Function"]["Architectures"]
MACHINE = MACHINES[ARCHITECTURE]
SITE = PROJECT_ROOT / ".make" / "layer-site.d"
LOCK = PROJECT_ROOT / "layers" / "common" / "requirements.txt"


def locked() -> dict[str, str]:
    """name -> version of the layer's lock (`uv pip compile` output: `name==version` lines)."""
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    pairs = (
        line.split("==") for line in lines if line and not line[0].isspace() and not line.startswith("#")
    )
    return {canonicalize_name(name): version for name, version in pairs}


def loads_in_lambda(python: str, abi: str, platform_tag: str) -> bool:
    """A wheel tag the functions load: pure Python, or CPython up to the runtime's for the functions' machine and a
    glibc Amazon Linux 2023 (2.34) has, since the lock is compiled for manylinux_2_28."""
    if platform_tag == "any":
        return abi == "none"
    runtime = int(VERSION.split(".")[1])
    return (
        python.startswith("cp3")
        and int(python.removeprefix("cp3")) <= runtime
        and abi in {f"cp3{runtime}", "abi3"}
        and platform_tag.startswith("manylinux")
        and platform_tag.endswith(f"_{MACHINE}")
        and manylinux_glibc(platform_tag) <= (2, 28)
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_layer_dependencies_are_wheels_for_the_functions_architecture() -> None:
    # Up to date after a first run; otherwise this downloads the layer's wheels (~1 min).
    make(".make/layer-site")

    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions(path=[str(SITE)])}
    assert installed == locked()

    tags = wheel_tags(SITE)
    assert len(tags) == len(installed)
    wrong = {
        dist: refused
        for dist, wheel in tags.items()
        if (refused := sorted("-".join(tag) for tag in wheel if not loads_in_lambda(*tag)))
    }
    assert wrong == {}

    libraries = {path.relative_to(SITE).as_posix(): elf_machine(path) for path in shared_libraries(SITE)}
    assert any(name.startswith("pydantic_core/_pydantic_core.") for name in libraries)
    assert any(name.startswith("numpy/_core/_multiarray_umath.") for name in libraries)
    assert {name: machine for name, machine in libraries.items() if machine != MACHINE} == {}


def test_elf_machine_reads_the_machine_of_a_binary() -> None:
    # The interpreter running the suite is machine code for this machine: the check above can tell them apart.
    assert elf_machine(Path(sys.executable).resolve()) == platform.machine()
    assert elf_machine(LOCK) is None
