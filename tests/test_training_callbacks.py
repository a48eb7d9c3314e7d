"""Training-page callbacks and figures as plain functions, without a browser."""

import json
import os
import stat
import subprocess
import sys
from urllib.parse import parse_qs

import numpy as np
import pytest
from dash import no_update

from components import jobs, training
from components.figures import serve_loss_figure, serve_weights_figure
from core.regression import snapshot
from harness.process import REPO_ROOT

CONTROLS = ("manual", 0.01, 1000, 100, 1.0, 3, 1, 5, 7)


@pytest.fixture(autouse=True)
def job_store(tmp_path):
    jobs.configure({"DASH_CACHE_DIR": str(tmp_path / "cache")})


def test_the_job_cache_is_private(tmp_path):
    path = jobs.private_cache_dir({"DASH_CACHE_DIR": str(tmp_path / "c")})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_check_controls_shows_messages_at_the_controls_and_keeps_the_url_in_step():
    *errors, query, markdown, script = training.check_controls("module", "abc", 1.5, 100, -1, None, 1, 5, 7)
    lr_error, epochs_error, noise_error = errors[1], errors[2], errors[4]
    assert "not a number" in lr_error and "whole number" in epochs_error and "Noise" in noise_error
    assert markdown is no_update and script is no_update
    *errors, query, markdown, script = training.check_controls(*CONTROLS)
    assert not any(errors)
    assert parse_qs(query[1:]) == {"approach": ["manual"], "lr": ["0.01"], "epochs": ["1000"],
                                   "samples": ["100"], "noise": ["1"], "seed": ["3"]}
    assert "torch.manual_seed(3)" in script and "for epoch in range(1000)" in script


def test_a_link_restores_the_controls_and_reports_what_it_ignored():
    values, notices = training.controls_from_query(
        {"approach": "module", "lr": "0.05", "epochs": "2000", "samples": "100", "noise": "1", "seed": "3"})
    assert (values["approach"], values["lr"], values["epochs"], values["seed"]) == ("module", 0.05, 2000, 3)
    assert notices == []
    values, notices = training.controls_from_query({"lr": "banana", "approach": "x", "w": "1,2"})
    assert values["lr"] == 0.01 and values["approach"] == "manual" and len(notices) == 3


def test_the_query_round_trips():
    values, _ = training.controls_from_query({"approach": "module", "lr": "0.3", "seed": "9", "w": "2,3,4"})
    query = training.config_query(values)
    again, _ = training.controls_from_query({k: v[0] for k, v in parse_qs(query[1:]).items()})
    assert again == values


def test_start_run_rejects_bad_input_without_starting():
    request, status, *rest = training.start_run(1, "manual", 0, 1000, 100, 1, None, 1, 5, 7)
    assert request is no_update
    assert status.startswith("Invalid — Learning rate")


def test_every_run_gets_its_own_id_even_with_identical_inputs():
    first = training.start_run(1, *CONTROLS)[0]
    second = training.start_run(1, *CONTROLS)[0]
    assert first["config"] == second["config"] and first["run_id"] != second["run_id"]


def test_an_empty_seed_is_replaced_by_the_seed_actually_used():
    request, status, *_ = training.start_run(1, "manual", 0.01, 10, 100, 1, None, 1, 5, 7)
    assert f"seed {request['config']['seed']}" in status


def test_execute_run_trains_and_records_its_outcome():
    request = training.start_run(1, *CONTROLS)[0]
    updates = []
    record = training.execute_run(request, lambda progress, config: updates.append(progress))
    assert record["status"] == "Done" and record["run_id"] == request["run_id"]
    assert updates and updates[0].epochs_done == 1
    assert jobs.outcomes().read(request["run_id"])["line"].startswith("Done — 1,000 epochs")
    json.dumps(record, allow_nan=False)


