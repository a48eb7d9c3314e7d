"""A run's life as plain functions (components/runs.py and the run panel's `follow`), against a
real job store in a temporary directory: start, the job's body, what a page sees, cancel, the
watchdog, and a run outliving the page that started it."""

import json
import os
import subprocess
import sys
import time

import pytest
from dash import no_update

from components import run_panel, runs, training
from components.jobs import backends, settings
from core.run_status import reason_text, status_line
from harness.process import REPO_ROOT

CONTROLS = {"approach": "manual", "lr": 0.01, "epochs": 1000, "samples": 100, "noise": 1.0, "seed": 3,
            "true_weights": [1, 5, 7]}
OWNER = "browser-a"
PAGE = training.TRAINING_RUNS
IDS = PAGE.ids


@pytest.fixture
def backend(tmp_path):
    return backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache")})


def started(backend, **changes):
    result = runs.start(backend, training.REGRESSION, {**CONTROLS, **changes}, OWNER)
    assert result.refusal is None, result.refusal
    return result


def follow(backend, triggered=(), handle=None, shown=None, job=None, now=None, **controls):
    return run_panel.follow(backend, PAGE, {f"{IDS.__dict__[t]}.{prop}" for t, prop in triggered},
                            controls={**CONTROLS, **controls}, handle=handle, shown=shown, job=job,
                            owner=OWNER, now=now)


TRAIN = ("train", "n_clicks")
POLL = ("poll", "data")
WATCHDOG = ("watchdog", "n_intervals")
CANCEL = ("cancel", "n_clicks")


# ---------------------------------------------------------------------------------------------
# Start


def test_start_rejects_bad_input_without_starting(backend):
    result = runs.start(backend, training.REGRESSION, {**CONTROLS, "lr": 0}, OWNER)
    assert result.request is None and result.handle is None
    assert status_line(result.refusal).startswith("Invalid — Learning rate")
    assert "lr" in result.errors


def test_every_run_gets_its_own_id_even_with_identical_inputs(backend):
    first, second = started(backend), started(backend)
    assert first.request["config"] == second.request["config"]
    assert first.request["run_id"] != second.request["run_id"]


def test_an_empty_seed_is_replaced_by_the_seed_actually_used(backend):
    out = follow(backend, [TRAIN], seed=None)
    seed = out["request"]["config"]["seed"]
    assert isinstance(seed, int) and f"(seed {seed})" in out["status"]
    backend.records.claim(out["request"]["run_id"], None)  # the job started
    polled = follow(backend, [POLL], handle=out["handle"], shown=1)
    assert polled["status"] == f"Running — epoch 1 of 1,000 (seed {seed})"


def test_the_first_point_is_there_the_moment_train_is_pressed(backend):
    """The run's first epoch is computed at Train, before any job process exists: the curve has
    its first point in Train's own answer, equal to what the job will compute."""
    out = follow(backend, [TRAIN])
    loss = out["views"]["loss"][0]
    assert (loss["x"], loss["y"]) == ([0], [pytest.approx(67.848, abs=1e-3)])
    assert out["status"] == "Running — starting 1,000 epochs (seed 3)"  # no job has started yet
    assert out["bar"] == 1 and out["text"].startswith("Epoch 1 of 1,000")
    assert out["train_disabled"] is True and out["cancel_disabled"] is False
    job_note = runs.execute(backend, training.REGRESSION, out["request"])
    record = backend.records.outcome(out["request"]["run_id"])
    assert job_note["recorded"] is True and record["losses"][0] == loss["y"][0]


# ---------------------------------------------------------------------------------------------
# The job's body


def test_execute_trains_and_records_its_outcome(backend):
    request = started(backend).request
    note = runs.execute(backend, training.REGRESSION, request)
    assert note == {"run_id": request["run_id"], "status": "Done", "recorded": True}
    record = backend.records.outcome(request["run_id"])
    assert record["status"] == "Done" and record["epochs_run"] == 1000
    assert status_line(record).startswith("Done — 1,000 epochs")
    assert backend.records.progress(request["run_id"]) is None  # the outcome replaces it
    json.dumps(record, allow_nan=False)


