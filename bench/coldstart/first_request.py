"""Cold start up to the first answer: each API function's import plus its first request, in a fresh interpreter.

`run.py` times the import only. The API functions build powertools' resolver with their first request
(`arbiter.api.rest`), so part of their cold start is paid there: this script starts the local stack (moto, the
demo tenant and reviewers), then, in fresh interpreters with the environment the template gives each function,
times the import and the first request separately. The baseline, in the same interpreters' rounds, is
`import boto3` plus one client, then one DynamoDB call (a GetItem) to the same moto. Every AWS call goes to moto
over HTTP in this process, so request times are longer than in Lambda; the ratios are what to compare.

    python bench/coldstart/first_request.py [--runs 7] [--compare REF]

Each function is also measured as SnapStart runs it: the import and the before-snapshot hook happen when the
version is published, so a first caller waits for a restore and the request only (its "request ms").

`--compare REF` measures the same functions as they were at git revision REF too (extracted with `git archive`
into a temporary folder), in the same interleaved rounds against the same stack: before and after in one run.
Interpreters may cache bytecode (.pyc, written by the warm-up round), as a deployed runtime's own libraries are.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "common"), str(ROOT / "local")]

BASELINE = """
import json, sys, time
t0 = time.perf_counter()
import boto3
client = boto3.client("dynamodb")
t1 = time.perf_counter()
client.get_item(TableName=sys.argv[1], Key={"pk": {"S": "cold"}, "sk": {"S": "start"}})
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""

# The context is a plain class, so that nothing is imported beyond what the function imports itself.
HANDLER = """
import json, sys, time

class Context:
    def __init__(self, name, arn):
        self.function_name, self.invoked_function_arn = name, arn
        self.memory_limit_in_mb, self.aws_request_id, self.function_version = 256, "cold-1", "$LATEST"

    def get_remaining_time_in_millis(self):
        return 30000

spec = json.loads(sys.argv[1])
t0 = time.perf_counter()
import app
if spec.get("snapshot"):  # what SnapStart's snapshot holds: the init, then the before-snapshot hook
    import arbiter.snapstart
    arbiter.snapstart.before_snapshot()
    arbiter.snapstart.after_restore()
t1 = time.perf_counter()
result = app.handler(spec["event"], Context(spec["name"], spec["arn"]))
t2 = time.perf_counter()
assert result["statusCode"] == 200, result
print(json.dumps([t1 - t0, t2 - t1]))
"""


# A tenant and its API key written by the code at the compared revision, so that it reads its own records.
OLD_TENANT = """
import boto3, sys
from arbiter.adapters.dynamodb.tenants import DynamoTenantRepository
from arbiter.services import tenants
repository = DynamoTenantRepository(boto3.client("dynamodb"), sys.argv[1])
tenants.create_tenant(repository, "bench-before", "Cold start, before")
print(tenants.issue_api_key(repository, "bench-before", label="bench"))
"""


