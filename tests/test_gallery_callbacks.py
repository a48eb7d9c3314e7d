"""The activation gallery's callbacks, layout and figure as plain functions, without a browser.

Dash's `@callback` returns the undecorated function, so `gallery.draw(...)` here is exactly what
the server runs for a request. What is checked is what a learner would see: trace 0 of
`activation-graph` is f(x) of the chosen function on the seed's grid `np.arange(-10, 10, 0.01)`
with the seed's `plt.ylim`; parameters, the derivative, overlays and the x range change it as
their labels say; and no input a client can post (the endpoint takes any JSON) raises or puts
NaN/Infinity in a response: it shows a message in `gallery-notice` instead.

The expected curves come from the seed tutorial's own numpy functions, copied below, not from
the registry under test; derivatives are checked against closed forms and against autograd.
"""

from __future__ import annotations

import contextvars
import json
import math
from urllib.parse import parse_qs

import numpy as np
import pytest
import torch
from dash import html, no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict, to_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components import gallery, gallery_ready, ids
from core.activations import ACTIVATIONS

# --- the seed tutorial's functions, defaults and plt.ylim, verbatim in numpy --------------------

SEED_X = np.arange(-10, 10, 0.01)

SEED = {
    "identity": (lambda x: x, (-10, 10)),
    "linear": (lambda x: 2 * x + 1, (-10, 10)),
    "binary_step": (lambda x: (x >= 0) * 1, (-5, 5)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (0, 1)),
    "tanh": (np.tanh, (-1, 1)),
    "arctan": (np.arctan, (-1.5, 1.5)),
    "softsign": (lambda x: x / (1 + np.abs(x)), (-1, 1)),
    "relu": (lambda x: (x > 0) * x, (-1, 11)),
    "leaky_relu": (lambda x, alpha=0.1: (x >= 0) * x + (x < 0) * alpha * x, (-2, 11)),
    "elu": (lambda x, alpha=0.9: (x >= 0) * x + (x < 0) * alpha * (np.exp(x) - 1), (-2, 11)),
    "trelu": (lambda x, thres=2: (x > thres) * x, (-2, 11)),
    "softplus": (lambda x: np.log(1 + np.exp(x)), (-1, 11)),
    "bent_identity": (lambda x: (np.sqrt(x * x + 1) - 1) / 2 + x, (-6, 11)),
    "gaussian": (lambda x: np.exp(-x * x), (-0.5, 1.5)),
}

ALPHA = gallery.slider_id("alpha")


def elu(x, alpha):
    return SEED["elu"][0](x, alpha)


# --- helpers ------------------------------------------------------------------------------------


def call_draw(name, slider_values, show_derivative, xmin, xmax, compare, slider_ids, dragged=None):
    """`gallery.draw` with its arguments in Dash's order (the drag store sits before the state)."""
    return gallery.draw(name, slider_values, show_derivative, xmin, xmax, compare, dragged, slider_ids)


def draw(name="identity", params=None, derivative=False, xmin=-10, xmax=10, compare=(),
         slider_ids=None):
    """`gallery.draw` as the browser calls it: slider values and ids in the same order."""
    params = params or {}
    ids_ = [gallery.slider_id(k) for k in params] if slider_ids is None else slider_ids
    return call_draw(name, list(params.values()), ["on"] if derivative else [], xmin, xmax,
                        list(compare), ids_)


def figure_dict(fig) -> dict:
    """The figure as the browser receives it (the builders return plain dicts)."""
    return fig.to_plotly_json() if hasattr(fig, "to_plotly_json") else fig


def traces(fig) -> list[dict]:
    return figure_dict(fig)["data"]


def trace_name(fig, index=0) -> str:
    return traces(fig)[index]["name"]


def xy(fig, index=0):
    """Trace `index`'s x and y as float arrays (a None, i.e. a gap, becomes NaN)."""
    trace = traces(fig)[index]
    return _floats(trace["x"]), _floats(trace["y"])


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def at(fig, x0, index=0):
    """Trace `index`'s y at the grid point nearest x0."""
    x, y = xy(fig, index)
    i = int(np.argmin(np.abs(x - x0)))
    assert abs(x[i] - x0) < 1e-6, f"no grid point at x={x0}"
    return y[i]


def text(node) -> str:
    """All the text of a Dash component tree, as a reader sees it."""
    if node is None or node is no_update:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(text(n) for n in node)
    return text(getattr(node, "children", None))


def reject_constant(name):
    raise AssertionError(f"the response holds {name}, which is not valid JSON")


def assert_strict_json(outputs) -> None:
    """Every output as Dash serialises it, and the figure by itself, is valid (strict) JSON."""
    json.loads(to_json(list(outputs)), parse_constant=reject_constant)
    json.dumps(figure_dict(outputs[0]), allow_nan=False)


def assert_sane_figure(fig) -> None:
    """Trace 0 exists with matching finite x and y of at least ten points; nothing non-finite."""
    assert len(traces(fig)) >= 1
    for index in range(len(traces(fig))):
        x, y = xy(fig, index)
        assert len(x) == len(y) >= 10
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)), f"trace {index} has gaps"
        assert np.all(np.diff(x) > 0)


def y_range(fig):
    r = figure_dict(fig)["layout"].get("yaxis", {}).get("range")
    return None if r is None else tuple(r)


