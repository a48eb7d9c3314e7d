"""The app's shell around every page: the navigation bar, and its note of a run that trains
while the learner is on another page, with a link back to it.

A page that trains keeps its run's handle in the tab's session storage (components/run_panel.py);
the shell reads the same storage in the browser whenever the page changes."""

from __future__ import annotations

import json
import time
from typing import Any, Sequence

import dash
from dash import Input, Output, State, dcc, html

from components import ids, run_panel, runs, visitor
from components.jobs.backends import JobBackend
from components.jobs.stores import JobStoreUnavailable
from core.i18n import LANGUAGES, _, current_language

ACTIVE_RUNS_MS = 2000  # how often the bar looks at a run training on another page
RECENT_END = 60.0  # seconds the bar still mentions a run that ended while the learner was away


def layout(run_pages: Sequence[run_panel.RunPage]) -> html.Div:
    """Built for every page load, in the request's language."""
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            html.Header(
                html.Nav(
                    [
                        html.Span(_("PyTorch, visually"), className="brand"),
                        dcc.Link(_("Training"), href="/", className="nav-link"),
                        dcc.Link(_("Activation gallery"), href="/gallery", className="nav-link"),
                        dcc.Link(_("Network"), href="/network", className="nav-link"),
                        html.Span(id=ids.ACTIVE_RUNS, className="active-runs", role="status"),
                        html.Span(
                            # (assets/app.js keeps the page's address, its settings included)
                            [html.A(name, href=f"?lang={code}", lang=code,
                                    className="nav-link language" + (" current" if code == current_language() else ""),
                                    **({"aria-current": "true"} if code == current_language() else {}))
                             for code, name in LANGUAGES.items()],
                            className="languages",
                        ),
                    ],
                    className="nav",
                    **{"aria-label": _("Pages")},
                ),
                id=ids.NAVBAR,
            ),
            dcc.Store(id=ids.ACTIVE_HANDLES),
            dcc.Interval(id=ids.ACTIVE_RUNS_POLL, interval=ACTIVE_RUNS_MS, disabled=True),
            # the words assets/a11y.js writes for screen readers: the charts' summaries, and the
            # names of the number inputs' − and + buttons (Dash 4.4 calls them "Decrease value"
            # and "Increase value" in every language)
            html.Div(id=ids.A11Y_WORDS, hidden=True,
                     **{"data-points": _("points"), "data-last": _("last value"), "data-none": _("no data yet"),
                        "data-decrease": _("Decrease {name}"), "data-increase": _("Increase {name}")}),
            html.Main(dash.page_container),
        ],
        className="app",
    )


def active_runs(backend: JobBackend, run_pages: Sequence[run_panel.RunPage], pathname: Any,
                handles: Sequence[Any], owner: str, now: float) -> tuple[list, bool]:
    """(the bar's notes, whether to stop looking): a link to each run of this tab that trains on
    a page the learner is not on (or ended there in the last minute). Looking also tells the job
    that someone still follows it."""
    notes, keep_looking = [], False
    for page, handle in zip(run_pages, handles):
        run_id = runs.read_handle(backend.secret, handle, owner)
        if run_id is None or pathname == page.path:
            continue
        try:
            view = runs.look(backend, run_id, now, check=True)
        except JobStoreUnavailable:
            continue
        recent = view.ended and now - float(view.record.get("ended_at") or 0) < RECENT_END
        if not view.ended or recent:
            word = view.line.split(" — ")[0]
            notes.append(dcc.Link(f"● {_(page.name)}: {word}", href=page.path, className="nav-link run-link",
                                  title=view.line))
        keep_looking = keep_looking or not view.ended
    return notes, not keep_looking


def register_callbacks(app, backend: JobBackend, run_pages: Sequence[run_panel.RunPage]) -> None:
    # In the browser: the handles are in session storage, where a page's stores keep them.
    app.clientside_callback(
        f"""function (_pathname) {{
            return {json.dumps([page.ids.handle for page in run_pages])}.map(function (key) {{
                try {{ return JSON.parse(window.sessionStorage.getItem(key)); }} catch (e) {{ return null; }}
            }});
        }}""",
        Output(ids.ACTIVE_HANDLES, "data"),
        Input(ids.URL, "pathname"),
    )

    @app.callback(
        Output(ids.ACTIVE_RUNS, "children"),
        Output(ids.ACTIVE_RUNS_POLL, "disabled"),
        Input(ids.ACTIVE_HANDLES, "data"),
        Input(ids.ACTIVE_RUNS_POLL, "n_intervals"),
        State(ids.URL, "pathname"),
        prevent_initial_call=True,
    )
    def show_active_runs(handles, _ticks, pathname):
        handles = handles if isinstance(handles, list) else []
        return active_runs(backend, run_pages, pathname, handles, visitor.browser_id(), time.time())

