"""Scale-out: jobs on Celery workers with Redis, the app under gunicorn.

The configuration as plain functions (environment, worker settings, time limits, /health,
the records in Redis, queued versus dead), then the real thing: a redis-server on a loopback
port, a Celery worker and `gunicorn -w 2 app:server`, driven from headless Chromium: a run
streams and ends with the right weights, Cancel, two identical runs, a killed job process and a
killed worker both end as Failed, and with Redis stopped the pages and the gallery still work
while Train says why it cannot start. Last, gunicorn with the embedded DiskcacheManager.
"""

from __future__ import annotations

import json
import math
import os
import signal
import stat
import time
from urllib.error import HTTPError
from urllib.request import ProxyHandler, build_opener

import pytest
import torch

from components import runs, training
from components.jobs import backends, settings
from conftest import graph_trace, status_text, wait_graph, wait_status
from core.regression import train
from core.run_status import reason_text, status_line
from core.training_config import FIELDS, WORK_BUDGET, TrainingConfig
from harness.process import free_port

torch.set_num_threads(1)  # the expected weights are computed here as the jobs compute them

CONTROLS = {"approach": "manual", "lr": 0.01, "epochs": 1000, "samples": 100, "noise": 1.0, "seed": 3,
            "true_weights": [1, 5, 7]}
FINAL_WORDS = ["Done", "Diverged", "Failed", "Cancelled", "Invalid"]
_HTTP = build_opener(ProxyHandler({}))


