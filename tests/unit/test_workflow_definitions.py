"""The workflow definitions shipped with Arbiter are valid, including every check's configuration."""

import json
from pathlib import Path

import pytest

from arbiter.domain.errors import InvalidInput
from arbiter.plugins import validate_configs
from arbiter.plugins.builtin import builtin_registry
from arbiter.workflows import builtin_workflows


def test_every_shipped_workflow_loads_and_has_a_state_machine_unless_only_arbiter_opens_it():
    workflows = builtin_workflows()
    assert set(workflows) == {"kyb", "kyc", "manual-review", "merchant-underwriting", "monitoring"}
    template = Path("template.yaml").read_text(encoding="utf-8")
    for workflow in workflows.values():
        if workflow.opened_by == "integrator":
            assert f'"${{AWS::StackName}}-{workflow.machine}"' in template, f"<stack>-{workflow.machine}"
        else:  # a monitoring case is opened in review and decided there: no state machine waits on it
            assert f'"${{AWS::StackName}}-{workflow.id}"' not in template


def test_every_configured_check_validates_against_the_registry():
    registry = builtin_registry(egress=None, invoker=None)
    for workflow in builtin_workflows().values():
        validate_configs(workflow.plugins, registry)


def test_a_bad_definition_is_refused_naming_the_file_and_field(tmp_path, monkeypatch):
    from arbiter import workflows

    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "broken.json").write_text(
        json.dumps({"id": "Bad Id", "version": 1, "name": "x", "entity_types": []})
    )
    monkeypatch.setattr(workflows, "__package__", None)
    monkeypatch.setattr(workflows.resources, "files", lambda _package: folder)
    workflows.builtin_workflows.cache_clear()
    try:
        with pytest.raises(InvalidInput, match=r"workflows/broken.json: (id|entity_types)"):
            workflows.builtin_workflows()
    finally:
        workflows.builtin_workflows.cache_clear()
