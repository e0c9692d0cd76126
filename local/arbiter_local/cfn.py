"""Reading template.yaml: CloudFormation's YAML tags, Globals, conditions and intrinsic functions.

The local stack provisions what the template declares, so it reads the template the way CloudFormation and
SAM do for the parts Arbiter uses: `!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!If`, `!Select`, `!Split`, `!Not`,
`!Equals`, `!And`, `!Or`, `!Condition`, SAM `Globals`, parameter defaults and pseudo parameters, and SAM's
`!Ref Function.Alias` / `!Ref Function.Version` (the alias and version `AutoPublishAlias` creates, looked up as
the function's `Alias` and `Version` attributes). Resolution is lazy: a resource's properties are resolved only
once the resources they name have physical ids.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

__all__ = ["NO_VALUE", "SAM_REF_SUFFIXES", "Resolver", "Template", "TemplateError", "load_template"]

NO_VALUE = object()  # AWS::NoValue: the property is removed


class TemplateError(Exception):
    """The template uses something the local stack cannot read, or is inconsistent."""


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short-form tags into their long form."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(
            None, None, f"!{tag_suffix} on a {type(node).__name__}", node.start_mark
        )
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@dataclass
class Template:
    """A parsed template: parameters, conditions, resources (with SAM Globals applied), outputs."""

    path: Path
    parameters: dict[str, Any]
    conditions: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]
    globals: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The folder the template lives in; CodeUri and DefinitionUri are relative to it."""
        return self.path.parent

    def of_type(self, *types: str) -> dict[str, dict[str, Any]]:
        """The resources of the given types, by logical id, in template order."""
        return {name: res for name, res in self.resources.items() if res["Type"] in types}


def load_template(path: Path) -> Template:
    """Parse `path` and apply SAM Globals to the serverless resources."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass with CFN tags only
    if not isinstance(document, dict) or "Resources" not in document:
        raise TemplateError(f"{path} has no Resources section")
    globals_ = document.get("Globals", {}) or {}
    resources = {name: _with_globals(res, globals_) for name, res in document["Resources"].items()}
    return Template(
        path=path,
        parameters=document.get("Parameters", {}) or {},
        conditions=document.get("Conditions", {}) or {},
        resources=resources,
        outputs=document.get("Outputs", {}) or {},
        globals=globals_,
    )


_GLOBAL_SECTIONS = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}


def _with_globals(resource: dict[str, Any], globals_: Mapping[str, Any]) -> dict[str, Any]:
    section = _GLOBAL_SECTIONS.get(resource.get("Type", ""))
    if not section or section not in globals_:
        return resource
    merged = copy.deepcopy(resource)
    merged["Properties"] = _merge_globals(
        copy.deepcopy(globals_[section]), merged.get("Properties", {}) or {}
    )
    return merged


def _merge_globals(global_props: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's rules: maps merge (resource wins), lists of layers are prepended, scalars are overridden."""
    out = dict(global_props)
    for key, value in props.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge_globals(out[key], value)
        elif key in out and isinstance(out[key], list) and isinstance(value, list):
            out[key] = out[key] + value
        else:
            out[key] = value
    return out


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
# SAM resolves `Ref: Fn.Alias` and `Ref: Fn.Version` to the alias and version AutoPublishAlias creates for `Fn`,
# and `Ref: Api.Stage` to the stage it creates for `Api`.
SAM_REF_SUFFIXES = ("Alias", "Version", "Stage")


def _sam_reference(name: str) -> tuple[str, str] | None:
    """(resource, suffix) for SAM's `Fn.Alias`, `Fn.Version`, `Api.Stage`; None for any other name."""
    resource, dot, suffix = name.partition(".")
    return (resource, suffix) if dot and suffix in SAM_REF_SUFFIXES else None


