"""`make demo` as a user runs it: the local stack as a process of its own, started, used and stopped.

These tests start `python -m arbiter_local` (what `make demo` runs) in a subprocess on free ports, read its
banner, call it over HTTP and stop it with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT
from tests.support.ports import free_port
from tests.waiting import wait_for

READY = "Press Ctrl-C to stop."


class StackProcess:
    """A running `python -m arbiter_local`, its output collected line by line."""

    def __init__(self, *args: str, ignore_sigint: bool = False) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": f"{PROJECT_ROOT / 'layers' / 'common'}:{PROJECT_ROOT / 'local'}",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "arbiter_local", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A parent that ignores SIGINT (some shells, CI runners, test runners) passes that on to its children.
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, text: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if text in line:
                return "".join(self.output)
        stderr = self.process.stderr.read() if self.process.poll() is not None and self.process.stderr else ""
        raise AssertionError(f"never printed {text!r}; output so far:\n{''.join(self.output)}\n{stderr}")

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C; the exit code, once everything it printed has been collected."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self._pump_thread.join(timeout=10)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture
def started(ports: tuple[int, int]) -> Iterator[tuple[StackProcess, str]]:
    api, moto = ports
    proc = StackProcess("--api-port", str(api), "--moto-port", str(moto))
    try:
        proc.wait_for_line(READY)
        yield proc, f"http://127.0.0.1:{api}"
    finally:
        proc.kill()


def port_is_free(port: int) -> bool:
    """Nothing listens on `port` any more (connections may linger in TIME_WAIT; that is not listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_the_demo_serves_health_takes_a_request_and_stops_cleanly(
    started: tuple[StackProcess, str], ports: tuple[int, int]
) -> None:
    proc, api = started
    banner = "".join(proc.output)
    # Progress while provisioning, then where everything is and how to sign in.
    assert "==> provisioning template.yaml" in banner
    assert f"Back office     {api}/" in banner
    assert f"AWS endpoint    http://127.0.0.1:{ports[1]}" in banner
    assert "Demo API key    secret" in banner
    for email in ("admin@arbiter.local", "reviewer@arbiter.local", "viewer@arbiter.local"):
        assert email in banner

    health = httpx.get(f"{api}/health", timeout=10).json()
    template = load_template(PROJECT_ROOT / "template.yaml")
    listed = {r["logical_id"]: r for r in health["resources"]}
    unconditional = {name for name, res in template.resources.items() if "Condition" not in res}
    assert unconditional <= set(listed) <= set(template.resources)  # the template's resources, nothing else
    assert "PartnerRulesPolicy" not in listed  # its condition (partner accounts given) is false locally
    for name in ("ArbiterTable", "DocumentsBucket", "EventBus", "ReviewerPool", "KybStateMachine"):
        assert listed[name]["emulated"], name
        assert listed[name]["physical_id"], name

    with httpx.Client(base_url=api, headers={"Authorization": "Bearer secret"}, timeout=30) as client:
        # The demo starts with sample cases, one per path, so the back office has a queue to show.
        assert "Sample cases    4 started" in banner
        # The demo watchlist's named people and companies, to try screening with.
        assert "Watchlist       Viktor Sergeyevich Orlov; Leila Nasser Haddad; Zhao Minghui;" in banner
        samples = {c["correlation_id"] for c in client.get("/v1/cases", params={"limit": 50}).json()["items"]}
        assert {"sample-kyb-review", "sample-kyb-high-risk", "sample-kyb-collecting"} <= samples
        # The collecting sample's link: the collection site, opening that case's journey.
        link = re.search(r"Collection link (\S+)", banner)
        assert link, banner
        assert link.group(1).startswith(f"{api}/collect/#clk_"), banner
        site, token = link.group(1).split("#")
        assert "<html" in httpx.get(site, timeout=10).text
        opened = httpx.get(
            f"{api}/v1/collection/case", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert opened.json()["entity_type"] == "business", opened.text
        # The link was e-mailed to the sample's applicant: the demo's mailbox (moto's SES) shows it.
        assert f"Mail            {api}/mail" in banner
        mailed = [
            m
            for m in httpx.get(f"{api}/mail.json", timeout=10).json()
            if "applicant@globex.example" in m["to"]
        ]
        assert [m["subject"] for m in mailed] == ["Your application: continue online"], mailed
        assert f'href="{link.group(1)}"' in mailed[0]["body"]
        assert "Your application: continue online" in httpx.get(f"{api}/mail", timeout=10).text
        created = client.post(
            "/api/v1/external/workflows/run",
            json={
                "workflowId": "risk-score-improvement-dev",
                "context": {
                    "entity": {"type": "individual", "data": {"firstName": "John", "lastName": "Doe"}},
                    "documents": [],
                },
            },
        )
        assert created.status_code == 200, created.text
        case_id = created.json()["workflowRuntimeId"]
        case = wait_for(
            lambda: (c := client.get(f"/v1/cases/{case_id}").json())["state"] == "manual_review" and c,
            timeout=60,
        )
        assert case["entity"]["individual"]["first_name"] == "John"

    assert proc.interrupt() == 0
    stderr = proc.process.stderr.read() if proc.process.stderr else ""
    assert "==> stopping" in "".join(proc.output)
    assert "Traceback" not in stderr, stderr
    assert port_is_free(ports[0])
    assert port_is_free(ports[1])


def _demo_sign_in(moto: str, client_id: str, email: str, password: str) -> str:
    cognito = boto3.client("cognito-idp", endpoint_url=moto, region_name="us-east-1")
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def _second_tenant(moto: str, api: str) -> tuple[str, str]:
    """Another tenant in the running demo, with an API key and a reviewer: (API key, reviewer's ID token)."""
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.domain.tenant import TenantSettings
    from arbiter.services import tenants

    physical = {
        r["logical_id"]: r["physical_id"] for r in httpx.get(f"{api}/health", timeout=10).json()["resources"]
    }
    dynamodb = boto3.client("dynamodb", endpoint_url=moto, region_name="us-east-1")
    repository = DynamoTenantRepository(dynamodb, physical["ArbiterTable"])
    tenants.create_tenant(repository, "other", "Other Fintech", TenantSettings())
    key = tenants.issue_api_key(repository, "other", label="tests")
    cognito = boto3.client("cognito-idp", endpoint_url=moto, region_name="us-east-1")
    pool = physical["ReviewerPool"]
    email, password = "reviewer@other.example.com", "other-password-1"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:tenant_id", "Value": "other"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="reviewer")
    return key, _demo_sign_in(moto, physical["ReviewerPoolClient"], email, password)


def test_concurrent_callers_each_get_their_own_identity_while_the_demo_seeds(ports: tuple[int, int]) -> None:
    """Two tenants' reviewers and integrators at once, from the moment the API serves (the demo is then starting
    its sample cases): every answer is for the caller who asked, never for a request running beside it."""
    api_port, moto_port = ports
    api, moto = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{moto_port}"
    proc = StackProcess("--api-port", str(api_port), "--moto-port", str(moto_port))
    try:
        proc.wait_for_line("==> API and back office on")
        client_id = httpx.get(f"{api}/config.json", timeout=10).json()["cognito"]["clientId"]
        other_key, other_reviewer = _second_tenant(moto, api)
        reviewers = {
            ("demo", "reviewer@arbiter.local"): _demo_sign_in(
                moto, client_id, "reviewer@arbiter.local", "arbiter-demo"
            ),
            ("demo", "admin@arbiter.local"): _demo_sign_in(
                moto, client_id, "admin@arbiter.local", "arbiter-demo"
            ),
            ("other", "reviewer@other.example.com"): other_reviewer,
        }
        wrong: list[str] = []

        def reviewer(tenant: str, email: str, token: str) -> None:
            with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
                for _ in range(25):
                    me = c.get("/v1/review/me")
                    body = me.json() if me.status_code == 200 else {}
                    if (body.get("tenant_id"), body.get("email")) != (tenant, email):
                        wrong.append(f"{email}: {me.status_code} {me.text[:200]}")
                    queue = c.get("/v1/review/cases", params={"limit": 100})
                    if queue.status_code != 200:
                        wrong.append(f"{email} queue: {queue.status_code} {queue.text[:200]}")

        def integrator(tenant: str, key: str, thread: str) -> None:
            own = (f"{tenant}-caller-", "sample-") if tenant == "demo" else (f"{tenant}-caller-",)
            with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
                for n in range(10):
                    entity = {
                        "type": "individual",
                        "id": f"{tenant}-caller-{thread}-{n}",
                        "individual": {"first_name": "Ada"},
                    }
                    created = c.post("/v1/cases", json={"workflow": "manual-review", "entity": entity})
                    if created.status_code != 202:
                        wrong.append(f"{tenant} integrator: {created.status_code} {created.text[:200]}")
                    listed = c.get("/v1/cases", params={"limit": 100})
                    if listed.status_code != 200:
                        wrong.append(f"{tenant} list: {listed.status_code} {listed.text[:200]}")
                        continue
                    foreign = [i["entity"]["id"] for i in listed.json()["items"]]
                    foreign = [e for e in foreign if not e.startswith(own)]
                    if foreign:
                        wrong.append(f"{tenant} integrator sees another tenant's cases: {foreign}")

        # Three of each caller at once: requests to one function overlap as well as requests to different ones.
        threads = [
            threading.Thread(target=reviewer, args=(*who, token))
            for who, token in reviewers.items()
            for _ in "ab"
        ]
        threads += [
            threading.Thread(target=integrator, args=(tenant, key, thread))
            for tenant, key in (("demo", "secret"), ("other", other_key))
            for thread in "abc"
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        # The demo's own requests (its sample cases) also got their own identity: it finished starting.
        proc.wait_for_line(READY)
        assert "Sample cases    4 started" in "".join(proc.output)
        assert not any(t.is_alive() for t in threads)
        failed = [n for n, line in enumerate(proc.output) if " failed: " in line]
        logged = "".join(proc.output[failed[0] : failed[0] + 40]) if failed else "no function failed"
        assert wrong == [], f"{len(wrong)} wrong answers; the stack logged:\n{logged}"
    finally:
        proc.kill()


def test_ctrl_c_stops_it_even_when_started_with_sigint_ignored(ports: tuple[int, int]) -> None:
    proc = StackProcess(
        "--api-port", str(ports[0]), "--moto-port", str(ports[1]), "--no-seed", ignore_sigint=True
    )
    try:
        proc.wait_for_line(READY)
        assert proc.interrupt(timeout=20) == 0
        assert "==> stopping" in "".join(proc.output)
        assert port_is_free(ports[0])
    finally:
        proc.kill()


def test_a_port_in_use_gives_one_line_not_a_traceback() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = StackProcess("--api-port", str(port), "--moto-port", str(free_port()))
        code = proc.process.wait(timeout=60)
        stderr = proc.process.stderr.read() if proc.process.stderr else ""
    assert code == 2
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert f"port {port} (API and back office) is already in use" in lines[0]


EXTRA_RESOURCES = """
  EchoTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
  EchoBucket:
    Type: AWS::S3::Bucket
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/echo
      Environment: { Variables: { ECHO_TABLE: !Ref EchoTable } }
      Events:
        Echo:
          Type: Api
          Properties:
            RestApiId: !Ref ApiGateway
            Path: /v1/echo
            Method: GET
            Auth: { Authorizer: NONE, ApiKeyRequired: false }  # a public route says so
  EchoStateMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: !Sub "${AWS::StackName}-echo"
      DefinitionUri: statemachines/echo.asl.json
      DefinitionSubstitutions: { EchoFunctionArn: !GetAtt EchoFunction.Arn }
"""

ECHO_HANDLER = """
import json, os

def handler(event, context):
    if "httpMethod" in event:
        body = {"table": os.environ["ECHO_TABLE"], "path": event["path"]}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
    return {"echo": event, "table": os.environ["ECHO_TABLE"]}
"""

ECHO_MACHINE = {
    "StartAt": "Echo",
    "States": {
        "Echo": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${EchoFunctionArn}", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "End": True,
        }
    },
}


def extended_project(root: Path) -> Path:
    """A copy of the project's template with a table, a bucket, a function and a state machine added."""
    text = (PROJECT_ROOT / "template.yaml").read_text(encoding="utf-8")
    head, outputs = text.split("\nOutputs:", 1)
    (root / "template.yaml").write_text(
        f"{head.rstrip()}\n{EXTRA_RESOURCES}\nOutputs:{outputs}", encoding="utf-8"
    )
    (root / "layers").symlink_to(PROJECT_ROOT / "layers")
    functions = root / "functions"
    functions.mkdir()
    for folder in (PROJECT_ROOT / "functions").iterdir():
        (functions / folder.name).symlink_to(folder)
    (functions / "echo").mkdir()
    (functions / "echo" / "app.py").write_text(textwrap.dedent(ECHO_HANDLER), encoding="utf-8")
    machines = root / "statemachines"
    shutil.copytree(PROJECT_ROOT / "statemachines", machines)
    (machines / "echo.asl.json").write_text(json.dumps(ECHO_MACHINE), encoding="utf-8")
    return root / "template.yaml"


def test_resources_added_to_the_template_appear_locally_with_no_other_change(tmp_path: Path) -> None:
    template = extended_project(tmp_path)
    api_port, moto_port = free_port(), free_port()
    proc = StackProcess(
        "--api-port", str(api_port), "--moto-port", str(moto_port), "--template", str(template), "--no-seed"
    )  # fmt: skip
    try:
        proc.wait_for_line(READY)
        api = f"http://127.0.0.1:{api_port}"
        health = httpx.get(f"{api}/health", timeout=10).json()
        listed = {r["logical_id"]: r for r in health["resources"]}
        for name in ("EchoTable", "EchoBucket", "EchoFunction", "EchoStateMachine"):
            assert listed[name]["emulated"], listed.get(name)
        assert "GET /v1/echo" in health["routes"]

        # The new route reaches the new function, with the environment the template gives it.
        echoed = httpx.get(f"{api}/v1/echo", timeout=10).json()
        assert echoed == {"table": listed["EchoTable"]["physical_id"], "path": "/v1/echo"}

        aws = {
            "endpoint_url": f"http://127.0.0.1:{moto_port}",
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        assert (
            listed["EchoTable"]["physical_id"] in boto3.client("dynamodb", **aws).list_tables()["TableNames"]
        )
        buckets = [b["Name"] for b in boto3.client("s3", **aws).list_buckets()["Buckets"]]
        assert listed["EchoBucket"]["physical_id"] in buckets

        # The new state machine runs its ASL and calls the new function in process.
        sfn = boto3.client("stepfunctions", **aws)
        machine = next(m for m in sfn.list_state_machines()["stateMachines"] if m["name"].endswith("-echo"))
        run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="e1", input='{"n": 1}')
        done = wait_for(
            lambda: (
                (d := sfn.describe_execution(executionArn=run["executionArn"]))["status"] != "RUNNING" and d
            ),
            timeout=60,
        )
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == {"echo": {"n": 1}, "table": listed["EchoTable"]["physical_id"]}
        assert proc.interrupt() == 0
    finally:
        proc.kill()
