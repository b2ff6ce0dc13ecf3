"""A real Chromium (Debian's, never a downloaded one) driven by Playwright against the `stack`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Playwright's sync API keeps an event loop in the test thread, which makes Django refuse ORM
# calls from test code; the servers under test do not inherit this (see tests.harness).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.db import connections  # noqa: E402
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

from tests.accounts.factories import PASSWORD  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
T = TypeVar("T")

# Generous for setup steps on a busy CI machine; the live-delivery assertions set 2 s themselves.
expect.set_options(timeout=10000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: Playwright's event loop would stay running
    in this thread and break `asyncio.run` in the e2e tests that share the xdist worker."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (make browser)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, stack) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (its own cookies: one signed-in person each)."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_page(*, viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(
            base_url=stack.base_url,
            viewport=viewport or {"width": 1280, "height": 860},
            locale="en-GB",
            timezone_id="UTC",
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], "uncaught errors in the page"


def off_loop(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `fn` in a plain thread. Writes fan out in-process here (eager Celery), and pushing to
    the channel layer from sync code is refused in a thread running Playwright's event loop."""

    def run() -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            # The thread's own connection would otherwise block dropping the test database.
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def sign_in(page: Page, user, *, next_path: str = "/") -> Page:
    """Sign in through the real login form, then land on `next_path`."""
    page.goto(f"/login/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{next_path}")
    return page


def wait_until_live(page: Page) -> None:
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
