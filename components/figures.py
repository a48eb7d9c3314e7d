"""Pure figure builders: data in, a plotly figure out. No callbacks, no Dash state.

They return plain figure dicts (what `go.Figure(...).to_plotly_json()` would give), because
plotly's validation of a 2,000-point go.Figure costs about 100 ms here, more than a slider
drag can afford; dcc.Graph takes the dict as it is, and the data arrive in the browser as
ordinary arrays.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import plotly.io as pio

from core.curves import float32_list
from core.i18n import LOCALE_DIR, N_, _, current_language

# One palette for the whole app: Okabe and Ito's, which readers with any common colour-vision
# deficiency tell apart (its yellow left out: too faint on white), and one dash pattern per series
# as well, so no two traces differ by colour alone.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "8px,3px,2px,3px,2px,3px", "1px,4px")


def series_style(k: int) -> dict[str, str]:
    """The colour and dash pattern of the k-th series of a chart."""
    return {"color": COLORS[k % len(COLORS)], "dash": DASHES[k % len(DASHES)]}
WEIGHT_NAMES = (N_("w0 (intercept)"), N_("w1 (coefficient of a)"), N_("w2 (coefficient of b)"))
_TEMPLATE = pio.templates["plotly_white"].to_plotly_json()  # resolved once, not per figure


def typed_array(values: np.ndarray) -> dict:
    """float32 values as plotly.js reads a typed array: a third of their JSON text, decoded natively."""
    return {"dtype": "f4", "bdata": base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")}


def graph_config() -> dict[str, Any]:
    """dcc.Graph's config: no plotly logo, no "Share chart..." button (plotly.js 3 uploads the chart
    to Plotly Cloud with it; with no server URL set it does nothing but log an error), and
    plotly.js's own words (modebar, dates) in the page's language (its Korean locale, from
    plotly.js-locales 3.7.0, MIT, in locale/plotly-ko.json)."""
    config: dict[str, Any] = {"displaylogo": False, "modeBarButtonsToRemove": ["sendChartToCloud"]}
    if current_language() == "ko":
        config.update(locale="ko", locales={"ko": _plotly_korean()})
    return config


@functools.lru_cache(maxsize=1)
def _plotly_korean() -> dict:
    return json.loads((LOCALE_DIR / "plotly-ko.json").read_text(encoding="utf-8"))


def base_layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    """The look every chart shares."""
    layout = dict(
        template=_TEMPLATE,
        margin=dict(l=60, r=20, t=30, b=50),
        xaxis=dict(title=dict(text=x_title), zeroline=False),
        yaxis=dict(title=dict(text=y_title), zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        uirevision="keep",  # zoom and legend clicks survive streamed updates
        font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    )
    for key, value in extra.items():
        layout[key] = {**layout.get(key, {}), **value} if isinstance(value, dict) else value
    return layout


def line(x, y, name: str, color: str, width: float = 2, dash: str = "solid", **extra) -> dict:
    return dict(type="scatter", mode="lines", x=x, y=y, name=name,
                line=dict(color=color, width=width, dash=dash), **extra)


# Which trace is which, named once here, where the figures are built; streamed updates aim at
# these. A streamed update is {trace index: fields}, which the browser merges into the chart's
# figure (assets/runs.js applyTraceUpdates): unlike a Dash Patch, an update that arrives after the
# learner left the page has nothing to apply to and is dropped (Dash 4.4 throws "Cannot patch
# undefined" for a Patch whose component is gone).
LOSS_TRACE = 0  # the current run's loss (the UI contract's trace 0); earlier runs' follow it
WEIGHT_TRACES = (0, 1, 2)  # w0, w1, w2 after each epoch …
TRUE_WEIGHT_TRACES = (3, 4, 5)  # … and their true values, dashed
CURRENT_RUN = N_("Current run")
# A key of a streamed update that is not a trace index: it marks an update of a run still going,
# which a chart may draw a little later, at its turn (assets/runs.js); the run's end is unmarked.
STREAMING = "streaming"


def streaming(update: dict) -> dict:
    return {**update, STREAMING: True}


def serve_loss_figure(
    current: Mapping[str, Any] | None,
    overlays: Iterable[Mapping[str, Any]] = (),
    log_y: bool = False,
) -> dict:
    """LOSS_TRACE is the current run's loss (x: epoch from 0, y: MSE); overlays follow it.

    `current` and each overlay hold `epochs` and `losses` lists, overlays also a `label`.
    """
    current = current or {}
    data = [line(current.get("epochs", []), current.get("losses", []), current.get("label") or _(CURRENT_RUN),
                 COLORS[0], width=2.5)]
    others = [o for o in overlays if isinstance(o, Mapping) and o.get("run_id") != current.get("run_id")]
    for i, overlay in enumerate(others):
        data.append(line(overlay.get("epochs", []), overlay.get("losses", []),
                         str(overlay.get("label", _("Earlier run"))), **series_style(1 + i), width=1.5))
    layout = base_layout(_("Epoch"), _("Loss (mean squared error)"),
                         yaxis=dict(type="log" if log_y else "linear"))
    return dict(data=data, layout=layout)


def loss_curve_update(epochs: list, losses: list, name: str | None = None) -> dict:
    """The current run's loss curve (named after the run once it ended), as trace updates
    (`apply_trace_updates`): earlier runs' overlays and the axes are left alone."""
    return {LOSS_TRACE: {"x": epochs, "y": losses, "name": name or _(CURRENT_RUN)}}


