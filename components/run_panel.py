"""The run controls every page that trains shares, and the callbacks that drive a run.

A page that trains (the training page now; any later page the same way) describes itself as a
`RunPage`: its ids (`PanelIds`, a prefix per page, since Dash callbacks are global), its
`RunKind`, its settings as one grouping of States, the outputs the run draws and a `draw`
function. `register(app, backend, page)` then wires, once per page:

- `follow` (one callback, the single writer of the status line, the progress bar, the Train and
  Cancel buttons and the page's run outputs): Train starts a run (`runs.start`), Cancel flags
  it, and each poll shows it (`runs.look`). Polls are chained, not timed: the browser asks again
  a while after each answer (`poll_wait_ms`), so a slow answer is never overtaken (Dash drops
  the reply of a request a newer one of the same callback overtook) and one tab never has two
  polls in flight.
  A 1 s watchdog interval restarts the chain after a failed poll and checks that the run lives.
- the background job (a Dash background callback), which runs `runs.execute`.

The run's handle lives in the tab's session storage, so a reload or a visit to another page finds
the run again: `follow` runs when the page loads (and the shell's navigation bar reads the same
storage to point back to a run training elsewhere).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from components import runs, visitor
from components.ids import PanelIds
from components.triggers import triggered_props
from components.jobs.backends import JobBackend
from components.jobs.stores import JobStoreUnavailable
from core.run_record import failed_record
from core.i18n import N_, _
from core.regression import LONGEST_REPORT_GAP, next_report_delay
from core.run_status import READY, reason, run_label, starting_line, status_line

# The browser asks for a running run's progress this long after each answer (assets/runs.js):
STREAM_POLL_MS = 250  # while it streams (its charts draw at most 4 times a second: runs.js)
POLL_MS = 100  # when it may end sooner, so Done shows as soon as it is true
WATCHDOG_MS = 1000  # and checks that the run lives (and restarts a broken chain) this often
JOB_POLL_MS = 1000  # Dash's own poll of the background job: only its end matters


@dataclass(frozen=True)
class RunPage:
    path: str  # where the page lives, for the navigation bar's link back
    name: str  # what the navigation bar calls its runs
    ids: PanelIds
    kind: runs.RunKind
    controls: Any  # a grouping of States: the run's settings, as the parser reads them
    views: dict[str, Output]  # the page's own outputs that show the run
    # draw(view, fresh) -> a value (or no_update) for each of `views`; `fresh`: everything is
    # needed (a new run, a page load), not only what changed since the last poll
    draw: Callable[[runs.RunView | None, bool], dict[str, Any]]


# ---------------------------------------------------------------------------------------------
# Layout


def panel(ids: PanelIds, start_label: str = N_("Train")) -> list:
    """Train (or what `start_label` calls starting) and Cancel, the status line (its state's
    English word in `data-status`, whatever the page's language), the progress bar and its text."""
    return [
        html.Div(
            [
                html.Button(_(start_label), id=ids.train, className="button primary"),
                html.Button(_("Cancel"), id=ids.cancel, className="button", disabled=True),
            ],
            className="buttons",
        ),
        html.P(_(READY), id=ids.status, className="status", role="status",
               **{"aria-live": "polite", "data-status": "Ready"}),
        html.Progress(id=ids.progress_bar, value=0, max=1, className="progress"),
        html.P("", id=ids.progress_text, className="progress-text"),
    ]


def stores(ids: PanelIds) -> list:
    return [
        # the tab's current run: session storage keeps it across reloads and visits elsewhere
        dcc.Store(id=ids.handle, storage_type="session"),
        dcc.Store(id=ids.request),
        dcc.Store(id=ids.job),
        dcc.Store(id=ids.answered),
        dcc.Store(id=ids.poll),
        dcc.Store(id=ids.result),
        dcc.Interval(id=ids.watchdog, interval=WATCHDOG_MS, disabled=True),
    ]


# ---------------------------------------------------------------------------------------------
# Following a run (a plain function: tests call it directly)


def follow(backend: JobBackend, page: RunPage, triggered: set[str], *, controls: Any, handle: Any,
           shown: Any, job: Any, owner: str, now: float | None = None) -> dict[str, Any]:
    """Every output of the page's run, for whatever fired: Train, Cancel, a poll, the job's end,
    or a page load (nothing fired)."""
    ids = page.ids
    now = time.time() if now is None else now
    out = {"status": no_update, "state": no_update, "bar": no_update, "bar_max": no_update, "text": no_update,
           "train_disabled": no_update, "cancel_disabled": no_update, "watchdog_disabled": no_update,
           "answered": no_update, "request": no_update, "handle": no_update, "result": no_update,
           "views": {name: no_update for name in page.views}}
    fresh = not triggered or f"{ids.handle}.data" in triggered  # a page load: show the tab's run afresh
    if f"{ids.train}.n_clicks" in triggered:
        started = runs.start(backend, page.kind, controls, owner)
        if started.refusal is not None:
            out.update(status=status_line(started.refusal), state=started.refusal["status"])
            return out
        handle, fresh = started.handle, True
        out.update(handle=handle, request=started.request, status=starting_line(started.request["config"]),
                   state="Running")
    run_id = runs.read_handle(backend.secret, handle, owner)
    if run_id is None:
        if fresh:
            out.update(status=_(READY), state="Ready", views=page.draw(None, True), train_disabled=False,
                       cancel_disabled=True)
        return out
    check = fresh or bool(triggered & {f"{ids.watchdog}.n_intervals", f"{ids.cancel}.n_clicks"})
    try:
        if f"{ids.cancel}.n_clicks" in triggered:
            runs.cancel(backend, run_id)
        view = runs.look(backend, run_id, now, check=check)
    except JobStoreUnavailable as exc:
        view = runs.RunView(run_id, "Failed", status_line(failed_record(
            run_id, {}, reason("lost_contact", detail=exc.detail()))))
    answer = _unrecorded_result(page, job, run_id)
    if answer is not None and (not view.ended or runs.only_presumed(view)):
        view = runs.RunView(run_id, answer["status"], status_line(answer), record=answer)
    if view.ended:
        backend.reap()
        out.update(status=view.line, state=view.state, views=page.draw(view, True), train_disabled=False,
                   cancel_disabled=True, watchdog_disabled=True, answered=None)
        record = page.kind.check_record(view.record)
        if record is not None:  # a finished run (Failed and Invalid ones have no curve)
            out.update(bar=record["epochs_run"] if view.state == "Done" or fresh else no_update,
                       bar_max=max(1, record["epochs_run"]), text=page.kind.describe_record(record),
                       result={**record, "label": run_label(record)})  # (the run history's, in the page's language)
        return out
    progress = view.progress or {}
    changed = progress.get("epochs_done") != shown
    out.update(status=view.line, state="Running", train_disabled=True, cancel_disabled=False,
               watchdog_disabled=False, answered={"at": now, "wait_ms": poll_wait_ms(progress, now)})
    # A watchdog tick checks that the run lives and restarts the poll chain (`answered`); the
    # next poll draws: drawing the charts here as well redrew them a third more often.
    ticked = triggered == {f"{ids.watchdog}.n_intervals"}
    if fresh or (changed and not ticked):
        out["views"] = page.draw(view, fresh)
        if progress:
            out.update(bar=progress["epochs_done"], bar_max=progress["epochs_total"],
                       text=page.kind.describe_progress(progress))
    return out


def poll_wait_ms(progress: dict, now: float) -> int:
    """Ask again as often as the charts draw (every STREAM_POLL_MS), then as slowly as the job
    reports in a long run (core.regression.next_report_delay), so the server and the browser leave
    the job its core; but no later than the run's expected end (nor sooner than POLL_MS), so Done
    shows as soon as it is true. The end is reckoned from when the job reported (`reported_at`):
    a report read late (they come up to a second apart) would otherwise put it that much later."""
    def number(key: str) -> float:
        value = progress.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0

    elapsed, done, total = number("elapsed"), number("epochs_done"), number("epochs_total")
    wait = next_report_delay(STREAM_POLL_MS / 1000, elapsed, 0.0)
    if 0 < done < total:
        reported_at = number("reported_at")
        since_report = min(max(0.0, now - reported_at), LONGEST_REPORT_GAP) if reported_at else 0.0
        wait = min(wait, max(POLL_MS / 1000, elapsed * (total - done) / done - since_report))
    return round(1000 * wait)


def _unrecorded_result(page: RunPage, job: Any, run_id: str) -> dict | None:
    """The record the job's own answer (through Dash) holds when it could not write it to the
    store; it wins over what the page could only presume (no result seen: Failed). Checked like
    anything else from the browser."""
    record = page.kind.check_record(job) if isinstance(job, dict) and not job.get("recorded") else None
    return record if record is not None and record.get("run_id") == run_id else None


# ---------------------------------------------------------------------------------------------
# Callbacks


def register(app, backend: JobBackend, page: RunPage) -> None:
    ids = page.ids

    @app.callback(
        output=dict(
            status=Output(ids.status, "children"),
            state=Output(ids.status, "data-status"),
            bar=Output(ids.progress_bar, "value"),
            bar_max=Output(ids.progress_bar, "max"),
            text=Output(ids.progress_text, "children"),
            train_disabled=Output(ids.train, "disabled"),
            cancel_disabled=Output(ids.cancel, "disabled"),
            watchdog_disabled=Output(ids.watchdog, "disabled"),
            answered=Output(ids.answered, "data"),
            request=Output(ids.request, "data"),
            handle=Output(ids.handle, "data"),
            result=Output(ids.result, "data"),
            views=page.views,
        ),
        inputs=dict(
            _train=Input(ids.train, "n_clicks"),
            _cancel=Input(ids.cancel, "n_clicks"),
            _poll=Input(ids.poll, "data"),
            _watchdog=Input(ids.watchdog, "n_intervals"),
            # an input: session storage fills the store after the page's first callbacks
            handle=Input(ids.handle, "data"),
        ),
        # Not an input: Dash would hold this callback back while the background job that writes
        # it runs, i.e. for the whole run. The next poll reads it.
        state=dict(job=State(ids.job, "data"), controls=page.controls, shown=State(ids.progress_bar, "value")),
    )
    def follow_run(_train, _cancel, _poll, _watchdog, handle, job, controls, shown):
        return follow(backend, page, triggered_props(), controls=controls, handle=handle, shown=shown, job=job,
                      owner=visitor.browser_id())

    @app.callback(
        Output(ids.job, "data"),
        Input(ids.request, "data"),
        background=True,
        interval=JOB_POLL_MS,
        prevent_initial_call=True,
    )
    def run_job(request):
        return runs.execute(backend, page.kind, request)

    # The next poll, `wait_ms` after the last answer (see the module's docstring); no output:
    # it sets `poll` itself when the time comes. And when the job's own answer holds its record
    # (it could not be stored), a poll at once, which reads it.
    app.clientside_callback(
        ClientsideFunction("runs", "pollAgain"),
        Input(ids.answered, "data"),
        State(ids.poll, "id"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("runs", "jobAnswered"),
        Input(ids.job, "data"),
        State(ids.poll, "id"),
        prevent_initial_call=True,
    )