def get_json(url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with _HTTP.open(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def get_status(url: str, timeout: float = 5) -> int:
    try:
        with _HTTP.open(url, timeout=timeout) as response:
            return response.status
    except HTTPError as error:
        return error.code


def closed_port_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def celery_env(tmp_path, url: str) -> dict:
    return {"DASH_CACHE_DIR": str(tmp_path), "DASH_JOBS": "celery", "REDIS_URL": url}


def start(backend):
    return runs.start(backend, training.REGRESSION, CONTROLS, "me")


def execute(backend, request):
    runs.execute(backend, training.REGRESSION, request)
    return backend.records.outcome(request["run_id"])


# ---------------------------------------------------------------------------------------------
# Configuration


def test_the_environment_picks_the_backend(tmp_path):
    cache = {"DASH_CACHE_DIR": str(tmp_path / "c")}
    assert settings.settings_from_env(cache).backend == "diskcache"
    assert settings.settings_from_env({**cache, "DASH_JOBS": "diskcache", "REDIS_URL": "redis://x"}).redis_url is None
    celery = settings.settings_from_env({**cache, "DASH_JOBS": " Celery ", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert (celery.backend, celery.redis_url) == ("celery", "redis://127.0.0.1:6379/0")
    # embedded jobs share this machine's cores: 2 per CPU by default; Celery workers queue instead
    assert settings.settings_from_env(cache).max_running == 2 * os.cpu_count()
    assert celery.max_running is None
    assert settings.settings_from_env({**cache, "MAX_RUNNING_JOBS": " 7 "}).max_running == 7
    for bad, message in [({"DASH_JOBS": "rq"}, "DASH_JOBS must be"),
                         ({"DASH_JOBS": "celery"}, "needs REDIS_URL"),
                         ({"DASH_JOBS": "celery", "REDIS_URL": "http://x"}, "must start with redis://"),
                         ({"MAX_RUNNING_JOBS": "0"}, "MAX_RUNNING_JOBS must be"),
                         ({"MAX_RUNNING_JOBS": "many"}, "MAX_RUNNING_JOBS must be")]:
        with pytest.raises(ValueError, match=message):
            settings.settings_from_env({**cache, **bad})


def test_celery_settings_fit_long_jobs_and_crashes(tmp_path):
    backend = backends.build(celery_env(tmp_path, closed_port_url()))
    conf = backend.celery_app.conf
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.task_soft_time_limit == settings.SOFT_TIME_LIMIT < conf.task_time_limit == settings.HARD_TIME_LIMIT
    assert conf.result_expires == settings.RESULT_TTL
    # a live job must never be redelivered to a second worker while it may still run
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit + settings.QUEUE_WAIT_LIMIT
    assert conf.broker_url == conf.result_backend
    assert backend.kind == "celery" and backend.queue_wait_limit == settings.QUEUE_WAIT_LIMIT


def test_time_limits_follow_the_work_budget():
    # the slowest allowed run is at a corner of epochs <= 1e6, epochs * samples <= WORK_BUDGET
    corners = {samples: min(int(FIELDS["epochs"].maximum), WORK_BUDGET // samples)
               for samples in settings.EPOCH_SECONDS}
    assert corners[100] == 1_000_000 and corners[1_000_000] == 100
    worst = settings.worst_run_seconds()
    assert worst == max(corners[s] * settings.EPOCH_SECONDS[s] for s in corners)
    assert settings.SOFT_TIME_LIMIT == math.ceil(2 * worst)
    assert settings.HARD_TIME_LIMIT - settings.SOFT_TIME_LIMIT == 30
    assert 60 <= settings.SOFT_TIME_LIMIT <= 1800  # minutes, not seconds or hours


def test_the_server_secret_is_stable_private_and_overridable(tmp_path):
    env = {"DASH_CACHE_DIR": str(tmp_path / "c")}
    first = settings.server_secret(env)
    assert len(first) == 64 and settings.server_secret(env) == first  # every worker reads the same
    path = tmp_path / "c" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert settings.server_secret({**env, "DASH_SECRET_KEY": "from-env"}) == "from-env"
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["secret_key"]  # no scratch file left


def test_the_app_exposes_celery_app_and_health_for_the_embedded_backend(tmp_path, monkeypatch):
    for name in ("DASH_JOBS", "REDIS_URL", "DASH_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASH_CACHE_DIR", str(tmp_path))  # if this is the first import of app
    import app

    with pytest.raises(AttributeError, match="only with DASH_JOBS=celery"):
        app.celery_app  # noqa: B018 - the test run uses the embedded manager
    assert app.server.secret_key
    response = app.server.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "jobs": {"backend": "diskcache", "ok": True, "workers": None, "detail": response.get_json()["jobs"]["detail"]},
    }


def test_health_and_train_with_redis_unreachable_answer_at_once(tmp_path):
    url = closed_port_url()
    backend = backends.build(celery_env(tmp_path, url))
    started = time.monotonic()
    report = backend.health()
    assert report["backend"] == "celery" and report["ok"] is False and "unreachable" in report["detail"]
    result = start(backend)
    assert time.monotonic() - started < 3
    assert result.request is None
    status = status_line(result.refusal)
    assert status.startswith(f"Failed — the job queue at {url} is unreachable")
    assert "gallery still works" in status


@pytest.mark.slow
def test_health_with_redis_up_counts_workers(tmp_path, redis_server):
    # another database of the same Redis: no worker listens there, whichever tests started one
    backend = backends.build(celery_env(tmp_path, redis_server.url.rsplit("/", 1)[0] + "/1"))
    report = backend.health()
    assert report["ok"] is False and report["workers"] == 0 and "no worker answered" in report["detail"]


@pytest.mark.slow
def test_health_with_a_worker_is_ok(tmp_path, celery_worker):
    backend = backends.build(celery_env(tmp_path, celery_worker.redis_url))
    report = backend.health()
    assert report["ok"] is True and report["workers"] >= 1 and "reachable" in report["detail"]


def test_a_run_past_its_soft_time_limit_says_so(tmp_path):
    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path)})

    def slow(*args, **kwargs):
        raise backends.TIME_LIMIT_ERRORS[0]()

    kind = training.REGRESSION.__class__(**{**training.REGRESSION.__dict__, "train": slow})
    request = runs.start(backend, kind, CONTROLS, "me").request
    runs.execute(backend, kind, request)
    assert status_line(backend.records.outcome(request["run_id"])) == (
        f"Failed — the run passed its time limit of {settings.SOFT_TIME_LIMIT} s and was stopped")


def test_redacted_urls_hide_the_password():
    assert settings.redacted("redis://:hunter2@10.0.0.5:6379/0") == "redis://:**@10.0.0.5:6379/0"


# ---------------------------------------------------------------------------------------------
# Records in Redis; queued versus dead


@pytest.fixture
def celery_backend(tmp_path, redis_server):
    return backends.build(celery_env(tmp_path, redis_server.url))


@pytest.mark.slow
def test_records_live_in_redis_as_json_with_an_expiry(celery_backend, redis_server):
    import redis

    store = celery_backend.records
    store.finish("run-1", {"status": "Done", "epochs_run": 3})
    assert store.outcome("run-1")["epochs_run"] == 3
    assert store.finish("run-1", {"status": "Failed"}, only_new=True) is False
    assert store.outcome("run-1")["status"] == "Done"
    store.request_cancel("run-1")
    assert store.cancel_requested("run-1") and not store.cancel_requested("run-2")
    assert store.claim("run-1", "task-a") is True and store.claim("run-1", "task-b") is False
    assert store.started("run-1")["job"] == "task-a"
    client = redis.Redis.from_url(redis_server.url)
    key = "regression-dashboard:outcome:run-1"
    assert json.loads(client.get(key))["status"] == "Done"
    assert 0 < client.pttl(key) <= settings.OUTCOME_TTL * 1000


@pytest.mark.slow
def test_a_queued_run_waits_for_a_worker_then_fails(celery_backend):
    request = start(celery_backend).request
    run_id = request["run_id"]
    queued = celery_backend.records.last_beat(run_id)
    # long after the silence limit, a run nobody started yet is waiting, not dead
    waiting = runs.look(celery_backend, run_id, queued + settings.SILENCE_LIMIT + 5, check=True)
    assert waiting.state == "Running"
    assert runs.look(celery_backend, run_id, queued + 12, check=False).line.startswith(
        "Running — waiting for a free worker (12 s")
    # once started, the usual silence limit applies
    assert runs._refusal(celery_backend, run_id, queued + 1) is None
    beat = celery_backend.records.last_beat(run_id)
    assert not runs.look(celery_backend, run_id, beat + 12, check=False).line.startswith("Running — waiting")
    assert runs.look(celery_backend, run_id, beat + 1, check=True).state == "Running"
    dead = runs.look(celery_backend, run_id, beat + settings.SILENCE_LIMIT + 1, check=True)
    assert "no sign of life" in dead.line
    never = start(celery_backend).request["run_id"]
    queued = celery_backend.records.last_beat(never)
    verdict = runs.look(celery_backend, never, queued + settings.QUEUE_WAIT_LIMIT + 1, check=True)
    assert verdict.line.startswith("Failed — the training job stopped responding: no worker started it within 60 s")


@pytest.mark.slow
def test_a_job_that_starts_too_late_or_twice_does_not_train(celery_backend):
    late = start(celery_backend).request["run_id"]
    queued = celery_backend.records.last_beat(late)
    why = runs._refusal(celery_backend, late, queued + settings.QUEUE_WAIT_LIMIT + 5)
    assert "for a free worker" in reason_text(why) and "was not run" in reason_text(why)
    again = start(celery_backend).request
    assert execute(celery_backend, again)["status"] == "Done"
    note = runs.execute(celery_backend, training.REGRESSION, again)  # Celery redelivers a lost worker's task
    assert note["status"] == "Failed"
    assert celery_backend.records.outcome(again["run_id"])["status"] == "Done"  # the first word stands


# ---------------------------------------------------------------------------------------------
# The real thing: redis-server, a Celery worker, gunicorn -w 2; headless Chromium


def open_training(page, server, query: str) -> None:
    page.goto(f"{server.url}/{query}")
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=30_000)
    wait_status(page, "Ready", timeout=15)
    page.wait_for_function("() => window.location.search.includes('approach=')", timeout=15_000)