def test_a_run_its_page_stopped_watching_ends_and_says_why(monkeypatch):
    """A closed tab's run would hold a core and a training slot for minutes: without the page's
    watchdog stamps for UNWATCHED_LIMIT seconds, the job stops at its next report."""
    monkeypatch.setattr(jobs, "UNWATCHED_LIMIT", 0.3)
    request = training.start_run(1, "manual", 0.01, 1_000_000, 100, 1, 3, 1, 5, 7)[0]
    record = training.execute_run(request, lambda *_: None)
    assert record["status"] == "Cancelled" and 0 < record["epochs_run"] < 1_000_000
    assert "its page stopped checking on it" in training.status_line(record)


def test_the_watchdog_keeps_a_watched_run_going(monkeypatch):
    """A run that lasts several times the limit (reports come at most 0.5 s apart) ends Done."""
    monkeypatch.setattr(jobs, "UNWATCHED_LIMIT", 1.5)
    request = training.start_run(1, "manual", 0.01, 20_000, 100, 1, 3, 1, 5, 7)[0]
    stamps = []

    def watched(progress, config):  # the page's 1 s watchdog, compressed into the reports
        training.watch_run(len(stamps), request, None)
        stamps.append(progress.epochs_done)

    record = training.execute_run(request, watched)
    assert record["status"] == "Done" and record["epochs_run"] == 20_000 and stamps
    assert record["elapsed"] > jobs.UNWATCHED_LIMIT


@pytest.mark.parametrize("request_data", [
    None, "x", [], {"run_id": 5}, {"run_id": "r", "config": {"lr": "nan"}},
    {"run_id": "r", "config": {"epochs": 10**9}}, {"run_id": "r", "config": {"seed": None}},
    {"run_id": "r", "config": True}, {"run_id": "r", "config": [1, 2]},
])
def test_execute_run_rejects_forged_requests(request_data):
    record = training.execute_run(request_data, lambda *_: None)
    assert record["status"] == "Invalid"
    assert training.status_line(record).startswith("Invalid — ")


def test_a_cancel_request_stops_the_job_at_its_next_report():
    request = training.start_run(1, "manual", 0.01, 1_000_000, 100, 1, 3, 1, 5, 7)[0]
    training.request_cancel(1, request)
    record = training.execute_run(request, lambda *_: None)
    assert record["status"] == "Cancelled" and record["epochs_run"] == 1
    assert training.status_line(record).startswith("Cancelled — stopped after 1 epochs")


def test_a_training_exception_becomes_failed(monkeypatch):
    def boom(*args, **kwargs):
        raise MemoryError("out of memory")
    monkeypatch.setattr(training, "train", boom)
    record = training.execute_run({"run_id": "r", "config": {"seed": 1}}, lambda *_: None)
    assert record["status"] == "Failed" and "out of memory" in training.status_line(record)


def test_settled_status_tells_done_cancelled_and_failed_apart():
    request = {"run_id": "abc", "config": {}}
    assert training.settled_status("running", request, None, None, 5) is no_update
    assert training.settled_status("idle", request, {"run_id": "abc"}, None, 5) is no_update
    assert training.settled_status("idle", request, None, "abc", 420).startswith("Cancelled — stopped after 420")
    assert training.settled_status("idle", request, None, None, 5).startswith("Failed — ")
    jobs.outcomes().write("abc", {"status": "Done", "line": "Done — all good"})
    assert training.settled_status("idle", request, None, None, 5) == "Done — all good"


def test_status_lines_start_with_the_state_word():
    done = {"status": "Done", "epochs_run": 10, "elapsed": 0.5, "final_loss": 1.0, "config": {"seed": 1}}
    diverged = {"status": "Diverged", "diverged_at": 17, "config": {"lr": 2.0, "seed": 1}}
    assert training.status_line(done).split()[0] == "Done"
    assert training.status_line(diverged).startswith("Diverged at epoch 17 ")


def test_a_progress_update_of_a_million_epoch_run_stays_small():
    losses = np.linspace(100, 1, 1_000_000) + np.random.default_rng(0).random(1_000_000)
    weights = np.random.default_rng(1).random((1_000_000, 3)).astype(np.float32)
    outputs = training.progress_outputs(snapshot(losses, weights, 1_000_000, 12.0), (1, 5, 7))
    size = len(json.dumps(outputs, allow_nan=False, default=lambda patch: patch.to_plotly_json()))
    assert size <= 64 * 1024
    assert outputs[-1] == "Running — epoch 1,000,000 of 1,000,000"


