"""The reviewer directory against moto's Cognito (the local stack's user pool): a tenant's accounts only, with
their roles from their groups, their names and whether they are enabled."""

from __future__ import annotations

import secrets

import pytest

from arbiter.adapters.cognito import CognitoReviewerDirectory
from arbiter.domain.errors import Conflict, InvalidInput, NotFound
from tests.support.reviewers import create_reviewer


def test_the_directory_lists_the_tenants_reviewers_with_roles_and_state(stack):
    tenant_id = f"t-{secrets.token_hex(4)}"
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    senior = create_reviewer(stack, tenant_id, "senior")
    plain = create_reviewer(stack, tenant_id, "reviewer")
    cognito.admin_update_user_attributes(
        UserPoolId=pool, Username=plain, UserAttributes=[{"Name": "name", "Value": "Rita Reviewer"}]
    )
    cognito.admin_disable_user(UserPoolId=pool, Username=plain)
    create_reviewer(stack, f"other-{tenant_id}", "admin")

    found = CognitoReviewerDirectory(cognito, pool).reviewers(tenant_id)

    by_email = {r.email: r for r in found}
    assert set(by_email) == {senior, plain}  # the other tenant's admin is not listed
    assert by_email[senior].roles == ["senior"]
    assert by_email[senior].enabled
    assert by_email[senior].holds("reviewer")
    assert not by_email[senior].holds("admin")
    assert (by_email[plain].name, by_email[plain].enabled) == ("Rita Reviewer", False)
    sub = cognito.admin_get_user(UserPoolId=pool, Username=senior)["UserAttributes"]
    assert by_email[senior].id == next(a["Value"] for a in sub if a["Name"] == "sub")


def test_the_directory_finds_one_reviewer_by_id_or_email_within_the_tenant(stack):
    tenant_id = f"t-{secrets.token_hex(4)}"
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    senior = create_reviewer(stack, tenant_id, "senior")
    stranger = create_reviewer(stack, f"other-{tenant_id}", "admin")
    directory = CognitoReviewerDirectory(cognito, pool)

    by_email = directory.find(tenant_id, senior)
    assert by_email is not None
    assert (by_email.email, by_email.roles, by_email.enabled) == (senior, ["senior"], True)
    by_id = directory.find(tenant_id, by_email.id)
    assert by_id == by_email
    assert directory.find(tenant_id, stranger) is None  # another tenant's account
    assert directory.find(tenant_id, 'x" or email ^= "') is None
    assert directory.find(tenant_id, "nobody@example.com") is None
    assert directory.find(tenant_id, "\x00\x1f") is None


def test_an_invited_reviewer_has_the_tenant_and_roles_and_must_choose_a_password(stack):
    tenant_id = f"t-{secrets.token_hex(4)}"
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    directory = CognitoReviewerDirectory(cognito, pool)
    email = f"invited-{secrets.token_hex(3)}@{tenant_id}.example.com"

    invited = directory.invite(tenant_id, email, "Ina Vited", ["reviewer"])

    assert (invited.email, invited.name, invited.roles, invited.enabled) == (
        email,
        "Ina Vited",
        ["reviewer"],
        True,
    )
    user = cognito.admin_get_user(UserPoolId=pool, Username=email)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert (attributes["custom:tenant_id"], user["UserStatus"]) == (tenant_id, "FORCE_CHANGE_PASSWORD")
    assert directory.find(tenant_id, email) == invited.model_copy(update={"id": attributes["sub"]})
    with pytest.raises(Conflict):
        directory.invite(tenant_id, email, None, ["viewer"])
    with pytest.raises(InvalidInput) as caught:
        directory.invite(tenant_id, "not an address", None, ["viewer"])
    assert caught.value.path == "email"


def test_an_admin_changes_roles_and_switches_accounts_off_only_in_their_tenant(stack):
    tenant_id = f"t-{secrets.token_hex(4)}"
    cognito = stack.client("cognito-idp")
    pool = stack.physical_id("ReviewerPool")
    directory = CognitoReviewerDirectory(cognito, pool)
    email = create_reviewer(stack, tenant_id, "reviewer")

    changed = directory.update(tenant_id, email, roles=["senior"], enabled=False)

    assert (changed.roles, changed.enabled) == (["senior"], False)
    stored = directory.find(tenant_id, email)
    assert stored is not None
    assert (stored.roles, stored.enabled) == (["senior"], False)
    with pytest.raises(NotFound):
        directory.update(f"other-{tenant_id}", email, roles=["admin"], enabled=True)
    assert directory.find(tenant_id, email).roles == ["senior"]  # the other tenant's admin changed nothing
