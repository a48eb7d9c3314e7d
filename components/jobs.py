"""The background-job backend and each run's records (outcome, cancel flag, heartbeat).

Two backends, chosen by the environment (`configure`):
- embedded (default): Dash's `DiskcacheManager`; each job is a process the app forks, results
  and records live in a private cache directory shared by every process of this user.
- `DASH_JOBS=celery` with `REDIS_URL=redis://…`: Dash's `CeleryManager`; jobs run on Celery
  workers (`celery -A app:celery_app worker`), results and records live in Redis.

Dash reports a job that died (killed, out of memory, a lost worker) exactly like a cancelled
one: no result. So every job records its outcome under its run id before it returns; the page
tells `Failed` from `Cancelled` from a finished run by reading that record. The records go
through one small key-value interface (JSON values with an expiry) over diskcache or Redis.

Queued versus dead. `start_run` stamps the run when it is queued; the job claims the run when
a worker starts it, then beats at every progress report. The page's watchdog allows a run that
has not started yet `queue_wait_limit` seconds (no queue in the embedded mode: the job is
forked at once, so the usual silence limit; under Celery `QUEUE_WAIT_LIMIT`, shown on the page
as "Running — waiting for a free worker"), and a started run `SILENCE_LIMIT` seconds between
beats. A job that starts after its page gave up, or a second time (Celery redelivers the task of
a worker process that was killed: `task_reject_on_worker_lost`), does not train: it records
`Failed` at once, so a crash can never loop and a worker never trains for nobody.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import secrets
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import diskcache
import multiprocess
import psutil
from billiard.exceptions import SoftTimeLimitExceeded  # what Celery raises at task_soft_time_limit
from dash import CeleryManager, DiskcacheManager

from core.training_config import FIELDS, WORK_BUDGET

OUTCOME_TTL = 3600  # seconds a run's records stay readable
SILENCE_LIMIT = 5.0  # seconds without a beat before the page's watchdog calls a started run dead
SLOT_TTL = 2 * SILENCE_LIMIT  # a dead job's training slot frees itself this long after its last beat
# A run whose page has not checked on it for this long stops (its tab was closed). Long enough
# for a hidden tab, whose timers browsers slow down to one a minute.
UNWATCHED_LIMIT = 120.0
RESULT_TTL = 3600  # a result or progress entry nobody collected (a closed tab) expires too
CONNECT_TIMEOUT = 0.5  # seconds to reach Redis before calling it unreachable (loopback or LAN)
REDIS_TIMEOUT = 2.0  # seconds for one Redis command once connected
WORKER_PING_TIMEOUT = 0.5  # /health waits this long for workers to answer

# Time limits from the work budget. A run does at most WORK_BUDGET epoch·samples with at most
# MAX_EPOCHS epochs; an epoch costs c0 + c1·samples, so the slowest allowed run sits at one of
# the corners below (samples: seconds per epoch). CPU time per epoch with one torch thread, the
# slower approach at each corner, rounded up: `python scripts/scaling_bench.py epochs` on this
# shared 2-core machine (docs/scaling.md). The worst run: 10^6 epochs of 100 samples, 400 s.
EPOCH_SECONDS = {2: 400e-6, 100: 400e-6, 1_000_000: 13.5e-3}
MAX_EPOCHS = int(FIELDS["epochs"].maximum)


def worst_run_seconds() -> float:
    """The longest run the budget allows, in seconds on a core of its own."""
    return max(min(MAX_EPOCHS, WORK_BUDGET // samples) * cost for samples, cost in EPOCH_SECONDS.items())


# Soft limit: twice the worst run (a worker core shared with another job, a slower machine);
# the job then stops and says Failed with the limit in its status. Hard limit: 30 s later the
# worker kills the process (a job stuck in a torch op never reaches the soft limit's check).
SOFT_TIME_LIMIT = int(math.ceil(2 * worst_run_seconds()))
HARD_TIME_LIMIT = SOFT_TIME_LIMIT + 30
# Longest a Celery job may wait for a free worker before its page says Failed (and before the
# job, if it starts later, refuses to train). Enough for a busy class: see docs/scaling.md.
QUEUE_WAIT_LIMIT = 60
# Redis redelivers a task whose worker never acknowledged it (acks_late) after this long: it must
# exceed the longest a task can legitimately be held (hard limit), or a live job would be
# handed to a second worker.
VISIBILITY_TIMEOUT = HARD_TIME_LIMIT + QUEUE_WAIT_LIMIT + 60


TIME_LIMIT_ERRORS = (SoftTimeLimitExceeded,)


class JobStoreUnavailable(RuntimeError):
    """The job store (Redis, or the cache directory) cannot be reached; the message says which
    in words for the page, the cause (`__cause__`) says why."""

    def detail(self) -> str:
        return f"{self} ({self.__cause__})" if self.__cause__ else str(self)


# ---------------------------------------------------------------------------------------------
# Configuration from the environment


@dataclass(frozen=True)
class JobSettings:
    backend: str  # "diskcache" or "celery"
    redis_url: str | None
    cache_dir: str
    max_running: int | None  # runs that may train at once; None: the Celery workers decide


def settings_from_env(env: Mapping[str, str]) -> JobSettings:
    """DASH_JOBS (diskcache, the default, or celery), REDIS_URL (celery only), DASH_CACHE_DIR,
    MAX_RUNNING_JOBS (embedded default: 2 per CPU; under Celery no cap unless set, since a run
    waits in the queue for a free worker process)."""
    backend = (env.get("DASH_JOBS") or "diskcache").strip().lower()
    if backend not in ("diskcache", "celery"):
        raise ValueError(f"DASH_JOBS must be 'diskcache' (the default) or 'celery', not {backend!r}")
    redis_url = (env.get("REDIS_URL") or "").strip() or None
    if backend == "celery":
        if redis_url is None:
            raise ValueError("DASH_JOBS=celery needs REDIS_URL, e.g. redis://127.0.0.1:6379/0")
        if not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
    max_running = (env.get("MAX_RUNNING_JOBS") or "").strip()
    if max_running and not (max_running.isdigit() and 0 < int(max_running) <= 10_000):
        raise ValueError(f"MAX_RUNNING_JOBS must be a whole number from 1 to 10000, not {max_running!r}")
    if max_running:
        cap = int(max_running)
    else:
        cap = None if backend == "celery" else 2 * (os.cpu_count() or 1)
    return JobSettings(backend, redis_url if backend == "celery" else None, private_cache_dir(env), cap)


def private_cache_dir(env: Mapping[str, str]) -> str:
    """A directory only this user can read: diskcache unpickles what it finds there."""
    path = env.get("DASH_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), f"regression-dashboard-{os.getuid()}"
    )
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.stat(path)
    if info.st_uid != os.getuid():
        raise RuntimeError(f"job cache directory {path} belongs to another user")
    os.chmod(path, 0o700)
    return path


def server_secret(env: Mapping[str, str]) -> str:
    """The Flask secret key, which Dash also signs background-job handles with.

    Without one, each process fetches Dash's signing secret from the job store on its first
    page load: with Redis down then, the process makes up a secret of its own, and its job
    handles no longer verify on the other gunicorn processes; under Celery the stored secret
    also expires with the results, so processes started later sign differently. DASH_SECRET_KEY
    wins (set the same one where app servers run on several machines); otherwise a random key
    is created once in the private cache directory, so every gunicorn worker of this machine
    signs alike, a restart keeps open pages valid, and no page load touches Redis.
    """
    if env.get("DASH_SECRET_KEY"):
        return env["DASH_SECRET_KEY"]
    path = os.path.join(private_cache_dir(env), "secret_key")
    try:
        with open(path, encoding="ascii") as f:
            key = f.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    # Write aside, then link into place: the first worker wins, the others read its key.
    fd, scratch = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".secret-")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(scratch)
    with open(path, encoding="ascii") as f:
        return f.read().strip()


def redacted(url: str) -> str:
    """A Redis URL without its password, fit for a status line or /health."""
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(url)


# ---------------------------------------------------------------------------------------------
# Celery


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


# ---------------------------------------------------------------------------------------------
# Records: a tiny key-value interface (JSON text with an expiry) over diskcache or Redis


class DiskcacheStore:
    def __init__(self, cache: diskcache.Cache):
        self._cache = cache

    def get(self, key: str) -> str | None:
        return self._cache.get(key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._cache.set(key, value, expire=ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        return self._cache.add(key, value, expire=ttl)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def ping(self) -> None:
        try:
            self._cache.set("health", time.time(), expire=60)
        except Exception as exc:  # noqa: BLE001 - a full disk or a removed directory
            raise JobStoreUnavailable("the job cache cannot be written") from exc


class RedisStore:
    PREFIX = "regression-dashboard:"

    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=REDIS_TIMEOUT, decode_responses=True
        )
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._where = f"the job queue at {redacted(url)}"

    def _call(self, method: str, *args, **kwargs):
        try:
            return getattr(self._client, method)(*args, **kwargs)
        except self._errors as exc:
            raise JobStoreUnavailable(f"{self._where} is unreachable") from exc

    def get(self, key: str) -> str | None:
        return self._call("get", self.PREFIX + key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", self.PREFIX + key, value, px=int(ttl * 1000))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self._call("set", self.PREFIX + key, value, px=int(ttl * 1000), nx=True))

    def delete(self, key: str) -> None:
        self._call("delete", self.PREFIX + key)

    def ping(self) -> None:
        self._call("ping")


class Outcomes:
    """A run's records, by run id: outcome, cancel flag, heartbeat, and the claim of its start."""

    def __init__(self, store: DiskcacheStore | RedisStore):
        self.store = store

    def _put(self, key: str, value: Any, *, only_new: bool = False, ttl: float | None = None) -> bool:
        text = json.dumps(value)
        ttl = OUTCOME_TTL if ttl is None else ttl
        if only_new:
            return self.store.add(key, text, ttl)
        self.store.set(key, text, ttl)
        return True

    def _get(self, key: str) -> Any:
        text = self.store.get(key)
        return json.loads(text) if isinstance(text, str) else None

    def write(self, run_id: str, outcome: dict, *, only_new: bool = False) -> bool:
        """Record how the run ended; `only_new` keeps an outcome already there."""
        return self._put(f"outcome:{run_id}", {**outcome, "at": time.time()}, only_new=only_new)

    def read(self, run_id: str) -> dict | None:
        return self._get(f"outcome:{run_id}")

    # Dash can only kill a job whose handle the browser already holds; a Cancel pressed in the
    # first moments of a run would be lost, so the job also checks this flag as it reports.
    def request_cancel(self, run_id: str) -> None:
        self._put(f"cancel:{run_id}", True)

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._get(f"cancel:{run_id}"))

    # start_run beats when it queues the run, the job at every report; the page's watchdog
    # calls a run dead when the beats stop (a killed job, a lost worker, a broken poll).
    def beat(self, run_id: str) -> None:
        self._put(f"beat:{run_id}", time.time())

    def last_beat(self, run_id: str) -> float | None:
        return self._get(f"beat:{run_id}")

    # The page's watchdog stamps its run every second; a job whose stamps stop trains for nobody.
    def watch(self, run_id: str) -> None:
        self._put(f"watched:{run_id}", time.time())

    def last_watched(self, run_id: str) -> float | None:
        return self._get(f"watched:{run_id}")

    def claim(self, run_id: str, job: str | None) -> bool:
        """Mark the run started by `job`; False when it had started before (a redelivery)."""
        return self._put(f"started:{run_id}", {"at": time.time(), "job": job}, only_new=True)

    def started(self, run_id: str) -> dict | None:
        return self._get(f"started:{run_id}")

    # At most `cap` runs train at once: a job takes one of `cap` slots (an atomic add) before it
    # trains, renews it at every beat and frees it when it ends. A killed job (Cancel kills it)
    # frees nothing: its slot is free once `holder_gone(its pid)` says so, or SLOT_TTL later.
    # (Two jobs freeing the same dead slot at once may both take it: one run over the cap.)
    def take_slot(self, run_id: str, cap: int, holder_gone: Callable[[Any], bool]) -> int | None:
        """The slot this run now holds, or None when all `cap` are taken."""
        holder = {"run": run_id, "pid": os.getpid()}
        for i in range(cap):
            key = f"slot:{i}"
            if self._put(key, holder, only_new=True, ttl=SLOT_TTL):
                return i
            held = self._get(key)
            if isinstance(held, dict) and holder_gone(held.get("pid")):
                self.store.delete(key)
                if self._put(key, holder, only_new=True, ttl=SLOT_TTL):
                    return i
        return None

    def renew_slot(self, slot: int, run_id: str) -> None:
        self._put(f"slot:{slot}", {"run": run_id, "pid": os.getpid()}, ttl=SLOT_TTL)

    def release_slot(self, slot: int, run_id: str) -> None:
        held = self._get(f"slot:{slot}")
        if isinstance(held, dict) and held.get("run") == run_id:  # not one another run took since
            self.store.delete(f"slot:{slot}")


