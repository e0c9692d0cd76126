"""The result and flag models every plugin returns, and the registry's validation of a workflow's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import Field, ValidationError

from arbiter.domain.errors import Conflict
from arbiter.plugins import (
    CheckError,
    Flag,
    InvalidPluginConfig,
    Plugin,
    PluginConfig,
    PluginRegistry,
    PluginResult,
    RetryPolicy,
    case_entity,
    validate_configs,
)


class Timed(PluginConfig):
    timeout_seconds: float = Field(default=5, gt=0, le=60)
    hosts: list[str] = Field(default_factory=list)


class TimedPlugin(Plugin[Timed]):
    name = "timed"
    version = "1.0.0"
    Config = Timed

    def run(self, context: dict[str, Any], config: Timed) -> PluginResult:
        return PluginResult.ok()


class Plain(Plugin[PluginConfig]):
    name = "plain"
    version = "0.1.0"

    def run(self, context: dict[str, Any], config: PluginConfig) -> PluginResult:
        return PluginResult.ok()


REGISTRY = PluginRegistry([TimedPlugin(), Plain()])


def test_results_are_json_and_round_trip() -> None:
    result = PluginResult.ok(
        {"score": 0.5, "names": ["a"], "nested": {"x": None}},
        [Flag(code="odd_thing", severity="medium", message="Odd.", subject="business.ubos[0]")],
    )
    again = PluginResult.model_validate(json.loads(json.dumps(result.to_json())))
    assert again == result


def test_error_text_goes_with_error_status_only() -> None:
    with pytest.raises(ValidationError, match="needs an `error`"):
        PluginResult(status="error")
    with pytest.raises(ValidationError, match="only a result with status 'error'"):
        PluginResult(status="ok", error="x")
    assert PluginResult.failed("vendor down").error == "vendor down"
    assert PluginResult.skipped("no website").data == {"reason": "no website"}


def test_data_must_be_json() -> None:
    with pytest.raises(ValidationError):
        PluginResult.ok({"when": object()})
    with pytest.raises(ValidationError):
        PluginResult.ok({"ids": {1, 2}})


@pytest.mark.parametrize("code", ["Bad", "has space", "", "9lives", "x" * 65])
def test_flag_codes_are_identifiers(code: str) -> None:
    with pytest.raises(ValidationError):
        Flag(code=code, severity="low", message="m")


def test_unknown_result_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        PluginResult.model_validate({"status": "ok", "score": 3})


def test_case_entity_reads_the_typed_entity_or_names_the_bad_field() -> None:
    entity = case_entity(
        {"entity": {"type": "business", "business": {"name": "Acme", "country_of_incorporation": "de"}}}
    )
    assert entity.business is not None
    assert entity.business.country_of_incorporation == "DE"
    with pytest.raises(CheckError) as excinfo:
        case_entity(
            {
                "entity": {
                    "type": "business",
                    "business": {"name": "Acme", "ubos": [{"ownership_percent": 140}]},
                }
            }
        )
    assert excinfo.value.context["path"] == "entity.business.ubos.0.ownership_percent"


def test_validate_configs_names_the_offending_field() -> None:
    entries = [
        {"plugin": "plain"},
        {"plugin": "timed", "config": {"timeout_seconds": 5}},
        {"plugin": "timed", "name": "timed_again", "config": {"timeout_seconds": -1}},
    ]
    with pytest.raises(InvalidPluginConfig) as excinfo:
        validate_configs(entries, REGISTRY)
    assert excinfo.value.path == "plugins[2].config.timeout_seconds"
    assert excinfo.value.to_dict()["path"] == "plugins[2].config.timeout_seconds"


def test_validate_configs_reports_every_problem() -> None:
    entries = [
        {"plugin": "nope"},
        {"plugin": "timed", "config": {"hosts": "x", "typo": 1}},
        {"plugin": "plain"},
        {"plugin": "plain"},
        {"plugin": "plain", "name": "Bad Name"},
        {"plugin": "plain", "name": "again", "retry": {"attempts": 0}},
    ]
    with pytest.raises(InvalidPluginConfig) as excinfo:
        validate_configs(entries, REGISTRY, path="workflow.plugins")
    paths = [e["path"] for e in excinfo.value.context["errors"]]
    assert paths == [
        "workflow.plugins[0].plugin",
        "workflow.plugins[1].config.hosts",
        "workflow.plugins[1].config.typo",
        "workflow.plugins[3].name",
        "workflow.plugins[4].name",
        "workflow.plugins[5].retry.attempts",
    ]
    assert "registered: plain, timed" in excinfo.value.context["errors"][0]["message"]


def test_valid_configs_come_back_as_calls_named_after_their_plugin_by_default() -> None:
    calls = validate_configs(
        [
            {"plugin": "timed", "config": {"timeout_seconds": 2}, "retry": {"attempts": 5}},
            {"plugin": "plain", "name": "p2"},
        ],
        REGISTRY,
    )
    assert [(c.name, c.plugin) for c in calls] == [("timed", "timed"), ("p2", "plain")]
    assert calls[0].config == {"timeout_seconds": 2}
    assert calls[0].retry == RetryPolicy(attempts=5)


def test_a_name_is_registered_once() -> None:
    registry = PluginRegistry([Plain()])
    with pytest.raises(Conflict):
        registry.register(Plain())
    assert registry.names() == ["plain"]
    assert "plain" in registry
