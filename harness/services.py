"""The scale-out services, each a `ManagedProcess` in its own process group: Debian's
redis-server on a loopback port (nothing on disk) and Celery workers running the app's jobs.
The app under gunicorn is `harness.app_process.AppProcess(gunicorn_workers=N, redis_url=...)`."""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path

from harness.app_process import app_env
from harness.process import ManagedProcess

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer(ManagedProcess):
    """redis-server on 127.0.0.1:`port`, no persistence; restartable (`stop()`, `start()`)."""

    def __init__(self, port: int, log_path: Path):
        argv = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
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
        self.spawn()
        self.wait_until(self.ping, "redis-server", timeout=10)


class CeleryWorker(ManagedProcess):
    """`celery -A app:celery_app worker --concurrency N --pool prefork` under a unique node name."""

    stop_signal = signal.SIGQUIT  # cold shutdown: a test worker need not finish its tasks
    stop_grace = 2.0  # then SIGKILL: the interpreter's own exit takes seconds on a busy machine

    def __init__(self, redis_url: str, cache_dir: Path, log_path: Path, name: str, concurrency: int = 2):
        argv = [sys.executable, "-m", "celery", "-A", "app:celery_app", "worker", "--concurrency", str(concurrency),
                "--pool", "prefork", "--loglevel", "warning", "--hostname", f"{name}@%h",
                "--without-mingle", "--without-gossip"]
        super().__init__(argv, app_env(cache_dir, redis_url), log_path)
        self.name = name
        self.redis_url = redis_url

    def client(self):
        from celery import Celery

        return Celery("harness", broker=self.redis_url, backend=self.redis_url)

    def answers(self) -> bool:
        replies = self.client().control.ping(timeout=0.5) or []
        return any(name.startswith(self.name + "@") for reply in replies for name in reply)

    def start(self) -> None:
        self.spawn()
        self.wait_until(self.answers, "celery worker", timeout=60)

    def active_tasks(self) -> list[dict]:
        """The tasks this worker is running now (each with `worker_pid`)."""
        replies = self.client().control.inspect(timeout=1).active() or {}
        return [task for node, tasks in replies.items() if node.startswith(self.name + "@") for task in tasks]


class CeleryWorkerPool:
    """The current Celery worker; `ensure()` starts a new one when the last was killed."""

    def __init__(self, redis_url: str, cache_dir: Path, workdir: Path):
        self.redis_url, self.cache_dir, self.workdir = redis_url, cache_dir, Path(workdir)
        self.started = 0
        self.worker: CeleryWorker | None = None

    def ensure(self) -> CeleryWorker:
        if self.worker is None or not self.worker.is_running():
            if self.worker is not None:
                self.worker.stop()
            self.started += 1
            name = f"w{self.started}-{os.getpid()}"
            self.worker = CeleryWorker(self.redis_url, self.cache_dir,
                                       self.workdir / f"worker-{self.started}.log", name)
            self.worker.start()
        return self.worker

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
