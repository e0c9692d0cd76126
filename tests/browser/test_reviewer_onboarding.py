"""An admin invites a reviewer in the back office; the reviewer signs in with the temporary password Cognito
e-mails, chooses a new one and sets up an authenticator app (codes computed with pyotp from the key shown), signs
in again with a code and decides a case; an account the admin switches off can no longer sign in."""

from __future__ import annotations

import secrets

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.cases import case_in_review, case_state, person
from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack

TEMPORARY = "Temporary-Passw0rd"
CHOSEN = "Chosen-Passw0rd-2026"


def sign_in_with_code(session, email: str, password: str, secret: str) -> None:
    page = session.page
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Sign out").wait_for()


def test_an_invited_reviewer_sets_a_password_and_an_authenticator_then_decides(open_browser, stack, tenant):
    case_id = case_in_review(tenant, person("Ada", "Lovelace"))
    admin = open_browser()
    admin.open("/admin/reviewers")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page
    invited = f"new-{secrets.token_hex(4)}@{tenant.id}.example.com"
    page.get_by_label("E-mail").fill(invited)
    page.get_by_label("Name (optional)").fill("Grace Newcomer")
    page.locator("select[name=invite-role]").select_option("reviewer")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_test_id("reviewers-message")).to_contain_text(f"{invited} is invited")
    expect(page.locator(f'tr[data-reviewer="{invited}"]')).to_contain_text("Grace Newcomer")
    admin.screenshot("reviewers-invited")

    # What Cognito e-mails the reviewer: a temporary password (set here, as the local stack sends no mail).
    stack.client("cognito-idp").admin_set_user_password(
        UserPoolId=stack.physical_id("ReviewerPool"), Username=invited, Password=TEMPORARY, Permanent=False
    )
    newcomer = open_browser()
    newcomer.open(f"/cases/{case_id}")
    other = newcomer.page
    other.get_by_label("Email").fill(invited)
    other.get_by_label("Password").fill(TEMPORARY)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("heading", name="Choose your password")).to_be_visible()
    other.get_by_label("New password").fill(CHOSEN)
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = other.get_by_test_id("totp-secret").inner_text().strip()
    newcomer.screenshot("authenticator-set-up")
    other.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    other.get_by_role("button", name="Continue").click()
    other.get_by_role("button", name="Sign out").wait_for()

    # Signing in again asks for the authenticator's code; then the reviewer decides the case.
    other.get_by_role("button", name="Sign out").click()
    newcomer.open(f"/cases/{case_id}")
    sign_in_with_code(newcomer, invited, CHOSEN, secret)
    other.get_by_role("button", name="Approve").first.click()
    other.get_by_label("Reason (required)").fill("Identity confirmed")
    other.get_by_role("button", name="Approve case").click()
    expect(other.get_by_test_id("case-message")).to_have_text("Case approved.")
    decision = case_state(tenant, case_id)["decision"]
    assert (decision["outcome"], decision["reason"]) == ("approved", "Identity confirmed")

    # Switched off by the admin: the account no longer signs in.
    admin.open("/admin/reviewers")
    row = page.locator(f'tr[data-reviewer="{invited}"]')
    row.get_by_role("button", name="Switch off").click()
    expect(row).to_contain_text("switched off")
    other.get_by_role("button", name="Sign out").click()
    newcomer.expect_http_errors(400)
    other.get_by_label("Email").fill(invited)
    other.get_by_label("Password").fill(CHOSEN)
    other.get_by_role("button", name="Sign in").click()
    expect(other.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(open_browser, stack, tenant):
    admin = open_browser()
    admin.open("/admin/api-keys")
    admin.sign_in(create_reviewer(stack, tenant.id, "admin"))
    page = admin.page
    page.get_by_label("What it is for").fill("checkout")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key-value").inner_text().strip()
    assert tenant.api(key=key).get("/v1/workflows").status_code == 200
    page.reload()
    expect(page.get_by_test_id("new-key")).to_have_count(0)  # shown once
    row = page.locator("tr", has_text="checkout")
    expect(row).to_contain_text(key[:4])
    assert key not in page.content()
    admin.screenshot("api-keys")
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("revoked")
