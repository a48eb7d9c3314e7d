"""The background-job manager and each run's outcome record.

Dash reports a job that died (killed, out of memory) exactly like a cancelled one: no result.
So every job records its outcome under its run id before it returns; the page tells
`Failed` from `Cancelled` from a finished run by reading that record, whatever order the
browser receives the end-of-job signals in.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Mapping

import diskcache
import multiprocess
from dash import DiskcacheManager

OUTCOME_TTL = 3600  # seconds an outcome stays readable after its run ends
RESULT_TTL = 3600  # a result or progress entry nobody collected (a closed tab) expires too


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


class _ExpiringCache(diskcache.Cache):
    """Dash writes job entries without an expiry; give every entry one so the cache stays bounded."""

    def set(self, key, value, expire=None, read=False, tag=None, retry=False):
        return super().set(key, value, expire=expire or RESULT_TTL, read=read, tag=tag, retry=retry)


_outcomes: "Outcomes | None" = None


def configure(env: Mapping[str, str]) -> DiskcacheManager:
    """The app's job manager; also where `outcomes()` keeps its records from now on."""
    global _outcomes
    manager = DiskcacheManager(_ExpiringCache(private_cache_dir(env)))
    _outcomes = Outcomes(manager)
    return manager


def reap_finished_jobs() -> None:
    """Collect the exit status of finished jobs this process forked, so none lingers as a zombie
    until the next job starts (Dash never joins its job processes)."""
    multiprocess.active_children()


def outcomes() -> "Outcomes":
    if _outcomes is None:
        raise RuntimeError("jobs.configure() has not run: create the app first")
    return _outcomes


class Outcomes:
    """Outcome records, stored beside the jobs in the manager's cache."""

    def __init__(self, manager: DiskcacheManager):
        self._cache = manager.handle

    def write(self, run_id: str, outcome: dict) -> None:
        self._cache.set(f"outcome:{run_id}", {**outcome, "at": time.time()}, expire=OUTCOME_TTL)

    def read(self, run_id: str) -> dict | None:
        return self._cache.get(f"outcome:{run_id}")

    # Dash can only kill a job whose handle the browser already holds; a Cancel pressed in the
    # first moments of a run would be lost, so the job also checks this flag as it reports.
    def request_cancel(self, run_id: str) -> None:
        self._cache.set(f"cancel:{run_id}", True, expire=OUTCOME_TTL)

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._cache.get(f"cancel:{run_id}"))

    # A job beats as it reports; the page's watchdog calls a run dead when the beats stop
    # (a killed job, a lost worker, a server restart that broke Dash's polling).
    def beat(self, run_id: str) -> None:
        self._cache.set(f"beat:{run_id}", time.time(), expire=OUTCOME_TTL)

    def last_beat(self, run_id: str) -> float | None:
        return self._cache.get(f"beat:{run_id}")
