"""Headless Chromium for Playwright, set up once for the tests, bench and scripts.

Debian's /usr/bin/chromium (Playwright's bundled browsers are never downloaded), with the flags it
needs here: root (no sandbox), no GPU, no network but loopback. `ConsoleErrors` records a page's
console errors and uncaught exceptions, so a browser test can fail on them.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 1000}


def launch(playwright, headless: bool = True):
    """Debian's Chromium through Playwright's `chromium` browser type."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=headless, args=CHROMIUM_ARGS)


def new_context(browser, *, timeout_ms: float = 15_000, init_script: str | None = None, **options):
    """A fresh context (empty cache and storage, like another user), 1280×1000 unless `viewport`
    is given, with `timeout_ms` as every action's default timeout."""
    context = browser.new_context(**{"viewport": VIEWPORT, **options})
    context.set_default_timeout(timeout_ms)
    if init_script:
        context.add_init_script(init_script)
    return context


def new_page(browser, **context_options):
    """A page in its own fresh context (see `new_context`); close it with `page.context.close()`."""
    return new_context(browser, **context_options).new_page()


class ConsoleErrors:
    """What went wrong in pages: console messages of type "error" and uncaught exceptions
    (`pageerror`). `watch(page)` for each page; `messages` lists them as text."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)

    def _on_console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location.get("url") else ""
            self.messages.append(f"console error: {message.text}{where}")

    def _on_page_error(self, error) -> None:
        self.messages.append(f"page error: {error}")

    def __bool__(self) -> bool:
        return bool(self.messages)

    def report(self) -> str:
        return "\n".join(f"- {m}" for m in self.messages)
