"""Reviewers' accounts in the stack's Cognito user pool, made as the operator makes them (`arbiter-admin
add-reviewer`): the tenant set at creation, the role as a group, a permanent password."""

from __future__ import annotations

import secrets
from typing import Any

#: Every test reviewer's password (the local pool's policy accepts it; AWS's default policy would not).
PASSWORD = "test-password-1"


def create_reviewer(stack: Any, tenant_id: str, role: str) -> str:
    """A new reviewer with `role` in the tenant; returns the e-mail it signs in with (password PASSWORD)."""
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    email = f"{role}-{secrets.token_hex(4)}@{tenant_id}.example.com"
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "custom:tenant_id", "Value": tenant_id}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
    return email


def authenticate(stack: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The tokens Cognito gives the back office for a password sign-in (IdToken, AccessToken, RefreshToken…)."""
    result: dict[str, str] = stack.client("cognito-idp").initiate_auth(
        ClientId=stack.physical_id("ReviewerPoolClient"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]
    return result


def sign_in(stack: Any, tenant_id: str, role: str) -> str:
    """A new reviewer with `role` in the tenant, signed in: its ID token."""
    return str(authenticate(stack, create_reviewer(stack, tenant_id, role))["IdToken"])
