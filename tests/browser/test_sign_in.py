"""Signing in and out of the back office with Cognito, and coming back after the session ends."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.reviewers import create_reviewer

pytestmark = pytest.mark.slow  # a browser against the local stack


def test_sign_in_shows_the_queue_and_sign_out_returns_to_sign_in(open_browser, stack, tenant):
    email = create_reviewer(stack, tenant.id, "reviewer")
    browser = open_browser()
    browser.open("/")
    expect(browser.page).to_have_url(f"{stack.api_url}/signin?next=%2F")
    browser.screenshot("sign-in")
    browser.sign_in(email)
    expect(browser.page.get_by_test_id("who")).to_contain_text(email)
    expect(browser.page.get_by_test_id("who")).to_contain_text("reviewer")
    expect(browser.page.get_by_role("group", name="Cases per state")).to_be_visible()
    browser.page.get_by_role("button", name="Sign out").click()
    expect(browser.page.get_by_role("button", name="Sign in")).to_be_visible()
    browser.open("/dashboard")
    expect(browser.page).to_have_url(f"{stack.api_url}/signin?next=%2Fdashboard")


def test_a_wrong_password_is_refused_with_a_message(open_browser, stack, tenant):
    email = create_reviewer(stack, tenant.id, "viewer")
    browser = open_browser()
    browser.expect_http_errors(400)  # Cognito answers NotAuthorizedException with 400
    browser.open("/")
    browser.page.get_by_label("Email").fill(email)
    browser.page.get_by_label("Password").fill("not-the-password")
    browser.page.get_by_role("button", name="Sign in").click()
    expect(browser.page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(browser.page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_an_expired_session_returns_to_sign_in_and_then_to_the_same_page(open_browser, stack, tenant):
    email = create_reviewer(stack, tenant.id, "viewer")
    browser = open_browser()
    browser.expect_http_errors(401)
    browser.open("/?state=approved&sort=-created")
    browser.sign_in(email)
    expect(browser.page).to_have_url(f"{stack.api_url}/?state=approved&sort=-created")
    # Everything the page asks for at start has been answered before the token goes bad.
    expect(browser.page.get_by_text("No case matches these filters.")).to_be_visible()
    expect(browser.page.get_by_test_id("who")).to_be_visible()
    expect(browser.page.get_by_test_id("count-approved")).to_contain_text("0")
    expect(browser.page.get_by_label("Workflow").locator("option[value='kyb']")).to_have_count(1)
    # The token is refused by the API (as an expired one is): the next request sends the reviewer to sign in.
    browser.page.evaluate(
        """() => {
            const s = JSON.parse(sessionStorage.getItem('arbiter.session'));
            s.idToken = s.idToken.slice(0, -8) + 'AAAAAAAA';
            sessionStorage.setItem('arbiter.session', JSON.stringify(s));
        }"""
    )
    browser.page.get_by_role("link", name="Dashboard").click()
    expect(browser.page.get_by_text("Your session has ended")).to_be_visible()
    assert "next=%2Fdashboard" in browser.page.url
    browser.sign_in(email)
    expect(browser.page).to_have_url(f"{stack.api_url}/dashboard")
    # A session past its expiry time never reaches the API at all.
    browser.page.evaluate(
        """() => {
            const s = JSON.parse(sessionStorage.getItem('arbiter.session'));
            s.expiresAt = Date.now() - 1000;
            sessionStorage.setItem('arbiter.session', JSON.stringify(s));
        }"""
    )
    browser.page.reload()
    expect(browser.page.get_by_role("button", name="Sign in")).to_be_visible()
    assert "next=%2Fdashboard" in browser.page.url
