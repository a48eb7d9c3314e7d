"""The app under measurement: `python app.py` as a subprocess on a free port, stopped by PID.

Each server gets a fresh DASH_CACHE_DIR so no job or result of an earlier run is reused.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import ProxyHandler, build_opener

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0  # generous: the machine may be busy; the figure itself is what matters
_DIRECT = build_opener(ProxyHandler({}))  # 127.0.0.1 directly, whatever *_proxy says


def free_port() -> int:
    """A port nobody listens on now (never 8050, where a developer's server may run)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8050:
            return port


def running(processes) -> list[psutil.Process]:
    """Those of `processes` that still run (neither gone nor zombies)."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def live_children(process: psutil.Process, recursive: bool = False) -> list[psutil.Process]:
    """`process`'s children that still run: a server's background jobs."""
    try:
        return running(process.children(recursive=recursive))
    except psutil.NoSuchProcess:
        return []


class AppServer:
    """One `python app.py`; `start()` returns the seconds until GET / first answered 200."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-app-"))
        self.log_path = self.workdir / "server.log"
        self.popen: subprocess.Popen | None = None
        self.process: psutil.Process | None = None

    def start(self) -> float:
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DASH_CACHE_DIR": str(self.workdir / "cache"),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DASH_DEBUG", None)
        with open(self.log_path, "ab") as log:
            started = time.perf_counter()
            self.popen = subprocess.Popen(
                [sys.executable, "app.py"], cwd=REPO_ROOT, env=env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        self.process = psutil.Process(self.popen.pid)
        deadline = started + STARTUP_TIMEOUT
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"app.py exited with code {self.popen.returncode}:\n{self.log_tail()}")
            try:
                with _DIRECT.open(self.url + "/", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (URLError, OSError):
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"app.py did not serve / within {STARTUP_TIMEOUT:.0f} s:\n{self.log_tail()}")
            time.sleep(0.01)  # fine polling: the startup figure should not be rounded up by it

    def job_processes(self) -> list[psutil.Process]:
        """The server's live children: its background training jobs."""
        return live_children(self.process)

    def jobs_rss_mb(self) -> float:
        """The largest resident set among the running jobs, in MB (0 when none runs)."""
        largest = 0.0
        for job in self.job_processes():
            try:
                largest = max(largest, job.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:  # it ended between listing and reading
                pass
        return largest

    def wait_no_jobs(self, timeout: float = 15.0) -> None:
        """Wait until no job runs, so the next measurement does not share the CPU with one."""
        deadline = time.monotonic() + timeout
        while self.job_processes():
            if time.monotonic() > deadline:
                raise RuntimeError(f"a training job still runs after {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Terminate the server and its jobs (children first), by PID; kill what lingers."""
        if self.popen is None:
            return
        try:
            processes = [*self.process.children(recursive=True), self.process]
        except psutil.NoSuchProcess:
            processes = []
        for process in processes:
            try:
                process.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(processes, timeout=10)
        for process in alive:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self.popen.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
