"""Pure figure builders: data in, `go.Figure` out. No callbacks, no Dash state."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import plotly.graph_objects as go

# One palette for the whole app (plotly's default qualitative colours, colour-blind friendly order)
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f")
WEIGHT_NAMES = ("w0 (intercept)", "w1 (coefficient of a)", "w2 (coefficient of b)")


def base_layout(x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    """The look every chart shares."""
    layout = dict(
        template="plotly_white",
        margin=dict(l=60, r=20, t=30, b=50),
        xaxis=dict(title=dict(text=x_title), zeroline=False),
        yaxis=dict(title=dict(text=y_title), zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        uirevision="keep",  # zoom and legend clicks survive streamed updates
        font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=13),
    )
    layout.update(extra)
    return layout


def serve_loss_figure(
    current: Mapping[str, Any] | None,
    overlays: Iterable[Mapping[str, Any]] = (),
    log_y: bool = False,
) -> go.Figure:
    """Trace 0 is the current run's loss (x: epoch from 0, y: MSE); overlays follow it.

    `current` and each overlay hold `epochs` and `losses` lists, overlays also a `label`.
    """
    fig = go.Figure(layout=base_layout("Epoch", "Loss (mean squared error)"))
    fig.update_yaxes(type="log" if log_y else "linear")
    current = current or {}
    fig.add_trace(
        go.Scatter(
            x=current.get("epochs", []),
            y=current.get("losses", []),
            name=current.get("label", "Current run"),
            mode="lines",
            line=dict(color=COLORS[0], width=2.5),
        )
    )
    current_id = current.get("run_id")
    for i, overlay in enumerate(o for o in overlays if o.get("run_id") != current_id):
        fig.add_trace(
            go.Scatter(
                x=overlay.get("epochs", []),
                y=overlay.get("losses", []),
                name=overlay.get("label", "Earlier run"),
                mode="lines",
                line=dict(color=COLORS[1 + i % (len(COLORS) - 1)], width=1.5, dash="dot"),
            )
        )
    return fig


def serve_weights_figure(
    current: Mapping[str, Any] | None, true_weights: Sequence[float]
) -> go.Figure:
    """Traces 0-2 are w0, w1, w2 after each epoch; traces 3-5 mark the true values, dashed."""
    fig = go.Figure(
        layout=base_layout(
            "Epoch (weights after its update)",
            "Weight value",
            xaxis2=dict(overlaying="x", range=[0, 1], visible=False, fixedrange=True),
        )
    )
    current = current or {}
    epochs = current.get("epochs", [])
    series = current.get("weights") or [[], [], []]
    for k in range(3):
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=series[k],
                name=WEIGHT_NAMES[k],
                mode="lines",
                line=dict(color=COLORS[k], width=2),
            )
        )
    for k in range(3):
        fig.add_trace(true_weight_line(k, true_weights[k]))
    return fig


def true_weight_line(k: int, value: float) -> go.Scatter:
    """A dashed horizontal line across the whole chart, whatever its x range."""
    return go.Scatter(
        x=[0, 1],
        y=[value, value],
        xaxis="x2",  # an invisible 0..1 axis, so the line always spans the plot
        name=f"true w{k} = {value:g}",
        mode="lines",
        line=dict(color=COLORS[k], width=1, dash="dash"),
        hoverinfo="name",
    )
