"""Every function's MemorySize comes from bench/memory's measurements (bench/memory/figures.json, written by
`bench/memory/run.py --write`): enough for the measured peak with its headroom, and no more unless an API caller
waits on the function's CPU. The bench is not run here; its recorded figures are the reference."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
FUNCTIONS = load_template(TEMPLATE_PATH).of_type("AWS::Serverless::Function")
APIS = load_template(TEMPLATE_PATH).of_type("AWS::Serverless::Api")
FIGURES = json.loads((PROJECT_ROOT / "bench" / "memory" / "figures.json").read_text())
MEASURED: dict[str, dict[str, float]] = FIGURES["functions"]


def floor_mb(peak_mb: float) -> int:
    """The smallest size the recorded rule allows for a peak: headroom, the runtime's own memory, steps."""
    needed = peak_mb * FIGURES["headroom"] + FIGURES["runtime_overhead_mb"]
    return max(FIGURES["minimum_mb"], math.ceil(needed / FIGURES["step_mb"]) * FIGURES["step_mb"])


def serves_the_api(name: str, function: dict[str, Any]) -> bool:
    """A route's function or the API's authorizer: a caller waits on its CPU share, which memory sets."""
    events = function["Properties"].get("Events", {}).values()
    authorizers = json.dumps([api["Properties"].get("Auth", {}) for api in APIS.values()])
    return any(e["Type"] == "Api" for e in events) or f'"{name}.' in authorizers or f'"{name}"' in authorizers


def memory_lines(name: str) -> list[str]:
    """The MemorySize lines of one function's block in template.yaml, as written (with their comments)."""
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    block = re.search(rf"^  {name}:\n(.*?)(?=^  \S|\Z)", text, re.MULTILINE | re.DOTALL)
    assert block is not None, name
    return re.findall(r"^ +MemorySize:.*$", block.group(1), re.MULTILINE)


def test_every_function_is_measured_and_every_figure_names_a_function() -> None:
    assert sorted(MEASURED) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_the_recorded_recommendation_follows_the_recorded_rule(name: str) -> None:
    assert MEASURED[name]["recommended_mb"] == floor_mb(MEASURED[name]["peak_mb"])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_memory_covers_the_measured_peak_with_headroom(name: str) -> None:
    size = FUNCTIONS[name]["Properties"]["MemorySize"]
    assert size % FIGURES["step_mb"] == 0, f"{name}: {size} MB is not a multiple of {FIGURES['step_mb']}"
    assert size >= floor_mb(MEASURED[name]["peak_mb"]), (
        f"{name}: {size} MB is under {floor_mb(MEASURED[name]['peak_mb'])} MB, what its measured peak of "
        f"{MEASURED[name]['peak_mb']} MB needs (bench/memory/README.md)"
    )


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if not serves_the_api(n, f)))
def test_functions_no_caller_waits_on_are_not_sized_above_their_measurement(name: str) -> None:
    assert FUNCTIONS[name]["Properties"]["MemorySize"] == MEASURED[name]["recommended_mb"]


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if serves_the_api(n, f)))
def test_api_functions_sized_above_their_measurement_are_restored_from_snapshots(name: str) -> None:
    # Their size is kept for the CPU share a waiting caller gets; that only pays off with SnapStart's restore.
    properties = FUNCTIONS[name]["Properties"]
    if properties["MemorySize"] > MEASURED[name]["recommended_mb"]:
        assert properties["SnapStart"]["ApplyOn"] == "PublishedVersions"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_function_states_its_size_with_the_measured_peak(name: str) -> None:
    (line,) = memory_lines(name)
    peak = re.search(r"# peak (\d+) MB measured by bench/memory", line)
    assert peak is not None, f"{name}: {line.strip()!r} does not say its measured peak"
    assert int(peak.group(1)) == round(MEASURED[name]["peak_mb"]), line
