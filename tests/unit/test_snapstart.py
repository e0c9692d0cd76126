"""SnapStart: the hooks' functions, their registration, and the template wiring that makes callers reach snapshots."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import pytest
import snapshot_restore_py

from arbiter import snapstart
from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.local_http import LocalServer, Reply, SeenRequest

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
FUNCTIONS = TEMPLATE.of_type("AWS::Serverless::Function")
PROBE = PROJECT_ROOT / "tests" / "support" / "lambda_init_probe.py"


def snapstart_on(props: dict[str, Any]) -> bool:
    return (props.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"


# ---------------------------------------------------------------------------------------------- after restore
def test_renew_gives_each_environment_resumed_from_one_snapshot_its_own_random_sequence() -> None:
    snapshot = random.getstate()  # what every environment resumed from one snapshot starts with
    try:
        first = [random.random() for _ in range(3)]
        random.setstate(snapshot)
        assert [random.random() for _ in range(3)] == first  # without the hook: the same sequence everywhere
        random.setstate(snapshot)
        snapstart.renew()
        resumed_a = [random.random() for _ in range(3)]
        random.setstate(snapshot)
        snapstart.after_restore()
        resumed_b = [random.random() for _ in range(3)]
        assert len({tuple(first), tuple(resumed_a), tuple(resumed_b)}) == 3
    finally:
        random.seed()


# ---------------------------------------------------------------------------------------------- before snapshot
@pytest.fixture
def container_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    """Credentials served as Lambda serves them to SnapStart functions (an HTTP endpoint), and no others."""

    def credentials(_: SeenRequest) -> Reply:
        expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"AccessKeyId": "AKIDRESTORED", "SecretAccessKey": "s", "Token": "t", "Expiration": expiry}
        return Reply(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    server = LocalServer({"/credentials": credentials})
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"http://127.0.0.1:{server.port}/credentials")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "token")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # warm() replaces it; the test's end puts it back
    yield server
    server.close()


@pytest.fixture
def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The botocore data files read from disk from now on."""
    read: list[str] = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def recording(self: Any, file_path: str) -> Any:
        data = load_file(self, file_path)
        if data is not None:
            read.append(file_path.rsplit("/data/", 1)[-1])
        return data

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", recording)
    return read


def test_warm_loads_what_the_clients_need_without_creating_one(
    container_credentials: LocalServer, files_read: list[str]
) -> None:
    snapstart.warm(modules=())
    assert any(path.startswith("dynamodb/") for path in files_read)
    assert container_credentials.requests == []  # no credentials in the snapshot
    files_read.clear()
    for service in snapstart.AWS_SERVICES:
        boto3.client(service, region_name="us-east-1")
    assert files_read == []  # the models and endpoint rules came from the snapshot's memory
    # A client fetches credentials when it is created: that is why warm() creates none.
    assert len(container_credentials.requests) == 1


def test_warm_without_the_default_session_first_still_serves_boto3_clients(
    container_credentials: LocalServer, files_read: list[str]
) -> None:
    boto3.setup_default_session()  # something set up boto3 before the hook: warm() replaces that session
    snapstart.warm(modules=(), services=("dynamodb",))
    files_read.clear()
    boto3.client("dynamodb", region_name="us-east-1")
    assert files_read == []


def test_warm_fails_loudly_on_a_module_that_does_not_exist() -> None:
    with pytest.raises(ModuleNotFoundError):
        snapstart.warm(modules=("arbiter.no_such_module",), services=())


def test_every_handler_imports_and_warms_with_no_connection_and_no_client(tmp_path: Path) -> None:
    """A Lambda init of every function in one fresh interpreter, then the hooks as Lambda runs them."""
    handlers = [str(PROJECT_ROOT / props["Properties"]["CodeUri"] / "app.py") for props in FUNCTIONS.values()]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT / "layers" / "common"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, str(PROBE), json.dumps({"handlers": handlers})],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["handlers_callable"] == [True] * len(handlers)
    assert report["hooks"] == {
        "before_snapshot": 1,
        "after_restore": 1,
    }  # once, however many handlers import it
    assert report["connections_at_import"] == []
    assert report["connections_before_snapshot"] == []
    assert report["clients_before_snapshot"] == 0
    assert report["event_handler_loaded"]  # the API functions' first request no longer imports it


# ---------------------------------------------------------------------------------------------- registration
def registered(registry: list[tuple[Any, ...]], hook: Any) -> int:
    return sum(1 for func, _, _ in registry if func is hook)


