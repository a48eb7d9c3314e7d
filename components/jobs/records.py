"""A run's records in the job store, by run id, and the slots that cap concurrent runs.

A run lives apart from the page that shows it: its job publishes the newest progress and, at the
end, its outcome (the finished run's record) here, and any page that holds the run's handle
reads them, the page that started it or the same tab after a reload or a visit elsewhere.
Everything is JSON with an expiry, in the job cache (embedded) or Redis (Celery).

| key | written by | read by |
|---|---|---|
| `progress:` | the job, at every report | the page, at every poll |
| `outcome:` | the job when it ends (or the page's watchdog: Failed) | the page |
| `cancel:` | Cancel | the job, at every report |
| `beat:` | Train (queued), then the job at every report | the watchdog: alive? |
| `watched:` | the page or the navigation bar, every second or so | the job: anyone looking? |
| `started:` | the job, once (a redelivered job finds it taken) | the watchdog: queued or started? |
| `slot:N` | the job, while it trains | other jobs: the cap |
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Callable

from components.jobs.settings import OUTCOME_TTL, SLOT_TTL
from components.jobs.stores import DiskcacheStore, RedisStore


class RunRecords:
    def __init__(self, store: DiskcacheStore | RedisStore):
        self.store = store

    def _put(self, key: str, value: Any, *, only_new: bool = False, ttl: float | None = None) -> bool:
        text = json.dumps(value, allow_nan=False)
        ttl = OUTCOME_TTL if ttl is None else ttl
        if only_new:
            return self.store.add(key, text, ttl)
        self.store.set(key, text, ttl)
        return True

    def _get(self, key: str) -> Any:
        text = self.store.get(key)
        return json.loads(text) if isinstance(text, str) else None

    def publish(self, run_id: str, progress: dict) -> None:
        """The newest progress of a running run (the whole curve so far, thinned)."""
        self._put(f"progress:{run_id}", progress)

    def progress(self, run_id: str) -> dict | None:
        return self._get(f"progress:{run_id}")

    def finish(self, run_id: str, record: dict, *, only_new: bool = False) -> bool:
        """Record how the run ended (its progress is then of no more use); `only_new` keeps an
        outcome already there."""
        written = self._put(f"outcome:{run_id}", {**record, "ended_at": time.time()}, only_new=only_new)
        if written:
            self.store.delete(f"progress:{run_id}")
        return written

    def outcome(self, run_id: str) -> dict | None:
        return self._get(f"outcome:{run_id}")

    # The job checks this flag at every report (at most half a second apart), whichever page
    # or server process set it.
    def request_cancel(self, run_id: str) -> None:
        self._put(f"cancel:{run_id}", True)

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self._get(f"cancel:{run_id}"))

    # Train beats when it queues the run, the job at every report; the page's watchdog calls a
    # run dead when the beats stop (a killed job, a lost worker).
    def beat(self, run_id: str) -> None:
        self._put(f"beat:{run_id}", time.time())

    def last_beat(self, run_id: str) -> float | None:
        return self._get(f"beat:{run_id}")

    # Whoever shows the run stamps it; a job whose stamps stop trains for nobody (a closed tab).
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
    # trains, renews it at every beat and frees it when it ends. A killed job frees nothing: its
    # slot is free once `holder_gone(its pid)` says so, or SLOT_TTL later. (Two jobs freeing the
    # same dead slot at once may both take it: one run over the cap.)
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
