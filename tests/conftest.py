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

Scale-out fixtures (own process groups, all stopped by their fixtures): `redis_server`,
`celery_workers` / `celery_worker`, `celery_gunicorn`, `diskcache_gunicorn`; see below.

Tests that need a browser carry `pytest.mark.browser`.
"""

from __future__ import annotations

import os
import signal
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

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # one copy of these helpers, shared with bench/
from bench.server import REPO_ROOT, free_port, live_children
STARTUP_TIMEOUT = 30.0  # seconds for `python app.py` to answer GET /
STATUS_WORDS = ("Ready", "Running", "Done", "Cancelled", "Diverged", "Invalid", "Failed")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the real app in headless Chromium (slow; needs /usr/bin/chromium)"
    )


# ---------------------------------------------------------------------------------------------
# The app under test


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
    return live_children(server.process)


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


# ---------------------------------------------------------------------------------------------
# Scale-out processes (tests/test_scaleout.py): a real redis-server, Celery workers, gunicorn
#
# Each runs in its own process group (its own session) and is stopped by its fixture: SIGTERM to
# the group, a bounded wait, then SIGKILL. `redis_server` (session) is restartable: a test that
# stops Redis starts it again on the same port. `celery_worker` (session) is replaced when a
# test killed it. `celery_gunicorn` and `diskcache_gunicorn` (session): `gunicorn -w 2 app:server`
# with DASH_JOBS=celery or the embedded manager; both have `.url` like `live_server`.

VENV_BIN = Path(sys.executable).parent


class ManagedProcess:
    """A command in its own process group, logging to `log_path`."""

    stop_signal = signal.SIGTERM  # sent to the group leader first
    stop_grace = 10.0  # seconds before SIGKILL to the group

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path):
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.popen: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def group(self) -> list[psutil.Process]:
        """Every live (non-zombie) process of this command's process group."""
        if self.popen is None:
            return []
        self.popen.poll()  # reap the leader once it exits
        members = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(proc.pid) == self.popen.pid and proc.status() != psutil.STATUS_ZOMBIE:
                    members.append(proc)
            except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
                pass
        return members

    def signal_group(self, sig: int) -> None:
        if self.popen is not None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """`stop_signal` to the leader, wait `stop_grace` s, SIGKILL whatever is left."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(self.stop_signal)
        deadline = time.monotonic() + self.stop_grace
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.signal_group(signal.SIGKILL)
        psutil.wait_procs(self.group(), timeout=timeout)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until(self, ready, what: str, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.is_running():
                raise RuntimeError(f"{what} exited with code {self.popen.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{what} was not ready within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)


class RedisServer(ManagedProcess):
    """Debian's redis-server on a loopback port, nothing written to disk."""

    def __init__(self, port: int, log_path: Path):
        argv = ["/usr/bin/redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                "--appendonly", "no", "--daemonize", "no"]
        super().__init__(argv, dict(os.environ), log_path)
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        super().start()
        self.wait_until(self.ping, "redis-server", timeout=10)


def scaleout_env(cache_dir: Path, redis_url: str | None) -> dict[str, str]:
    env = {**os.environ, "DASH_CACHE_DIR": str(cache_dir), "PYTHONUNBUFFERED": "1"}
    for name in ("DASH_DEBUG", "DASH_JOBS", "REDIS_URL", "DASH_SECRET_KEY"):
        env.pop(name, None)
    if redis_url:
        env.update(DASH_JOBS="celery", REDIS_URL=redis_url)
    return env


class CeleryWorker(ManagedProcess):
    """`celery -A app:celery_app worker --concurrency 2 --pool prefork` under a unique node name."""

    stop_signal = signal.SIGQUIT  # cold shutdown: a test worker need not finish its tasks
    stop_grace = 2.0  # then SIGKILL: the interpreter's own exit takes seconds on a busy machine

    def __init__(self, redis_url: str, cache_dir: Path, log_path: Path, name: str, concurrency: int = 2):
        argv = [str(VENV_BIN / "celery"), "-A", "app:celery_app", "worker", "--concurrency", str(concurrency),
                "--pool", "prefork", "--loglevel", "warning", "--hostname", f"{name}@%h",
                "--without-mingle", "--without-gossip"]
        super().__init__(argv, scaleout_env(cache_dir, redis_url), log_path)
        self.name = name
        self.redis_url = redis_url

    def client(self):
        from celery import Celery

        return Celery("tests", broker=self.redis_url, backend=self.redis_url)

    def answers(self) -> bool:
        replies = self.client().control.ping(timeout=0.5) or []
        return any(name.startswith(self.name + "@") for reply in replies for name in reply)

    def start(self) -> None:
        super().start()
        self.wait_until(self.answers, "celery worker", timeout=60)

    def active_tasks(self) -> list[dict]:
        """The tasks this worker is running now (each with `worker_pid`)."""
        replies = self.client().control.inspect(timeout=1).active() or {}
        return [task for node, tasks in replies.items() if node.startswith(self.name + "@") for task in tasks]


class GunicornServer(ManagedProcess):
    """`gunicorn -w 2 -b 127.0.0.1:PORT app:server`; `.url` has no trailing slash."""

    stop_signal = signal.SIGINT  # quick shutdown
    stop_grace = 2.0

    def __init__(self, port: int, env: dict[str, str], log_path: Path, workers: int = 2):
        argv = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--no-control-socket",
                "--graceful-timeout", "5", "app:server"]
        super().__init__(argv, env, log_path)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def answers(self) -> bool:
        try:
            with _NO_PROXY.open(self.url + "/", timeout=2) as response:
                return response.status == 200
        except (URLError, OSError):
            return False

    def start(self) -> None:
        super().start()
        self.wait_until(self.answers, "gunicorn", timeout=60)