# ---------------------------------------------------------------------------------------------
# The backend: a Dash manager, the records, and what the page and /health need to know


class JobBackend:
    kind = ""
    has_queue = False  # can a job wait for a free worker?

    def __init__(self, manager, outcomes: Outcomes, where: str, queue_wait_limit: float,
                 max_running: int | None):
        self.manager = manager
        self.outcomes = outcomes
        self.where = where  # "the job queue at redis://…", for messages
        self.queue_wait_limit = queue_wait_limit
        self.max_running = max_running  # see JobSettings
        self.celery_app = None

    def check(self) -> None:
        """Raise JobStoreUnavailable at once when jobs cannot run; quick (bounded timeouts)."""
        self.outcomes.store.ping()

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

    def __init__(self, manager, outcomes, where, queue_wait_limit, max_running, celery_app):
        super().__init__(manager, outcomes, where, queue_wait_limit, max_running)
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


# Modules every job needs but the server does not, imported in the background once the app is
# built (the server answers meanwhile); any fork (a job, a gunicorn or Celery worker) first waits
# for them, so no child starts without them or in the middle of an import.
_preloads: list[threading.Thread] = []


def preload(module: str) -> None:
    thread = threading.Thread(target=importlib.import_module, args=(module,), name=f"preload {module}",
                              daemon=True)
    thread.start()
    _preloads.append(thread)


