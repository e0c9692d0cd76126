"""A reviewer's tenant is the operator's to set: Cognito (and the local stack, as Cognito) refuses every other writer."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError

from tests.support.reviewers import PASSWORD, authenticate, create_reviewer
from tests.support.tenants import make_tenant


def tenant_claim(id_token: str) -> str:
    return str(jwt.decode(id_token, options={"verify_signature": False})["custom:tenant_id"])


def stored_tenant(stack: Any, email: str) -> str:
    user = stack.client("cognito-idp").admin_get_user(
        UserPoolId=stack.physical_id("ReviewerPool"), Username=email
    )
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "custom:tenant_id")


def test_a_viewer_cannot_move_into_another_tenant(tenant: Any, stack: Any) -> None:
    other = make_tenant(stack)
    case_id = (
        other.api()
        .post(
            "/v1/cases",
            json={
                "workflow": "manual-review",
                "entity": {"type": "individual", "id": "elsewhere", "individual": {}},
            },
        )
        .json()["id"]
    )
    email = create_reviewer(stack, tenant.id, "viewer")
    tokens = authenticate(stack, email)

    with pytest.raises(ClientError) as refused:
        stack.client("cognito-idp").update_user_attributes(
            AccessToken=tokens["AccessToken"],
            UserAttributes=[{"Name": "custom:tenant_id", "Value": other.id}],
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "A client attempted to write unauthorized attribute"

    assert stored_tenant(stack, email) == tenant.id
    again = authenticate(stack, email)["IdToken"]
    assert tenant_claim(again) == tenant.id
    headers = {"Authorization": f"Bearer {again}"}
    assert httpx.get(f"{stack.api_url}/v1/review/me", headers=headers).json()["tenant_id"] == tenant.id
    assert httpx.get(f"{stack.api_url}/v1/review/cases/{case_id}", headers=headers).status_code == 404


def test_a_refused_update_changes_nothing_else_in_it(tenant: Any, stack: Any) -> None:
    email = create_reviewer(stack, tenant.id, "reviewer")
    access = authenticate(stack, email)["AccessToken"]
    new_email = f"moved-{secrets.token_hex(3)}@{tenant.id}.example.com"
    with pytest.raises(ClientError):
        stack.client("cognito-idp").update_user_attributes(
            AccessToken=access,
            UserAttributes=[
                {"Name": "email", "Value": new_email},
                {"Name": "custom:tenant_id", "Value": "x"},
            ],
        )
    user = stack.client("cognito-idp").admin_get_user(
        UserPoolId=stack.physical_id("ReviewerPool"), Username=email
    )
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == email


def test_a_user_still_writes_what_the_client_allows(tenant: Any, stack: Any) -> None:
    email = create_reviewer(stack, tenant.id, "viewer")
    access = authenticate(stack, email)["AccessToken"]
    new_email = f"renamed-{secrets.token_hex(3)}@{tenant.id}.example.com"
    stack.client("cognito-idp").update_user_attributes(
        AccessToken=access, UserAttributes=[{"Name": "email", "Value": new_email}]
    )
    assert stored_tenant(stack, new_email) == tenant.id  # e-mail is the user name: found by the new one


def test_the_tenant_claim_is_immutable_even_for_administrators(tenant: Any, stack: Any) -> None:
    email = create_reviewer(stack, tenant.id, "admin")
    with pytest.raises(ClientError) as refused:
        stack.client("cognito-idp").admin_update_user_attributes(
            UserPoolId=stack.physical_id("ReviewerPool"),
            Username=email,
            UserAttributes=[{"Name": "custom:tenant_id", "Value": "another"}],
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert refused.value.response["Error"]["Message"] == "user.custom:tenant_id: Attribute cannot be updated."
    assert stored_tenant(stack, email) == tenant.id
    assert tenant_claim(authenticate(stack, email)["IdToken"]) == tenant.id


def test_nobody_signs_up_into_a_tenant(tenant: Any, stack: Any) -> None:
    with pytest.raises(ClientError) as refused:
        stack.client("cognito-idp").sign_up(
            ClientId=stack.physical_id("ReviewerPoolClient"),
            Username=f"self-{secrets.token_hex(3)}@example.com",
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:tenant_id", "Value": tenant.id}],
        )
    assert refused.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert refused.value.response["Error"]["Message"] == "SignUp is not permitted for this user pool"


def test_the_pool_declares_the_tenant_immutable_and_unwritable(stack: Any) -> None:
    cognito = stack.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=stack.physical_id("ReviewerPool"))["UserPool"]
    attribute = next(a for a in pool["SchemaAttributes"] if a["Name"] == "custom:tenant_id")
    assert attribute["Mutable"] is False
    client = cognito.describe_user_pool_client(
        UserPoolId=stack.physical_id("ReviewerPool"), ClientId=stack.physical_id("ReviewerPoolClient")
    )["UserPoolClient"]
    assert "custom:tenant_id" not in client["WriteAttributes"]
    assert "custom:tenant_id" in client["ReadAttributes"]