@pytest.mark.parametrize("request_data", [
    None, "x", [], {"run_id": 5}, {"run_id": "r", "config": {"lr": "nan"}},
    {"run_id": "r", "config": {"epochs": 10**9}}, {"run_id": "r", "config": {"seed": None}},
    {"run_id": "r", "config": True}, {"run_id": "r", "config": [1, 2]},
])
def test_execute_rejects_forged_requests(backend, request_data):
    note = runs.execute(backend, training.REGRESSION, request_data)
    assert note["status"] == "Invalid"


def test_a_request_the_server_did_not_sign_trains_nothing(backend):
    request = started(backend).request
    forged = {**request, "run_id": "0" * 32}
    assert runs.execute(backend, training.REGRESSION, forged)["status"] == "Invalid"
    assert runs.execute(backend, training.REGRESSION, {**request, "token": "x"})["status"] == "Invalid"


def test_a_redelivered_job_does_not_train_twice(backend):
    request = started(backend, epochs=10).request
    assert runs.execute(backend, training.REGRESSION, request)["status"] == "Done"
    backend.records.store.delete(f"outcome:{request['run_id']}")
    note = runs.execute(backend, training.REGRESSION, request)
    record = backend.records.outcome(request["run_id"])
    assert note["status"] == "Failed" and "worker running this job was lost" in status_line(record)


def test_a_cancel_request_stops_the_job_at_its_next_report(backend):
    request = started(backend, epochs=1_000_000).request
    kind = training.REGRESSION
    real_train = kind.train

    def cancelled_after_a_while(config, report, interval, should_stop):
        def reporting(progress):
            if progress.epochs_done > 100:
                backend.records.request_cancel(request["run_id"])
            report(progress)
        return real_train(config, reporting, 0, should_stop)

    runs.execute(backend, kind.__class__(**{**kind.__dict__, "train": cancelled_after_a_while}), request)
    record = backend.records.outcome(request["run_id"])
    assert record["status"] == "Cancelled" and 100 < record["epochs_run"] < 1000
    assert status_line(record).startswith(f"Cancelled — stopped after {record['epochs_run']} epochs")


def test_cancelling_a_run_that_has_not_started_ends_it_at_once(backend):
    request = started(backend, epochs=1_000_000).request
    runs.cancel(backend, request["run_id"])
    assert backend.records.outcome(request["run_id"])["status"] == "Cancelled"
    runs.execute(backend, training.REGRESSION, request)  # its job, when it comes, trains nothing
    assert backend.records.outcome(request["run_id"])["epochs_run"] == 0


def test_a_training_exception_becomes_failed(backend, monkeypatch):
    def boom(*args, **kwargs):
        raise MemoryError("out of memory")

    kind = training.REGRESSION.__class__(**{**training.REGRESSION.__dict__, "train": boom})
    request = runs.start(backend, kind, CONTROLS, OWNER).request
    runs.execute(backend, kind, request)
    record = backend.records.outcome(request["run_id"])
    assert record["status"] == "Failed" and "out of memory" in status_line(record)


def test_a_run_nobody_watches_ends_and_says_why(backend, monkeypatch):
    """A closed tab's run would hold a core and a training slot for minutes: without anyone
    looking at it for UNWATCHED_LIMIT seconds, the job stops at its next report."""
    monkeypatch.setattr(runs, "UNWATCHED_LIMIT", 0.3)
    request = started(backend, epochs=1_000_000).request
    runs.execute(backend, training.REGRESSION, request)
    record = backend.records.outcome(request["run_id"])
    assert record["status"] == "Cancelled" and 0 < record["epochs_run"] < 1_000_000
    assert "its page stopped checking on it" in status_line(record)


def test_a_watched_run_goes_on(backend, monkeypatch):
    """A run that lasts several times the limit, looked at by its page, ends Done."""
    monkeypatch.setattr(runs, "UNWATCHED_LIMIT", 0.5)
    request = started(backend, epochs=30_000).request  # 1.5-3 s here
    kind = training.REGRESSION
    real_train = kind.train

    def watched_train(config, report, interval, should_stop):
        def looked_at(progress):
            runs.look(backend, request["run_id"], time.time(), check=True)
            report(progress)
        return real_train(config, looked_at, interval, should_stop)

    watched = kind.__class__(**{**kind.__dict__, "train": watched_train})
    runs.execute(backend, watched, request)
    record = backend.records.outcome(request["run_id"])
    assert record["status"] == "Done" and record["epochs_run"] == 30_000
    assert record["elapsed"] > 2 * runs.UNWATCHED_LIMIT