def _started(process: ManagedProcess):
    try:
        process.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return process


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("redis")
    server = RedisServer(free_port(), workdir / "redis.log")
    try:
        yield _started(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def scaleout_cache(tmp_path_factory) -> Path:
    """The app servers' private cache directory (their shared secret key lives there)."""
    return Path(tempfile.mkdtemp(prefix="dash-cache-", dir=tmp_path_factory.mktemp("scaleout")))


class WorkerPool:
    """The current Celery worker; `ensure()` starts a new one when a test killed it."""

    def __init__(self, redis_url: str, cache_dir: Path, workdir: Path):
        self.redis_url, self.cache_dir, self.workdir = redis_url, cache_dir, workdir
        self.started = 0
        self.worker: CeleryWorker | None = None

    def ensure(self) -> CeleryWorker:
        if self.worker is None or not self.worker.is_running():
            if self.worker is not None:
                self.worker.stop()
            self.started += 1
            name = f"w{self.started}-{os.getpid()}"
            self.worker = _started(CeleryWorker(self.redis_url, self.cache_dir,
                                                self.workdir / f"worker-{self.started}.log", name))
        return self.worker

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()


@pytest.fixture(scope="session")
def celery_workers(redis_server, scaleout_cache, tmp_path_factory):
    pool = WorkerPool(redis_server.url, scaleout_cache, tmp_path_factory.mktemp("celery"))
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture
def celery_worker(redis_server, celery_workers):
    """A running Celery worker on a running Redis (restarted if an earlier test stopped them)."""
    if not redis_server.ping():
        redis_server.stop()
        _started(redis_server)
    return celery_workers.ensure()


@pytest.fixture(scope="session")
def celery_gunicorn(redis_server, scaleout_cache, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gunicorn-celery")
    server = GunicornServer(free_port(), scaleout_env(scaleout_cache, redis_server.url), workdir / "gunicorn.log")
    try:
        yield _started(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def diskcache_gunicorn(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gunicorn-diskcache")
    cache = Path(tempfile.mkdtemp(prefix="dash-cache-", dir=workdir))
    server = GunicornServer(free_port(), scaleout_env(cache, None), workdir / "gunicorn.log")
    try:
        yield _started(server)
    finally:
        server.stop()
