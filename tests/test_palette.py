"""Colour is never the only difference: every chart's series differ in dash pattern or width too,
and the palette is Okabe and Ito's (safe for the common colour-vision deficiencies)."""

from __future__ import annotations

import numpy as np

from components import figures


def _looks(figure: dict) -> list[tuple]:
    return [(t["line"]["dash"], t["line"].get("width")) for t in figure["data"] if t.get("type") == "scatter"
            and "line" in t]


def test_the_palette_is_okabe_and_itos():
    assert set(figures.COLORS) <= {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999"}


def test_loss_curves_and_overlays_differ_by_more_than_colour():
    overlays = [{"run_id": str(k), "epochs": [0, 1], "losses": [2, 1], "label": f"run {k}"} for k in range(5)]
    looks = _looks(figures.serve_loss_figure({"epochs": [0], "losses": [1]}, overlays))
    assert len(set(looks)) == len(looks) == 6


def test_the_weights_and_their_true_values_differ_by_more_than_colour():
    looks = _looks(figures.serve_weights_figure({"epochs": [0], "weights": [[1], [2], [3]]}, (1, 5, 7)))
    assert len(set(looks[:3])) == 3 and not set(looks[:3]) & set(looks[3:])


def test_the_gallerys_curves_differ_by_more_than_colour():
    x = np.linspace(-1, 1, 5)
    curves = [{"label": str(k), "y": x * k} for k in range(7)]  # the function and six compared
    looks = [t["line"]["dash"] for t in figures.serve_activation_figure(x, curves, derivative=x)["data"]]
    assert len(set(looks)) == len(looks) == 8


def test_race_lanes_differ_by_more_than_colour():
    dashes = [figures.lane_style(k)["dash"] for k in range(6)]
    assert len(set(dashes)) == 6
