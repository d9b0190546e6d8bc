"""Debian's Chromium, headless, driven by Playwright: the dashboard as a user's browser sees it.

Playwright's own browser download cannot work offline, so it drives the system's Chromium
(`apt-get install chromium`, done by scripts/setup); a missing one is a failure, not a skip.
Root runs it without Chromium's own sandbox (it refuses to start as root otherwise).
Screenshots go to `OSCAR_UI_SCREENSHOTS` (the README's come from `docs/screenshots`) or to the
test's own folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from tests.support.stack import RunningStack

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 90_000


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Dashboard:
    """One logged-in browser tab on the stack's /ui, recording every dialog a page opens."""

    page: Page
    url: str
    shots: Path
    dialogs: list[str] = field(default_factory=list)

    def go(self, fragment: str) -> None:
        self.page.goto(f"{self.url}/ui#/{fragment}")

    def csrf(self) -> str:
        token = self.page.locator('meta[name="csrf-token"]').get_attribute("content")
        assert token
        return token

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        if dialog.type == "confirm":
            dialog.accept()
        else:
            dialog.dismiss()


def login(page: Page, url: str, *, user: str, password: str) -> None:
    page.goto(f"{url}/ui")
    page.fill('input[name="user"]', user)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')


@contextmanager
def dashboard(browser: Browser, stack: RunningStack, tmp: Path) -> Iterator[Dashboard]:
    shots = Path(os.environ.get("OSCAR_UI_SCREENSHOTS") or tmp)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    board = Dashboard(page, stack.gateway_url, shots)
    page.on("dialog", board._dialog)
    openfaas = stack.status["openfaas"]
    login(page, stack.gateway_url, user=openfaas["username"], password=openfaas["password"])
    page.wait_for_selector("#services")
    try:
        yield board
    finally:
        context.close()


def texts(page: Page, selector: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in page.locator(selector).all_text_contents()]