def _wait_for_preloads() -> None:
    for thread in _preloads:
        if thread is not threading.current_thread():  # (a preload that forks: nothing to wait for)
            thread.join()


os.register_at_fork(before=_wait_for_preloads)


# Held by every SQLite access of the job cache in this process, and while a job is forked: a
# fork copies any SQLite mutex another request thread holds at that instant, and the job's
# first cache access would then wait on it forever. A forked job starts with a fresh lock.
_cache_lock = threading.RLock()


def _fresh_cache_lock() -> None:
    global _cache_lock
    _cache_lock = threading.RLock()


os.register_at_fork(after_in_child=_fresh_cache_lock)


def _locked(method):
    def call(self, *args, **kwargs):
        with _cache_lock:
            return method(self, *args, **kwargs)

    call.__name__ = method.__name__
    return call


class _ExpiringCache(diskcache.Cache):
    """The job cache: every entry gets an expiry, so the cache stays bounded (Dash writes job
    entries without one), and every operation runs under the fork lock."""

    def set(self, key, value, expire=None, read=False, tag=None, retry=False):
        with _cache_lock:
            return super().set(key, value, expire=expire or RESULT_TTL, read=read, tag=tag, retry=retry)

    get = _locked(diskcache.Cache.get)
    add = _locked(diskcache.Cache.add)
    delete = _locked(diskcache.Cache.delete)
    touch = _locked(diskcache.Cache.touch)
    incr = _locked(diskcache.Cache.incr)
    pop = _locked(diskcache.Cache.pop)
    __contains__ = _locked(diskcache.Cache.__contains__)

    @contextmanager
    def transact(self, retry=False):
        with _cache_lock, super().transact(retry):
            yield

    # Each thread has its own SQLite connection. The dev server runs every request in a new
    # thread, whose connection would otherwise be closed by the thread's exit, outside the lock
    # (SQLite holds its global mutexes while it closes): the one access left unguarded.
    close = _locked(diskcache.Cache.close)


