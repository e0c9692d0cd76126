"""What template.yaml promises about who may do what: read from the template itself (moto enforces neither key
policies nor most of CORS, so these promises are checked where they are made)."""

from __future__ import annotations

from typing import Any

from arbiter_local.cfn import load_template
from arbiter_local.stack import PROJECT_ROOT

TEMPLATE = load_template(PROJECT_ROOT / "template.yaml")
RESOURCES = TEMPLATE.resources


def statements(key: str) -> list[dict[str, Any]]:
    return list(RESOURCES[key]["Properties"]["KeyPolicy"]["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def principals(statement: dict[str, Any]) -> list[Any]:
    named = statement["Principal"]["AWS"]
    return named if isinstance(named, list) else [named]


def test_the_secrets_key_rotates_and_outlives_the_stack() -> None:
    key = RESOURCES["SecretsKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_only_the_webhooks_function_may_decrypt() -> None:
    decrypting = [
        s for s in statements("SecretsKey") if any(a in ("kms:Decrypt", "kms:*") for a in actions(s))
    ]
    assert [principals(s) for s in decrypting] == [[{"Fn::GetAtt": ["WebhooksFunctionRole", "Arn"]}]]
    for statement in statements("SecretsKey"):
        assert "kms:CreateGrant" not in actions(statement)  # a grant could hand Decrypt to anyone
        assert not any(a.startswith("kms:Create") or a == "kms:*" for a in actions(statement))
        assert "NotAction" not in statement


def test_every_use_of_the_key_names_a_tenant_as_encryption_context() -> None:
    for statement in statements("SecretsKey"):
        if {"kms:Encrypt", "kms:Decrypt"} & set(actions(statement)):
            assert statement["Condition"] == {"Null": {"kms:EncryptionContext:tenant_id": "false"}}


def test_the_functions_told_the_key_are_the_ones_its_policy_names() -> None:
    told = {
        name
        for name, resource in RESOURCES.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "SECRETS_KEY_ID" in resource["Properties"].get("Environment", {}).get("Variables", {})
    }
    named = {
        principal["Fn::GetAtt"][0].removesuffix("Role")
        for statement in statements("SecretsKey")
        for principal in principals(statement)
        if isinstance(principal, dict) and "Fn::GetAtt" in principal
    }
    assert told == named == {"WebhooksFunction", "ReviewActionsFunction"}


def test_the_tenant_claim_is_immutable_unless_an_older_pool_needs_it_kept() -> None:
    (attribute,) = RESOURCES["ReviewerPool"]["Properties"]["Schema"]
    assert attribute["Name"] == "tenant_id"
    assert attribute["Mutable"] == {"Fn::If": ["KeepsMutableTenantClaim", True, False]}
    assert TEMPLATE.parameters["ExistingPoolMutableTenantClaim"]["Default"] == "false"
    client = RESOURCES["ReviewerPoolClient"]["Properties"]
    assert "custom:tenant_id" not in client["WriteAttributes"]
    assert (
        RESOURCES["ReviewerPool"]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    )
