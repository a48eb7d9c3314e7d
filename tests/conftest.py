"""Shared fixtures of the browser tests: the real app in a subprocess, and headless Chromium.

Fixtures
- `live_server` (session): `python app.py` on a free port with a fresh job cache; `.url`
  (no trailing slash), `.pid`, `.process` (psutil.Process), `.popen`, `.log_path`,
  `.log_tail()`, `.is_running()`.
- `live_app` (function): `live_server`, and the test fails if the server died during it.
- `browser` (session): Playwright's Chromium, driving Debian's /usr/bin/chromium headless.
- `page` (function): a page in a new browser context (fresh local storage), closed after.
- `new_page` (function): a factory for further pages, each in its own context (another
  browser session), all closed after the test.

Helpers (import them from `conftest`): `status_text`, `status_word`, `wait_status`,
`graph_trace`, `graph_traces`, `trace_summary`, `graph_layout`, `wait_graph`, `job_children`,
`wait_job_children`, `wait_no_job_children`, `free_port`.

Tests that need a browser carry `pytest.mark.browser`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable
from urllib.error import URLError
from urllib.request import ProxyHandler, build_opener

import psutil
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 30.0  # seconds for `python app.py` to answer GET /
STATUS_WORDS = ("Ready", "Running", "Done", "Cancelled", "Diverged", "Invalid", "Failed")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the real app in headless Chromium (slow; needs /usr/bin/chromium)"
    )


# ---------------------------------------------------------------------------------------------
# The app under test


def free_port() -> int:
    """A port nobody listens on now (never 8050: a dev server may be there)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8050:
            return port


_NO_PROXY = build_opener(ProxyHandler({}))  # talk to 127.0.0.1 directly, whatever *_proxy says


