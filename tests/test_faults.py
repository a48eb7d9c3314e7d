"""Faults, restarts and resource counts, against the real app in its own processes.

Each server here is `python app.py` started by this module (`harness.app_process.AppProcess`;
with faults, `python -m harness.faulty_app`, which injects them from outside the app), in its own
process group, on a free loopback port, with a fresh job cache; the tests drive it over HTTP exactly
as the renderer does (`harness.dash_client.DashTab`), and one of them in Chromium (marked `browser`).

Measured here, and written to the table in docs/reliability.md:
- a job killed from outside, or raising, ends Failed with a reason within seconds; the next run works;
- a server restarted mid-run: the page says Failed, and a new run works;
- 50 train/cancel cycles: job processes, zombies, the server's open file descriptors and the job
  cache's size, before and after;
- hundreds of short runs: the job cache stays bounded (entries expire);
- 100 sequential jobs after the gallery ran torch in the server: all Done, none hangs.

`pytest tests/test_faults.py -q` takes about three minutes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from core.approaches import APPROACHES
from harness.app_process import AppProcess
from harness.dash_client import LONG_RUN, SHORT_RUN, DashTab, ServerGone, http_session

RAISE_SEED = 13  # the harness makes training raise for this seed
FAIL_WRITE_SEED = 14  # ... and the job's outcome write raise for this one
FAILED_WITHIN = 5.0  # seconds from a job's death to Failed on the page
RESTART_FAILED_WITHIN = 10.0  # seconds from the server answering again to Failed on the page
MEASURES: dict[str, object] = {}  # figures for docs/reliability.md (printed with -s)


def note(key: str, value) -> None:
    MEASURES[key] = value
    print(f"\n[measure] {key}: {value}")


def running_app(app: AppProcess):
    """Start `app` for a fixture (a start that fails fails the tests), stop it after."""
    try:
        app.start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from running_app(AppProcess(tmp_path_factory.mktemp("faults"),
                                      faults={"raise_seed": RAISE_SEED, "fail_write_seed": FAIL_WRITE_SEED}))


@pytest.fixture
def tab(server):
    assert server.is_running(), server.log_tail()
    page = DashTab(server.url)
    yield page
    assert not page.problems, page.problems
    assert not server.wait_no_jobs(10), "a job outlived the test"


def fd_kinds(pid: int) -> Counter:
    kinds = Counter()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kinds["pipe" if target.startswith("pipe:") else "socket" if target.startswith("socket:")
              else "file"] += 1
    return kinds


def cache_entries(cache_dir: Path) -> tuple[int, int]:
    """(entries, entries without an expiry) in a diskcache directory."""
    with sqlite3.connect(f"file:{cache_dir / 'cache.db'}?mode=ro", uri=True, timeout=10) as db:
        total = db.execute("SELECT count(*) FROM Cache").fetchone()[0]
        forever = db.execute("SELECT count(*) FROM Cache WHERE expire_time IS NULL").fetchone()[0]
    return total, forever


# ---------------------------------------------------------------------------------------------
# Defaults: loopback, debug off, no traceback


@pytest.mark.slow
def test_the_app_listens_on_loopback_with_debug_off(server):
    addresses = server.listening_addresses()
    assert addresses and all(ip == "127.0.0.1" for ip, _port in addresses), addresses
    http = http_session()
    page = http.get(server.url + "/").text
    config = json.loads(page.split('<script id="_dash-config" type="application/json">')[1].split("</script>")[0])
    assert config["ui"] is False and config["props_check"] is False  # Dash's dev tools are off
    # no Werkzeug debugger: its console and resources are not served (the pages router answers)
    console = http.get(server.url + "/console")
    assert "Werkzeug" not in console.text and "__debugger__" not in console.text
    resource = http.get(server.url + "/", params={"__debugger__": "yes", "cmd": "resource", "f": "style.css"})
    assert "text/css" not in resource.headers.get("Content-Type", "")
    # a post that makes Dash raise (see test_endpoint_fuzz's envelope bug): no traceback leaks
    reply = http.post(server.url + "/_dash-update-component", data=b"{}",
                      headers={"Content-Type": "application/json"})
    assert "Traceback" not in reply.text and "Werkzeug Debugger" not in reply.text
    assert "Debug mode: off" in server.log_text()
    note("listening", addresses)
    # diskcache unpickles what it reads: the cache and everything in it is the server user's alone
    assert stat.S_IMODE(os.stat(server.cache_dir).st_mode) == 0o700
    for root, dirs, files in os.walk(server.cache_dir):
        for name in dirs + files:
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert not mode & 0o022, f"{name} is writable by others ({oct(mode)})"


# ---------------------------------------------------------------------------------------------
# Jobs that die or raise


@pytest.mark.slow
def test_a_job_killed_from_outside_is_failed_within_seconds_and_the_next_run_works(server, tab):
    killed = {}

    def kill(report):
        if report.progress_updates >= 2 and not killed and report.job_pid:
            os.kill(report.job_pid, signal.SIGKILL)
            killed["at"] = time.monotonic()
            killed["t"] = report.seconds if report.seconds else None

    started = time.monotonic()
    report = tab.train(LONG_RUN, on_poll=kill, timeout=30)
    assert killed, "the run never streamed progress"
    failed_after = started + report.seconds - killed["at"]
    assert report.word == "Failed", report.timeline
    assert "process stopped" in report.status or "stopped responding" in report.status, report.status
    assert failed_after < FAILED_WITHIN, f"Failed only {failed_after:.1f} s after the kill"
    note("killed job -> Failed (s)", round(failed_after, 2))
    note("killed job status", report.status)
    assert not server.zombies(), server.zombies()
    again = tab.train(SHORT_RUN)
    assert again.word == "Done", again.status


@pytest.mark.slow
def test_a_job_that_raises_is_failed_with_its_reason(server, tab):
    report = tab.train({**SHORT_RUN, "seed": RAISE_SEED})
    assert report.word == "Failed" and "injected fault" in report.status, report.status
    assert report.seconds < FAILED_WITHIN
    note("raising job status", report.status)
    assert tab.train(SHORT_RUN).word == "Done"


@pytest.mark.slow
def test_a_job_whose_outcome_record_cannot_be_written_still_delivers_its_run(server):
    """The record is only a hint for the page; the trained run still arrives, with no 5xx."""
    tab = DashTab(server.url)
    report = tab.train({**SHORT_RUN, "seed": FAIL_WRITE_SEED})
    assert report.word == "Done", report.status
    assert not tab.problems, tab.problems
    server.wait_no_jobs(10)


def test_execute_turns_an_exception_into_failed(tmp_path):
    """In-process: `runs.execute` (the body of every job) never raises; it records Failed."""
    from components import runs, training
    from components.jobs import backends
    from core.run_status import status_line

    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache")})

    def explode(config, *args, **kwargs):
        raise MemoryError("injected")

    kind = training.REGRESSION.__class__(**{**training.REGRESSION.__dict__, "train": explode})
    request = runs.start(backend, kind, SHORT_RUN, "me").request
    note = runs.execute(backend, kind, request)
    record = backend.records.outcome(request["run_id"])
    assert note["status"] == record["status"] == "Failed" and "MemoryError" in status_line(record)


# ---------------------------------------------------------------------------------------------
# Isolation between sessions


@pytest.mark.slow
def test_two_sessions_with_identical_settings_get_separate_runs_and_cancels(server):
    """A runs; B starts the same settings, then cancels: A's run is untouched. (A holds its polls
    while B's job is forked, so the fork cannot meet the SQLite hang of
    test_jobs_forked_while_other_clients_poll_never_hang: this test is about isolation.)"""
    a, b = DashTab(server.url), DashTab(server.url)
    # long enough (2-4 s here) that B's Cancel, after its first update (a poll 250 ms on), lands
    # before its run ends
    config = {**LONG_RUN, "epochs": 30_000, "seed": 5}
    results = {}
    quiet, paused, b_forked = threading.Event(), threading.Event(), threading.Event()

    def hold(_report):
        if quiet.is_set() and not b_forked.is_set():
            paused.set()
            b_forked.wait(10)

    def run_a():
        results["a"] = a.train(config, on_poll=hold, timeout=60)

    thread = threading.Thread(target=run_a)
    thread.start()
    time.sleep(0.3)
    quiet.set()
    assert paused.wait(10), "session A never polled"
    b_report = b.train(config, on_poll=lambda _r: b_forked.set(),
                       cancel_when=lambda r: r.progress_updates >= 1, timeout=30)
    b_forked.set()
    thread.join(60)
    a_report = results["a"]
    assert a_report.word == "Done", a_report.status
    assert b_report.word == "Cancelled", b_report.status
    assert a_report.run_id != b_report.run_id and a_report.job_pid != b_report.job_pid
    assert a_report.result["run_id"] == a_report.run_id
    assert not a.problems and not b.problems


# ---------------------------------------------------------------------------------------------
# 50 train/cancel cycles


@pytest.fixture(scope="module")
def fifty_cycles(server):
    """Counts before and after 50 cycles of Train (a long run) then Cancel once it streams."""
    tab = DashTab(server.url)
    startup = {"fds": server.num_fds(), "fd_kinds": dict(fd_kinds(server.pid))}
    tab.train(LONG_RUN, cancel_when=lambda r: r.polls >= 1)  # warm up: the first requests open the cache
    server.wait_no_jobs(10)
    before = {"jobs": len(server.job_processes()), "zombies": len(server.zombies()),
              "fds": server.num_fds(), "fd_kinds": dict(fd_kinds(server.pid)),
              "cache": server.cache_size(), "threads": server.num_threads()}
    before["entries"], before["entries_without_expiry"] = cache_entries(server.cache_dir)
    words, threads = Counter(), {}

    def look(_report):
        for proc in server.job_processes():
            try:
                threads[proc.pid] = max(threads.get(proc.pid, 0), proc.num_threads())
            except psutil.Error:
                pass

    started = time.monotonic()
    for _ in range(50):
        report = tab.train(LONG_RUN, on_poll=look, cancel_when=lambda r: r.polls >= 2, timeout=30)
        words[report.word] += 1
    elapsed = time.monotonic() - started
    server.wait_no_jobs(10)
    time.sleep(0.5)
    after = {"jobs": len(server.job_processes()), "zombies": len(server.zombies()),
             "fds": server.num_fds(), "fd_kinds": dict(fd_kinds(server.pid)),
             "cache": server.cache_size(), "threads": server.num_threads()}
    after["entries"], after["entries_without_expiry"] = cache_entries(server.cache_dir)
    result = {"startup": startup, "before": before, "after": after, "words": dict(words),
              "job_threads": Counter(threads.values()),
              "seconds": round(elapsed, 1), "problems": list(tab.problems)}
    note("50 cycles", result)
    return result


@pytest.mark.slow
def test_fifty_cycles_all_cancel_cleanly(fifty_cycles):
    assert fifty_cycles["words"] == {"Cancelled": 50}, fifty_cycles["words"]
    assert not fifty_cycles["problems"]


@pytest.mark.slow
def test_each_job_trains_with_one_thread(fifty_cycles):
    """torch.set_num_threads(1) in the server before any fork and in each job: no OpenMP pool."""
    assert fifty_cycles["job_threads"], "no job was seen running"
    assert set(fifty_cycles["job_threads"]) == {1}, fifty_cycles["job_threads"]


@pytest.mark.slow
def test_fifty_cycles_leave_no_job_process_or_zombie(fifty_cycles):
    assert fifty_cycles["after"]["jobs"] == 0
    assert fifty_cycles["after"]["zombies"] == 0


@pytest.mark.slow
def test_fifty_cycles_leave_the_cache_small(fifty_cycles):
    """A cycle leaves a few small records (outcome, beat, claim, cancel flag: they expire after an
    hour) and no value file; sqlite's write-ahead log grows to ~4 MB once and stays there."""
    before, after = fifty_cycles["before"], fifty_cycles["after"]
    assert after["entries"] - before["entries"] <= 50 * 6, (before["entries"], after["entries"])
    assert after["entries_without_expiry"] == 0
    assert after["cache"][0] < 8_000_000, after["cache"]
    assert after["cache"][1] <= before["cache"][1] + 2, (before["cache"], after["cache"])  # no value files