def serve_weights_figure(current: Mapping[str, Any] | None, true_weights: Sequence[float]) -> dict:
    """WEIGHT_TRACES are w0, w1, w2 after each epoch; TRUE_WEIGHT_TRACES their true values.

    `current` holds `epochs` and `weights` (three series)."""
    current = current or {}
    epochs = current.get("epochs", [])
    series = current.get("weights") or [[], [], []]
    data = [line(epochs, series[k], _(WEIGHT_NAMES[k]), **series_style(k)) for k in range(3)]
    data += [true_weight_line(k, true_weights[k]) for k in range(3)]
    layout = base_layout(
        _("Epoch (weights after its update)"),
        _("Weight value"),
        xaxis2=dict(overlaying="x", range=[0, 1], visible=False, fixedrange=True),
    )
    return dict(data=data, layout=layout)


def weights_curve_update(current: Mapping[str, Any], true_weights: Sequence[float] | None = None) -> dict:
    """The weight curves of `current` (as serve_weights_figure reads it) and, if given, the true
    weights' lines, as trace updates; the rest (layout, zoom) left alone."""
    update: dict[int, dict] = {trace: {"x": current["epochs"], "y": current["weights"][k]}
                               for k, trace in enumerate(WEIGHT_TRACES)}
    if true_weights is not None:
        update.update({trace: true_weight_line(k, true_weights[k]) for k, trace in enumerate(TRUE_WEIGHT_TRACES)})
    return update


def true_weight_line(k: int, value: float) -> dict:
    """A dashed horizontal line across the whole chart, whatever its x range."""
    return line([0, 1], [value, value], _("true w{k} = {value}").format(k=k, value=f"{value:g}"), COLORS[k],
                width=1, dash="longdash",
                xaxis="x2", hoverinfo="name")  # x2: an invisible 0..1 axis spanning the plot


# The loss landscape's traces, fixed so a run's streamed path can aim at them; finished runs'
# paths follow. `meta` names each for outside tests (the UI contract: "path", "optimum").
LANDSCAPE_TRACE, OPTIMUM_TRACE, PATH_TRACE, DESCENT_TRACE = 0, 1, 2, 3


def serve_landscape_figure(
    view: Any | None,
    path: Mapping[str, Any] | None = None,
    overlays: Iterable[Mapping[str, Any]] = (),
) -> dict:
    """The loss over (w1, w2) at w0's least-squares value (`view`: a core.landscape.Slice, or
    None while the data are unknown), its minimum, and the current run's path (`path`, as
    `landscape_update` takes it); each overlay holds `w1`, `w2` and a `label`."""
    path = path or {}
    data = [
        dict(type="contour", meta="landscape", name=_("Loss"), showscale=True, ncontours=24,
             # filled bands, not a heatmap under the lines: the chart redraws with every streamed
             # path update, and a heatmap's image costs it twice the time (~60 ms against ~30)
             colorscale="Blues", reversescale=True, contours=dict(coloring="fill"),
             colorbar=dict(title=dict(text=_("Loss")), thickness=12),
             hovertemplate="w1 %{x:.3f}, w2 %{y:.3f}<br>" + _("Loss") + " %{z:.4g}<extra></extra>",
             **({} if view is None else dict(x=float32_list(view.w1), y=float32_list(view.w2),
                                             z=[float32_list(row) for row in view.loss]))),
        dict(type="scatter", mode="markers", meta="optimum", name=_("Least-squares optimum"),
             x=[] if view is None else [view.optimum[0]], y=[] if view is None else [view.optimum[1]],
             marker=dict(symbol="star", size=16, color="#facc15", line=dict(color="#111827", width=1.5))),
        *landscape_update(path.get("w1", []), path.get("w2", []), path.get("descent")).values(),
    ]
    for i, overlay in enumerate(overlays):
        data.append(dict(type="scatter", mode="lines", meta="overlay-path", x=overlay.get("w1", []),
                         y=overlay.get("w2", []), name=str(overlay.get("label", _("Earlier run"))),
                         line=dict(**series_style(1 + i), width=1.5)))
    # one unit is as long on both axes, so the descent arrow crosses the contours at right angles;
    # the plot shrinks to a square rather than showing past the computed grid
    axis = dict(range=[float(view.w1[0]), float(view.w1[-1])] if view is not None else [-3, 3], constrain="domain")
    layout = base_layout("w1", "w2", xaxis=axis, yaxis={**axis, "scaleanchor": "x", "scaleratio": 1},
                         legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0),
                         margin=dict(l=60, r=20, t=20, b=40))
    if view is None:
        layout["annotations"] = [dict(text=_("Set a seed or press Train: the landscape is that of the run's data."),
                                      xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False)]
    return dict(data=data, layout=layout)


