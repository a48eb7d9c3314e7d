"""A plain Dash version of the dashboard's two pages: the reference `python -m bench` measures the
app against, in the same run, with the same probes (it uses the same ids).

Written the way Dash's documentation shows, with nothing of the app's machinery:
- `/`: the tutorial's first approach in a background callback (DiskcacheManager, `progress`,
  `interval` 100 ms, `running`, `cancel`), which sends the whole loss curve so far (thinned to at
  most 1,000 points, as Dash keeps only the newest progress value) about every 100 ms;
- `/gallery`: a dropdown and a callback that returns the chosen function's figure (go.Figure).
Same settings controls and defaults as the app's URL query reads them (`?epochs=…&seed=…`).

    python -m bench.peer_app        # PORT (default 8060), DASH_CACHE_DIR
"""

from __future__ import annotations

import os
import tempfile
import time
from urllib.parse import parse_qs

import torch

torch.set_num_threads(1)

import diskcache  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from dash import Dash, DiskcacheManager, Input, Output, State, dcc, html  # noqa: E402

from core.activations import ACTIVATIONS, DEFAULT_ACTIVATION, evaluate, make_grid  # noqa: E402

MAX_POINTS = 1000
cache = diskcache.Cache(os.environ.get("DASH_CACHE_DIR") or tempfile.mkdtemp(prefix="peer-cache-"))
app = Dash(__name__, background_callback_manager=DiskcacheManager(cache), suppress_callback_exceptions=True)
server = app.server


def number(query: dict, name: str, default):
    try:
        return type(default)(float(query[name][0]))
    except (KeyError, ValueError):
        return default


def training_layout(query: dict) -> html.Div:
    return html.Div([
        dcc.Input(id="epochs", type="number", value=number(query, "epochs", 1000)),
        dcc.Input(id="seed", type="number", value=number(query, "seed", 0)),
        html.Button("Train", id="train-button"),
        html.Button("Cancel", id="cancel-button"),
        html.P("Ready", id="status"),
        dcc.Graph(id="loss-graph", figure=go.Figure(go.Scatter(x=[], y=[], mode="lines"))),
    ])


def gallery_layout() -> html.Div:
    return html.Div([
        dcc.Dropdown(id="activation", options=[{"label": a.display_name, "value": a.name}
                                                for a in ACTIVATIONS.values()],
                     value=DEFAULT_ACTIVATION, clearable=False),
        dcc.Graph(id="activation-graph", figure=activation_figure(DEFAULT_ACTIVATION)),
    ])


app.layout = html.Div([dcc.Location(id="url"), html.Div(id="page")])


@app.callback(Output("page", "children"), Input("url", "pathname"), State("url", "search"))
def route(pathname, search):
    if pathname == "/gallery":
        return gallery_layout()
    return training_layout(parse_qs((search or "").lstrip("?")))


def loss_figure(losses: list[float]) -> go.Figure:
    step = max(1, len(losses) // MAX_POINTS)
    epochs = list(range(0, len(losses), step))
    return go.Figure(go.Scatter(x=epochs, y=[losses[i] for i in epochs], mode="lines"))


@app.callback(
    Output("loss-graph", "figure"),
    Output("status", "children"),
    Input("train-button", "n_clicks"),
    State("epochs", "value"),
    State("seed", "value"),
    background=True,
    progress=[Output("loss-graph", "figure"), Output("status", "children")],
    running=[(Output("train-button", "disabled"), True, False),
             (Output("cancel-button", "disabled"), False, True)],
    cancel=[Input("cancel-button", "n_clicks")],
    interval=100,
    prevent_initial_call=True,
)
def train(set_progress, _clicks, epochs, seed):
    started = time.perf_counter()
    torch.manual_seed(seed)  # the tutorial's first approach, its data and loop
    weight_true = torch.Tensor([1, 5, 7])
    X = torch.cat([torch.ones(100, 1), torch.randn(100, 2)], 1)
    y = torch.mv(X, weight_true) + torch.randn(100)
    weight = torch.randn(3, requires_grad=True)
    lr = 0.01
    losses = []
    last_report = 0.0
    for epoch in range(epochs):
        weight.grad = None
        y_pred = torch.mv(X, weight)
        loss = torch.mean((y - y_pred) ** 2)
        loss.backward()
        weight.data = weight.data - lr * weight.grad.data
        losses.append(loss.item())
        if time.perf_counter() - last_report >= 0.1:
            last_report = time.perf_counter()
            set_progress((loss_figure(losses), f"Running — epoch {epoch + 1:,} of {epochs:,}"))
    elapsed = time.perf_counter() - started
    return loss_figure(losses), f"Done — {epochs:,} epochs in {elapsed:.2f} s"


def activation_figure(name: str) -> go.Figure:
    x = make_grid(-10, 10)
    y, _ = evaluate(name, x)
    figure = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=ACTIVATIONS[name].display_name))
    figure.update_yaxes(range=list(ACTIVATIONS[name].ylim))
    return figure


@app.callback(Output("activation-graph", "figure"), Input("activation", "value"), prevent_initial_call=True)
def choose(name):
    return activation_figure(name)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8060")))
