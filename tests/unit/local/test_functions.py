"""Functions as the local stack creates and runs them: the template's runtime, nothing assumed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arbiter_local.cfn import TemplateError, load_template
from arbiter_local.provision import Provisioner
from arbiter_local.runtime import FunctionSpec, LambdaRuntime


def no_aws(service: str) -> Any:
    raise AssertionError(f"nothing should reach {service}")


def test_a_function_without_a_runtime_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n"
        "  Fn: { Type: AWS::Serverless::Function, Properties: { CodeUri: fn, Handler: app.handler } }\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match="Fn: no Runtime"):
        Provisioner(load_template(path), no_aws).provision()


def test_a_function_sees_the_execution_environment_of_its_runtime() -> None:
    spec = FunctionSpec("Fn", "fn", "arn:fn", Path("."), "app.handler", {}, "python3.13")
    environment = LambdaRuntime({"fn": spec}, base_environment={}).environment_of(spec)
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
