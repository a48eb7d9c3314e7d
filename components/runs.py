"""A run's life, apart from the page that shows it: start, execute (in the job), look, cancel.

Every function takes the job backend as an argument (the app builds one and hands it to the
pages) and a `RunKind` (what differs between the training page's runs and any other page's).

- `start`: validate the controls, create the run (an unguessable id, a signed handle bound to
  this browser), compute its first epoch here at once (microseconds to milliseconds: the curve
  has its first point before any job process exists), and hand back the request for the job.
- `execute`: the body of the Dash background job. It checks the request again (any client can
  post one), claims the run, takes a training slot, trains, publishes the newest progress at
  every report and records the outcome, never raising.
- `look`: what a page shows of a run now: its progress while it runs, its record once it ended;
  and, when asked, whether it is still alive (a dead job is recorded Failed).
- `cancel`: a flag the job reads at its next report (half a second at most).

The page, the same tab after a reload, and the navigation bar elsewhere in the app all read the
same records by the run's handle, so a run outlives the page that started it.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Callable

from itsdangerous import BadSignature, URLSafeSerializer

from components.jobs.backends import TIME_LIMIT_ERRORS, JobBackend
from components.jobs.records import RunRecords
from components.jobs.settings import SILENCE_LIMIT, SOFT_TIME_LIMIT, UNWATCHED_LIMIT
from components.jobs.stores import JobStoreUnavailable
from core.regression import StopTraining
from core.run_record import failed_record
from core.run_status import (
    ENDED,
    FINISHED,
    Reason,
    queued_line,
    reason,
    running_line,
    starting_line,
    state_word,
    status_line,
)

PRESUMED = ("no_result", "silent")  # the watchdog's verdicts: it saw no result, not a failure
REPORT_INTERVAL = 0.1  # seconds between a job's progress reports at first (they slow down later)
_RUN_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class RunKind:
    """What a kind of run is: how its settings are read, how it trains, how it is recorded."""

    name: str
    parse: Callable[..., Any]  # parse(raw, pick_seed=bool) -> a ParsedConfig (config or errors)
    train: Callable[..., Any]  # train(config, on_progress, progress_interval, should_stop) -> a result
    first_progress: Callable[[Any], Any]  # the run's first epoch as a progress snapshot
    make_record: Callable[[Any, str], dict]  # (result, run_id) -> the finished run's record
    describe_progress: Callable[[dict], str]  # the line under the progress bar while it runs
    describe_record: Callable[[dict], str]  # … and once it finished
    check_record: Callable[[Any], dict | None]  # a finished run's record, checked; None if it is not one


class ServerGone(Exception):
    """The process that started this job has died: nobody can read the run any more."""


# ---------------------------------------------------------------------------------------------
# Handles: what the browser holds, signed, so it names only runs this server started for it


def signer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"run-{purpose}")


def make_handle(secret: str, run_id: str, owner: str) -> str:
    """The run's handle for the browser that started it (`owner`: its browser cookie)."""
    return signer(secret, "handle").dumps([run_id, owner])


def read_handle(secret: str, handle: Any, owner: str) -> str | None:
    """The run id a handle names, if the server signed it for this browser; else None."""
    if not isinstance(handle, str) or len(handle) > 300:
        return None
    try:
        run_id, signed_owner = signer(secret, "handle").loads(handle)
    except (BadSignature, ValueError, TypeError):  # (UnicodeError is a ValueError: lone surrogates)
        return None
    return run_id if signed_owner == owner and isinstance(run_id, str) else None


def _request_token(secret: str, run_id: str) -> str:
    return signer(secret, "request").dumps(run_id)


def _requested_run(secret: str, request: dict) -> str | None:
    """The run id of a job request the server signed (a forged one names no run)."""
    run_id, token = request.get("run_id"), request.get("token")
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id) or not isinstance(token, str):
        return None
    try:
        return run_id if signer(secret, "request").loads(token) == run_id else None
    except (BadSignature, ValueError):
        return None


# ---------------------------------------------------------------------------------------------
# Start


@dataclass(frozen=True)
class Started:
    """The outcome of pressing Train: a run, or why there is none."""

    handle: str | None = None
    request: dict | None = None  # for the background job
    refusal: dict | None = None  # an Invalid or Failed record when nothing runs
    errors: dict | None = None  # messages for the controls