def landscape_update(w1: list, w2: list, descent: Sequence[Sequence[float]] | None) -> dict:
    """The run's (w1, w2) path and, at its last point, the direction of steepest descent
    (`descent`: the arrow's start and end), as trace updates of the landscape."""
    arrow_x, arrow_y = ([descent[0][0], descent[1][0]], [descent[0][1], descent[1][1]]) if descent else ([], [])
    return {
        PATH_TRACE: dict(type="scatter", mode="lines", meta="path", x=w1, y=w2, name=_(CURRENT_RUN),
                         line=dict(color=COLORS[1], width=2.5)),
        DESCENT_TRACE: dict(type="scatter", mode="lines+markers", meta="descent", x=arrow_x, y=arrow_y,
                            name=_("Now, and −∇L (steepest descent in w1, w2)"),
                            line=dict(color="#111827", width=2),
                            marker=dict(symbol=["circle", "arrow"], angleref="previous", size=[9, 14],
                                        color="#111827")),
    }


# The data in 3-D: the samples (a, b, y), the plane the model fits now and the true plane. `meta`
# names each for tests: "samples", "fit-plane", "true-plane".
SAMPLES_TRACE, FIT_PLANE_TRACE, TRUE_PLANE_TRACE = 0, 1, 2


def _plane(weights: Sequence[float], a_span: Sequence[float], b_span: Sequence[float]) -> dict:
    """y = w0 + w1·a + w2·b over the data's span, as a surface's x, y and z (rows follow b)."""
    w0, w1, w2 = (float(w) for w in weights)
    a, b = [float(v) for v in a_span], [float(v) for v in b_span]
    return dict(x=a, y=b, z=[[w0 + w1 * ai + w2 * bi for ai in a] for bi in b])


def _surface(meta: str, name: str, color: str, **extra: Any) -> dict:
    return dict(type="surface", meta=meta, name=name, showscale=False, showlegend=True, opacity=0.55,
                colorscale=[[0, color], [1, color]], hoverinfo="skip", **extra)


def serve_data_figure(preview: Any | None, true_weights: Sequence[float], show_true: bool) -> dict:
    """The samples of the shown data (`preview`: a core.regression.DataPreview, or None while the
    data are unknown) and the true plane (shown when `show_true`); the fitted plane comes as
    `plane_update`s."""
    spans = ([], []) if preview is None else (preview.a_span, preview.b_span)
    data = [
        dict(type="scatter3d", mode="markers", meta="samples", name=_("Samples (a, b, y)"),
             marker=dict(size=2.5, color=COLORS[0]),
             **({} if preview is None else dict(x=float32_list(preview.a), y=float32_list(preview.b),
                                                z=float32_list(preview.y)))),
        _surface("fit-plane", _("Fitted plane: y = w0 + w1·a + w2·b"), COLORS[1]),
        _surface("true-plane", _("True plane"), COLORS[2], visible=True if show_true else "legendonly",
                 **({} if preview is None else _plane(true_weights, *spans))),
    ]
    layout = base_layout("a", "b", margin=dict(l=0, r=0, t=10, b=0),
                         scene=dict(xaxis=dict(title=dict(text="a")), yaxis=dict(title=dict(text="b")),
                                    zaxis=dict(title=dict(text="y")), aspectmode="cube",
                                    camera=dict(eye=dict(x=1.7, y=-1.5, z=0.9))))
    return dict(data=data, layout=layout)


def plane_update(weights: Sequence[float] | None, preview: Any) -> dict:
    """The fitted plane of these weights over the data's span (none: no weights yet)."""
    fields = _plane(weights, preview.a_span, preview.b_span) if weights else dict(x=[], y=[], z=[])
    return {FIT_PLANE_TRACE: fields}


