"""What a directory of installed wheels (a layer's `python/`, `pip install --target`) was built for, read without
importing anything from it: the wheels' tags and the machine code of their shared libraries."""

from __future__ import annotations

from pathlib import Path

# Lambda's architecture names (template.yaml) -> the machine names of wheel platform tags and `uname -m`.
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# ELF e_machine codes of the machines above.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def wheel_tags(site: Path) -> dict[str, set[tuple[str, str, str]]]:
    """dist-info directory -> its WHEEL file's tags as (python, abi, platform), compressed tag sets expanded."""
    found: dict[str, set[tuple[str, str, str]]] = {}
    for wheel in sorted(site.glob("*.dist-info/WHEEL")):
        tags = found.setdefault(wheel.parent.name, set())
        for line in wheel.read_text(encoding="utf-8").splitlines():
            if line.startswith("Tag:"):
                python, abi, platforms = line.removeprefix("Tag:").strip().split("-")
                tags.update((python, abi, platform) for platform in platforms.split("."))
    return found


def manylinux_glibc(platform: str) -> tuple[int, int]:
    """The glibc a manylinux platform tag needs (manylinux_2_28_x86_64 -> (2, 28); the legacy names too)."""
    name = platform.split("_")[0]
    if name in LEGACY_MANYLINUX:
        return LEGACY_MANYLINUX[name]
    _, major, minor, *_ = platform.split("_")
    return int(major), int(minor)


def shared_libraries(site: Path) -> list[Path]:
    """Every shared library under site: extension modules and the libraries wheels vendor (numpy.libs/...)."""
    return sorted(p for p in site.rglob("*.so*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name))


def elf_machine(path: Path) -> str | None:
    """The machine an ELF file's code is for ("x86_64", "aarch64", or the e_machine code); None if not ELF."""
    with path.open("rb") as file:
        header = file.read(20)
    if header[:4] != b"\x7fELF":
        return None
    code = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return ELF_MACHINES.get(code, str(code))