def start(backend: JobBackend, kind: RunKind, controls: Any, owner: str) -> Started:
    parsed = kind.parse(controls)
    if parsed.config is None:
        first = next(iter(parsed.errors.values()))
        return Started(refusal=failed_record(uuid.uuid4().hex, parsed.values, reason("invalid", detail=first),
                                             status="Invalid"), errors=parsed.errors)
    run_id = uuid.uuid4().hex
    config = parsed.config.to_dict()
    try:
        backend.check()  # Redis down: say so now, not after a hung request
        backend.records.beat(run_id)  # the job's wait and silence count from now
        backend.records.publish(run_id, {**asdict(kind.first_progress(parsed.config)), "config": config})
    except JobStoreUnavailable as exc:
        return Started(refusal=failed_record(run_id, config, reason("store", detail=str(exc))))
    request = {"run_id": run_id, "token": _request_token(backend.secret, run_id), "config": config}
    return Started(handle=make_handle(backend.secret, run_id, owner), request=request)


# ---------------------------------------------------------------------------------------------
# Execute: the background job


def execute(backend: JobBackend, kind: RunKind, request: Any) -> dict:
    """Train the requested run and record its outcome; returns what the job hands back to Dash.

    That is a small note when the outcome was recorded, else the record itself (so a run whose
    record could not be written still reaches the page that waits for it). Never raises.
    """
    records = backend.records
    request = request if isinstance(request, dict) else {}
    run_id = _requested_run(backend.secret, request)
    parsed = kind.parse(request.get("config"), pick_seed=False)
    if run_id is None or parsed.config is None or parsed.values.get("seed") is None:
        detail = "; ".join(parsed.errors.values()) or "the request was not one this server made"
        record = failed_record(run_id or uuid.uuid4().hex, parsed.values, reason("invalid", detail=detail),
                               status="Invalid")
        return _recorded(records, record)
    config = parsed.config
    config_dict = config.to_dict()
    slot = None
    try:
        refusal = _refusal(backend, run_id, time.time())
        if refusal is None and records.cancel_requested(run_id):  # Cancel came before the job did
            cancelled = {"run_id": run_id, "config": config_dict, "status": "Cancelled", "epochs_run": 0}
            return _recorded(records, cancelled, only_new=True)
        if refusal is None and backend.max_running is not None:
            slot = records.take_slot(run_id, backend.max_running, backend.job_gone)
            if slot is None:
                refusal = reason("busy", cap=backend.max_running)
    except JobStoreUnavailable as exc:
        refusal = reason("lost_contact", detail=exc.detail())
    if refusal is not None:
        # the page may have said Failed (or Cancelled) already: keep what it read
        return _recorded(records, failed_record(run_id, config_dict, refusal), only_new=True)

    server_pid = os.getppid()
    started_at = time.time()
    unwatched = []

    def report(progress) -> None:
        if os.getppid() != server_pid:  # re-parented: its server was killed (a job would
            raise ServerGone            # otherwise train on for minutes and hold the server's port)
        if records.cancel_requested(run_id):
            raise StopTraining
        if time.time() - (records.last_watched(run_id) or started_at) > UNWATCHED_LIMIT:
            unwatched.append(True)  # nobody shows it: free the core and the slot for others
            raise StopTraining
        records.beat(run_id)
        if slot is not None:
            records.renew_slot(slot, run_id)
        records.publish(run_id, {**asdict(progress), "config": config_dict, "reported_at": time.time()})

    try:
        result = kind.train(config, report, REPORT_INTERVAL, lambda: records.cancel_requested(run_id))
        record = kind.make_record(result, run_id)
        if unwatched:
            record["reason"] = reason("unwatched", limit=UNWATCHED_LIMIT)
    except ServerGone:
        record = failed_record(run_id, config_dict, reason("server_gone"))
    except TIME_LIMIT_ERRORS:
        record = failed_record(run_id, config_dict, reason("time_limit", limit=SOFT_TIME_LIMIT))
    except Exception as exc:  # noqa: BLE001 - any failure becomes a Failed status, not a 500
        record = failed_record(run_id, config_dict, reason("raised", error=repr(exc)))
    finally:
        if slot is not None:
            _quietly(records.release_slot, slot, run_id)
    return _recorded(records, record)


def _recorded(records: RunRecords, record: dict, *, only_new: bool = False) -> dict:
    """Write the outcome; hand back a note if that worked, else the record itself."""
    try:
        records.finish(record["run_id"], record, only_new=only_new)
    except Exception:  # noqa: BLE001 - a full disk, Redis gone: the record goes back through Dash
        return record
    return {"run_id": record["run_id"], "status": record["status"], "recorded": True}


def _quietly(write, *args) -> None:
    try:
        write(*args)
    except Exception:  # noqa: BLE001 - the slot frees itself SLOT_TTL later
        pass