def true_plane_shown(show: bool) -> dict:
    return {TRUE_PLANE_TRACE: {"visible": True if show else "legendonly"}}


# A race's lanes, drawn after the landscape's own traces: lane k's path is trace RACE_PATHS + k.
RACE_PATHS = DESCENT_TRACE + 1


def lane_style(optimizer_index: int) -> dict[str, str]:
    """One colour and dash per optimizer of the registry, the same in every race."""
    return series_style(optimizer_index)


def serve_race_loss_figure(lanes: Sequence[Mapping[str, Any]]) -> dict:
    """One loss curve per lane (`meta` "race-loss"), log y: the lanes differ by orders of magnitude.

    Each lane holds `label`, `color`, `dash`, `epochs` and `losses`."""
    data = [line(lane["epochs"], lane["losses"], lane["label"], lane["color"], dash=lane["dash"], meta="race-loss")
            for lane in lanes]
    return dict(data=data, layout=base_layout(_("Epoch"), _("Loss (mean squared error)"), yaxis=dict(type="log")))


def race_paths_update(lanes: Sequence[Mapping[str, Any]]) -> dict:
    """Each lane's (w1, w2) path (`meta` "race-path"), as trace updates of a landscape figure."""
    return {RACE_PATHS + k: dict(type="scatter", mode="lines", meta="race-path", x=lane["w1"], y=lane["w2"],
                                 name=lane["label"], line=dict(color=lane["color"], dash=lane["dash"], width=2.5))
            for k, lane in enumerate(lanes)}


DERIVATIVE_TRACE = 1  # where serve_activation_figure puts f′ when it is shown
DERIVATIVE_SUFFIX = N_(": derivative f′(x)")  # its legend entry: the curve's label, then this
# Where |f′| is below this, a gradient through f all but vanishes (saturation, ReLU's dead side).
VANISHING_SLOPE = 0.01
VANISHING_LABEL = N_("|f′(x)| < {threshold}: the gradient vanishes")


def vanishing_regions(x: np.ndarray, derivative: np.ndarray) -> list[tuple[float, float]]:
    """The x-intervals where |f′| < VANISHING_SLOPE, each edge halfway between grid points (so a
    lone point, the top of the Gaussian, is still a visible strip), clipped to the grid."""
    below = np.concatenate([[False], np.abs(derivative) < VANISHING_SLOPE, [False]])
    edges = np.flatnonzero(np.diff(below.astype(np.int8)))  # starts and ends, alternately
    middles = np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
    return [(float(middles[a]), float(middles[b])) for a, b in zip(edges[::2], edges[1::2])]


def vanishing_shapes(x: np.ndarray, derivative: np.ndarray) -> list[dict]:
    """Grey strips behind the curves over `vanishing_regions`, one legend entry for them all."""
    return [dict(type="rect", xref="x", yref="paper", x0=a, x1=b, y0=0, y1=1, layer="below",
                 fillcolor="rgba(100, 116, 139, 0.15)", line=dict(width=0),
                 name=_(VANISHING_LABEL).format(threshold=VANISHING_SLOPE), legendgroup="vanishing",
                 showlegend=i == 0)
            for i, (a, b) in enumerate(vanishing_regions(x, derivative))]


def serve_activation_figure(
    x: np.ndarray,
    curves: Sequence[Mapping[str, Any]],
    derivative: np.ndarray | None = None,
    y_range: Sequence[float] | None = None,
) -> dict:
    """Trace 0 is f(x) of the first curve; its derivative (if given) is trace 1, and the regions
    where it vanishes are shaded; the other curves follow.

    Each curve holds `label` and `y`; values go out at float32 precision (what a screen shows).
    """
    xs = float32_list(x)
    main, *others = curves
    data = [line(xs, float32_list(main["y"]), main["label"], COLORS[0], width=3)]
    if derivative is not None:
        data.append(line(xs, float32_list(derivative), main["label"] + _(DERIVATIVE_SUFFIX),
                         COLORS[0], dash="dash"))
    for i, curve in enumerate(others):
        # colours after the main curve's; dashes after its derivative's, so every trace has its own
        data.append(line(xs, float32_list(curve["y"]), curve["label"], COLORS[1 + i % (len(COLORS) - 1)],
                         dash=DASHES[2 + i % (len(DASHES) - 2)]))
    yaxis = dict(range=list(y_range)) if y_range is not None else dict(autorange=True)
    layout = base_layout("x", "f(x)", hovermode="x unified", yaxis=yaxis,
                         shapes=vanishing_shapes(x, derivative) if derivative is not None else [])
    return dict(data=data, layout=layout)
