"""`AppProcess`: the app under test as a process, the one launcher of tests, bench and scripts.

Three ways to run it, each on a free loopback port, in its own process group (so the server and
its background jobs stop together, as under a service manager or Ctrl-C), with a fresh job cache
(DASH_CACHE_DIR) unless one is given, logging to `log_path`:

- `AppProcess()`: `python app.py` (the `live_server` fixture, bench, the load test);
- `AppProcess(faults={"raise_seed": 13, ...})`: `python -m harness.faulty_app`, which is
  `python app.py` with faults injected from outside the app (see harness/faulty_app.py);
- `AppProcess(gunicorn_workers=N)`: `gunicorn -w N app:server`.

`start()` returns the seconds until GET / first answered 200 (polled every 10 ms, so bench's
startup figure is not rounded up by the polling). Then `stop()`, `restart()`, `kill_server_only()`
(a crash: the server alone), and the counts the fault tests compare: live job processes, zombies,
the server's open file descriptors and threads, the job cache's size.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Mapping
from urllib.error import URLError
from urllib.request import ProxyHandler, build_opener

import psutil

from harness.process import ManagedProcess, free_port, live_children

STARTUP_TIMEOUT = 60.0  # generous: the machine may be busy
_DIRECT = build_opener(ProxyHandler({}))  # 127.0.0.1 directly, whatever *_proxy says
_NOT_INHERITED = ("DASH_DEBUG", "DASH_JOBS", "REDIS_URL", "DASH_SECRET_KEY", "HOST")


def app_env(cache_dir: Path | str, redis_url: str | None = None,
            overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of an app server or Celery worker: this one, less the app's own settings
    (debug off, the embedded job manager, the app's default host), with `cache_dir` as the job
    cache; `redis_url` selects Celery jobs; `overrides` last (None removes a variable)."""
    env = {**os.environ, "DASH_CACHE_DIR": str(cache_dir), "PYTHONUNBUFFERED": "1"}
    for name in _NOT_INHERITED:
        env.pop(name, None)
    if redis_url:
        env.update(DASH_JOBS="celery", REDIS_URL=redis_url)
    for name, value in (overrides or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


class AppProcess(ManagedProcess):
    """The app on 127.0.0.1:`port`; `url` has no trailing slash.

    workdir: where the log (and the cache, unless `cache_dir` is given) go; a new temporary
      directory by default, removed when the `with` block ends.
    faults: {"raise_seed": N, "fail_write_seed": N, "ttl": S} for harness/faulty_app.py.
    env: overrides of the server's environment (None removes a variable), e.g. {"HOST": ...}.
    gunicorn_workers: > 0 runs `gunicorn -w N app:server` instead of app.py.
    cache_dir: a job cache shared with others (gunicorn and Celery workers share one secret).
    redis_url: run jobs on Celery workers through this Redis (DASH_JOBS=celery).
    module: run `python -m <module>` instead (bench.peer_app: the plain Dash reference).
    """

    signal_group_on_stop = True  # SIGTERM to the server and its jobs at once

    def __init__(self, workdir: Path | str | None = None, *, port: int | None = None,
                 faults: Mapping[str, object] | None = None, env: Mapping[str, str | None] | None = None,
                 gunicorn_workers: int = 0, cache_dir: Path | str | None = None,
                 redis_url: str | None = None, startup_timeout: float = STARTUP_TIMEOUT,
                 module: str | None = None):
        self.owns_workdir = workdir is None
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="app-process-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.workdir / "cache"
        self.faults = dict(faults or {})
        self.gunicorn_workers = gunicorn_workers
        self.startup_timeout = startup_timeout
        overrides = {"PORT": str(self.port), **(env or {})}
        overrides.update({f"RELIABILITY_{key.upper()}": str(value) for key, value in self.faults.items()})
        if gunicorn_workers:
            argv = [sys.executable, "-m", "gunicorn", "-w", str(gunicorn_workers), "-b", f"127.0.0.1:{self.port}",
                    "--no-control-socket", "--graceful-timeout", "5", "app:server"]
            self.what = f"gunicorn -w {gunicorn_workers} app:server"
            self.stop_signal, self.stop_grace, self.signal_group_on_stop = signal.SIGINT, 2.0, False  # quick shutdown
        elif self.faults or module:
            module = module or "harness.faulty_app"
            argv = [sys.executable, "-m", module]
            self.what = f"python -m {module}"
        else:
            argv = [sys.executable, "app.py"]
            self.what = "python app.py"
        super().__init__(argv, app_env(self.cache_dir, redis_url, overrides), self.workdir / "server.log")

    # -- lifecycle ----------------------------------------------------------------------------

    def answers(self) -> bool:
        """GET / answers 200 now."""
        try:
            with _DIRECT.open(self.url + "/", timeout=2) as response:
                return response.status == 200
        except (URLError, OSError):
            return False

    def start(self) -> float:
        """Start and wait until GET / answers 200; return the seconds that took.

        Raises RuntimeError (with the log's tail) if it exits or does not answer in time."""
        started = time.perf_counter()
        self.spawn()
        self.wait_until(self.answers, self.what, timeout=self.startup_timeout, poll=0.01)
        return time.perf_counter() - started

    def restart(self, sig: int | None = None) -> float:
        """Stop the server and its jobs, then start again on the same port and cache."""
        self.stop(sig)
        return self.start()

    def kill_server_only(self) -> list[psutil.Process]:
        """SIGKILL the server process alone (a crash); return its jobs, which outlive it."""
        orphans = self.job_processes()
        self.popen.kill()
        self.popen.wait(timeout=10)
        return orphans

    def close(self) -> None:
        """Stop, and remove the working directory if this object made it."""
        self.stop()
        if self.owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "AppProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        code = self.popen.poll() if self.popen else None
        return f"AppProcess({self.what!r}, url={self.url!r}, pid={self.pid}, running={self.is_running()}, exit code={code})"

    # -- what the tests and bench count -----------------------------------------------------------

    def job_processes(self, recursive: bool = True) -> list[psutil.Process]:
        """Live (non-zombie) descendants of the server (children only if not `recursive`): its
        background jobs."""
        return live_children(self.process, recursive=recursive)

    def zombies(self) -> list[psutil.Process]:
        try:
            children = self.process.children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        dead = []
        for child in children:
            try:
                if child.status() == psutil.STATUS_ZOMBIE:
                    dead.append(child)
            except psutil.NoSuchProcess:
                pass
        return dead

    def group_processes(self) -> list[psutil.Process]:
        """Every live process of the group, orphans included (they leave the server's tree)."""
        return self.group()

    def num_fds(self) -> int:
        return self.process.num_fds()

    def num_threads(self) -> int:
        return self.process.num_threads()

    def cache_size(self) -> tuple[int, int]:
        """(bytes, files) under the job cache directory."""
        total = files = 0
        for root, _dirs, names in os.walk(self.cache_dir):
            for name in names:
                try:
                    total += os.stat(os.path.join(root, name)).st_size
                    files += 1
                except FileNotFoundError:
                    pass
        return total, files

    def listening_addresses(self) -> list[tuple[str, int]]:
        return [(c.laddr.ip, c.laddr.port) for c in self.process.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN]

    def jobs_rss_mb(self) -> float:
        """The largest resident set among the running jobs, in MB (0 when none runs)."""
        largest = 0.0
        for job in self.job_processes(recursive=False):
            try:
                largest = max(largest, job.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:  # it ended between listing and reading
                pass
        return largest

    def wait_no_jobs(self, timeout: float = 10.0, recursive: bool = True) -> list[psutil.Process]:
        """Wait until no job runs; return those still alive at the timeout ([] when none)."""
        deadline = time.monotonic() + timeout
        while True:
            live = self.job_processes(recursive)
            if not live or time.monotonic() > deadline:
                return live
            time.sleep(0.05)

    def wait_jobs(self, timeout: float = 10.0, recursive: bool = True) -> list[psutil.Process]:
        """Wait until a job runs; return the live jobs ([] at the timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            live = self.job_processes(recursive)
            if live or time.monotonic() > deadline:
                return live
            time.sleep(0.02)