@pytest.mark.slow
def test_fifty_cycles_leave_no_extra_sqlite_or_socket_descriptor(fifty_cycles):
    """diskcache opens one sqlite connection per request thread; dead threads' connections close
    when the garbage collector runs, so their count wobbles but stays bounded."""
    before, after = fifty_cycles["before"]["fd_kinds"], fifty_cycles["after"]["fd_kinds"]
    assert after.get("file", 0) <= before.get("file", 0) + 40, (before, after)
    assert after.get("socket", 0) <= before.get("socket", 0) + 2, (before, after)


@pytest.mark.slow
def test_fifty_cycles_leave_no_extra_pipe_descriptor(fifty_cycles):
    before, after = fifty_cycles["before"]["fd_kinds"], fifty_cycles["after"]["fd_kinds"]
    assert after.get("pipe", 0) <= before.get("pipe", 0), (before, after)


# ---------------------------------------------------------------------------------------------
# 100 sequential jobs, after the gallery ran torch in the server process


@pytest.mark.slow
def test_a_hundred_sequential_jobs_finish_without_a_hang(server):
    tab = DashTab(server.url)
    for name in ("gelu", "elu", "mish", "softplus"):  # torch ops in the server before the forks
        assert tab.draw(name, derivative=True).status == 200
    durations = []
    started = time.monotonic()
    for i in range(100):
        config = {**SHORT_RUN, "approach": list(APPROACHES)[i % len(APPROACHES)], "epochs": 100, "seed": 100 + i}
        report = tab.train(config, timeout=10)  # a run that has not settled in 10 s hangs: it fails here
        assert report.word == "Done", (i, report.status)
        durations.append(report.seconds)
    total = time.monotonic() - started
    note("100 sequential jobs", {"total_s": round(total, 1), "max_run_s": round(max(durations), 2),
                                 "median_run_s": round(sorted(durations)[50], 3),
                                 "server_threads_after": server.num_threads()})
    assert not tab.problems, tab.problems
    assert not server.wait_no_jobs(10)