def test_loss_figure_trace_zero_is_the_current_run_and_overlays_follow():
    current = {"run_id": "a", "epochs": [0, 1, 2], "losses": [3.0, 2.0, 1.0]}
    overlays = [{"run_id": "a", "epochs": [0], "losses": [1.0], "label": "same"},
                {"run_id": "b", "epochs": [0, 1], "losses": [5.0, 4.0], "label": "older"}]
    fig = serve_loss_figure(current, overlays, log_y=True)
    assert fig["data"][0]["x"] == [0, 1, 2] and fig["data"][0]["y"] == [3.0, 2.0, 1.0]
    assert [t["name"] for t in fig["data"][1:]] == ["older"]  # the current run is not drawn twice
    layout = fig["layout"]
    assert layout["yaxis"]["type"] == "log"
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    json.dumps(fig, allow_nan=False)


def test_weights_figure_marks_the_true_values():
    fig = serve_weights_figure({"epochs": [0, 1], "weights": [[0, 1], [0, 4], [0, 6]]}, (1, 5, 7))
    assert [t["y"] for t in fig["data"][:3]] == [[0, 1], [0, 4], [0, 6]]
    assert [t["y"] for t in fig["data"][3:]] == [[1, 1], [5, 5], [7, 7]]


def test_redraw_keeps_the_streaming_curve_when_no_result_yet():
    figure = {"data": [{"x": [0, 1], "y": [9.0, 8.0]}]}
    fig = training.redraw_loss([], "log", {"run_id": "new"}, {"run_id": "old"}, figure)
    assert fig["data"][0]["y"] == [9.0, 8.0]
    fig = training.redraw_loss([], "linear", {"run_id": "old"}, {"run_id": "old", "epochs": [0], "losses": [1.0]}, figure)
    assert fig["data"][0]["y"] == [1.0]
    fig = training.redraw_loss("junk", "linear", None, None, "junk")
    assert fig["data"][0]["y"] == []


def test_the_watchdog_calls_a_silent_run_failed_and_frees_train():
    request = training.start_run(1, *CONTROLS)[0]
    now = jobs.outcomes().last_beat(request["run_id"])
    assert training.watchdog_verdict(request, None, now + 1) is None  # just started
    verdict = training.watchdog_verdict(request, None, now + training.SILENCE_LIMIT + 1)
    assert verdict.startswith("Failed — the training job stopped responding")
    status, train_disabled, cancel_disabled, watchdog_disabled = training.watch_run(1, {"run_id": "gone"}, None)
    assert status.startswith("Failed") and train_disabled is False and cancel_disabled is True


def test_the_watchdog_reports_a_result_that_never_arrived():
    request = {"run_id": "r9", "config": {}}
    jobs.outcomes().write("r9", {"status": "Done", "line": "Done — fine"})
    at = jobs.outcomes().read("r9")["at"]
    assert training.watchdog_verdict(request, None, at + 1) is None
    assert "never reached this page" in training.watchdog_verdict(request, None, at + 60)
    assert training.watchdog_verdict(request, {"run_id": "r9"}, at + 60) is None


FORK_CHECK = """
import os, sys
import app  # noqa: F401
pid = os.fork()
if pid == 0:
    os._exit(0 if "torch._dynamo" in sys.modules else 3)
print(os.waitpid(pid, 0)[1] >> 8)
"""


def test_a_job_is_forked_with_torch_dynamo_already_imported(tmp_path):
    """optim.SGD's first step imports torch._dynamo (~1.5 s). The app imports it in the background
    (so the server answers sooner) and every fork waits for that, so no job pays it. In a fresh
    interpreter: this test process may have imported torch._dynamo itself."""
    env = {**os.environ, "DASH_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", FORK_CHECK], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0", "the job was forked before torch._dynamo was imported"