class LiveServer:
    """`python app.py` on 127.0.0.1:`port`, logging to `log_path`, its jobs cached in `cache_dir`.

    `url` has no trailing slash; `pid` and `process` (psutil) are the server process's.
    """

    def __init__(self, port: int, cache_dir: Path, log_path: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.cache_dir = cache_dir
        self.log_path = log_path
        self.popen: subprocess.Popen | None = None
        self.process: psutil.Process | None = None
        self.pid: int | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DASH_CACHE_DIR": str(self.cache_dir),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DASH_DEBUG", None)
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.pid = self.popen.pid
        self.process = psutil.Process(self.pid)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"app.py exited with code {self.popen.returncode} before serving:\n{self.log_tail()}"
                )
            try:
                with _NO_PROXY.open(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"app.py did not answer GET / within {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is not None:
            _stop_process_tree(self.popen, timeout)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __repr__(self) -> str:
        return f"LiveServer(url={self.url!r}, pid={self.pid}, running={self.is_running()})"


def _stop_process_tree(popen: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate the server and every descendant (background jobs), then kill stragglers."""
    try:
        parent = psutil.Process(popen.pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    for proc in reversed(procs):  # children first, so none is re-parented mid-way
        try:
            proc.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=timeout)
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(timeout=timeout)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("live-server")
    cache_dir = Path(tempfile.mkdtemp(prefix="dash-cache-", dir=workdir))
    server = LiveServer(free_port(), cache_dir, workdir / "server.log")
    try:
        try:
            server.start()
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_app(live_server):
    """`live_server`; a test during which the server dies fails with the server's log."""
    assert live_server.is_running(), f"app.py is not running:\n{live_server.log_tail(20)}"
    yield live_server
    if not live_server.is_running():
        pytest.fail(f"app.py stopped during the test (code {live_server.popen.returncode}):\n"
                    f"{live_server.log_tail(20)}", pytrace=False)


def job_children(server: LiveServer) -> list[psutil.Process]:
    """The server's live (non-zombie) child processes: its background training jobs."""
    try:
        children = server.process.children(recursive=False)
    except psutil.NoSuchProcess:
        return []
    alive = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.NoSuchProcess:
            pass
    return alive


def wait_job_children(server: LiveServer, timeout: float = 5.0) -> list[psutil.Process]:
    """Wait until the server has at least one live child; return them ([] on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = job_children(server)
        if children:
            return children
        time.sleep(0.05)
    return []


def wait_no_job_children(server: LiveServer, timeout: float = 5.0) -> list[psutil.Process]:
    """Wait until the server has no live child; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        children = job_children(server)
        if not children or time.monotonic() > deadline:
            return children
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """`new_page()` opens a page in a fresh context (its own storage, like another user)."""
    contexts = []

    def make(**context_options):
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, **context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - a crashed context must not hide the test's result
            pass


@pytest.fixture
def page(new_page):
    return new_page()


# ---------------------------------------------------------------------------------------------
# Page helpers


def wait_graph(page, graph: str = "#loss-graph", timeout: float = 15.0) -> None:
    """Wait until a dcc.Graph has been drawn by Plotly (its `.js-plotly-plot` holds data)."""
    page.wait_for_function(
        """(graph) => { const el = document.querySelector(graph + ' .js-plotly-plot');
                         return !!(el && el.data && el._fullLayout); }""",
        arg=graph,
        timeout=timeout * 1000,
    )


def status_text(page) -> str:
    return (page.text_content("#status") or "").strip()


def status_word(page) -> str:
    """The first word of #status: Ready, Running, Done, Cancelled, Diverged, Invalid or Failed."""
    words = status_text(page).split()
    return words[0] if words else ""


def wait_status(page, words: str | Iterable[str], timeout: float = 10.0, poll: float = 0.05) -> str:
    """Wait until the first word of #status is one of `words`; return the full status text."""
    wanted = {words} if isinstance(words, str) else set(words)
    deadline = time.monotonic() + timeout
    text = ""
    while True:
        text = status_text(page)
        first = text.split()[0] if text.split() else ""
        if first in wanted:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(
                f"#status did not start with {sorted(wanted)} within {timeout} s; it says: {text!r}"
            )
        page.wait_for_timeout(poll * 1000)


GRAPH_JS = """([graph, index]) => {
    const el = document.querySelector(graph + ' .js-plotly-plot');
    if (!el || !el.data) return null;
    if (index === null) return el.data.map(t => ({x: Array.from(t.x || []), y: Array.from(t.y || []), name: t.name}));
    const t = el.data[index];
    if (!t) return null;
    return {x: Array.from(t.x || []), y: Array.from(t.y || []), name: t.name};
}"""


def graph_trace(page, graph: str = "#loss-graph", index: int = 0) -> dict | None:
    """Trace `index` of a dcc.Graph as {'x': [...], 'y': [...], 'name': str}, or None.

    Plotly's own copy of the data (`.js-plotly-plot`.data), i.e. what is drawn.
    """
    return page.evaluate(GRAPH_JS, [graph, index])


def graph_traces(page, graph: str = "#loss-graph") -> list[dict]:
    return page.evaluate(GRAPH_JS, [graph, None]) or []


def trace_summary(page, graph: str = "#loss-graph", index: int = 0) -> dict | None:
    """Cheap view of a trace: lengths and the first/last x, without shipping the arrays."""
    return page.evaluate(
        """([graph, index]) => {
            const el = document.querySelector(graph + ' .js-plotly-plot');
            const t = el && el.data && el.data[index];
            if (!t) return null;
            const x = t.x || [], y = t.y || [];
            return {n_x: x.length, n_y: y.length, x0: x.length ? x[0] : null,
                    x_last: x.length ? x[x.length - 1] : null, n_traces: el.data.length};
        }""",
        [graph, index],
    )


def graph_layout(page, graph: str = "#loss-graph") -> dict | None:
    """Plotly's full layout of a dcc.Graph (after defaults), as JSON."""
    return page.evaluate(
        """(graph) => {
            const el = document.querySelector(graph + ' .js-plotly-plot');
            return el && el._fullLayout ? JSON.parse(JSON.stringify({
                yaxis: {type: el._fullLayout.yaxis.type}, xaxis: {type: el._fullLayout.xaxis.type},
            })) : null;
        }""",
        graph,
    )
