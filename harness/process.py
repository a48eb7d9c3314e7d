"""Processes on this machine: the repository root, free loopback ports, live-process filters, and
`ManagedProcess`, a command in its own process group (its own session) that is stopped together
with everything it started (a service manager's or Ctrl-C's view of it)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Mapping

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on now (never 8050, where a developer's server may run)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8050:
            return port


def running(processes: Iterable[psutil.Process]) -> list[psutil.Process]:
    """Those of `processes` that still run (neither gone nor zombies)."""
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def live_children(process: psutil.Process | None, recursive: bool = False) -> list[psutil.Process]:
    """`process`'s children that still run: a server's background jobs."""
    if process is None:
        return []
    try:
        return running(process.children(recursive=recursive))
    except psutil.NoSuchProcess:
        return []


class ManagedProcess:
    """`argv` started from the repository root in its own process group, logging to `log_path`.

    `stop()` sends `stop_signal` (to the leader, or to the whole group when `signal_group_on_stop`),
    waits up to `stop_grace` seconds for the group to empty, then SIGKILLs whatever is left.
    """

    stop_signal: int = signal.SIGTERM
    stop_grace: float = 10.0
    signal_group_on_stop: bool = False

    def __init__(self, argv: list[str], env: Mapping[str, str], log_path: Path):
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = Path(log_path)
        self.popen: subprocess.Popen | None = None
        self.process: psutil.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def pgid(self) -> int | None:
        return self.popen.pid if self.popen else None  # the leader of its own session

    def spawn(self) -> None:
        """Start the command (no waiting); the log is appended to across restarts."""
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.process = psutil.Process(self.popen.pid)

    def start(self) -> None:
        self.spawn()

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def group(self) -> list[psutil.Process]:
        """Every live (non-zombie) process of this command's process group, orphans included."""
        if self.popen is None:
            return []
        self.popen.poll()  # reap the leader once it exits
        members = []
        for proc in psutil.process_iter(["pid"]):
            try:
                if os.getpgid(proc.pid) == self.pgid:
                    members.append(proc)
            except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
                pass
        return running(members)

    def signal_group(self, sig: int) -> None:
        if self.popen is not None:
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                pass

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> None:
        """`sig` (default `stop_signal`), up to `stop_grace` s for the group to go, then SIGKILL."""
        if self.popen is None:
            return
        sig = self.stop_signal if sig is None else sig
        if self.signal_group_on_stop:
            self.signal_group(sig)
        elif self.popen.poll() is None:
            self.popen.send_signal(sig)
        deadline = time.monotonic() + self.stop_grace
        while self.group() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.signal_group(signal.SIGKILL)
        psutil.wait_procs(self.group(), timeout=timeout)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 60.0,
                   poll: float = 0.2) -> float:
        """Wait until `ready()`; return the seconds since the call. If the command exits or the
        time is up first, stop it and raise RuntimeError with the log's tail."""
        started = time.perf_counter()
        while not ready():
            if not self.is_running():
                raise RuntimeError(f"{what} exited with code {self.popen.returncode}:\n{self.log_tail()}")
            if time.perf_counter() - started > timeout:
                self.stop()
                raise RuntimeError(f"{what} was not ready within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(poll)
        return time.perf_counter() - started
