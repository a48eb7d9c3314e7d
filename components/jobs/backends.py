"""The job backends: a Dash background-callback manager, the run records, and what the pages and
/health need to know of them.

- embedded (default): Dash's `DiskcacheManager`; each job is a process the app forks; results
  and records live in a private cache directory shared by every process of this user.
- `DASH_JOBS=celery` with `REDIS_URL=redis://…`: Dash's `CeleryManager`; jobs run on Celery
  workers (`celery -A app:celery_app worker`); results and records live in Redis.

`build(env)` makes the one the environment asks for; the app passes it to every page that runs
jobs (nothing here is global).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import psutil
from billiard.exceptions import SoftTimeLimitExceeded  # what Celery raises at task_soft_time_limit
from dash import CeleryManager

from components.jobs.dash_internals import ExpiringCache, OwnProcessesManager
from components.jobs.records import RunRecords
from components.jobs.settings import (
    CONNECT_TIMEOUT,
    HARD_TIME_LIMIT,
    QUEUE_WAIT_LIMIT,
    REDIS_TIMEOUT,
    RESULT_TTL,
    SOFT_TIME_LIMIT,
    START_LIMIT,
    VISIBILITY_TIMEOUT,
    WORKER_PING_TIMEOUT,
    redacted,
    server_secret,
    settings_from_env,
)
from components.jobs.stores import DiskcacheStore, JobStoreUnavailable, RedisStore

TIME_LIMIT_ERRORS = (SoftTimeLimitExceeded,)
RECORD_BYTES = 1 << 20  # values up to this size are kept in the job cache's database


def celery_settings(redis_url: str) -> dict[str, Any]:
    """Worker and client settings for long, crash-prone training jobs."""
    return {
        "broker_url": redis_url,
        "result_backend": redis_url,
        # One job at a time per worker process, taken only when the process is free: a long
        # run never holds a second job hostage in its prefetch buffer.
        "worker_prefetch_multiplier": 1,
        # Acknowledge after the job, and requeue it when its process dies: the redelivered job
        # then records Failed (see execute_run) instead of the run vanishing.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_soft_time_limit": SOFT_TIME_LIMIT,
        "task_time_limit": HARD_TIME_LIMIT,
        "result_expires": RESULT_TTL,  # Dash's results and progress entries expire with this
        "broker_transport_options": {
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_connect_timeout": CONNECT_TIMEOUT,
        },
        "redis_socket_connect_timeout": CONNECT_TIMEOUT,
        "redis_socket_timeout": REDIS_TIMEOUT,
        # A poll while Redis is down fails in about a second instead of retrying for 20 s.
        "result_backend_transport_options": {
            "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
        },
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        "broker_connection_retry_on_startup": True,
        # A worker that loses Redis stops its jobs (their progress could not be seen anyway).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
    }


def _one_torch_thread(**_kwargs) -> None:
    """Each worker process trains with one torch thread: the tensors are tiny, and every job
    gets a core of its own when concurrency equals the core count."""
    import torch

    torch.set_num_threads(1)


def make_celery(redis_url: str):
    from celery import Celery
    from celery.signals import worker_process_init

    celery_app = Celery("regression-dashboard")
    celery_app.conf.update(celery_settings(redis_url))
    worker_process_init.connect(_one_torch_thread, weak=False)
    return celery_app


class JobBackend:
    kind = ""
    has_queue = False  # can a job wait for a free worker?

    def __init__(self, manager, records: RunRecords, where: str, queue_wait_limit: float,
                 max_running: int | None, secret: str):
        self.manager = manager
        self.records = records
        self.where = where  # "the job queue at redis://…", for messages
        self.queue_wait_limit = queue_wait_limit
        self.max_running = max_running  # see JobSettings
        self.secret = secret  # signs run handles (see components.runs)
        self.celery_app = None

    def check(self) -> None:
        """Raise JobStoreUnavailable at once when jobs cannot run; quick (bounded timeouts)."""
        self.records.store.ping()

    def current_job(self) -> str | None:
        """Inside a job: its handle, as Dash knows it."""
        return str(os.getpid())

    def abandon(self, job: str | None) -> None:
        """The page gave up on this job: stop it, so nobody polls or trains for nothing."""

    def job_gone(self, pid: Any) -> bool:
        """Has the job process `pid` (of this backend's jobs) ended? False when it cannot tell."""
        return False

    def workers(self) -> int | None:
        return None

    def reap(self) -> None:
        """Collect the exit status of finished jobs this process forked (none under Celery)."""

    def end_of_request(self, _error: BaseException | None = None) -> None:
        """After every request (Flask teardown): release what the request thread holds."""

    def health(self) -> dict[str, Any]:
        report = {"backend": self.kind, "ok": True, "detail": "", "workers": None}
        try:
            self.check()
        except JobStoreUnavailable as exc:
            return {**report, "ok": False, "detail": exc.detail()}
        return {**report, **self._health_detail()}

    def _health_detail(self) -> dict[str, Any]:
        return {"detail": "jobs run in processes forked by the app; the job cache is writable"}


class DiskcacheBackend(JobBackend):
    kind = "diskcache"

    def reap(self) -> None:
        """So no finished job lingers as a zombie or holds its pipes until the next job starts
        (Dash never joins its job processes)."""
        self.manager.reap()

    def end_of_request(self, _error: BaseException | None = None) -> None:
        """Close this thread's job-cache connection under the fork lock, before the thread may
        exit (see `ExpiringCache.close`)."""
        self.manager.handle.close()

    # A dead job process ends Dash's polling by itself (its pid is gone), so `abandon` has
    # nothing to do; killing by pid after a silence could hit a reused pid.

    def job_gone(self, pid: Any) -> bool:
        """Jobs are processes on this machine: ask the OS (a killed job may be a zombie for a while)."""
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            return False
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True
        except psutil.Error:
            return False


class CeleryBackend(JobBackend):
    kind = "celery"
    has_queue = True

    def __init__(self, manager, records, where, queue_wait_limit, max_running, secret, celery_app):
        super().__init__(manager, records, where, queue_wait_limit, max_running, secret)
        self.celery_app = celery_app

    def current_job(self) -> str | None:
        from celery import current_task

        return current_task.request.id if current_task else None

    def abandon(self, job: str | None) -> None:
        """Revoke the task (a live worker kills it) and mark it so: Dash's poll, which sees a
        task of a dead worker as running forever, then ends."""
        if not job:
            return
        try:
            self.manager.terminate_job(job)
            self.celery_app.backend.mark_as_revoked(job, reason="its page gave up on it")
        except Exception:  # noqa: BLE001 - Redis down: the page has already said Failed
            pass

    def workers(self) -> int:
        replies = self.celery_app.control.ping(timeout=WORKER_PING_TIMEOUT)
        return len(replies or [])

    def _health_detail(self) -> dict[str, Any]:
        try:
            workers = self.workers()
        except Exception as exc:  # noqa: BLE001 - Redis went away between the two calls
            return {"ok": False, "workers": 0, "detail": f"{self.where}: worker ping failed ({exc})"}
        if workers == 0:
            return {
                "ok": False,
                "workers": 0,
                "detail": f"{self.where} is reachable but no worker answered within "
                f"{WORKER_PING_TIMEOUT} s: training jobs would wait in the queue",
            }
        return {"ok": True, "workers": workers, "detail": f"{self.where} is reachable; {workers} worker(s) answered"}


def build(env: Mapping[str, str]) -> JobBackend:
    """The job backend the environment asks for (nothing is contacted yet)."""
    settings = settings_from_env(env)
    secret = server_secret(env)
    if settings.backend == "celery":
        celery_app = make_celery(settings.redis_url)
        return CeleryBackend(
            CeleryManager(celery_app),
            RunRecords(RedisStore(settings.redis_url)),
            f"the job queue at {redacted(settings.redis_url)}",
            QUEUE_WAIT_LIMIT,
            settings.max_running,
            secret,
            celery_app,
        )
    # A run's record (up to ~80 KB of JSON) stays inside SQLite: no value file per run.
    manager = OwnProcessesManager(ExpiringCache(settings.cache_dir, disk_min_file_size=RECORD_BYTES))
    # No queue: a job is forked at once; one that has not started within START_LIMIT never will.
    return DiskcacheBackend(
        manager, RunRecords(DiskcacheStore(manager.handle)), "the job cache", START_LIMIT,
        settings.max_running, secret,
    )
