"""Everything of the job layer that leans on Dash's (and diskcache's) internals, in one place.

Written against dash 4.4.1 (tests/test_dash_internals.py pins the version and checks each
assumption): `DiskcacheManager.call_job_fn`/`terminate_job`/`job_running` and its private
`_make_progress_key`, and how its job processes are started (multiprocess, fork).

- background imports that every forked job waits for (`preload`);
- the fork lock around every SQLite access of the job cache (`ExpiringCache`);
- a `DiskcacheManager` that keeps each job's Process, to close its pipes and reap it.
"""

from __future__ import annotations

import importlib
import os
import threading
from contextlib import contextmanager
from typing import Any

import diskcache
import multiprocess
import psutil
from dash import DiskcacheManager

from components.jobs.settings import RESULT_TTL

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


class ExpiringCache(diskcache.Cache):
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


class OwnProcessesManager(DiskcacheManager):
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