def test_an_outcome_that_cannot_be_written_goes_back_through_dash(backend, monkeypatch):
    request = started(backend, epochs=10).request

    def full_disk(*args, **kwargs):
        raise OSError(28, "no space left on device")

    monkeypatch.setattr(backend.records, "finish", full_disk)
    note = runs.execute(backend, training.REGRESSION, request)
    assert note["status"] == "Done" and note["epochs_run"] == 10  # the whole record
    monkeypatch.undo()
    handle = runs.make_handle(backend.secret, request["run_id"], OWNER)
    backend.records.beat(request["run_id"])
    out = follow(backend, [POLL], handle=handle, shown=1, job=note)
    assert out["status"].startswith("Done — 10 epochs")


# ---------------------------------------------------------------------------------------------
# What a page sees


def test_a_handle_works_only_in_the_browser_that_started_the_run(backend):
    result = started(backend)
    run_id = result.request["run_id"]
    assert runs.read_handle(backend.secret, result.handle, OWNER) == run_id
    assert runs.read_handle(backend.secret, result.handle, "browser-b") is None
    assert runs.read_handle(backend.secret, result.handle + "x", OWNER) is None
    for junk in (None, 5, [], {"run": run_id}, "x" * 1000):
        assert runs.read_handle(backend.secret, junk, OWNER) is None
    other = backends.build({"DASH_CACHE_DIR": str(backend.manager.handle.directory) + "-other"})
    assert runs.read_handle(other.secret, result.handle, OWNER) is None


def test_a_page_load_finds_the_tabs_run_streaming_and_then_its_result(backend):
    out = follow(backend, [TRAIN], epochs=50)
    handle, request = out["handle"], out["request"]
    again = follow(backend, [], handle=handle)  # a reload, or back from another page
    assert again["status"].startswith("Running") and again["train_disabled"] is True
    # a young short run: no slower than the charts draw, sooner if it should end sooner
    assert run_panel.POLL_MS <= again["answered"]["wait_ms"] <= run_panel.STREAM_POLL_MS
    runs.execute(backend, training.REGRESSION, request)  # it ends while the page is away
    back = follow(backend, [], handle=handle)
    assert back["status"].startswith("Done — 50 epochs") and back["answered"] is None
    assert back["result"]["run_id"] == request["run_id"]  # lands in the run history
    assert back["views"]["learned"].count(",") == 2
    elsewhere = run_panel.follow(backend, PAGE, set(), controls=CONTROLS, handle=handle, shown=None, job=None,
                                 owner="browser-b")
    assert elsewhere["status"].startswith("Ready")  # another browser sees nothing of it


def test_a_poll_sends_the_curves_only_when_they_changed(backend):
    out = follow(backend, [TRAIN])
    same = follow(backend, [POLL], handle=out["handle"], shown=1)
    assert same["views"]["loss"] is no_update and same["answered"]["wait_ms"] == run_panel.STREAM_POLL_MS


def test_a_watchdog_tick_checks_the_run_and_leaves_the_drawing_to_the_polls(backend):
    out = follow(backend, [TRAIN])
    tick = follow(backend, [WATCHDOG], handle=out["handle"], shown=None)
    assert tick["status"].startswith("Running") and tick["answered"]["wait_ms"] > 0  # the chain goes on
    assert all(view is no_update for view in tick["views"].values()) and tick["bar"] is no_update
    poll = follow(backend, [POLL], handle=out["handle"], shown=None)
    assert poll["views"]["loss"][0]["x"] == [0] and poll["bar"] == 1


def test_the_watchdog_calls_a_silent_run_failed(backend):
    out = follow(backend, [TRAIN])
    run_id = out["request"]["run_id"]
    now = backend.records.last_beat(run_id)
    assert follow(backend, [WATCHDOG], handle=out["handle"], shown=1, now=now + 1)["status"].startswith("Running")
    backend.records.claim(run_id, None)  # started: from now on it must beat every SILENCE_LIMIT s
    dead = follow(backend, [WATCHDOG], handle=out["handle"], shown=1, now=now + settings.SILENCE_LIMIT + 1)
    assert dead["status"].startswith("Failed — the training job stopped responding")
    assert dead["train_disabled"] is False and dead["cancel_disabled"] is True and dead["answered"] is None
    # every page that looks later says the same
    assert follow(backend, [], handle=out["handle"])["status"] == dead["status"]


