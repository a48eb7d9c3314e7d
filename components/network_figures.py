"""The network page's figures (pure builders, as in figures.py): the fit, and the hidden units.

Outside tests find traces by `meta`: on the fit chart "data" (the samples), "target" (the true
curve), "network" (the current run's prediction) and "compared" (finished runs on the same data);
on the units chart "unit" (one per hidden unit), "sum" and "bias".
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from components.figures import COLORS, base_layout, line, series_style, typed_array
from core.curves import float32_list
from core.i18n import N_, _

# The fit chart's own traces; the compared runs' follow (assets/network.js splices them in)
DATA_TRACE, TARGET_TRACE, NETWORK_TRACE = 0, 1, 2
PREDICTION = N_("Network's prediction")
# Every unit's curve together stays about this many numbers, however many units: 16 units get
# the whole grid, 256 units 50 points each (a unit is a smooth curve or a hinge: enough).
UNIT_POINTS_BUDGET = 12_800
# a unit's colour and dash: the sign of its output weight (Okabe and Ito's vermillion and blue, and
# solid or dashed, so the sign never rests on colour alone)
POSITIVE, NEGATIVE = (213, 94, 0), (0, 114, 178)
REFERENCE = "#808080"  # the target and the sum: readable on the light and the dark theme


def fit_traces(samples: tuple | None, target: tuple | None, prediction: tuple | None) -> dict[int, dict]:
    """The fit chart's own traces as trace updates ({index: trace}); each argument (x, y) or None
    to leave that trace as it is."""
    update = {}
    if samples is not None:
        update[DATA_TRACE] = dict(type="scatter", mode="markers", meta="data", name=_("Training samples"),
                                  x=float32_list(samples[0]), y=float32_list(samples[1]),
                                  marker=dict(color="#64748b", size=5, opacity=0.6))
    if target is not None:
        update[TARGET_TRACE] = line(float32_list(target[0]), float32_list(target[1]), _("Target"), REFERENCE,
                                    width=2, dash="dash", meta="target")
    if prediction is not None:
        update[NETWORK_TRACE] = line(float32_list(prediction[0]), float32_list(prediction[1]), _(PREDICTION),
                                     COLORS[0], width=3, meta="network")
    return update


def serve_fit_figure(samples: tuple | None = None, target: tuple | None = None,
                     prediction: tuple | None = None) -> dict:
    empty = ([], [])
    traces = fit_traces(samples or empty, target or empty, prediction or empty)
    return dict(data=[traces[k] for k in sorted(traces)], layout=base_layout("x", "y"))


def compared_trace(k: int, x: np.ndarray, prediction: Sequence, label: str) -> dict:
    return line(float32_list(x), list(prediction), label, width=1.5, meta="compared", **series_style(1 + k))


def unit_color(weight: float, largest: float) -> str:
    """Orange for a positive output weight, blue for a negative one, fainter the smaller it is."""
    r, g, b = POSITIVE if weight >= 0 else NEGATIVE
    alpha = 0.25 + 0.75 * (abs(weight) / largest if largest > 0 else 0)
    return f"rgba({r}, {g}, {b}, {alpha:.2f})"


def unit_grid(hidden: int, low: float, high: float, full: int) -> np.ndarray:
    return np.linspace(low, high, max(20, min(full, UNIT_POINTS_BUDGET // hidden)))


def serve_units_figure(x: np.ndarray | None = None, units: np.ndarray | None = None, output_weights=(),
                       bias: float | None = None, total: tuple | None = None) -> dict:
    """One trace per hidden unit (`meta` "unit"): its contribution vᵢ·act(wᵢx + bᵢ) at `x`; then
    their sum plus the output bias (`meta` "sum", drawn at `total`'s x) and the bias (`meta` "bias").

    Evenly spaced x go as x0 and dx, and each y as a float32 typed array (a third of its JSON
    text): 256 units redrawn at every poll stay about 70 KB."""
    data: list[dict[str, Any]] = []
    if x is not None and units is not None:
        spacing = dict(x0=float(x[0]), dx=float(x[1] - x[0]))
        largest = max((abs(v) for v in output_weights), default=0.0)
        width = 1.5 if len(units) <= 16 else 0.8
        legend = _("Units (orange, solid: v > 0; blue, dashed: v < 0)")
        for i, (curve, weight) in enumerate(zip(units, output_weights)):
            data.append(dict(type="scatter", mode="lines", meta="unit", y=typed_array(curve), **spacing,
                             legendgroup="units", showlegend=i == 0, **({"name": legend} if i == 0 else {}),
                             line=dict(color=unit_color(weight, largest), width=width,
                                      dash="solid" if weight >= 0 else "dash"),
                             hovertemplate=_("unit {number}").format(number=i + 1) + ": %{y:.3f}<extra></extra>"))
    if total is not None and bias is not None:
        data.append(line(float32_list(total[0]), float32_list(total[1]), _("Sum of the units + output bias"),
                         REFERENCE, width=3, meta="sum"))
        data.append(line([float(total[0][0]), float(total[0][-1])], [bias, bias],
                         _("Output bias c = {value}").format(value=f"{bias:.4f}"), REFERENCE, width=1,
                         dash="dot", meta="bias"))
    return dict(data=data, layout=base_layout("x", _("contribution to the prediction"), hovermode="closest"))