def test_importing_the_module_registers_each_hook_once_with_the_runtime() -> None:
    assert registered(snapshot_restore_py.get_before_snapshot(), snapstart.before_snapshot) == 1
    assert registered(snapshot_restore_py.get_after_restore(), snapstart.after_restore) == 1
    assert snapstart.register()  # again: nothing added
    assert registered(snapshot_restore_py.get_before_snapshot(), snapstart.before_snapshot) == 1


def test_without_the_runtime_library_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapstart, "_registered", False)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # as on the local stack: no such module
    before = list(snapshot_restore_py.get_before_snapshot())
    assert snapstart.register() is False
    assert snapshot_restore_py.get_before_snapshot() == before


# ---------------------------------------------------------------------------------------------- template wiring
def imports_hooks(app: Path) -> bool:
    tree = ast.parse(app.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Import) and any(alias.name == "arbiter.snapstart" for alias in node.names)
        for node in tree.body
    )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_function_with_snapstart_registers_the_hooks(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    if snapstart_on(props):
        assert imports_hooks(PROJECT_ROOT / props["CodeUri"] / "app.py"), name


def test_the_functions_people_wait_for_have_snapstart() -> None:
    waited_for = {name for name, f in FUNCTIONS.items() if snapstart_on(f["Properties"])}
    assert {
        "RunWorkflowFunction",
        "ReviewActionsFunction",
        "WebhooksFunction",
        "WorkflowTasksFunction",
        "IngestCaseDocumentsFunction",
        "PluginsFunction",
        "EvaluateRulesFunction",
    } <= waited_for


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_publishes_a_version_for_its_own_code_and_for_the_layer(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    assert props.get("AutoPublishAlias"), f"{name}: SnapStart snapshots published versions only"
    # Without it a version follows only the function's code, environment and memory, not the layer's code.
    assert props.get("AutoPublishAliasAllProperties") is True, name
    layers = [layer["Ref"] for layer in props.get("Layers", []) if isinstance(layer, dict)]
    for layer in layers:
        assert TEMPLATE.resources[layer]["Properties"].get("PublishLambdaVersion") is True, layer


def test_state_machines_invoke_the_alias_where_the_snapshot_is() -> None:
    for name, machine in TEMPLATE.of_type("AWS::Serverless::StateMachine").items():
        for key, value in machine["Properties"].get("DefinitionSubstitutions", {}).items():
            targets = json.dumps(value)
            if any(function in targets for function in FUNCTIONS):
                assert value == {"Ref": f"{key.removesuffix('Arn')}.Alias"}, (name, key, value)


def lambda_tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) of every Task that invokes a function: the lambda:invoke integration or a function's ARN."""
    for name, state in states.items():
        resource = state.get("Resource", "")
        if state.get("Type") == "Task" and (
            ":lambda:invoke" in resource or resource.endswith("FunctionArn}")
        ):
            yield name, state
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from lambda_tasks(state[key]["States"])
        for branch in state.get("Branches", []):
            yield from lambda_tasks(branch["States"])


def test_every_task_waits_out_a_version_whose_snapshot_is_being_made_again() -> None:
    """A version not invoked for 14 days goes Inactive; Lambda answers SnapStartNotReadyException until it has
    restored a snapshot, which takes longer than the usual retries of a Lambda service error. An Express run lasts
    five minutes at most: its tasks wait two minutes or more, less than the run (one that runs out of time is run
    again by the reconciler)."""
    for machine in TEMPLATE.of_type("AWS::Serverless::StateMachine").values():
        path = PROJECT_ROOT / machine["Properties"]["DefinitionUri"]
        definition = json.loads(path.read_text(encoding="utf-8"))
        express = machine["Properties"].get("Type") == "EXPRESS"
        tasks = list(lambda_tasks(definition["States"]))
        assert tasks, path
        for name, task in tasks:
            retriers = [
                r for r in task.get("Retry", []) if "Lambda.SnapStartNotReadyException" in r["ErrorEquals"]
            ]
            assert len(retriers) == 1, (path.name, name)
            retrier = retriers[0]
            waited = sum(
                min(
                    retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n,
                    retrier.get("MaxDelaySeconds", 1e9),
                )
                for n in range(retrier["MaxAttempts"])
            )
            if express:
                assert 120 <= waited < definition["TimeoutSeconds"], (path.name, name, waited)
            else:
                assert waited >= 180, (path.name, name, waited)
