"""The operator commands (`python -m arbiter_local.admin`) against the running stack."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
import pytest

from arbiter_local import admin


def run_admin(stack: Any, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = admin.main(["--local", stack.api_url, *args])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_a_new_tenant_gets_a_working_key_and_a_reviewer_who_can_sign_in(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_id = f"ops-{secrets.token_hex(3)}"
    code, out, _ = run_admin(stack, "create-tenant", tenant_id, "--name", "Ops Test", capsys=capsys)
    assert code == 0
    key = out.rsplit(" ", 1)[-1]
    workflows = httpx.get(f"{stack.api_url}/v1/workflows", headers={"X-API-Key": key}, timeout=10)
    assert workflows.status_code == 200, workflows.text

    code, out, _ = run_admin(stack, "issue-key", tenant_id, "--label", "ci", capsys=capsys)
    second = out.rsplit(" ", 1)[-1]
    assert code == 0
    assert second != key
    assert httpx.get(f"{stack.api_url}/v1/workflows", headers={"X-API-Key": second}).status_code == 200

    email = f"ana-{secrets.token_hex(3)}@ops.example"
    code, out, _ = run_admin(
        stack, "add-reviewer", email, "--tenant", tenant_id, "--role", "viewer",
        "--password", "ops-password-1", capsys=capsys,
    )  # fmt: skip
    assert code == 0, out
    token = stack.client("cognito-idp").initiate_auth(
        ClientId=stack.physical_id("ReviewerPoolClient"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "ops-password-1"},
    )["AuthenticationResult"]["IdToken"]
    me = httpx.get(f"{stack.api_url}/v1/review/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["tenant_id"] == tenant_id
    assert me["roles"] == ["viewer"]


def test_mistakes_are_one_line_errors(stack: Any, capsys: pytest.CaptureFixture[str]) -> None:
    tenant_id = f"ops-{secrets.token_hex(3)}"
    assert run_admin(stack, "create-tenant", tenant_id, "--name", "Once", capsys=capsys)[0] == 0

    code, _, err = run_admin(stack, "create-tenant", tenant_id, "--name", "Twice", capsys=capsys)
    assert code == 1
    assert tenant_id in err
    assert "Traceback" not in err

    code, _, err = run_admin(stack, "issue-key", "no-such-tenant", capsys=capsys)
    assert (code, err) == (1, "arbiter-admin: tenant no-such-tenant does not exist")

    code, _, err = run_admin(
        stack, "add-reviewer", "x@ops.example", "--tenant", "no-such-tenant", capsys=capsys
    )
    assert (code, err) == (1, "arbiter-admin: tenant no-such-tenant does not exist")

    with pytest.raises(SystemExit):  # argparse names the allowed roles
        admin.main(
            [
                "--local",
                stack.api_url,
                "add-reviewer",
                "x@ops.example",
                "--tenant",
                tenant_id,
                "--role",
                "root",
            ]
        )
    assert "invalid choice: 'root'" in capsys.readouterr().err


def test_no_local_stack_is_said_plainly() -> None:
    with pytest.raises(SystemExit, match=re.escape("no local stack answers at http://127.0.0.1:9")):
        admin.main(["--local", "http://127.0.0.1:9", "issue-key", "acme"])


def test_an_operator_lets_a_tenants_keys_decide_and_mistakes_are_named(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.adapters.kms import KmsSecretBox
    from arbiter.domain.sealed import ballerine_secret_context

    tenant_id = f"ops-{secrets.token_hex(3)}"
    assert run_admin(stack, "create-tenant", tenant_id, "--name", "Keys Decide", capsys=capsys)[0] == 0
    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    assert repository.get(tenant_id).settings.allow_integrator_decisions is False

    code, out, _ = run_admin(
        stack, "set-setting", tenant_id, "allow_integrator_decisions", "true", capsys=capsys
    )
    assert (code, out) == (0, f"tenant {tenant_id}: allow_integrator_decisions = true")
    assert repository.get(tenant_id).settings.allow_integrator_decisions is True

    code, out, _ = run_admin(
        stack, "set-setting", tenant_id, "webhook_shared_secret", "s3cret", capsys=capsys
    )
    assert (code, out) == (0, f"tenant {tenant_id}: webhook_shared_secret = (set)")
    sealed = repository.get(tenant_id).settings.webhook_shared_secret
    assert sealed.startswith("kms:v1:")
    assert "s3cret" not in sealed
    box = KmsSecretBox(lambda: stack.client("kms"), stack.physical_id("SecretsKey"))
    assert box.open(sealed, ballerine_secret_context(tenant_id)) == "s3cret"

    code, _, err = run_admin(stack, "set-setting", tenant_id, "allow_decisions", "true", capsys=capsys)
    assert code == 1
    assert "no tenant setting 'allow_decisions'" in err
    code, _, err = run_admin(
        stack, "set-setting", tenant_id, "allow_integrator_decisions", "maybe", capsys=capsys
    )
    assert code == 1
    assert "allow_integrator_decisions: Input should be a valid boolean" in err
    assert repository.get(tenant_id).settings.allow_integrator_decisions is True  # unchanged


def test_an_operator_puts_tenants_in_tiers_and_mistakes_are_named(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from arbiter.adapters.dynamodb import DynamoTenantRepository
    from arbiter.services import tenants

    repository = DynamoTenantRepository(stack.client("dynamodb"), stack.physical_id("ArbiterTable"))
    apigateway = stack.client("apigateway")

    def plan_of(tenant_id: str) -> list[str]:
        usage = repository.get(tenant_id).usage
        return [p["name"] for p in apigateway.get_usage_plans(keyId=usage.key_id)["items"]]

    code, out, err = run_admin(stack, "tiers", capsys=capsys)
    tiers = out.splitlines()
    assert (code, err) == (0, "")
    # The stack's two, in order, among the tiers other tests of this process may have added (tiny-…).
    assert [t for t in tiers if not t.startswith("tiny-")] == ["high-volume", "standard"]
    assert tiers == sorted(tiers)

    tenant_id = f"ops-{secrets.token_hex(3)}"
    code, out, _ = run_admin(
        stack, "create-tenant", tenant_id, "--name", "Big", "--tier", "high-volume", capsys=capsys
    )
    assert code == 0, out
    assert "created in tier high-volume" in out
    assert plan_of(tenant_id) == ["high-volume"]
    key = out.rsplit(" ", 1)[-1]
    assert httpx.get(f"{stack.api_url}/v1/workflows", headers={"X-API-Key": key}).status_code == 200

    assert run_admin(stack, "set-tier", tenant_id, "standard", capsys=capsys) == (
        0,
        f"tenant {tenant_id}: tier standard",
        "",
    )
    assert plan_of(tenant_id) == ["standard"]

    # A tenant created before tiers (no usage key of its own) gets one.
    legacy = f"ops-{secrets.token_hex(3)}"
    tenants.create_tenant(repository, legacy, "Legacy")
    assert repository.get(legacy).usage is None
    assert run_admin(stack, "set-tier", legacy, "high-volume", capsys=capsys)[0] == 0
    assert plan_of(legacy) == ["high-volume"]

    code, _, err = run_admin(stack, "set-tier", tenant_id, "gold", capsys=capsys)
    assert code == 1
    assert err == "arbiter-admin: no tier 'gold'; the tiers are: " + ", ".join(tiers)  # as listed above
    code, _, err = run_admin(
        stack, "create-tenant", f"ops-{secrets.token_hex(3)}", "--name", "X", "--tier", "gold", capsys=capsys
    )
    assert code == 1
    assert "no tier 'gold'" in err
    assert plan_of(tenant_id) == ["standard"]  # unchanged
