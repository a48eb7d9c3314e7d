"""The job layer's settings: limits and lifetimes, and what the environment chooses.

`settings_from_env` reads DASH_JOBS, REDIS_URL, DASH_CACHE_DIR and MAX_RUNNING_JOBS;
`server_secret` the key that signs job and run handles. The time limits derive from the
training work budget (see `worst_run_seconds`).
"""

from __future__ import annotations

import math
import os
import secrets
import tempfile
from dataclasses import dataclass
from typing import Mapping

from core.training_config import FIELDS, WORK_BUDGET

OUTCOME_TTL = 3600  # seconds a run's records stay readable
# Seconds without a beat before the page's watchdog calls a started run dead. A job beats at
# least every second (core.regression.LONGEST_REPORT_GAP), but on a busy 2-core server (ten
# learners training at once) a live job was seen going 5 s without one; a dead job process is
# caught at once anyway (`JobBackend.job_gone`) where the backend can see it.
SILENCE_LIMIT = 15.0
START_LIMIT = 15.0  # seconds an embedded job may take to start (a fork on a busy machine)
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