class _OwnProcessesManager(DiskcacheManager):
    """Dash's DiskcacheManager, keeping the Process object of each job it forks.

    Dash drops it and reaps ended jobs with psutil, so multiprocess never learns they ended
    and never closes their two pipes (the server ran out of descriptors after ~500 runs);
    and two threads reaping the same job made one of them answer 500. Jobs are forked under
    the cache lock, and ended through their own Process object.
    """

    def __init__(self, cache):
        super().__init__(cache)
        self._processes: dict[int, Any] = {}
        self._processes_lock = threading.Lock()  # request threads reap and terminate at once

    def call_job_fn(self, key, job_fn, args, context):
        process = multiprocess.Process(target=job_fn, args=(key, self._make_progress_key(key), args, context))
        with _cache_lock:
            process.start()
        with self._processes_lock:
            self._processes[process.pid] = process
        return process.pid

    def terminate_job(self, job):
        with self._processes_lock:
            process = self._processes.pop(int(job), None) if job else None
        if process is None:  # a job another process forked (gunicorn) or already ended
            try:
                super().terminate_job(job)
            except psutil.NoSuchProcess:
                pass
            return
        if process.is_alive():
            process.kill()
        process.join(1)
        with self._processes_lock:
            self._close_if_ended(process)

    def job_running(self, job):
        try:
            return super().job_running(job)
        except psutil.NoSuchProcess:  # ended between Dash's two psutil calls
            return False

    def reap(self) -> None:
        with self._processes_lock:
            for pid, process in list(self._processes.items()):
                if not process.is_alive():  # is_alive() collects an ended job's exit status
                    self._close_if_ended(self._processes.pop(pid))

    def _close_if_ended(self, process) -> None:
        """Free an ended job's pipes (call with `_processes_lock` held)."""
        try:
            process.close()  # frees its pipes; refused while it still runs
        except ValueError:
            self._processes[process.pid] = process  # still dying: the next reap closes it