# ---------------------------------------------------------------------------------------------
# A visitor cannot flood the machine with jobs


def test_training_slots_cap_runs_and_free_when_their_job_ends(tmp_path):
    from components.jobs import backends

    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache"), "MAX_RUNNING_JOBS": "2"})
    store = backend.records
    assert backend.max_running == 2
    alive = lambda pid: False  # noqa: E731 - every holder still runs
    assert store.take_slot("a", 2, alive) == 0 and store.take_slot("b", 2, alive) == 1
    assert store.take_slot("c", 2, alive) is None  # full
    store.release_slot(0, "someone-else")  # only the holder frees a slot
    assert store.take_slot("c", 2, alive) is None
    store.release_slot(0, "a")
    assert store.take_slot("c", 2, alive) == 0
    # a killed job frees nothing; its slot is free once its process is gone
    dead = _sleeper_pid_after_exit()
    store.store.set("slot:1", json.dumps({"run": "b", "pid": dead}), 10)
    assert store.take_slot("d", 2, backend.job_gone) == 1
    assert store.take_slot("e", 2, backend.job_gone) is None  # holders 0 (this process) and 1 live


def _sleeper_pid_after_exit() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.slow
def test_one_client_cannot_start_unbounded_jobs(server):
    """Runs started and launched from many page loads (a client with a loop): at most 2 runs per CPU
    train at once; one more run is refused with a clear reason, and trains once a slot is free."""
    cap = 2 * (os.cpu_count() or 1)
    tabs = [DashTab(server.url) for _ in range(cap + 4)]
    try:
        for tab in tabs:
            request = tab.start({**LONG_RUN, "seed": 100})
            tab.launch(request)
        time.sleep(1.0)
        running = len(server.job_processes())
        note("jobs one client started with cap+4 posts", running)
        assert running <= cap, f"{running} jobs running (cap {cap})"
        refused = DashTab(server.url).train(SHORT_RUN)
        assert refused.word == "Failed" and "the server is busy" in refused.status, refused.status
        note("a run beyond the cap says", refused.status)
    finally:
        for tab in tabs:
            if tab.job:
                tab.cancel()
        server.wait_no_jobs(10)
    again = DashTab(server.url).train(SHORT_RUN)
    assert again.word == "Done", again.status