def references(value: Any) -> set[str]:
    """The logical ids (resources, parameters, pseudo parameters) `value` depends on."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and len(value) == 1:
            sam = _sam_reference(str(value["Ref"]))
            found.add(sam[0] if sam else value["Ref"])
        elif "Fn::GetAtt" in value and len(value) == 1:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        elif "Fn::Sub" in value and len(value) == 1:
            sub = value["Fn::Sub"]
            text, variables = (sub, {}) if isinstance(sub, str) else (sub[0], sub[1])
            for name in _SUB_VARIABLE.findall(text):
                if name not in variables:
                    found.add(name.split(".")[0])
            found |= references(variables)
        else:
            for item in value.values():
                found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


PhysicalLookup = Callable[[str], Any]
AttributeLookup = Callable[[str, str], Any]


class Resolver:
    """Evaluates intrinsic functions against parameters, conditions and provisioned resources."""

    def __init__(
        self,
        template: Template,
        *,
        parameters: Mapping[str, Any] | None = None,
        pseudo: Mapping[str, Any],
        physical_id: PhysicalLookup,
        attribute: AttributeLookup,
    ) -> None:
        self.template = template
        self.pseudo = dict(pseudo)
        self.parameters = self._parameter_values(parameters or {})
        self._physical_id = physical_id
        self._attribute = attribute
        self._conditions: dict[str, bool] = {}

    def _parameter_values(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, spec in self.template.parameters.items():
            if name in overrides:
                value = overrides[name]
            elif "Default" in spec:
                value = spec["Default"]
            else:
                raise TemplateError(f"parameter {name} has no default and no value was given")
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [item.strip() for item in value.split(",")] if value else [""]
            values[name] = value
        return values

    def condition(self, name: str) -> bool:
        """The value of a named condition."""
        if name not in self._conditions:
            if name not in self.template.conditions:
                raise TemplateError(f"unknown condition {name}")
            self._conditions[name] = bool(self.resolve(self.template.conditions[name]))
        return self._conditions[name]

    def resource_enabled(self, logical_id: str) -> bool:
        """False when the resource's Condition is false: it is not created."""
        name = self.template.resources[logical_id].get("Condition")
        return True if name is None else self.condition(name)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated; AWS::NoValue entries removed."""
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.template.resources:
            return self._physical_id(name)
        sam = _sam_reference(name)
        if sam and sam[0] in self.template.resources:
            return self._attribute(*sam)
        raise TemplateError(f"Ref to unknown name {name}")

    def _get_att(self, arg: Any) -> Any:
        resource, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
        return self._attribute(self.resolve(resource), self.resolve(attribute))

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".")[0] in self.template.resources:
                return str(self._get_att(name.split(".", 1)))
            return str(self._ref(name))

        # "${!Literal}" is CloudFormation's escape for a literal "${Literal}".
        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _join(self, arg: list[Any]) -> str:
        delimiter, items = arg
        items = self.resolve(items)
        return str(delimiter).join(str(i) for i in items)

    def _if(self, arg: list[Any]) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _select(self, arg: list[Any]) -> Any:
        index, items = self.resolve(arg)
        return items[int(index)]

    def _split(self, arg: list[Any]) -> list[str]:
        delimiter, text = self.resolve(arg)
        return str(text).split(delimiter)

    _FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::If": _if,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::Equals": lambda self, arg: self.resolve(arg[0]) == self.resolve(arg[1]),
        "Fn::Not": lambda self, arg: not self.resolve(arg[0]),
        "Fn::And": lambda self, arg: all(self.resolve(a) for a in arg),
        "Fn::Or": lambda self, arg: any(self.resolve(a) for a in arg),
        "Condition": lambda self, arg: self.condition(arg),
    }


def provisioning_order(template: Template) -> list[str]:
    """Logical ids ordered so every resource comes after the resources it references (as CloudFormation)."""
    graph: dict[str, set[str]] = {}
    for name, resource in template.resources.items():
        deps = references(resource.get("Properties", {})) | set(_depends_on(resource))
        graph[name] = {d for d in deps if d in template.resources and d != name}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise TemplateError(f"circular dependency between resources: {' -> '.join(exc.args[1])}") from exc


def _depends_on(resource: dict[str, Any]) -> list[str]:
    depends = resource.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)
