"""Fixtures of the tests, built on the harness (harness/), and small page helpers.

Fixtures
- `live_server` (session): `python app.py` (`harness.app_process.AppProcess`) on a free port with a
  fresh job cache; `.url` (no trailing slash), `.pid`, `.process` (psutil.Process), `.popen`,
  `.log_path`, `.log_tail()`, `.is_running()`.
- `live_app` (function): `live_server`, and the test fails if the server died during it.
- `browser` (session): Playwright's Chromium, driving Debian's /usr/bin/chromium headless
  (`harness.browser`).
- `page` (function): a page in a new browser context (fresh local storage), closed after.
- `new_page` (function): a factory for further pages, each in its own context (another
  browser session), all closed after the test.
  Every page's console errors and uncaught exceptions fail the test (at teardown, with the
  messages), unless it is marked `console_errors_expected(reason=...)`.

Scale-out fixtures (`harness.services`; own process groups, all stopped by their fixtures):
`redis_server` (session, restartable: a test that stops Redis starts it again on the same port),
`celery_workers` (session) / `celery_worker` (a running worker on a running Redis, replaced when a
test killed it), `celery_gunicorn` and `diskcache_gunicorn` (session): `gunicorn -w 2 app:server`
with DASH_JOBS=celery or the embedded manager; both have `.url` like `live_server`.

Helpers (import them from `conftest`): `status_text`, `status_word`, `wait_status`,
`graph_trace`, `graph_traces`, `trace_summary`, `graph_layout`, `wait_graph`, `job_children`,
`wait_job_children`, `wait_no_job_children`.

Markers (pytest.ini): `browser` drives Chromium; `slow` is left out of the quick tier
(`-m "not slow"`); `console_errors_expected(reason=...)` lets a test that breaks the server on
purpose keep its pages' console errors. Every test has pytest-timeout's 300 s unless it says more.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Iterable

import psutil
import pytest

from harness.app_process import AppProcess
from harness.browser import ConsoleErrors, launch, new_context
from harness.process import ManagedProcess, free_port
from harness.services import CeleryWorkerPool, RedisServer

def started(process: ManagedProcess) -> ManagedProcess:
    """`process.start()`; a start that fails fails the test (with the process's log tail)."""
    try:
        process.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return process


# ---------------------------------------------------------------------------------------------
# The app under test


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = AppProcess(tmp_path_factory.mktemp("live-server"))
    try:
        yield started(server)
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


def job_children(server: AppProcess) -> list[psutil.Process]:
    """The server's live (non-zombie) child processes: its background training jobs."""
    return server.job_processes(recursive=False)


def wait_job_children(server: AppProcess, timeout: float = 5.0) -> list[psutil.Process]:
    """Wait until the server has at least one live child; return them ([] on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = job_children(server)
        if children:
            return children
        time.sleep(0.05)
    return []


def wait_no_job_children(server: AppProcess, timeout: float = 5.0) -> list[psutil.Process]:
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
        chromium = launch(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, request):
    """`new_page()` opens a page in a fresh context (its own storage, like another user).

    A console error or an uncaught exception in any of these pages fails the test at teardown,
    unless the test is marked `console_errors_expected(reason=...)`."""
    contexts = []
    errors = ConsoleErrors()

    def make(**context_options):
        context = new_context(browser, timeout_ms=15_000, **context_options)
        contexts.append(context)
        page = context.new_page()
        errors.watch(page)
        return page

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - a crashed context must not hide the test's result
            pass
    expected = request.node.get_closest_marker("console_errors_expected")
    if expected is not None and not (expected.args or expected.kwargs.get("reason")):
        pytest.fail("console_errors_expected needs a reason: why may this test's pages log errors?", pytrace=False)
    if errors and expected is None:
        pytest.fail(f"the page logged {len(errors.messages)} console/page error(s):\n{errors.report()}",
                    pytrace=False)


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
    const read = (t) => {
        const out = {x: Array.from(t.x || []), y: Array.from(t.y || []), name: t.name, meta: t.meta};
        if (t.z) out.z = Array.from(t.z, (row) => Array.from(row));
        return out;
    };
    if (index === null) return el.data.map(read);
    const t = el.data[index];
    return t ? read(t) : null;
}"""


def graph_trace(page, graph: str = "#loss-graph", index: int = 0) -> dict | None:
    """Trace `index` of a dcc.Graph as {'x': [...], 'y': [...], 'name': str, 'meta': …} (and 'z' for
    a contour), or None.

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


# ---------------------------------------------------------------------------------------------
# Scale-out: a real redis-server, Celery workers, gunicorn (tests/test_scaleout.py)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    try:
        yield started(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def scaleout_cache(tmp_path_factory) -> Path:
    """The app servers' private cache directory (their shared secret key lives there)."""
    return Path(tempfile.mkdtemp(prefix="dash-cache-", dir=tmp_path_factory.mktemp("scaleout")))


@pytest.fixture(scope="session")
def celery_workers(redis_server, scaleout_cache, tmp_path_factory):
    pool = CeleryWorkerPool(redis_server.url, scaleout_cache, tmp_path_factory.mktemp("celery"))
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture
def celery_worker(redis_server, celery_workers):
    """A running Celery worker on a running Redis (restarted if an earlier test stopped them)."""
    if not redis_server.ping():
        redis_server.stop()
        started(redis_server)
    try:
        return celery_workers.ensure()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def celery_gunicorn(redis_server, scaleout_cache, tmp_path_factory):
    server = AppProcess(tmp_path_factory.mktemp("gunicorn-celery"), gunicorn_workers=2,
                        cache_dir=scaleout_cache, redis_url=redis_server.url)
    try:
        yield started(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def diskcache_gunicorn(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gunicorn-diskcache")
    server = AppProcess(workdir, gunicorn_workers=2, cache_dir=tempfile.mkdtemp(prefix="dash-cache-", dir=workdir))
    try:
        yield started(server)
    finally:
        server.stop()
