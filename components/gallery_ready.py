"""The gallery's views the browser keeps ready: every function alone at its defaults on the
tutorial's grid, sent once when the page has loaded, so choosing another function redraws at once
(assets/gallery.js) while the server's answer brings the formula and the properties; and the key
that names what a chart shows, so the server never sends a view the browser shows already.
`register_callbacks` wires both: the views' delivery and their draws in the browser.
"""

from __future__ import annotations

import functools
import json
from typing import Mapping

from dash import ClientsideFunction, Input, Output, State

from components import ids
from components.figures import serve_activation_figure, typed_array
from core.activations import ACTIVATIONS, DEFAULT_XMAX, DEFAULT_XMIN, evaluate, make_grid
from core.i18n import _, current_language
from core.i18n import language as speaking


def defaults(name: str) -> dict[str, float]:
    return {p.name: p.default for p in ACTIVATIONS[name].params}


def label(name: str, params: Mapping[str, float]) -> str:
    shown = ", ".join(f"{k}={v:g}" for k, v in params.items())
    return _(ACTIVATIONS[name].display_name) + (f" ({shown})" if shown else "")


def view_key(name: str, params: Mapping[str, float], xmin: float, xmax: float, compare: list[str],
             derivative: bool) -> str:
    """Names the curves a figure shows, so a view the browser shows already is not sent again."""
    return json.dumps([name, {k: float(v) for k, v in params.items()}, float(xmin), float(xmax), compare, derivative],
                      sort_keys=True)


def ready_in_browser(name: str, params: Mapping[str, float], xmin: float, xmax: float, compare: list[str],
                     derivative: bool) -> bool:
    """The views the browser keeps ready (`ready_views`): a function alone at its defaults on the
    tutorial's grid, without the derivative."""
    return not derivative and not compare and (xmin, xmax) == (DEFAULT_XMIN, DEFAULT_XMAX) \
        and dict(params) == defaults(name)


def ready_views() -> dict:
    """`views_in(language)` for the page's language."""
    return views_in(current_language())


@functools.lru_cache(maxsize=None)
def views_in(language: str) -> dict:
    """Every function's tutorial view, drawn as the gallery's `view` draws it (typed arrays keep
    it to ~210 KB)."""
    x = make_grid(DEFAULT_XMIN, DEFAULT_XMAX)
    views = {}
    for name, activation in ACTIVATIONS.items():
        params = defaults(name)
        y, _dy = evaluate(name, x, params)
        with speaking(language):
            figure = serve_activation_figure(x, [{"label": label(name, params), "y": y}], None, activation.ylim)
        trace = {**figure["data"][0], "y": typed_array(y)}
        del trace["x"]  # one copy for all: `x` below
        views[name] = {"trace": trace, "yaxis": figure["layout"]["yaxis"],
                       "key": view_key(name, params, DEFAULT_XMIN, DEFAULT_XMAX, [], False)}
    return {"x": typed_array(x), "xmin": DEFAULT_XMIN, "xmax": DEFAULT_XMAX, "views": views}


def send_ready_views(_graph_id):
    return ready_views()


def register_callbacks(app) -> None:
    # Sent once the page has loaded (it is not needed for the first view): every function's ready
    # view; a new function is then drawn in the browser at once, without waiting for the server.
    app.callback(Output(ids.READY_VIEWS, "data"), Input(ids.ACTIVATION_GRAPH, "id"))(send_ready_views)
    app.clientside_callback(
        ClientsideFunction("gallery", "showReadyView"),
        Output(ids.ACTIVATION_GRAPH, "figure", allow_duplicate=True),
        Output(ids.SHOWN_VIEW, "data", allow_duplicate=True),
        Input(ids.ACTIVATION, "value"),
        State(ids.SHOW_DERIVATIVE, "value"),
        State(ids.XMIN, "value"),
        State(ids.XMAX, "value"),
        State(ids.COMPARE, "value"),
        State(ids.READY_VIEWS, "data"),
        State(ids.ACTIVATION_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    # No output: it keeps the settings drawPick needs to draw a pick in its own click, before
    # Dash's dispatch (assets/gallery.js).
    app.clientside_callback(
        ClientsideFunction("gallery", "armPick"),
        Input(ids.ACTIVATION, "value"),
        Input(ids.SHOW_DERIVATIVE, "value"),
        Input(ids.XMIN, "value"),
        Input(ids.XMAX, "value"),
        Input(ids.COMPARE, "value"),
        Input(ids.READY_VIEWS, "data"),
    )