# ---------------------------------------------------------------------------------------------
# Server restart mid-run


@pytest.fixture(scope="module")
def restartable(tmp_path_factory):
    yield from running_app(AppProcess(tmp_path_factory.mktemp("restart")))


@pytest.mark.slow
def test_a_restart_mid_run_gives_failed_and_a_new_run_works(restartable):
    """The server and its jobs stop (SIGTERM to the process group, as a service manager or
    Ctrl-C does) while a run streams; the server starts again on the same port and cache. The open
    page's polls fail, its watchdog then reaches the new server and says Failed."""
    tab = DashTab(restartable.url)
    marks = {}

    def restart(report):
        if report.progress_updates >= 2 and not marks:
            marks["old_group"] = [p.pid for p in restartable.group_processes()]
            marks["kill"] = time.monotonic()
            restartable.stop(signal.SIGTERM)
            restartable.start()
            marks["up"] = time.monotonic()

    report = tab.train(LONG_RUN, on_poll=restart, timeout=60)
    settled_at = time.monotonic()
    assert marks, "the run never streamed"
    assert report.word == "Failed", report.timeline
    after_up = settled_at - marks["up"]
    assert after_up < RESTART_FAILED_WITHIN, f"Failed {after_up:.1f} s after the server was back"
    note("restart: kill -> Failed (s)", round(settled_at - marks["kill"], 1))
    note("restart: server back -> Failed (s)", round(after_up, 1))
    note("restart status", report.status)
    assert not [pid for pid in marks["old_group"] if psutil.pid_exists(pid)
                and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    fresh = DashTab(restartable.url)
    again = fresh.train(SHORT_RUN)
    assert again.word == "Done", again.status
    assert not fresh.problems


@pytest.mark.slow
def test_a_server_crash_mid_run_does_not_leave_its_job_behind(restartable):
    tab = DashTab(restartable.url)
    marks = {}

    class RestartFailed(Exception):
        pass

    def crash(report):
        if report.progress_updates >= 2 and not marks:
            marks["orphans"] = restartable.kill_server_only()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(_alive(p) for p in marks["orphans"]):
                time.sleep(0.1)
            marks["orphans_alive"] = [p.pid for p in marks["orphans"] if _alive(p)]
            try:
                restartable.start()
            except RuntimeError as exc:
                marks["restart_error"] = str(exc).splitlines()[-1]
                raise RestartFailed from exc

    report = None
    try:
        report = tab.train(LONG_RUN, on_poll=crash, timeout=30)
    except RestartFailed:
        pass
    finally:
        for proc in marks.get("orphans", []):  # this test's processes (its server's process group)
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(marks.get("orphans", []), timeout=5)
        if not restartable.is_running():
            restartable.start()
    note("crash: orphans alive 5 s after kill -9 of the server", marks.get("orphans_alive"))
    note("crash: restart error", marks.get("restart_error"))
    assert not marks.get("orphans_alive"), f"orphaned jobs still running: {marks.get('orphans_alive')}"
    assert "restart_error" not in marks, marks["restart_error"]
    assert report is not None and report.word == "Failed", report


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# ---------------------------------------------------------------------------------------------
# Jobs forked while other requests use the cache


@pytest.mark.slow
def test_jobs_forked_while_other_clients_poll_never_hang(server):
    """The dev server runs each request in a thread; jobs fork from one of them. A fork while
    another thread was inside SQLite copied its mutex, and the job hung on its first cache access
    (3 of 8 runs while 6 clients polled). Every SQLite call of the server now holds the fork
    lock, including closing a request thread's connection (`jobs.end_of_request`)."""
    stop = threading.Event()

    def poller():
        tab = DashTab(server.url)
        tab.train({**SHORT_RUN, "epochs": 1, "seed": 400})  # then it looks at its run, again and again
        while not stop.is_set():
            tab.values["watchdog.n_intervals"] += 1
            try:
                tab.follow("watchdog.n_intervals")
            except ServerGone:
                return

    pollers = [threading.Thread(target=poller, daemon=True) for _ in range(6)]
    for thread in pollers:
        thread.start()
    outcomes = []
    try:
        tab = DashTab(server.url)
        for i in range(20):
            try:
                report = tab.train({**SHORT_RUN, "epochs": 20, "seed": 500 + i}, timeout=8)
                outcomes.append(report.word)
            except AssertionError:
                outcomes.append("hung")
                break
            if report.word != "Done":
                break
    finally:
        stop.set()
        for thread in pollers:
            thread.join(10)
        stuck = server.job_processes()
        note("runs started while 6 clients polled", {"outcomes": Counter(outcomes), "stuck_jobs": len(stuck)})
        for proc in stuck:  # this module's server's jobs
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(stuck, timeout=5)
    assert outcomes == ["Done"] * 20, Counter(outcomes)


# ---------------------------------------------------------------------------------------------
# Hundreds of runs: the cache stays bounded


@pytest.mark.slow
@pytest.mark.timeout(600)  # 200 runs; minutes on a loaded machine
def test_hundreds_of_runs_keep_the_cache_bounded(tmp_path_factory):
    """Entries expire: the harness shortens the app's one-hour TTLs to 4 s; one tab runs 160 short
    runs and 40 cancelled ones (one after another: concurrent starts hit the hang above), and the
    cache's entry count stays near what 4 s of traffic leaves, then falls back."""
    ttl = 4
    app = AppProcess(tmp_path_factory.mktemp("ttl"), faults={"ttl": ttl})
    app.start()
    try:
        samples, words = [], Counter()
        tab = DashTab(app.url)
        started = time.monotonic()
        for i in range(200):
            if i % 5 == 4:
                report = tab.train(LONG_RUN, cancel_when=lambda r: r.polls >= 1)
            else:
                report = tab.train({**SHORT_RUN, "epochs": 20, "seed": i})
            words[report.word] += 1
            if i % 10 == 9:
                samples.append((round(time.monotonic() - started, 1), *cache_entries(app.cache_dir),
                                app.cache_size()[0]))
        elapsed = time.monotonic() - started
        time.sleep(ttl + 1)
        tab.train(SHORT_RUN)  # writes cull expired entries (up to 10 per write)
        tab.train(SHORT_RUN)
        entries, forever = cache_entries(app.cache_dir)
        size, files = app.cache_size()
        peak_entries = max(s[1] for s in samples)
        runs = sum(words.values())
        rate = runs / elapsed
        note("cache over many runs", {"runs": runs, "seconds": round(elapsed, 1), "words": dict(words),
                                      "ttl_s": ttl, "entries_at_10_30_..._runs": [s[1] for s in samples],
                                      "peak_entries": peak_entries, "entries_after_ttl": entries,
                                      "entries_without_expiry": forever,
                                      "peak_bytes": max(s[3] for s in samples), "bytes_after": size,
                                      "files_after": files})
        assert words == {"Done": 160, "Cancelled": 40}, words
        assert not tab.problems, tab.problems[:5]
        assert forever == 0, f"{forever} cache entries never expire"
        # what one TTL of traffic holds (each run leaves under 8 entries), not what 200 runs wrote
        assert peak_entries < 8 * rate * (ttl + 2) + 40, (peak_entries, rate)
        assert samples[-1][1] < 2 * max(s[1] for s in samples[:5]) + 40  # flat, not growing
        assert entries < 60, entries
        assert size < 12_000_000 and files < 12
    finally:
        app.stop()


# ---------------------------------------------------------------------------------------------
# The same in Chromium


@pytest.mark.browser
@pytest.mark.console_errors_expected(reason="it restarts the server mid-run: the page's requests fail while it is down")
@pytest.mark.slow
def test_in_the_browser_a_killed_job_and_a_restart_both_say_failed(restartable, new_page):
    from conftest import wait_status

    page = new_page()
    page.goto(restartable.url + "/?epochs=1000000&seed=3")
    page.click("#train-button")
    wait_status(page, "Running", timeout=10)
    job = restartable.wait_jobs(10)
    assert job, "no job process"
    page.wait_for_timeout(500)
    os.kill(job[0].pid, signal.SIGKILL)
    started = time.monotonic()
    text = wait_status(page, "Failed", timeout=FAILED_WITHIN + 5)
    note("browser: killed job -> Failed (s)", round(time.monotonic() - started, 1))
    page.click("#train-button")
    page.wait_for_timeout(300)
    wait_status(page, "Running", timeout=10)
    restartable.stop(signal.SIGTERM)
    restartable.start()
    up = time.monotonic()
    text = wait_status(page, "Failed", timeout=RESTART_FAILED_WITHIN + 5)
    note("browser: server back -> Failed (s)", round(time.monotonic() - up, 1))
    note("browser: restart status", text)
    page.goto(restartable.url + "/?epochs=200&seed=3")
    page.click("#train-button")
    wait_status(page, "Done", timeout=20)
