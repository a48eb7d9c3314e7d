"""Browser figures of the training page (`/`), against a running `harness.app_process.AppProcess`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bench.browser import click_and_time, fetch_log, trace_watch, wait_quiet, word_watch
from harness.app_process import AppProcess

LONG_RUN = "?approach=manual&epochs=1000000&samples=100&seed=1"  # streams for minutes; cancelled
LOSS = "#loss-graph"
FINAL_WORDS = ("Done", "Cancelled", "Diverged", "Failed", "Invalid")

# Between the click and the first point, in order (see `phases`): the page's run callback
# validates the settings, computes the first epoch and answers with the first point.
PHASES = (
    "click → Train request sent (browser)",
    "Train round trip (server validates, computes the first epoch)",
    "→ curve drawn (browser parses, patches, Plotly redraws)",
)


def wait_no_jobs(server: AppProcess, timeout: float = 15.0) -> None:
    """Wait until no job runs, so the next measurement does not share the CPU with one."""
    if server.wait_no_jobs(timeout, recursive=False):
        raise RuntimeError(f"a training job still runs after {timeout:.0f} s")


def open_training(page, server: AppProcess, query: str, peer: bool = False) -> None:
    """The page opened fresh from a URL, as in a new tab: the tab's last run (which a reload would
    show again) is forgotten first. `peer`: the plain Dash version (bench/peer_app.py)."""
    if page.url.startswith(server.url):
        page.evaluate("() => window.sessionStorage.clear()")
    page.goto(f"{server.url}/{query}")
    page.wait_for_selector(f"{LOSS} .js-plotly-plot")
    page.wait_for_function("() => (document.querySelector('#status').textContent || '').startsWith('Ready')")
    if not peer:  # check_controls runs once on load and rewrites the address bar; let it finish first
        page.wait_for_function("() => window.location.search.includes('approach=')")
    wait_quiet(page, LOSS, "x")


@dataclass
class FirstPoint:
    seconds: float
    points: int  # how many points the first drawn update carried (1: the job's first report)
    clicked: float  # page time of the click, to find this run's requests in the fetch log
    seen: float


def click_to_first_point(page) -> FirstPoint:
    """Press Train; time until trace 0 of the loss chart is a new array (the first streamed update).

    Train does not clear the chart, and the page was left quiet before, so the first new array
    is this run's first update.
    """
    probe = click_and_time(page, "#train-button", trace_watch(LOSS, "x"), timeout_s=30)
    return FirstPoint((probe["seen"] - probe["clicked"]) / 1000, probe["points"],
                      probe["clicked"], probe["seen"])


def status_word(page) -> str:
    words = (page.text_content("#status") or "").split()
    return words[0] if words else ""


def stop_run(page, server: AppProcess, peer: bool = False) -> None:
    """Cancel the run if it still goes; wait until its job is gone and the chart is quiet. (The
    plain Dash version's status keeps its last progress line when cancelled.)"""
    if not page.is_disabled("#cancel-button"):
        page.click("#cancel-button")
    if not peer:
        page.wait_for_function(
            "(words) => words.includes((document.querySelector('#status').textContent || '').trim().split(/\\s+/)[0])",
            arg=list(FINAL_WORDS),
        )
    wait_no_jobs(server)
    page.wait_for_function("() => !document.querySelector('#train-button').disabled")
    wait_quiet(page, LOSS, "x")


def phases(page, first: FirstPoint) -> dict[str, float] | None:
    """Milliseconds of each phase from the page's fetch log; None if a request is missing."""
    after = [e for e in fetch_log(page) if first.clicked <= e["sent"] and e.get("received")]
    start = next((e for e in after if "train-button.n_clicks" in e["changed"]), None)
    if start is None:
        return None
    marks = [first.clicked, start["sent"], start["received"], first.seen]
    return {name: b - a for name, a, b in zip(PHASES, marks, marks[1:])}


def stream_and_sample_job(page, server: AppProcess, seconds: float) -> float:
    """Let a long run stream for `seconds`; return the job process's peak RSS seen (MB)."""
    page.click("#train-button")
    page.wait_for_function("() => /^Running — epoch/.test(document.querySelector('#status').textContent.trim())")
    peak = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, server.jobs_rss_mb())
        time.sleep(0.2)
    if status_word(page) != "Running":
        raise RuntimeError(f"the long run stopped streaming: {page.text_content('#status')!r}")
    stop_run(page, server)
    return peak


def progress_response_bytes(page) -> list[int]:
    """Sizes of every poll response that carried a streamed curve update (not the run's end, which
    brings its whole record), as the browser received them."""
    return [e["bytes"] for e in fetch_log(page)
            if "run-poll.data" in e["changed"] and e.get("progress") and not e.get("final") and e.get("bytes")]


def click_to_done(page, server: AppProcess, timeout_s: float) -> tuple[float, float]:
    """Press Train on a freshly opened page: (seconds until the status says Done, the job's own
    training seconds as its status line reports them).

    Fresh, so the status says Ready: a Done left from an earlier run would stop the clock at once.
    """
    probe = click_and_time(page, "#train-button", word_watch("#status", "Done"), timeout_s)
    status = page.text_content("#status") or ""
    reported = re.search(r"epochs in ([0-9.]+) s", status)
    if reported is None:
        raise RuntimeError(f"the Done status does not say how long training took: {status!r}")
    wait_no_jobs(server)
    wait_quiet(page, LOSS, "x")
    return (probe["seen"] - probe["clicked"]) / 1000, float(reported.group(1))
