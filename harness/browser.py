"""Headless Chromium for Playwright, set up once for the tests, bench and scripts.

Debian's /usr/bin/chromium (Playwright's bundled browsers are never downloaded), with the flags it
needs here: root (no sandbox), no GPU, no network but loopback.
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
