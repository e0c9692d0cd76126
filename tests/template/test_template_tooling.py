"""The deployment artefacts pass the tools AWS users run: sam validate --lint, cfn-lint, asl-validator, sam build.

`make test` installs SAM CLI and cfn-lint into .venv-sam and asl-validator into node_modules; these tests fail,
never skip, when a tool is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.wheels import MACHINES, elf_machine, manylinux_glibc, shared_libraries, wheel_tags

SAM_BIN = PROJECT_ROOT / ".venv-sam" / "bin"
ASL_VALIDATOR = PROJECT_ROOT / "node_modules" / ".bin" / "asl-validator"
STATE_MACHINES = sorted((PROJECT_ROOT / "statemachines").glob("*.asl.json"))
TOOL_ENV = {
    **os.environ,
    "SAM_CLI_TELEMETRY": "0",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "PATH": f"{SAM_BIN}:{os.environ.get('PATH', '')}",
}


def run(*command: str | Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command],
        cwd=PROJECT_ROOT,
        env=TOOL_ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_sam_validate_with_lint_passes() -> None:
    result = run(SAM_BIN / "sam", "validate", "--lint", "--template-file", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_cfn_lint_passes() -> None:
    result = run(SAM_BIN / "cfn-lint", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_catches_a_broken_template(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "template.yaml").read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("    "), "Outputs is the last section"
    broken = text.rstrip() + "\n  Broken:\n    Value: !GetAtt ArbiterTable.NoSuchAttribute\n"
    (tmp_path / "template.yaml").write_text(broken, encoding="utf-8")
    result = run(SAM_BIN / "cfn-lint", tmp_path / "template.yaml")
    assert result.returncode != 0
    assert "NoSuchAttribute" in result.stdout


@pytest.mark.parametrize("path", STATE_MACHINES, ids=lambda p: p.name)
def test_every_state_machine_passes_asl_validator(path: Path) -> None:
    result = run(ASL_VALIDATOR, "--json-path", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_a_dangling_transition(tmp_path: Path) -> None:
    definition = json.loads(STATE_MACHINES[0].read_text(encoding="utf-8"))
    first = definition["StartAt"]
    definition["States"][first]["Next"] = "NoSuchState"
    definition["States"][first].pop("End", None)
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    result = run(ASL_VALIDATOR, "--json-path", path)
    assert result.returncode != 0
    assert "NoSuchState" in result.stdout + result.stderr


def test_every_state_machine_file_is_wired_in_the_template() -> None:
    template = load_template(PROJECT_ROOT / "template.yaml")
    machines = template.of_type("AWS::Serverless::StateMachine").values()
    wired = {(PROJECT_ROOT / m["Properties"]["DefinitionUri"]).resolve() for m in machines}
    assert wired == {p.resolve() for p in STATE_MACHINES}
    for machine in machines:  # every ${Substitution} the ASL uses is given by the template
        text = (PROJECT_ROOT / machine["Properties"]["DefinitionUri"]).read_text(encoding="utf-8")
        used = {part.split("}")[0] for part in text.split("${")[1:]}
        assert used <= set(machine["Properties"].get("DefinitionSubstitutions", {})), machine


@pytest.mark.timeout(900)
def test_sam_build_produces_the_functions_and_the_layer(tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    result = run(
        SAM_BIN / "sam", "build", "--template-file", "template.yaml", "--build-dir", build_dir,
        "--cache-dir", tmp_path / "cache", timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    template = load_template(PROJECT_ROOT / "template.yaml")
    for name in template.of_type("AWS::Serverless::Function"):
        assert (build_dir / name / "app.py").is_file(), name
    layer = build_dir / "CommonLayer" / "python"
    assert (layer / "arbiter" / "bootstrap.py").is_file()
    assert (layer / "arbiter" / "workflows" / "kyb.json").is_file()  # package data travels with the code
    # Binary dependencies are the runtime's (template.yaml: python3.13 on arm64, manylinux), whatever builds them.
    runtime = template.globals["Function"]["Runtime"]  # pythonX.Y
    (architecture,) = template.globals["Function"]["Architectures"]
    machine = MACHINES[architecture]
    tag = f"cpython-{runtime.removeprefix('python').replace('.', '')}-{machine}-linux-gnu"
    extensions = [p.name for p in layer.rglob("*.so") if "cpython-" in p.name]
    assert any(name.startswith("_pydantic_core") for name in extensions)
    assert all(tag in name for name in extensions), [n for n in extensions if tag not in n]
    # Every wheel loads on Amazon Linux 2023 (glibc 2.34): pure Python, or manylinux for glibc 2.28 at most.
    platforms = {platform for tags in wheel_tags(layer).values() for _, _, platform in tags}
    for platform in platforms - {"any"}:
        assert platform.endswith(f"_{machine}"), platform
        assert manylinux_glibc(platform) <= (2, 28), platform
    # And the machine code is the functions' (numpy's, pydantic-core's and the libraries wheels vendor).
    machines = {p.relative_to(layer).as_posix(): elf_machine(p) for p in shared_libraries(layer)}
    assert any(name.startswith("numpy/_core/_multiarray_umath.") for name in machines)
    assert {name: m for name, m in machines.items() if m != machine} == {}
    assert not any(layer.glob("boto3/__init__.py")), "boto3 comes with the Lambda runtime"


def _longest(states: dict[str, Any], start: str) -> int:
    """The most seconds a path from `start` can take with every task at its time limit (no retries): a Parallel
    takes its longest branch, a Map its longest iteration (items run side by side), a Catch leads on."""

    def from_state(name: str) -> int:
        state = states[name]
        own = int(state.get("TimeoutSeconds", 0)) if state["Type"] == "Task" else 0
        if state["Type"] == "Parallel":
            own = max(_longest(b["States"], b["StartAt"]) for b in state["Branches"])
        if state["Type"] == "Map":
            own = _longest(state["ItemProcessor"]["States"], state["ItemProcessor"]["StartAt"])
        following = [state.get("Next"), state.get("Default")]
        following += [choice.get("Next") for choice in state.get("Choices", [])]
        caught = [catch["Next"] for catch in state.get("Catch", [])]
        after = max((from_state(n) for n in following if n), default=0)
        return max(own + after, own + max((from_state(n) for n in caught), default=0))

    return from_state(start)


def test_the_automation_runs_steps_fit_in_the_run_with_its_failure_recorded() -> None:
    definition = json.loads(
        (PROJECT_ROOT / "statemachines" / "automation.asl.json").read_text(encoding="utf-8")
    )
    assert definition["TimeoutSeconds"] <= 300  # an Express execution's limit
    assert _longest(definition["States"], definition["StartAt"]) < definition["TimeoutSeconds"]
    # The task that automates an owner's case ends within its state's limit, so no write lands after the step.
    tasks = load_template(PROJECT_ROOT / "template.yaml").resources["WorkflowTasksFunction"]["Properties"]
    (owners,) = [b for b in definition["States"]["ChecksAndOwners"]["Branches"] if "Owners" in b["States"]]
    assert (
        tasks["Timeout"]
        <= owners["States"]["Owners"]["ItemProcessor"]["States"]["AutomateOwner"]["TimeoutSeconds"]
    )
