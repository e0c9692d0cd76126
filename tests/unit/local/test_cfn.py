"""Reading template.yaml the way CloudFormation and SAM do: tags, Globals, intrinsic functions, ordering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arbiter_local.cfn import Resolver, TemplateError, load_template, provisioning_order, references
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE = """
Parameters:
  Stage: { Type: String, Default: dev }
  Hosts: { Type: CommaDelimitedList, Default: "a.example, b.example" }
  Required: { Type: String }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
Globals:
  Function:
    Runtime: python3.13
    Timeout: 10
    Layers: [!Ref Layer]
    Environment: { Variables: { STAGE: !Ref Stage, SHARED: "yes" } }
Resources:
  Layer: { Type: AWS::Serverless::LayerVersion, Properties: { ContentUri: layers/common } }
  Table: { Type: AWS::DynamoDB::Table, Properties: { TableName: !Sub "${AWS::StackName}-table" } }
  Queue: { Type: AWS::SQS::Queue, Condition: IsProd }
  Fn:
    Type: AWS::Serverless::Function
    DependsOn: Queue
    Properties:
      Timeout: 30
      Layers: [extra-layer]
      Environment: { Variables: { TABLE: !Ref Table, ARN: !GetAtt Table.Arn } }
"""


@pytest.fixture
def template(tmp_path: Path) -> Any:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return load_template(path)


def resolver(template: Any, **parameters: Any) -> Resolver:
    return Resolver(
        template,
        parameters={"Required": "given", **parameters},
        pseudo={"AWS::StackName": "arbiter", "AWS::Region": "us-east-1"},
        physical_id=lambda name: f"physical-{name}",
        attribute=lambda name, attr: f"{name}.{attr}",
    )


def test_sam_globals_merge_as_sam_does(template: Any) -> None:
    props = template.resources["Fn"]["Properties"]
    assert props["Runtime"] == "python3.13"  # inherited
    assert props["Timeout"] == 30  # the resource wins over Globals
    assert props["Layers"] == [{"Ref": "Layer"}, "extra-layer"]  # lists: Globals first
    assert props["Environment"]["Variables"] == {
        "STAGE": {"Ref": "Stage"},
        "SHARED": "yes",
        "TABLE": {"Ref": "Table"},
        "ARN": {"Fn::GetAtt": ["Table", "Arn"]},
    }
    assert "Runtime" not in template.resources["Table"].get("Properties", {})  # only serverless types


def test_intrinsic_functions_resolve(template: Any) -> None:
    r = resolver(template)
    env = r.resolve(template.resources["Fn"]["Properties"]["Environment"]["Variables"])
    assert env == {"STAGE": "dev", "SHARED": "yes", "TABLE": "physical-Table", "ARN": "Table.Arn"}
    assert r.resolve(template.resources["Table"]["Properties"]) == {"TableName": "arbiter-table"}
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}) == "a-dev"
    assert r.resolve({"Fn::Select": [1, {"Ref": "Hosts"}]}) == "b.example"
    assert r.resolve({"Fn::Split": [",", "x,y"]}) == ["x", "y"]
    assert r.resolve({"Fn::Sub": ["${A}-${!Literal}", {"A": {"Ref": "Stage"}}]}) == "dev-${Literal}"
    assert r.resolve([1, {"Ref": "AWS::NoValue"}, 2]) == [1, 2]
    assert r.resolve({"Fn::If": ["IsProd", "big", "small"]}) == "small"


def test_conditions_decide_which_resources_exist(template: Any) -> None:
    assert not resolver(template).resource_enabled("Queue")
    assert resolver(template, Stage="prod").resource_enabled("Queue")
    assert resolver(template).condition("NotProd")
    with pytest.raises(TemplateError, match="unknown condition Nope"):
        resolver(template).condition("Nope")


def test_parameters_need_a_value_or_a_default(template: Any) -> None:
    with pytest.raises(TemplateError, match="parameter Required has no default"):
        Resolver(template, pseudo={}, physical_id=str, attribute=lambda *_: None)
    assert resolver(template).parameters["Hosts"] == ["a.example", "b.example"]


def test_unknown_references_are_named(template: Any) -> None:
    with pytest.raises(TemplateError, match="unknown name Missing"):
        resolver(template).resolve({"Ref": "Missing"})


def test_resources_come_after_what_they_reference(template: Any) -> None:
    order = provisioning_order(template)
    assert order.index("Layer") < order.index("Fn")
    assert order.index("Table") < order.index("Fn")
    assert order.index("Queue") < order.index("Fn")  # DependsOn counts too


def test_circular_references_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  A: { Type: AWS::SQS::Queue, Properties: { QueueName: !GetAtt B.QueueName } }\n"
        "  B: { Type: AWS::SQS::Queue, Properties: { QueueName: !Ref A } }\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="circular dependency"):
        provisioning_order(load_template(path))


def test_a_file_without_resources_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Parameters: {}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="no Resources section"):
        load_template(path)


def test_sub_references_include_attributes_but_not_escapes() -> None:
    found = references({"Fn::Sub": "${Table.Arn}/${AWS::Region}/${!Literal}/${Var}"})
    assert found == {"Table", "AWS::Region", "Var"}
    assert references({"Fn::Sub": ["${Var}", {"Var": {"Ref": "Queue"}}]}) == {"Queue"}


def test_the_project_template_orders_without_cycles() -> None:
    template = load_template(PROJECT_ROOT / "template.yaml")
    order = provisioning_order(template)
    assert set(order) == set(template.resources)
    for name in template.of_type("AWS::Serverless::Function"):
        assert order.index("CommonLayer") < order.index(name)


def test_sam_alias_and_version_references_name_the_function(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Machine:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      DefinitionSubstitutions:\n"
        "        Live: !Ref Fn.Alias\n"
        "        Published: !Ref Fn.Version\n"
        '        InSub: !Sub "${Fn.Alias}"\n'
        "  Fn: { Type: AWS::Serverless::Function, Properties: { AutoPublishAlias: live } }\n",
        encoding="utf-8",
    )
    template = load_template(path)
    substitutions = template.resources["Machine"]["Properties"]["DefinitionSubstitutions"]
    assert references(substitutions) == {"Fn"}
    order = provisioning_order(template)
    assert order.index("Fn") < order.index("Machine")  # the alias exists before what invokes it
    resolved = resolver(template).resolve(substitutions)
    assert resolved == {"Live": "Fn.Alias", "Published": "Fn.Version", "InSub": "Fn.Alias"}


def test_an_alias_reference_to_something_unknown_is_named(template: Any) -> None:
    with pytest.raises(TemplateError, match=r"unknown name Nope\.Alias"):
        resolver(template).resolve({"Ref": "Nope.Alias"})
    with pytest.raises(TemplateError, match=r"unknown name Fn\.Nickname"):
        resolver(template).resolve({"Ref": "Fn.Nickname"})