def build(env: Mapping[str, str]) -> JobBackend:
    """The job backend the environment asks for (nothing is contacted yet)."""
    settings = settings_from_env(env)
    if settings.backend == "celery":
        celery_app = make_celery(settings.redis_url)
        return CeleryBackend(
            CeleryManager(celery_app),
            Outcomes(RedisStore(settings.redis_url)),
            f"the job queue at {redacted(settings.redis_url)}",
            QUEUE_WAIT_LIMIT,
            settings.max_running,
            celery_app,
        )
    manager = _OwnProcessesManager(_ExpiringCache(settings.cache_dir))
    # No queue: a job that has not started within the silence limit never will.
    return DiskcacheBackend(
        manager, Outcomes(DiskcacheStore(manager.handle)), "the job cache", SILENCE_LIMIT, settings.max_running
    )


_backend: JobBackend | None = None


def configure(env: Mapping[str, str]):
    """Build the backend, make it the one `backend()` and `outcomes()` use; its Dash manager."""
    global _backend
    _backend = build(env)
    return _backend.manager


def backend() -> JobBackend:
    if _backend is None:
        raise RuntimeError("jobs.configure() has not run: create the app first")
    return _backend


def outcomes() -> Outcomes:
    return backend().outcomes


def end_of_request(_error: BaseException | None = None) -> None:
    """After every request (Flask teardown): close this thread's job-cache connection under the
    fork lock, before the thread may exit (see `_ExpiringCache.close`)."""
    if _backend is not None and isinstance(_backend.manager, _OwnProcessesManager):
        _backend.manager.handle.close()


def reap_finished_jobs() -> None:
    """Collect the exit status of finished jobs this process forked, so none lingers as a zombie
    or holds its pipes until the next job starts (Dash never joins its job processes)."""
    manager = backend().manager
    if isinstance(manager, _OwnProcessesManager):
        manager.reap()
