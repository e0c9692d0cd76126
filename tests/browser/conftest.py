"""The back office in a real browser (Debian's chromium driven by Playwright) against the local stack.

Every page a test opens fails the test on a console error or an uncaught exception, except the HTTP errors the
test provokes on purpose (`expect_http_errors`). Screenshots of the main screens go to test-artifacts/backoffice.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.reviewers import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "backoffice"
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1000}


def built(site: str) -> Path:
    """`site` built (incrementally: quick when nothing changed), one test process at a time: `make test` runs
    two, and both would otherwise write the same dist/ at once."""
    with (ROOT / site / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "--no-print-directory", "-C", str(ROOT / site), "build"], check=True)
    assert (ROOT / site / "dist" / "index.html").is_file()
    return ROOT / site / "dist"


@pytest.fixture(scope="session")
def backoffice_site() -> Path:
    """The built site the stack serves."""
    return built("backoffice")


@pytest.fixture(scope="session")
def collection_site() -> Path:
    """The built collection site the stack serves under /collect/."""
    return built("collection")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make deps-test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserSession:
    """One reviewer's browser: its page, and the console errors it produced."""

    page: Any
    base_url: str
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)  # says which request a console error was about

    def open(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()

    def expect_http_errors(self, *statuses: int) -> None:
        """The browser logs failed requests as console errors; these statuses are provoked on purpose."""
        for status in statuses:
            self.allowed.append(
                re.compile(rf"Failed to load resource: the server responded with a status of {status}")
            )

    def screenshot(self, name: str, folder: Path = ARTIFACTS) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def open_browser(chromium: Any, stack: Any, backoffice_site: Path) -> Iterator[Any]:
    """Opens browser sessions (separate contexts: separate storage, like two reviewers' machines)."""
    sessions: list[tuple[Any, BrowserSession]] = []

    def open_session(viewport: dict[str, int] | None = None) -> BrowserSession:
        context = chromium.new_context(viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        page = context.new_page()
        session = BrowserSession(page=page, base_url=stack.api_url)
        page.on("console", lambda message: message.type == "error" and session.errors.append(message.text))
        page.on("pageerror", lambda error: session.errors.append(f"uncaught: {error}"))
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and session.failed_responses.append(f"{r.status} {r.request.method} {r.url}")
            ),
        )
        sessions.append((context, session))
        return session

    yield open_session
    problems: list[str] = []
    responses: list[str] = []
    for context, session in sessions:
        unexpected = session.unexpected_errors()
        problems += unexpected
        responses += session.failed_responses if unexpected else []
        context.close()
    assert not problems, f"console errors in the back office: {problems} (failed requests: {responses})"