def proxy_event(path: str, token: str) -> dict[str, Any]:
    """A GET as API Gateway's REST proxy integration sends it."""
    headers = {"Authorization": f"Bearer {token}"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"stage": "v1", "path": f"/v1{path}", "httpMethod": "GET", "requestId": "cold-1"},
        "body": None,
        "isBase64Encoded": False,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(code: str, env: dict[str, str], *args: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return [float(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per subject (default 7)")
    parser.add_argument("--compare", metavar="REF", help="also measure the functions as they were at git REF")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coldstart-") as scratch:
        return measure(
            args.runs, _extract(args.compare, Path(scratch)) if args.compare else None, args.compare
        )


def _extract(ref: str, into: Path) -> Path:
    """The project's tree at `ref` (functions and layer only), for a before-and-after run."""
    archive = subprocess.run(
        ["git", "archive", ref, "functions", "layers/common"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _old_credentials(stack: Any, env: dict[str, str], old_layer: str) -> tuple[str, str]:
    """A reviewer's token and an API key of a tenant the compared revision wrote (its own record format)."""
    key = (
        subprocess.run(
            [sys.executable, "-c", OLD_TENANT, stack.physical_id("ArbiterTable")],
            env={**env, "PYTHONPATH": old_layer},
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    cognito = stack.client("cognito-idp")
    pool, email, password = (
        stack.physical_id("ReviewerPool"),
        "bench-before@arbiter.local",
        "bench-Password-1",
    )
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "custom:tenant_id", "Value": "bench-before"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="reviewer")
    token = cognito.initiate_auth(
        ClientId=stack.physical_id("ReviewerPoolClient"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]["IdToken"]
    return str(token), key


def measure(runs: int, before: Path | None, ref: str | None) -> int:
    """Start the stack, time every subject in interleaved rounds, print the medians and the ratios."""

    from arbiter_local.seed import DEMO_API_KEY, DEMO_PASSWORD
    from arbiter_local.stack import LocalStack, StackConfig

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stack = LocalStack(StackConfig(api_port=free_port(), moto_port=free_port()), progress=lambda _: None)
    stack.start()
    try:
        assert stack.client is not None
        assert stack.runtime is not None
        token = stack.client("cognito-idp").initiate_auth(
            ClientId=stack.physical_id("ReviewerPoolClient"),
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "reviewer@arbiter.local", "PASSWORD": DEMO_PASSWORD},
        )["AuthenticationResult"]["IdToken"]
        first = {
            "RunWorkflowFunction": proxy_event("/v1/workflows", DEMO_API_KEY),
            "ReviewActionsFunction": proxy_event("/v1/review/cases", token),
            "WebhooksFunction": proxy_event("/v1/webhooks", DEMO_API_KEY),
        }
        layer = ROOT / "layers" / "common"
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base_env = {**environ, "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONPATH": str(layer)}
        subjects: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
            "baseline": (BASELINE, base_env, (stack.physical_id("ArbiterTable"),))
        }
        old_credentials: tuple[str, str] | None = None  # (reviewer's token, API key) of the old code's tenant
        for logical_id, event in first.items():
            spec = stack.runtime.by_logical_id(logical_id)
            env = {
                **base_env,
                **stack.runtime.environment_of(spec),
                "PYTHONPATH": os.pathsep.join([str(spec.code_dir), str(layer)]),
            }
            argument = json.dumps({"event": event, "name": spec.name, "arn": spec.arn})
            subjects[spec.code_dir.name] = (HANDLER, env, (argument,))
            # With SnapStart the first caller waits for a restore and the request only: the "request ms" column.
            snapshot = json.dumps({"event": event, "name": spec.name, "arn": spec.arn, "snapshot": True})
            subjects[f"{spec.code_dir.name} (snapshot)"] = (HANDLER, env, (snapshot,))
            if before is not None:
                old_layer = str(before / "layers" / "common")
                old_code = before / "functions" / spec.code_dir.name
                old_env = {**env, "PYTHONPATH": os.pathsep.join([str(old_code), old_layer])}
                if old_credentials is None:
                    old_credentials = _old_credentials(stack, env, old_layer)
                credential = old_credentials[0 if logical_id == "ReviewActionsFunction" else 1]
                old_event = proxy_event(event["path"], credential)
                old_argument = json.dumps({"event": old_event, "name": spec.name, "arn": spec.arn})
                subjects[f"{spec.code_dir.name}@{ref}"] = (HANDLER, old_env, (old_argument,))

        for code, env, extra in subjects.values():  # warm-up: .pyc files, moto's first requests
            run(code, env, *extra)
        samples: dict[str, list[list[float]]] = {name: [] for name in subjects}
        for _ in range(runs):  # interleaved rounds: a busy machine slows every subject alike
            for name, (code, env, extra) in subjects.items():
                samples[name].append(run(code, env, *extra))
    finally:
        stack.stop()

    base = samples.pop("baseline")
    base_import = statistics.median(s[0] for s in base)
    base_call = statistics.median(s[1] for s in base)
    print(
        f"baseline  import boto3 + one client {base_import * 1000:.1f} ms, then one GetItem {base_call * 1000:.1f} ms"
        f" (medians of {runs})"
    )
    print(f"{'function':<24}{'import ms':>10}{'request ms':>11}{'total ms':>9}{'import x':>10}{'total x':>9}")
    for name, rounds in samples.items():
        imports = [s[0] / b[0] for s, b in zip(rounds, base, strict=True)]
        totals = [(s[0] + s[1]) / (b[0] + b[1]) for s, b in zip(rounds, base, strict=True)]
        print(
            f"{name:<24}{statistics.median(s[0] for s in rounds) * 1000:>10.1f}"
            f"{statistics.median(s[1] for s in rounds) * 1000:>11.1f}"
            f"{statistics.median(s[0] + s[1] for s in rounds) * 1000:>9.1f}"
            f"{statistics.median(imports):>9.2f}x{statistics.median(totals):>8.2f}x"
        )
    print("import x: import / baseline import; total x: (import + first request) / (baseline + one GetItem)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