def wait_streaming(page, timeout: float = 20) -> None:
    page.wait_for_function(
        "() => /^Running — epoch [0-9]/.test(document.querySelector('#status').textContent.trim())",
        timeout=timeout * 1000,
    )


def shown_weights(page) -> list[str]:
    page.wait_for_function(
        "() => (document.querySelector('#learned-weights').textContent.match(/-?\\d+\\.\\d+/g) || []).length === 3",
        timeout=10_000,
    )
    return page.text_content("#learned-weights").replace(" ", "").split(",")


SNAPSHOT_JS = """() => {
    const el = document.querySelector('#loss-graph .js-plotly-plot');
    const x = (el && el.data && el.data[0] && el.data[0].x) || [];
    return {status: (document.querySelector('#status').textContent || '').trim(),
            x_last: x.length ? x[x.length - 1] : null};
}"""


def running_task(worker, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = worker.active_tasks()
        if tasks:
            return tasks[0]
        time.sleep(0.2)
    raise AssertionError("the worker runs no task")


@pytest.mark.browser
@pytest.mark.slow
def test_celery_run_streams_and_ends_with_the_right_weights(page, celery_worker, celery_gunicorn):
    status, body = get_json(celery_gunicorn.url + "/health")
    assert status == 200 and body["jobs"]["backend"] == "celery" and body["jobs"]["workers"] >= 1
    epochs = 20_000  # long enough (a few seconds) that the page sees the curve grow, even on a busy machine
    open_training(page, celery_gunicorn, f"?approach=module&lr=0.01&epochs={epochs}&samples=100&noise=1&seed=5")
    page.click("#train-button")
    wait_streaming(page)
    seen = set()
    while True:  # the curve grows while the status counts epochs
        snapshot = page.evaluate(SNAPSHOT_JS)
        if snapshot["x_last"] is not None and snapshot["status"].startswith("Running"):
            seen.add(snapshot["x_last"])
        if not snapshot["status"].startswith("Running"):
            break
        page.wait_for_timeout(50)
    text = snapshot["status"]
    assert text.startswith(f"Done — {epochs:,} epochs"), text
    assert len(seen) >= 2, f"no streaming seen: {seen}"
    expected = train(TrainingConfig(approach="module", lr=0.01, epochs=epochs, samples=100, noise=1.0, seed=5))
    assert shown_weights(page) == [f"{w:.4f}" for w in expected.learned_weights]
    assert graph_trace(page)["x"][-1] == epochs - 1


@pytest.mark.browser
@pytest.mark.slow
def test_celery_cancel_stops_the_task(page, celery_worker, celery_gunicorn):
    open_training(page, celery_gunicorn, "?epochs=1000000&seed=1")
    page.click("#train-button")
    wait_streaming(page)
    running_task(celery_worker)
    page.click("#cancel-button")
    assert wait_status(page, FINAL_WORDS, timeout=10).startswith("Cancelled")
    deadline = time.monotonic() + 10
    while celery_worker.active_tasks() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert celery_worker.active_tasks() == [], "the cancelled task still runs on the worker"


@pytest.mark.browser
@pytest.mark.slow
def test_celery_two_sessions_with_identical_inputs_get_their_own_runs(new_page, celery_worker, celery_gunicorn):
    pages = [new_page(), new_page()]
    for p in pages:
        open_training(p, celery_gunicorn, "?epochs=2000&seed=11")
    for p in pages:
        p.click("#train-button")
    texts = [wait_status(p, FINAL_WORDS, timeout=60) for p in pages]
    assert all(t.startswith("Done — 2,000 epochs") for t in texts), texts
    assert shown_weights(pages[0]) == shown_weights(pages[1])


def polls_during(page, seconds: float) -> int:
    count = 0

    def seen(request):
        nonlocal count
        if "_dash-update-component" in request.url:
            count += 1

    page.on("request", seen)
    page.wait_for_timeout(seconds * 1000)
    page.remove_listener("request", seen)
    return count


@pytest.mark.browser
@pytest.mark.slow
def test_celery_killed_job_process_says_failed_at_once(page, celery_worker, celery_gunicorn):
    """SIGKILL the worker process running the job: Celery requeues it (reject_on_worker_lost);
    the redelivered job refuses to train again and says Failed."""
    open_training(page, celery_gunicorn, "?epochs=1000000&seed=2")
    page.click("#train-button")
    wait_streaming(page)
    os.kill(running_task(celery_worker)["worker_pid"], signal.SIGKILL)
    text = wait_status(page, FINAL_WORDS, timeout=settings.SILENCE_LIMIT + 5)
    assert text.startswith("Failed — the worker running this job was lost"), text
    assert not page.is_disabled("#train-button")
    assert celery_worker.is_running()  # the worker itself replaced its process


@pytest.mark.browser
@pytest.mark.slow
def test_celery_killed_worker_says_failed_within_the_silence_limit(page, celery_worker, celery_gunicorn):
    """SIGKILL the whole worker mid-job: its task looks running to Dash forever; the watchdog
    says Failed after SILENCE_LIMIT and revokes the task, so the page stops polling."""
    open_training(page, celery_gunicorn, "?epochs=1000000&seed=3")
    page.click("#train-button")
    wait_streaming(page)
    killed = time.monotonic()
    celery_worker.signal_group(signal.SIGKILL)
    text = wait_status(page, FINAL_WORDS, timeout=settings.SILENCE_LIMIT + 5)
    assert time.monotonic() - killed < settings.SILENCE_LIMIT + 5
    assert text.startswith("Failed — the training job stopped responding"), text
    assert not page.is_disabled("#train-button") and page.is_disabled("#cancel-button")
    page.wait_for_timeout(1500)  # Dash's next poll sees the revoked task and ends the callback
    assert polls_during(page, 2) == 0, "the page still polls a dead job"
    assert status_text(page) == text
    celery_worker.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_with_redis_stopped_pages_load_the_gallery_works_and_train_says_why(new_page, celery_gunicorn, redis_server):
    redis_server.stop()
    try:
        assert get_status(celery_gunicorn.url + "/") == 200
        assert get_status(celery_gunicorn.url + "/gallery") == 200
        started = time.monotonic()
        status, body = get_json(celery_gunicorn.url + "/health")
        assert time.monotonic() - started < 3
        assert status == 503 and body["status"] == "degraded"
        assert body["jobs"]["backend"] == "celery" and body["jobs"]["ok"] is False
        assert "unreachable" in body["jobs"]["detail"]

        gallery = new_page()
        gallery.goto(f"{celery_gunicorn.url}/gallery?fn=elu&alpha=0.5")
        wait_graph(gallery, "#activation-graph", timeout=30)
        gallery.fill("#xmin", "-3")
        gallery.wait_for_function(
            "() => { const el = document.querySelector('#activation-graph .js-plotly-plot');"
            " return el && el.data && el.data[0].x[0] === -3; }",
            timeout=15_000,
        )

        page = new_page()
        open_training(page, celery_gunicorn, "?epochs=1000&seed=1")
        page.click("#train-button")
        started = time.monotonic()
        text = wait_status(page, ["Failed"], timeout=5)
        assert time.monotonic() - started < 5
        assert f"the job queue at {redis_server.url} is unreachable" in text
        assert not page.is_disabled("#train-button")
    finally:
        redis_server.start()


# ---------------------------------------------------------------------------------------------
# gunicorn with the embedded DiskcacheManager


@pytest.mark.browser
@pytest.mark.slow
def test_gunicorn_with_the_diskcache_manager_trains_to_done(page, diskcache_gunicorn):
    status, body = get_json(diskcache_gunicorn.url + "/health")
    assert status == 200 and body["jobs"]["backend"] == "diskcache"
    open_training(page, diskcache_gunicorn, "?epochs=2000&seed=4")
    page.click("#train-button")
    text = wait_status(page, FINAL_WORDS, timeout=60)
    assert text.startswith("Done — 2,000 epochs"), text
    expected = train(TrainingConfig(epochs=2000, seed=4))
    assert shown_weights(page) == [f"{w:.4f}" for w in expected.learned_weights]