def parse_query(query: str) -> dict:
    """What Dash's pages hand to `layout(**query)`: one value per key, a list if repeated."""
    assert query.startswith("?")
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query[1:], keep_blank_values=True).items()}


def find(root, component_id):
    """The component with `component_id` in a layout tree (dict ids compared as dicts)."""
    return root[component_id]


def notices(root) -> str:
    return text(find(root, ids.GALLERY_NOTICE).children)


def with_trigger(component_id, func, *args, prop="value"):
    """Call a callback as if `component_id`'s `prop` had just changed (for `dash.ctx`)."""
    prop_id = (json.dumps(component_id, sort_keys=True, separators=(",", ":"))
               if isinstance(component_id, dict) else component_id) + "." + prop
    context = contextvars.copy_context()

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id}]))
        return func(*args)

    return context.run(run)


# --- the default view: the seed's own plot --------------------------------------------------------


def test_the_default_view_is_the_seeds_identity_plot():
    fig, table, formula, torch_text, _preview, _shown, notice, query = draw()
    assert len(traces(fig)) == 1
    x, y = xy(fig)
    assert len(x) == 2000 and x[0] == -10 and abs(x[-1] - 9.99) < 1e-6
    np.testing.assert_allclose(x, SEED_X, atol=1e-5)
    np.testing.assert_allclose(y, SEED_X, atol=1e-5)
    assert y_range(fig) == (-10, 10)
    assert notice == [] and query == "?fn=identity"
    assert "Identity" in trace_name(fig, 0)
    assert_strict_json((fig, table, formula, torch_text, _preview, notice, query))


@pytest.mark.parametrize("name", list(SEED))
def test_trace_0_is_the_seed_function_on_the_seed_grid_with_the_seed_ylim(name):
    func, ylim = SEED[name]
    fig, *_, notice, query = draw(name)
    x, y = xy(fig)
    np.testing.assert_allclose(x, SEED_X, atol=1e-5)
    with np.errstate(over="ignore"):
        expected = func(SEED_X).astype(float)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    assert y_range(fig) == ylim
    assert notice == []
    assert ACTIVATIONS[name].display_name in trace_name(fig, 0)
    assert parse_query(query)["fn"] == name


def test_the_modern_functions_plot_too():
    for name in ("gelu", "silu", "mish", "selu", "hardswish"):
        fig, *_, notice, _ = draw(name)
        assert notice == []
        assert_sane_figure(fig)
        assert y_range(fig) == tuple(ACTIVATIONS[name].ylim)
    fig = draw("silu")[0]
    assert at(fig, 2) == pytest.approx(2 / (1 + math.exp(-2)), rel=1e-6)


# --- parameters ---------------------------------------------------------------------------------


def test_the_elu_alpha_changes_trace_0():
    at_minus_1 = {}
    for alpha in (0.5, 0.9):
        fig, *_, notice, query = draw("elu", {"alpha": alpha})
        at_minus_1[alpha] = at(fig, -1)
        assert notice == []
        assert f"alpha={alpha:g}" in trace_name(fig, 0)
        assert parse_query(query)["alpha"] == f"{alpha:g}"
        np.testing.assert_allclose(xy(fig)[1], elu(SEED_X, alpha), rtol=1e-6, atol=1e-6)
    assert at_minus_1[0.5] == pytest.approx(0.5 * (math.exp(-1) - 1), rel=1e-6)
    assert at_minus_1[0.9] == pytest.approx(0.9 * (math.exp(-1) - 1), rel=1e-6)
    # positive x is unaffected by alpha
    assert at(draw("elu", {"alpha": 0.5})[0], 3) == pytest.approx(3, rel=1e-6)


def test_missing_parameters_take_the_seed_defaults():
    fig, *_, notice, query = draw("elu", {})
    assert at(fig, -1) == pytest.approx(0.9 * (math.exp(-1) - 1), rel=1e-6)
    assert notice == [] and parse_query(query)["alpha"] == "0.9"


@pytest.mark.parametrize(
    "name, params, x0, expected",
    [
        ("linear", {"slope": -1.5, "intercept": 3}, 2, 0.0),
        ("linear", {"slope": 2, "intercept": 1}, 2, 5.0),
        ("leaky_relu", {"alpha": 0.3}, -2, -0.6),
        ("trelu", {"thres": -1}, -0.5, -0.5),
        ("trelu", {"thres": 1}, 0.5, 0.0),
    ],
)
def test_each_parameter_reaches_the_curve(name, params, x0, expected):
    fig, *_, notice, _ = draw(name, params)
    assert notice == []
    assert at(fig, x0) == pytest.approx(expected, abs=1e-6)


def test_parameter_values_in_the_slider_order_are_matched_by_id_not_position():
    ids_ = [gallery.slider_id("intercept"), gallery.slider_id("slope")]
    fig = call_draw("linear", [3, -1.5], [], -10, 10, [], ids_)[0]
    assert at(fig, 2) == pytest.approx(0.0, abs=1e-6)  # -1.5 * 2 + 3


# --- the derivative -----------------------------------------------------------------------------


