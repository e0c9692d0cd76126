"""Plugins by name, and the validation of a workflow's list of checks when it is saved or seeded.

A workflow's configuration lists its checks as `{"plugin": "<registered name>", "name": "<result key>",
"config": {...}, "timeout_seconds": ..., "retry": {...}}`; `name` defaults to the plugin's and lets one plugin
run twice (two vendors through `vendor_http`). Results are stored under `name`, which rules read as
`checks.<name>`, so names are identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arbiter.domain.conditions import checked_condition, holds
from arbiter.domain.errors import Conflict, InvalidInput
from arbiter.plugins.contract import Plugin
from arbiter.plugins.policy import RetryPolicy


class UnknownPlugin(InvalidInput):
    """No plugin is registered under that name."""


class InvalidPluginConfig(InvalidInput):
    """A check's entry or its config does not validate; `path` names the field, `errors` lists them all."""


class PluginCall(BaseModel):
    """One configured check of a workflow; `config` is kept as written (secrets stay references)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plugin: str = Field(min_length=1, max_length=64)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    config: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float | None = Field(default=None, gt=0, le=900)
    retry: RetryPolicy | None = None
    #: The check may take longer than an automated run's time (a vendor answering in minutes): the run hands it to
    #: the workflow's Standard execution from the start instead of trying it first.
    long_running: bool = False
    #: JSON Logic over what the check receives (`entity`, `documents`, `metadata`, `workflow_id`): the check runs
    #: only when it holds, and is recorded `skipped` otherwise (e.g. `{"==": [{"var": "entity.business.country"},
    #: "DE"]}` for a German registry).
    when: dict[str, Any] | None = None

    @field_validator("when")
    @classmethod
    def _valid_condition(cls, condition: dict[str, Any] | None) -> dict[str, Any] | None:
        return checked_condition(condition, "when")

    def applies(self, context: Mapping[str, Any]) -> bool:
        """Whether the check runs on a case (its `when` holds, or it has none)."""
        return holds(self.when, dict(context), "when")

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_plugin(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("name") and isinstance(data.get("plugin"), str):
            return {**data, "name": data["plugin"]}
        return data


class PluginRegistry:
    """The plugins a deployment offers, by name."""

    def __init__(self, plugins: Iterable[Plugin[Any]] = ()) -> None:
        self._plugins: dict[str, Plugin[Any]] = {}
        for plugin in plugins:
            self.register(plugin)

    def register(self, plugin: Plugin[Any]) -> None:
        """Add a plugin; a second plugin with the same name is a `Conflict`."""
        if plugin.name in self._plugins:
            raise Conflict(f"a plugin named {plugin.name!r} is already registered", plugin=plugin.name)
        self._plugins[plugin.name] = plugin

    def get(self, name: str) -> Plugin[Any]:
        """The plugin registered as `name`, or `UnknownPlugin`."""
        try:
            return self._plugins[name]
        except KeyError:
            known = ", ".join(sorted(self._plugins)) or "none"
            raise UnknownPlugin(f"unknown plugin {name!r} (registered: {known})", path="plugin") from None

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._plugins)

    def __contains__(self, name: object) -> bool:
        return name in self._plugins


def validate_config(
    entry: Mapping[str, Any] | PluginCall, registry: PluginRegistry, *, path: str
) -> PluginCall:
    """Validate one entry and its plugin's config; `InvalidPluginConfig` whose path starts with `path`."""
    errors: list[dict[str, str]] = []
    call = _entry(entry, path, errors)
    if call is not None:
        try:
            plugin = registry.get(call.plugin)
        except UnknownPlugin as e:
            errors.append({"path": f"{path}.plugin", "message": e.message})
        else:
            try:
                plugin.Config.model_validate(call.config)
            except ValidationError as e:
                errors.extend(_pydantic_errors(e, f"{path}.config"))
    if errors:
        first = errors[0]
        raise InvalidPluginConfig(f"{first['path']}: {first['message']}", path=first["path"], errors=errors)
    assert call is not None
    return call


def validate_configs(
    entries: Sequence[Mapping[str, Any] | PluginCall], registry: PluginRegistry, *, path: str = "plugins"
) -> list[PluginCall]:
    """Validate a workflow's checks (call it when a workflow's configuration is saved or seeded).

    Raises `InvalidPluginConfig` naming the first offending field (`plugins[2].config.timeout_seconds`), with
    every problem found in `errors`.
    """
    calls: list[PluginCall] = []
    errors: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        where = f"{path}[{index}]"
        try:
            call = validate_config(entry, registry, path=where)
        except InvalidPluginConfig as e:
            errors.extend(e.context["errors"])
            continue
        if call.name in seen:
            errors.append(
                {
                    "path": f"{where}.name",
                    "message": f"name {call.name!r} is already used by {path}[{seen[call.name]}]",
                }
            )
            continue
        seen[call.name] = index
        calls.append(call)
    if errors:
        first = errors[0]
        raise InvalidPluginConfig(f"{first['path']}: {first['message']}", path=first["path"], errors=errors)
    return calls


def _entry(
    entry: Mapping[str, Any] | PluginCall, path: str, errors: list[dict[str, str]]
) -> PluginCall | None:
    if isinstance(entry, PluginCall):
        return entry
    try:
        return PluginCall.model_validate(entry)
    except ValidationError as e:
        errors.extend(_pydantic_errors(e, path))
        return None


def _pydantic_errors(error: ValidationError, prefix: str) -> list[dict[str, str]]:
    return [{"path": prefix + _loc(e["loc"]), "message": e["msg"]} for e in error.errors()]


def _loc(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