def test_a_job_process_that_died_is_failed_at_the_next_check(backend):
    out = follow(backend, [TRAIN])
    run_id = out["request"]["run_id"]
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    backend.records.claim(run_id, str(gone.pid))
    status = follow(backend, [WATCHDOG], handle=out["handle"], shown=1)["status"]
    assert status.startswith("Failed — the training job ended without a result")


def test_cancel_from_the_page(backend):
    out = follow(backend, [TRAIN], epochs=1_000_000)
    cancelled = follow(backend, [CANCEL], handle=out["handle"], shown=1)
    assert cancelled["status"].startswith("Cancelled — stopped after 0 epochs")
    assert backend.records.cancel_requested(out["request"]["run_id"])


def test_reasons_read_as_words():
    assert reason_text({"code": "busy", "cap": 4}).startswith("the server is busy: 4 runs")
    assert reason_text({"code": "nope"}) == reason_text("junk") == "the training job ended without a result"
    assert reason_text({"code": "busy"}) == "the training job ended without a result"  # a number missing


FORK_CHECK = """
import os, sys
import app  # noqa: F401
pid = os.fork()
if pid == 0:
    os._exit(0 if "torch._dynamo" in sys.modules else 3)
print(os.waitpid(pid, 0)[1] >> 8)
"""


def test_a_job_is_forked_with_torch_dynamo_already_imported(tmp_path):
    """optim.SGD's constructor imports torch._dynamo (~1.5 s). The app imports it in the
    background (so the server answers sooner) and every fork waits for that, so no job pays it.
    In a fresh interpreter: this test process may have imported torch._dynamo itself."""
    env = {**os.environ, "DASH_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", FORK_CHECK], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0", "the job was forked before torch._dynamo was imported"


@pytest.mark.parametrize("forged", [
    {"status": "Done"}, {"status": "Done", "run_id": None}, {"status": 5, "epochs_run": "x"},
    {"status": "Done", "epochs_run": 3, "recorded": False}, "junk", [1], None,
])
def test_a_forged_job_answer_changes_nothing(backend, forged):
    """The job's answer comes back from the browser: a forged one is checked like any record."""
    out = follow(backend, [TRAIN])
    if isinstance(forged, dict) and "run_id" in forged:
        forged = {**forged, "run_id": out["request"]["run_id"]}
    polled = follow(backend, [POLL], handle=out["handle"], shown=1, job=forged)
    assert polled["status"].startswith("Running")


def poll_wait(progress: dict, now: float = 1000.0) -> int:
    return run_panel.poll_wait_ms(progress, now)


def test_the_page_asks_as_often_as_the_charts_draw_then_as_the_job_reports():
    """Every STREAM_POLL_MS at first (the charts draw no more often); in a long run as slowly as
    the job reports (at most every 0.5 s); but not past the run's expected end."""
    long_run = {"epochs_done": 1_000, "epochs_total": 1_000_000}
    assert poll_wait({**long_run, "elapsed": 0.2}) == run_panel.STREAM_POLL_MS == 250
    assert poll_wait({**long_run, "elapsed": 4.0}) == 400
    assert poll_wait({**long_run, "elapsed": 600.0}) == 500
    ending = {"epochs_done": 99_000, "epochs_total": 100_000, "elapsed": 19.8}  # 0.2 s to go
    assert poll_wait(ending) == 200
    assert poll_wait({**ending, "epochs_done": 99_990}) == run_panel.POLL_MS
    short_run = {"epochs_done": 1, "epochs_total": 1_000, "elapsed": 0.0001}  # its end in 0.1 s
    assert poll_wait(short_run) == run_panel.POLL_MS == 100
    assert poll_wait({}) == run_panel.STREAM_POLL_MS
    assert poll_wait({"elapsed": "soon", "epochs_done": None}) == run_panel.STREAM_POLL_MS
    # the end reckoned from when the job reported: 0.2 s to go then, 0.15 s of it gone by now
    assert poll_wait({**ending, "reported_at": 999.95}, now=1000.0) == 150
    assert poll_wait({**ending, "reported_at": 999.85}, now=1000.0) == run_panel.POLL_MS
    assert poll_wait({**ending, "reported_at": 1000.5}, now=1000.0) == 200  # a clock ahead: no sooner
    assert poll_wait({**ending, "reported_at": "now"}, now=1000.0) == 200