CLOSED_FORM_DERIVATIVES = {
    "sigmoid": ({}, lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "tanh": ({}, lambda x: 1 - np.tanh(x) ** 2),
    "elu": ({"alpha": 0.5}, lambda x: np.where(x >= 0, 1.0, 0.5 * np.exp(x))),
    "softplus": ({}, lambda x: 1 / (1 + np.exp(-x))),
    "gaussian": ({}, lambda x: -2 * x * np.exp(-x * x)),
    "linear": ({"slope": 3, "intercept": 1}, lambda x: np.full_like(x, 3.0)),
    "binary_step": ({}, lambda x: np.zeros_like(x)),
}


@pytest.mark.parametrize("name", list(CLOSED_FORM_DERIVATIVES))
def test_the_derivative_trace_appears_only_when_toggled_and_is_f_prime(name):
    params, derivative = CLOSED_FORM_DERIVATIVES[name]
    without = draw(name, params)[0]
    fig, *_, query = draw(name, params, derivative=True)
    assert len(traces(without)) == 1 and len(traces(fig)) == 2
    assert parse_query(query).get("deriv") == "1" and "deriv" not in parse_query(draw(name, params)[-1])
    np.testing.assert_array_equal(xy(fig)[1], xy(without)[1])  # trace 0 is still f(x)
    x, dy = xy(fig, 1)
    np.testing.assert_allclose(dy, derivative(SEED_X), rtol=1e-5, atol=1e-6)
    assert "derivative" in trace_name(fig, 1).lower()


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_derivative_trace_is_torch_autograds(name):
    act = ACTIVATIONS[name]
    params = {p.name: p.default for p in act.params}
    fig = draw(name, params, derivative=True)[0]
    x = torch.tensor(SEED_X, dtype=torch.float64, requires_grad=True)
    y = act.fn(x, **params)
    if y.requires_grad:
        (grad,) = torch.autograd.grad(y.sum(), x)
        expected = grad.numpy()
    else:
        expected = np.zeros_like(SEED_X)
    np.testing.assert_allclose(xy(fig, 1)[1], expected, rtol=1e-5, atol=1e-6)


def shaded(fig) -> list[float]:
    """The shaded strips' edges, left to right: [start, end, start, end, …]."""
    return [edge for s in figure_dict(fig)["layout"].get("shapes", []) for edge in (s["x0"], s["x1"])]


# Where |f′| < 0.01, by hand: σ′ = σ(1 − σ) = 0.01 at σ = (1 − √0.96) / 2, x = ±ln(σ / (1 − σ));
# tanh′ = 1 − tanh² = 0.01 at x = ±artanh(√0.99); the Gaussian's f′ = −2x e^(−x²) also at its
# top, |x| < 0.005; ReLU's and the binary step's f′ are 0 on x ≤ 0 and everywhere.
_SIGMOID_EDGE = -math.log((1 - math.sqrt(0.96)) / (1 + math.sqrt(0.96)))
_TANH_EDGE = math.atanh(math.sqrt(0.99))
VANISHING = {  # the edges, as `shaded` lists them
    "sigmoid": [-10, -_SIGMOID_EDGE, _SIGMOID_EDGE, 9.99],
    "tanh": [-10, -_TANH_EDGE, _TANH_EDGE, 9.99],
    "gaussian": [-10, -2.495, -0.005, 0.005, 2.495, 9.99],
    "relu": [-10, 0],
    "binary_step": [-10, 9.99],
    "identity": [],
    "leaky_relu": [],
}


@pytest.mark.parametrize("name", list(VANISHING))
def test_the_regions_where_the_gradient_vanishes_are_shaded_with_the_derivative(name):
    fig = draw(name, derivative=True)[0]
    assert shaded(fig) == pytest.approx(VANISHING[name], abs=0.006)  # half a grid step
    assert shaded(draw(name)[0]) == []
    shapes = figure_dict(fig)["layout"].get("shapes", [])
    assert [s["showlegend"] for s in shapes] == [i == 0 for i in range(len(shapes))]  # one legend entry
    assert all(s["name"] == "|f′(x)| < 0.01: the gradient vanishes" and s["yref"] == "paper" for s in shapes)
    assert len(traces(fig)) == 2  # trace 0 f(x), trace 1 f′(x): shapes are not traces


def test_the_shading_follows_the_parameter():
    assert shaded(draw("leaky_relu", {"alpha": 0.005}, derivative=True)[0]) == pytest.approx([-10, 0.005])
    assert shaded(draw("linear", {"slope": 0.0, "intercept": 1.0}, derivative=True)[0]) == pytest.approx([-10, 9.99])


@pytest.mark.parametrize("value", ["on", ["off"], [True], {"on": 1}, 1, None, [["on"]]])
def test_only_the_checked_box_shows_the_derivative(value):
    outputs = call_draw("sigmoid", [], value, -10, 10, [], [])
    assert len(traces(outputs[0])) == 1
    assert_strict_json(outputs)


# --- compare -------------------------------------------------------------------------------------


def test_compare_adds_one_trace_per_function_with_distinct_colours_and_names():
    others = ["sigmoid", "tanh", "relu"]
    fig, *_, notice, query = draw("elu", {"alpha": 0.5}, compare=others)
    assert notice == [] and len(traces(fig)) == 1 + len(others)
    names = [t["name"] for t in traces(fig)]
    colours = [t["line"]["color"] for t in traces(fig)]
    assert len(set(names)) == len(names) and len(set(colours)) == len(colours)
    for index, other in enumerate(others, start=1):
        assert ACTIVATIONS[other].display_name in trace_name(fig, index)
        np.testing.assert_allclose(xy(fig, index)[1], SEED[other][0](SEED_X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(xy(fig)[1], elu(SEED_X, 0.5), rtol=1e-6, atol=1e-6)
    assert parse_query(query)["compare"] == "sigmoid,tanh,relu"


def test_compare_with_the_derivative_keeps_trace_0_and_1():
    fig = draw("tanh", derivative=True, compare=["sigmoid"])[0]
    assert len(traces(fig)) == 3
    assert "TanH" in trace_name(fig, 0) and "derivative" in trace_name(fig, 1).lower()
    assert "Sigmoid" in trace_name(fig, 2)


def test_compare_ignores_the_selected_function_and_duplicates_silently():
    fig, *_, notice, _ = draw("relu", compare=["relu", "tanh", "tanh"])
    assert len(traces(fig)) == 2 and notice == []


def test_comparing_everything_is_capped_with_a_message():
    everything = [n for n in ACTIVATIONS if n != "identity"]
    fig, *_, notice, query = draw("identity", compare=everything)
    assert len(traces(fig)) == 1 + gallery.MAX_COMPARED
    assert "at most" in text(notice).lower()
    colours = [t["line"]["color"] for t in traces(fig)]
    assert len(set(colours)) == len(colours)
    assert len(parse_query(query)["compare"].split(",")) == gallery.MAX_COMPARED


def test_compare_accepts_the_urls_comma_separated_form():
    outputs = call_draw("identity", [], [], -10, 10, "sigmoid, tanh", [])
    assert len(traces(outputs[0])) == 3 and outputs[-2] == []


# --- the x range --------------------------------------------------------------------------------


def test_the_x_range_changes_the_grid_and_frees_the_y_range():
    fig, *_, notice, query = draw("elu", {"alpha": 0.5}, xmin=-5, xmax=5)
    x, y = xy(fig)
    np.testing.assert_allclose(x, np.arange(-5, 5, 0.01), atol=1e-5)
    assert x[0] == -5 and x[-1] < 5
    np.testing.assert_allclose(y, elu(np.arange(-5, 5, 0.01), 0.5), rtol=1e-6, atol=1e-6)
    assert y_range(fig) is None  # autoscale: the seed's ylim is for the seed's x range only
    assert notice == []
    q = parse_query(query)
    assert (q["xmin"], q["xmax"]) == ("-5", "5")


def test_the_default_x_range_keeps_the_seed_ylim_and_stays_out_of_the_url():
    fig, *_, query = draw("sigmoid", xmin=-10, xmax=10)
    assert y_range(fig) == (0, 1)
    assert "xmin" not in query and "xmax" not in query


def test_a_wide_range_is_thinned_to_a_bounded_number_of_points():
    fig, *_, notice, _ = draw("softplus", xmin=-1000, xmax=1000, derivative=True)
    x, y = xy(fig)
    assert notice == [] and len(x) <= 2001
    assert x[0] == -1000 and x[-1] == 1000
    assert_sane_figure(fig)


def test_a_cleared_range_box_means_the_default():
    fig, *_, notice, _ = draw("tanh", xmin=None, xmax=None)
    assert notice == [] and len(traces(fig)[0]["x"]) == 2000 and y_range(fig) == (-1, 1)


def test_numeric_strings_are_numbers():
    fig, *_, notice, _ = draw("elu", {"alpha": "0.5"}, xmin="-5", xmax="5")
    assert notice == []
    assert at(fig, -1) == pytest.approx(0.5 * (math.exp(-1) - 1), rel=1e-6)
    assert traces(fig)[0]["x"][0] == -5


# --- hostile input ------------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
JUNK = [NAN, INF, -INF, "1e999", "-1e999", "nan", "abc", "", None, {"a": 1}, [1], True, 10**400]

HOSTILE = [
    # (name, slider values, show_derivative, xmin, xmax, compare, slider ids), words in the notice
    pytest.param(("nope", [], [], -10, 10, [], []), "nope", id="unknown fn"),
    pytest.param(("group:seed", [], [], -10, 10, [], []), "group:seed", id="disabled option"),
    pytest.param((["elu"], [], [], -10, 10, [], []), "unknown function", id="fn list"),
    pytest.param(({"fn": "elu"}, [], [], -10, 10, [], []), "unknown function", id="fn dict"),
    pytest.param((5, [], [], -10, 10, [], []), "unknown function", id="fn number"),
    *[pytest.param(("elu", [v], [], -10, 10, [], [ALPHA]), "alpha", id=f"alpha={v!r:.20}")
      for v in JUNK + [-0.5, 2.5, 1e308]],
    *[pytest.param(("identity", [], [], v, 10, [], []), "xmin", id=f"xmin={v!r:.20}") for v in JUNK if v is not None],
    *[pytest.param(("identity", [], [], -10, v, [], []), "xmax", id=f"xmax={v!r:.20}")
      for v in (NAN, -INF, "1e999", "abc", [1], True)],  # parsed like xmin
    pytest.param(("identity", [], [], 9, 1, [], []), "xmax must exceed xmin", id="xmin>xmax"),
    pytest.param(("identity", [], [], 3, 3, [], []), "xmax must exceed xmin", id="xmin=xmax"),
    pytest.param(("identity", [], [], 3, 3.05, [], []), "xmax must exceed xmin", id="tiny span"),
    pytest.param(("identity", [], [], -1e6, 1e6, [], []), "xmin", id="huge range"),
    pytest.param(("identity", [], [], -1001, 0, [], []), "xmin", id="xmin beyond limit"),
    pytest.param(("identity", [], [], -10, 10, 5, []), "compare", id="compare number"),
    pytest.param(("identity", [], [], -10, 10, {"a": "sigmoid"}, []), "compare", id="compare dict"),
    pytest.param(("identity", [], [], -10, 10, ["nope", None, 5, ["x"], {"a": 1}, NAN], []),
                 "unknown function", id="compare junk list"),
    pytest.param(("identity", [], [], -10, 10, "nope,sigmoid", []), "nope", id="compare junk string"),
    pytest.param(("nope", [NAN, "x"], {"x": 1}, "abc", INF, [None], [None, "alpha"]), "nope",
                 id="everything at once"),
]


@pytest.mark.parametrize("args, words", HOSTILE)
def test_hostile_input_gives_a_notice_and_a_clean_figure(args, words):
    outputs = call_draw(*args)
    fig, table, formula, torch_text, _preview, _shown, notice, query = outputs
    assert_strict_json(outputs)
    assert_sane_figure(fig)
    shown = text(notice)
    assert words.lower() in shown.lower(), shown
    assert all(isinstance(p, html.P) for p in notice)
    # the address bar gets a clean link: loading it shows no notice
    assert notices(gallery.layout(**parse_query(query))) == ""


def test_an_unknown_function_falls_back_to_identity_with_the_choices_listed():
    fig, *_, notice, query = call_draw("nope", [], [], -10, 10, [], [])
    np.testing.assert_allclose(xy(fig)[1], SEED_X, atol=1e-5)
    assert "elu" in text(notice) and query == "?fn=identity"


def test_a_rejected_parameter_uses_its_default_and_says_so():
    fig, *_, notice, _ = draw("elu", {"alpha": "abc"})
    assert at(fig, -1) == pytest.approx(0.9 * (math.exp(-1) - 1), rel=1e-6)
    assert "0.9" in text(notice) and "“abc”" in text(notice)


@pytest.mark.parametrize(
    "slider_values, slider_ids",
    [
        ([0.5], [None]),
        ([0.5], ["alpha"]),
        ([0.5], [{"name": 5}]),
        ([0.5], [{"name": ["alpha"]}]),
        ([0.5], [{}]),
        ([0.5, 0.7, 0.1], [ALPHA]),  # more values than ids
        ([], [ALPHA, ALPHA]),  # fewer
        ([0.5], [gallery.slider_id("nonsense")]),
        ([0.5], [{"type": "param-slider", "name": "alpha", "extra": [1, 2]}]),
    ],
)
def test_junk_slider_ids_never_raise(slider_values, slider_ids):
    outputs = call_draw("elu", slider_values, [], -10, 10, [], slider_ids)
    assert_strict_json(outputs)
    assert_sane_figure(outputs[0])


@pytest.mark.parametrize("slider_values, slider_ids", [(5, [ALPHA]), ([0.5], 5), (0.5, 7)])
def test_a_scalar_in_the_pattern_matching_slots_never_raises(slider_values, slider_ids):
    outputs = call_draw("elu", slider_values, [], -10, 10, [], slider_ids)
    assert_strict_json(outputs)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["1e999", "-1e999", "nan", "Infinity", "0.5", "-5", "5", "0x10", "1_0",
                       " 3 ", "elu", "sigmoid", "group:modern", "identity,elu"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(list(ACTIVATIONS)) | JSONISH
SLIDER_IDS = st.lists(
    st.sampled_from([gallery.slider_id(n) for n in ("alpha", "slope", "intercept", "thres", "zz")])
    | JSONISH,
    max_size=3,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=NAMES,
    slider_values=st.lists(JSONISH, max_size=3),
    show_derivative=JSONISH | st.just(["on"]),
    xmin=JSONISH | st.floats(-1000, 1000),
    xmax=JSONISH | st.floats(-1000, 1000),
    compare=JSONISH | st.lists(NAMES, max_size=8),
    slider_ids=SLIDER_IDS,
)
def test_draw_never_raises_and_answers_strict_json(name, slider_values, show_derivative, xmin,
                                                   xmax, compare, slider_ids):
    outputs = call_draw(name, slider_values, show_derivative, xmin, xmax, compare, slider_ids)
    assert len(outputs) == 8
    assert_strict_json(outputs)
    assert_sane_figure(outputs[0])
    assert isinstance(outputs[-2], list) and isinstance(outputs[-1], str)
    assert outputs[-1].startswith("?fn=")


# --- deep links: layout(**query) ----------------------------------------------------------------


def test_the_contract_deep_link_builds_that_view():
    root = gallery.layout(fn="elu", alpha="0.5", xmin="-5", xmax="5")
    assert find(root, ids.ACTIVATION).value == "elu"
    assert find(root, gallery.box_id("alpha")).value == 0.5
    assert find(root, gallery.slider_id("alpha")).value == 0.5
    assert (find(root, ids.XMIN).value, find(root, ids.XMAX).value) == (-5, 5)
    assert notices(root) == ""
    fig = find(root, ids.ACTIVATION_GRAPH).figure
    x, y = xy(fig)
    np.testing.assert_allclose(x, np.arange(-5, 5, 0.01), atol=1e-5)
    np.testing.assert_allclose(y, elu(np.arange(-5, 5, 0.01), 0.5), rtol=1e-6, atol=1e-6)
    assert y_range(fig) is None
    json.dumps(figure_dict(fig), allow_nan=False)


def test_no_query_is_the_seeds_identity_plot():
    root = gallery.layout()
    assert find(root, ids.ACTIVATION).value == "identity"
    fig = find(root, ids.ACTIVATION_GRAPH).figure
    np.testing.assert_allclose(xy(fig)[0], SEED_X, atol=1e-5)
    assert y_range(fig) == (-10, 10) and len(traces(fig)) == 1
    assert notices(root) == ""
    assert "no parameters" in text(find(root, ids.PARAM_CONTROLS)).lower()
    assert find(root, ids.SHOW_DERIVATIVE).value == [] and find(root, ids.COMPARE).value == []


def test_a_bad_link_shows_notices_and_the_default_view():
    root = gallery.layout(fn="nope", alpha="abc", xmin="9", xmax="1")
    shown = notices(root)
    assert "nope" in shown and "xmax must exceed xmin" in shown
    assert find(root, ids.ACTIVATION).value == "identity"
    fig = find(root, ids.ACTIVATION_GRAPH).figure
    np.testing.assert_allclose(xy(fig)[0], SEED_X, atol=1e-5)
    np.testing.assert_allclose(xy(fig)[1], SEED_X, atol=1e-5)
    assert (find(root, ids.XMIN).value, find(root, ids.XMAX).value) == (-10, 10)


@pytest.mark.parametrize(
    "query, words, control, value",
    [
        ({"fn": "elu", "alpha": "abc"}, "alpha", gallery.box_id("alpha"), 0.9),
        ({"fn": "elu", "alpha": "5"}, "alpha", gallery.slider_id("alpha"), 0.9),
        ({"fn": "elu", "alpha": "nan"}, "alpha", gallery.box_id("alpha"), 0.9),
        ({"fn": "elu", "alpha": ""}, "alpha", gallery.box_id("alpha"), 0.9),
        ({"fn": "elu", "alpha": ["0.5", "0.7"]}, "alpha", gallery.box_id("alpha"), 0.9),
        ({"fn": ["elu", "relu"]}, "unknown function", ids.ACTIVATION, "identity"),
        ({"fn": ""}, "unknown function", ids.ACTIVATION, "identity"),
        ({"xmin": "-1e999"}, "xmin", ids.XMIN, -10),
        ({"xmax": "Infinity"}, "xmax", ids.XMAX, 10),
        ({"compare": "sigmoid,nope"}, "nope", ids.COMPARE, ["sigmoid"]),
    ],
)
def test_each_bad_link_value_is_reported_and_replaced(query, words, control, value):
    root = gallery.layout(**query)
    assert words.lower() in notices(root).lower()
    assert "Ignored from the link" in notices(root)
    assert find(root, control).value == value
    json.dumps(figure_dict(find(root, ids.ACTIVATION_GRAPH).figure), allow_nan=False)


def test_unknown_link_keys_are_ignored_quietly():
    root = gallery.layout(fn="relu", utm_source="newsletter", thres="3")
    assert notices(root) == "" and find(root, ids.ACTIVATION).value == "relu"


def test_a_link_restores_compare_and_the_derivative():
    root = gallery.layout(fn="tanh", compare="sigmoid,relu", deriv="1")
    assert find(root, ids.COMPARE).value == ["sigmoid", "relu"]
    assert find(root, ids.SHOW_DERIVATIVE).value == ["on"]
    fig = find(root, ids.ACTIVATION_GRAPH).figure
    assert len(traces(fig)) == 4 and "derivative" in trace_name(fig, 1).lower()


VIEWS = [
    dict(name="identity"),
    dict(name="elu", params={"alpha": 0.5}, xmin=-5, xmax=5),
    dict(name="elu", params={"alpha": 0.07}),
    dict(name="linear", params={"slope": -2.3, "intercept": 0.4}, derivative=True),
    dict(name="trelu", params={"thres": -1.2}, compare=["relu", "leaky_relu"], xmin=-3.25, xmax=7.5),
    dict(name="gaussian", xmin=-1000, xmax=1000, derivative=True, compare=["sigmoid"]),
    dict(name="leaky_relu", params={"alpha": 0.01}, xmin=0.5, xmax=0.75),
]


@pytest.mark.parametrize("view", VIEWS)
def test_the_query_written_to_the_address_bar_round_trips_through_layout(view):
    fig, *_, notice, query = draw(**view)
    root = gallery.layout(**parse_query(query))
    assert notices(root) == ""
    assert find(root, ids.ACTIVATION).value == view["name"]
    for key, value in view.get("params", {}).items():
        assert find(root, gallery.box_id(key)).value == pytest.approx(value)
        assert find(root, gallery.slider_id(key)).value == pytest.approx(value)
    assert find(root, ids.XMIN).value == view.get("xmin", -10)
    assert find(root, ids.XMAX).value == view.get("xmax", 10)
    assert find(root, ids.COMPARE).value == view.get("compare", [])
    assert find(root, ids.SHOW_DERIVATIVE).value == (["on"] if view.get("derivative") else [])
    again = find(root, ids.ACTIVATION_GRAPH).figure
    assert traces(again) == traces(fig)
    assert y_range(again) == y_range(fig)


def test_a_precise_x_range_round_trips():
    fig, *_, query = draw("tanh", xmin=-2.345678, xmax=3.1415926)
    root = gallery.layout(**parse_query(query))
    assert (find(root, ids.XMIN).value, find(root, ids.XMAX).value) == (-2.345678, 3.1415926)
    assert figure_dict(find(root, ids.ACTIVATION_GRAPH).figure)["data"] == traces(fig)


@pytest.mark.parametrize("xmin, xmax", [(0.5, 0.6), (0.2, 0.3)])
def test_the_smallest_documented_span_is_accepted(xmin, xmax):
    fig, *_, notice, _ = draw("identity", xmin=xmin, xmax=xmax)
    assert notice == []
    assert xy(fig)[0][0] == pytest.approx(xmin)


# --- view, properties and formula ---------------------------------------------------------------


def test_view_returns_the_formula_as_display_math_and_the_torch_equivalent():
    fig, table, formula, torch_text, preview = gallery.view("elu", {"alpha": 0.5}, -10, 10, [], False)
    assert formula.startswith("$$") and formula.rstrip().endswith("$$") and r"\alpha" in formula
    assert "torch.nn.ELU" in text(torch_text)
    assert "no module" in text(gallery.view("arctan", {}, -10, 10, [], False)[3])
    assert "Range" in text(table)


def table_rows(table) -> dict[str, str]:
    """{row header: value} of the properties table, as a reader sees it."""
    return {text(row.children[0]): text(row.children[1]) for row in table.children.children}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("sigmoid", {"Range": "(0, 1)", "Monotonic": "yes, strictly increasing", "Continuity": "C^∞ (smooth)",
                     "Zero-centred (f(0) = 0)": "no, f(0) = 0.5", "Saturating": "yes, on both sides",
                     "f′(0)": "0.25"}),
        ("relu", {"Range": "[0, ∞)", "Continuity": "C⁰: f′ jumps from 0 to 1 at x = 0",
                  "Saturating": "yes, for x → −∞"}),
        ("identity", {"Range": "(−∞, ∞)", "Saturating": "no"}),
        ("binary_step", {"Range": "{0, 1}", "Continuity": "discontinuous: f jumps from 0 to 1 at x = 0"}),
    ],
)
def test_the_table_is_the_exact_properties_one_row_each_with_its_name_in_a_header_cell(name, expected):
    """The whole of each panel is tests/test_exact_properties.py's; here: the page shows it."""
    table = gallery.view(name, {}, -10, 10, [], False)[1]
    assert [type(row.children[0]) for row in table.children.children] == [html.Th] * len(table.children.children)
    rows = table_rows(table)
    assert {key: rows[key] for key in expected} == expected
    assert rows["f′(0)"].startswith("not differentiable") == (name in ("relu", "binary_step"))


def test_the_properties_follow_the_parameter():
    assert table_rows(draw("leaky_relu", {"alpha": 0.0})[1])["Range"] == "[0, ∞)"
    assert table_rows(draw("elu", {"alpha": 0.5})[1])["Range"] == "(−α, ∞) = (−0.5, ∞)"
    trelu = table_rows(draw("trelu", {"thres": -1.5})[1])
    assert trelu["Range"] == "(θ, ∞) = (−1.5, ∞)" and trelu["f′(θ), θ = −1.5"].startswith("not differentiable")


# --- the other callbacks ------------------------------------------------------------------------


def test_choosing_a_function_shows_its_parameter_controls_at_the_defaults():
    controls = gallery.show_param_controls("elu")
    root = html.Div(controls)
    slider, box = find(root, gallery.slider_id("alpha")), find(root, gallery.box_id("alpha"))
    assert slider.value == box.value == 0.9
    assert (slider.min, slider.max, slider.step) == (0, 2, 0.01)  # explicit step: Dash 4 defaults it to 1 for whole-number limits
    assert (box.min, box.max) == (0, 2)
    linear = html.Div(gallery.show_param_controls("linear"))
    assert find(linear, gallery.box_id("slope")).value == 2
    assert find(linear, gallery.box_id("intercept")).value == 1
    assert "no parameters" in text(gallery.show_param_controls("sigmoid")).lower()


@pytest.mark.parametrize("junk", [None, "nope", 5, ["elu"], {"a": 1}, "group:seed"])
def test_junk_functions_leave_the_parameter_controls_alone(junk):
    assert gallery.show_param_controls(junk) is no_update


def test_reset_returns_to_the_tutorials_view_of_the_current_function():
    assert gallery.reset_view(1, "elu", [ALPHA]) == ("elu", -10, 10, [], [], [0.9])
    assert gallery.reset_view(1, "linear", [gallery.slider_id("slope"), gallery.slider_id("intercept")]) \
        == ("linear", -10, 10, [], [], [2, 1])
    name, *_, values = gallery.reset_view(1, "nope", [None, gallery.slider_id("zz")])
    assert name == "identity" and values == [no_update, no_update]


@pytest.mark.parametrize("name, slider_ids", [(["elu"], []), ("elu", [{"name": ["alpha"]}]),
                                              ({"a": 1}, []), ("elu", 5)])
def test_reset_never_raises_on_junk(name, slider_ids):
    gallery.reset_view(1, name, slider_ids)




def test_a_dragged_handle_redraws_with_its_value_and_junk_from_the_drag_store_is_refused():
    from components import ids

    def dragged(value):
        return with_trigger(ids.PARAM_DRAG, gallery.draw, "elu", [0.9], [], -10, 10, [], value, [ALPHA],
                            prop="data")

    fig, table, formula, torch_text, preview, _shown, notice, query = dragged({"alpha": 0.3, "at": 1})
    assert at(fig, -1) == pytest.approx(elu(np.array([-1.0]), 0.3)[0], rel=1e-6) and notice is no_update
    assert "alpha=0.3" in traces(fig)[0]["name"]
    # while dragging only the curve is redrawn; the table and the address follow on release
    assert table is formula is torch_text is query is no_update
    fig, *_, notice, query = dragged({"alpha": "nan", "xmin": 5})
    assert at(fig, -1) == pytest.approx(elu(np.array([-1.0]), 0.9)[0], rel=1e-6)  # the default
    assert notice and xy(fig)[0][0] == -10  # a message; xmin not taken from here
    assert_strict_json(dragged(["junk"]))


def test_the_formula_is_sent_only_when_the_function_changes():
    from components import ids

    released = with_trigger(ALPHA, gallery.draw, "elu", [0.4], [], -10, 10, [], None, [ALPHA])
    fig, table, formula, torch_text, preview, _shown, notice, query = released
    assert formula is no_update and torch_text is no_update
    assert "alpha=0.4" in query and table is not no_update
    picked = with_trigger(ids.ACTIVATION, gallery.draw, "elu", [0.4], [], -10, 10, [], None, [ALPHA])
    assert "alpha" in picked[2] and picked[3] is not no_update


def test_the_drag_preview_carries_exact_slopes_for_affine_parameters_only():
    """The page redraws a drag of alpha as f + Δ·slope by itself (assets/gallery.js): the slopes
    sent must give the server's own curve at another alpha, and a threshold gets none."""
    preview = draw("elu", {"alpha": 0.5}, derivative=True)[4]
    assert preview["params"] == {"alpha": 0.5} and preview["derivative_trace"] == 1
    moved = draw("elu", {"alpha": 1.7}, derivative=True)[0]
    base = draw("elu", {"alpha": 0.5}, derivative=True)[0]
    for trace, key in ((0, "y"), (1, "dy")):
        slope = np.array(preview["slopes"]["alpha"][key])
        shifted = np.array(traces(base)[trace]["y"]) + 1.2 * slope
        np.testing.assert_allclose(shifted, traces(moved)[trace]["y"], rtol=1e-5, atol=1e-5)
    assert draw("elu", {"alpha": 0.5})[4]["derivative_trace"] is None
    assert draw("trelu", {"thres": 1})[4]["slopes"] == {}
    assert set(draw("linear", {"slope": 1, "intercept": 0})[4]["slopes"]) == {"slope", "intercept"}


# --- ready views: a new function drawn in the browser at once ------------------------------------

def decoded(typed: dict) -> np.ndarray:
    import base64

    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype="<f4")


def test_every_function_has_a_ready_view_equal_to_the_servers():
    ready = gallery_ready.ready_views()
    x = decoded(ready["x"])
    assert set(ready["views"]) == set(ACTIVATIONS) and len(x) == 2000
    for name, entry in ready["views"].items():
        fig, *_ = draw(name, gallery.defaults(name))
        served = traces(fig)[0]
        np.testing.assert_array_equal(decoded(entry["trace"]["y"]), np.float32(served["y"]))
        np.testing.assert_array_equal(x, np.float32(served["x"]))
        assert entry["trace"]["name"] == served["name"]
        assert entry["yaxis"]["range"] == list(ACTIVATIONS[name].ylim)
    assert len(json.dumps(ready)) < 300_000  # sent once per gallery visit


def test_a_view_the_browser_shows_already_is_not_sent_again():
    ids_ = [gallery.slider_id("alpha")]
    first = call_draw("elu", [0.5], [], -10, 10, [], ids_)
    fig, *_rest = first
    shown = first[5]
    assert isinstance(fig, dict)
    again = gallery.draw("elu", [0.5], [], -10, 10, [], None, ids_, shown)
    assert again[0] is no_update and again[5] == shown
    other = gallery.draw("elu", [0.7], [], -10, 10, [], None, ids_, shown)
    assert isinstance(other[0], dict) and other[5] != shown


def test_a_new_function_at_its_defaults_is_drawn_by_the_browser_and_described_by_the_server():
    """The browser drew the ready view when the function changed: the server's answer brings the
    formula, the properties and the view's key, not the figure. Old sliders (the previous
    function's) do not leak into the new function."""
    old_sliders = [gallery.slider_id("alpha")]
    out = with_trigger(ids.ACTIVATION, gallery.draw, "elu", [0.1], [], -10, 10, [], None, old_sliders, "x")
    fig, table, formula, *_ = out
    assert fig is no_update and "alpha" in formula or "alpha" in str(formula)
    assert out[5] == gallery_ready.ready_views()["views"]["elu"]["key"]  # alpha 0.9, not the 0.1 left over
    shown_derivative = with_trigger(ids.ACTIVATION, gallery.draw, "elu", [], ["on"], -10, 10, [], None, [], "x")
    assert isinstance(shown_derivative[0], dict)  # not a ready view: the server draws it
