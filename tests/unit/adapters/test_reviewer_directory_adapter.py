"""The reviewer directory against moto's Cognito (the local stack's user pool): a tenant's accounts only, with
their roles from their groups, their names and whether they are enabled."""

from __future__ import annotations

import secrets

from arbiter.adapters.cognito import CognitoReviewerDirectory
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