def _refusal(backend: JobBackend, run_id: str, now: float) -> Reason | None:
    """Why a job must not train after all, or None to go ahead.

    It claims the run first: a run claimed before is a redelivery after its worker process was
    killed (the first attempt may have crashed the worker: never loop on it). A run queued
    longer ago than the backend's queue wait has already been reported Failed by its page.
    """
    records = backend.records
    queued_at = records.last_beat(run_id)
    if not records.claim(run_id, backend.current_job()):
        return reason("worker_lost")

    if queued_at is not None and now - queued_at > backend.queue_wait_limit:
        return reason("queue_timeout", waited=now - queued_at, limit=backend.queue_wait_limit)
    records.beat(run_id)
    return None


# ---------------------------------------------------------------------------------------------
# Look and cancel: what any page holding the handle does


@dataclass(frozen=True)
class RunView:
    """A run as a page shows it now."""

    run_id: str
    state: str  # "Running" or a word of ENDED
    line: str  # the status line
    progress: dict | None = None  # the newest snapshot while running
    record: dict | None = None  # the outcome once ended

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def look(backend: JobBackend, run_id: str, now: float, *, check: bool) -> RunView:
    """The run now. With `check` (about once a second), also stamp it as watched and find out
    whether a run without an outcome is still alive: a dead one is recorded Failed here, so every
    page that looks at it later says the same. Raises JobStoreUnavailable."""
    records = backend.records
    outcome = records.outcome(run_id)
    if outcome is not None:
        return _ended(run_id, outcome)
    progress = records.progress(run_id)
    if check:
        records.watch(run_id)
        verdict = _verdict(backend, run_id, now)
        if verdict is not None:
            failed = failed_record(run_id, {}, verdict)
            if records.finish(run_id, failed, only_new=True):
                backend.abandon((records.started(run_id) or {}).get("job"))
            return _ended(run_id, records.outcome(run_id) or failed)
    return RunView(run_id, "Running", _running_line(backend, run_id, now, progress), progress=progress)


def _ended(run_id: str, record: dict) -> RunView:
    state = record.get("status") if record.get("status") in ENDED else "Failed"
    return RunView(run_id, state, status_line({**record, "status": state}), record=record)


def _running_line(backend: JobBackend, run_id: str, now: float, progress: dict | None) -> str:
    """Starting (its first epoch is shown, computed at Train), waiting for a free worker (Celery),
    or the epoch the job has reached."""
    if backend.records.started(run_id) is None:
        queued_at = backend.records.last_beat(run_id)
        if backend.has_queue and queued_at is not None and now - queued_at >= 1:
            return queued_line(now - queued_at, backend.queue_wait_limit)
        return starting_line((progress or {}).get("config") or {})
    return running_line(progress) if progress else state_word("Running")


def _verdict(backend: JobBackend, run_id: str, now: float) -> Reason | None:
    """Why a run without an outcome is dead, or None while it lives.

    A started run must beat every SILENCE_LIMIT seconds, and its job process must exist (where
    the backend can tell); one not started yet may wait the backend's queue wait from when it was
    queued (only Celery has a queue).
    """
    records = backend.records
    last = records.last_beat(run_id)
    started = records.started(run_id)
    if started is None:
        if last is not None and now - last <= max(backend.queue_wait_limit, SILENCE_LIMIT):
            return None
        if backend.has_queue:
            return reason("never_started", limit=backend.queue_wait_limit)
        return reason("silent", limit=backend.queue_wait_limit)
    if backend.job_gone(_pid(started.get("job"))):
        return reason("no_result")
    if last is not None and now - last <= SILENCE_LIMIT:
        return None
    return reason("silent", limit=SILENCE_LIMIT)


def _pid(job: Any) -> int | None:
    """An embedded job's handle is its process id (a Celery job's is a task id)."""
    return int(job) if isinstance(job, str) and job.isdigit() else None


def only_presumed(view: RunView) -> bool:
    """A Failed the watchdog wrote because it saw no result (not one the job itself recorded)."""
    why = (view.record or {}).get("reason") or {}
    return view.state == "Failed" and isinstance(why, dict) and why.get("code") in PRESUMED


def cancel(backend: JobBackend, run_id: str) -> None:
    """Ask the run to stop. One that has not started yet (queued) ends Cancelled at once, and its
    job, when a worker takes it, finds the flag and does not train."""
    records = backend.records
    records.request_cancel(run_id)
    if records.started(run_id) is None:
        config = (records.progress(run_id) or {}).get("config") or {}
        records.finish(run_id, {"run_id": run_id, "config": config, "status": "Cancelled", "epochs_run": 0},
                       only_new=True)
