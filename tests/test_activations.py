"""Tests for core/activations.py: the registry against the seed tutorial, autograd derivatives
against hand-derived ones, torch.nn equivalents, numerical stability, properties, and the parser
of untrusted input."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import activations as A
from core.activation_properties import properties
from core.activations import (
    ACTIVATIONS, MAX_POINTS, X_LIMIT, evaluate, make_grid, resolve,
)

SEED_GRID = np.arange(-10, 10, 0.01)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """These tensors are small: one thread is fastest and immune to contention for cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- the seed's numpy definitions, copied verbatim from the tutorial -----------------------------

def identity_func(x):
    return x

def linear_func(x):
    return 2 * x + 1

def binarystep_func(x):
    return (x>=0)*1

def softstep_func(x):
    return 1 / (1 + np.exp(-x))

def tanh_func(x):
    return np.tanh(x)

def arctan_func(x):
    return np.arctan(x)

def softsign_func(x):
    return x / ( 1+ np.abs(x) )

def relu_func(x):
    return (x>0)*x

def leakyrelu_func(x, alpha=0.1):
    return (x>=0)*x + (x<0)*alpha*x

def elu_func(x, alpha=0.9):
    return (x>=0)*x + (x<0)*alpha*(np.exp(x)-1)

def trelu_func(x, thres=2):
    return (x>thres)*x

def softplus_func(x):
    return np.log( 1 + np.exp(x) )

def bentidentity_func(x):
    return (np.sqrt(x*x+1)-1)/2+x

def gaussian_func(x):
    return np.exp(-x*x)


SEED = {  # registry name: (seed function, the seed's plt.ylim)
    "identity": (identity_func, (-10, 10)),
    "linear": (linear_func, (-10, 10)),
    "binary_step": (binarystep_func, (-5, 5)),
    "sigmoid": (softstep_func, (0, 1)),
    "tanh": (tanh_func, (-1, 1)),
    "arctan": (arctan_func, (-1.5, 1.5)),
    "softsign": (softsign_func, (-1, 1)),
    "relu": (relu_func, (-1, 11)),
    "leaky_relu": (leakyrelu_func, (-2, 11)),
    "elu": (elu_func, (-2, 11)),
    "trelu": (trelu_func, (-2, 11)),
    "softplus": (softplus_func, (-1, 11)),
    "bent_identity": (bentidentity_func, (-6, 11)),
    "gaussian": (gaussian_func, (-0.5, 1.5)),
}


def param_sets(name):
    """Every combination of each parameter's min, default and max."""
    params = ACTIVATIONS[name].params
    choices = [(p.min, p.default, p.max) for p in params]
    return [dict(zip((p.name for p in params), combo)) for combo in itertools.product(*choices)]


# --- registry ------------------------------------------------------------------------------------

def test_registry_order_groups_and_seed_settings():
    names = list(ACTIVATIONS)
    assert names[:14] == list(SEED)
    assert names[14:] == ["gelu", "silu", "mish", "selu", "hardswish"]
    for name, act in ACTIVATIONS.items():
        assert act.name == name
        assert act.group == ("seed" if name in SEED else "modern")
        assert act.formula_latex and act.display_name
        assert (act.torch_nn is None) == (act.torch_nn_factory is None)
        assert act.ylim[0] < act.ylim[1]
        for p in act.params:
            assert p.min <= p.default <= p.max and p.step > 0
    for name, (_, ylim) in SEED.items():
        assert ACTIVATIONS[name].ylim == ylim
    defaults = {n: {p.name: p.default for p in a.params} for n, a in ACTIVATIONS.items()}
    assert defaults["linear"] == {"slope": 2, "intercept": 1}
    assert defaults["leaky_relu"] == {"alpha": 0.1}
    assert defaults["elu"] == {"alpha": 0.9}
    assert defaults["trelu"] == {"thres": 2}


# --- values against the seed ---------------------------------------------------------------------

@pytest.mark.parametrize("name", SEED)
def test_matches_seed_at_defaults(name):
    y, _ = evaluate(name, SEED_GRID)
    np.testing.assert_allclose(y, SEED[name][0](SEED_GRID), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "name, params, seed",
    [("leaky_relu", {"alpha": a}, lambda x, a=a: leakyrelu_func(x, alpha=a)) for a in (0, 0.37, 1)]
    + [("elu", {"alpha": a}, lambda x, a=a: elu_func(x, alpha=a)) for a in (0, 0.5, 1, 2)]
    + [("trelu", {"thres": t}, lambda x, t=t: trelu_func(x, thres=t)) for t in (-5, -1.5, 0, 5)]
    + [("linear", {"slope": w, "intercept": b}, lambda x, w=w, b=b: w * x + b)
       for w, b in ((-5, 5), (0, -2.5), (0.3, 0))],
)
def test_matches_seed_at_other_params(name, params, seed):
    y, _ = evaluate(name, SEED_GRID, params)
    np.testing.assert_allclose(y, seed(SEED_GRID), rtol=1e-12, atol=1e-14)


# --- derivatives ---------------------------------------------------------------------------------

_erf = np.vectorize(math.erf)
_LAMBDA, _ALPHA = 1.0507009873554805, 1.6732632423543772  # SELU's constants


def _sig(x):
    return 1 / (1 + np.exp(-x))


ANALYTIC = {  # name: (f'(x, **params), kinks(**params))
    "identity": (lambda x: np.ones_like(x), lambda: []),
    "linear": (lambda x, slope, intercept: np.full_like(x, slope), lambda **_: []),
    "binary_step": (lambda x: np.zeros_like(x), lambda: [0]),
    "sigmoid": (lambda x: _sig(x) * (1 - _sig(x)), lambda: []),
    "tanh": (lambda x: 1 - np.tanh(x) ** 2, lambda: []),
    "arctan": (lambda x: 1 / (1 + x * x), lambda: []),
    "softsign": (lambda x: 1 / (1 + np.abs(x)) ** 2, lambda: []),
    "relu": (lambda x: (x > 0) * 1.0, lambda: [0]),
    "leaky_relu": (lambda x, alpha: np.where(x >= 0, 1, alpha), lambda alpha: [0]),
    "elu": (lambda x, alpha: np.where(x >= 0, 1, alpha * np.exp(x)), lambda alpha: [0]),
    "trelu": (lambda x, thres: (x > thres) * 1.0, lambda thres: [thres]),
    "softplus": (_sig, lambda: []),
    "bent_identity": (lambda x: x / (2 * np.sqrt(x * x + 1)) + 1, lambda: []),
    "gaussian": (lambda x: -2 * x * np.exp(-x * x), lambda: []),
    "gelu": (lambda x: 0.5 * (1 + _erf(x / np.sqrt(2)))
             + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi), lambda: []),
    "silu": (lambda x: _sig(x) * (1 + x * (1 - _sig(x))), lambda: []),
    "mish": (lambda x: np.tanh(np.log1p(np.exp(x)))
             + x * (1 - np.tanh(np.log1p(np.exp(x))) ** 2) * _sig(x), lambda: []),
    "selu": (lambda x: np.where(x > 0, _LAMBDA, _LAMBDA * _ALPHA * np.exp(x)), lambda: [0]),
    "hardswish": (lambda x: np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)),
                  lambda: [-3, 3]),
}


def test_every_activation_has_an_analytic_derivative():
    assert set(ANALYTIC) == set(ACTIVATIONS)


@pytest.mark.parametrize("name, params", [(n, p) for n in ACTIVATIONS for p in param_sets(n)])
def test_autograd_derivative_matches_analytic(name, params):
    derivative, kinks = ANALYTIC[name]
    away = np.all([np.abs(SEED_GRID - k) > 0.005 for k in kinks(**params)], axis=0)
    x = SEED_GRID[away]
    _, dy = evaluate(name, x, params)
    np.testing.assert_allclose(dy, derivative(x, **params), rtol=1e-9, atol=1e-12)


# --- torch.nn equivalents ------------------------------------------------------------------------

_WITH_NN = [n for n, a in ACTIVATIONS.items() if a.torch_nn_factory is not None]


def test_torch_nn_equivalents_named_where_they_exist():
    assert set(_WITH_NN) == {"identity", "sigmoid", "tanh", "softsign", "relu", "leaky_relu", "elu",
                             "trelu", "softplus", "gelu", "silu", "mish", "selu", "hardswish"}
    assert ACTIVATIONS["elu"].torch_nn.startswith("torch.nn.ELU(")
    assert ACTIVATIONS["trelu"].torch_nn.startswith("torch.nn.Threshold(")


@pytest.mark.parametrize("name, params", [(n, p) for n in _WITH_NN for p in param_sets(n)])
def test_torch_nn_equivalent_agrees(name, params):
    x = np.concatenate([SEED_GRID, np.linspace(-X_LIMIT, X_LIMIT, 2001)])
    module = ACTIVATIONS[name].torch_nn_factory(**params)
    with torch.no_grad():
        expected = module(torch.tensor(x, dtype=torch.float64)).numpy()
    # rtol: nn.Softplus returns x itself above x = 20, where ln(1 + e^x) differs by < 2.1e-9.
    np.testing.assert_allclose(evaluate(name, x, params)[0], expected, rtol=1e-9, atol=1e-12)


# --- numerical stability -------------------------------------------------------------------------

_WIDE = np.concatenate([np.linspace(-X_LIMIT, X_LIMIT, 20001), [-X_LIMIT, 0.0, X_LIMIT]])


@pytest.mark.parametrize("name, params", [(n, p) for n in ACTIVATIONS for p in param_sets(n)])
def test_finite_values_and_derivatives_over_allowed_range(name, params):
    y, dy = evaluate(name, _WIDE, params)
    assert np.isfinite(y).all() and np.isfinite(dy).all()


def test_seed_elu_and_softplus_overflow_where_ours_do_not():
    x = np.array([1000.0])
    with np.errstate(all="ignore"):
        assert not np.isfinite(elu_func(x)).any()
        assert not np.isfinite(softplus_func(x)).any()
    for name in ("elu", "softplus"):
        y, dy = evaluate(name, np.array([-1000.0, 1000.0]))
        np.testing.assert_allclose(y, [-0.9 if name == "elu" else 0.0, 1000.0], atol=1e-300)
        np.testing.assert_allclose(dy, [0.0, 1.0], atol=1e-300)


def test_evaluate_fills_missing_params_with_defaults():
    np.testing.assert_allclose(evaluate("linear", SEED_GRID, {"slope": -1})[0], -SEED_GRID + 1)
    np.testing.assert_array_equal(
        evaluate("elu", SEED_GRID)[0], evaluate("elu", SEED_GRID, {"alpha": 0.9})[0]
    )


# --- affine parameters: what lets the page follow a drag without the server ----------------------

AFFINE = [(n, p) for n, a in ACTIVATIONS.items() for p in a.params if p.affine]
NOT_AFFINE = [(n, p) for n, a in ACTIVATIONS.items() for p in a.params if not p.affine]


def test_the_affine_parameters_are_the_ones_expected():
    assert {(n, p.name) for n, p in AFFINE} == {
        ("linear", "slope"), ("linear", "intercept"), ("leaky_relu", "alpha"), ("elu", "alpha")}


@pytest.mark.parametrize("name, param", AFFINE, ids=[f"{n}-{p.name}" for n, p in AFFINE])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_shift_along_the_slope_is_the_function_at_the_new_value(name, param, seed):
    """The claim `affine=True` makes: f and f′ at any allowed value of p are f + Δ·slope."""
    rng = np.random.default_rng(seed)
    others = {p.name: float(rng.uniform(p.min, p.max)) for p in ACTIVATIONS[name].params}
    x = np.concatenate([SEED_GRID, [-X_LIMIT, X_LIMIT]])
    y, dy = evaluate(name, x, others)
    slope_y, slope_dy = A.parameter_slopes(name, x, others)[param.name]
    for value in [param.min, param.max, float(rng.uniform(param.min, param.max))]:
        delta = value - others[param.name]
        want_y, want_dy = evaluate(name, x, {**others, param.name: value})
        np.testing.assert_allclose(y + delta * slope_y, want_y, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(dy + delta * slope_dy, want_dy, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("name, param", NOT_AFFINE, ids=[f"{n}-{p.name}" for n, p in NOT_AFFINE])
def test_parameters_not_marked_affine_are_not(name, param):
    """Otherwise the flag would be missing where the page could use it."""
    x = SEED_GRID
    y0 = evaluate(name, x, {param.name: param.min})[0]
    y1 = evaluate(name, x, {param.name: param.min + 1})[0]
    y_max = evaluate(name, x, {param.name: param.max})[0]
    assert not np.allclose(y0 + (param.max - param.min) * (y1 - y0), y_max)


# --- properties ----------------------------------------------------------------------------------

INF = math.inf
KNOWN = [  # (name, params, expected subset of properties)
    ("sigmoid", {}, dict(range=(0, 1), monotonic=True, continuity="smooth", zero_centred=False,
                         saturating="both", derivative_at_0=0.25)),
    ("tanh", {}, dict(range=(-1, 1), monotonic=True, continuity="smooth", zero_centred=True,
                      saturating="both", derivative_at_0=1.0)),
    ("relu", {}, dict(range=(0, INF), monotonic=True, continuity="C0", zero_centred=True,
                      saturating="left", derivative_at_0=0.0)),
    ("binary_step", {}, dict(range=(0, 1), monotonic=True, continuity="discontinuous",
                             zero_centred=False, saturating="both", derivative_at_0=0.0)),
    ("gaussian", {}, dict(range=(0, 1), monotonic=False, continuity="smooth", zero_centred=False,
                          saturating="both", derivative_at_0=0.0)),
    ("identity", {}, dict(range=(-INF, INF), monotonic=True, continuity="smooth",
                          zero_centred=True, saturating="none", derivative_at_0=1.0)),
    ("linear", {}, dict(range=(-INF, INF), zero_centred=False, derivative_at_0=2.0)),
    ("linear", {"slope": -2}, dict(range=(-INF, INF), monotonic=True, saturating="none")),
    ("linear", {"slope": 0}, dict(range=(1, 1), continuity="smooth", saturating="both")),
    ("arctan", {}, dict(range=(-math.pi / 2, math.pi / 2), continuity="smooth", saturating="both")),
    ("softsign", {}, dict(range=(-1, 1), continuity="C1", derivative_at_0=1.0)),
    ("leaky_relu", {}, dict(range=(-INF, INF), continuity="C0", saturating="none",
                            derivative_at_0=1.0)),
    ("leaky_relu", {"alpha": 1}, dict(continuity="smooth")),
    ("leaky_relu", {"alpha": 0}, dict(range=(0, INF), saturating="left")),
    ("elu", {}, dict(range=(-0.9, INF), monotonic=True, continuity="C0", saturating="left")),
    ("elu", {"alpha": 1}, dict(range=(-1, INF), continuity="C1")),
    ("trelu", {}, dict(range=(0, INF), monotonic=True, continuity="discontinuous",
                       derivative_at_0=0.0)),
    ("trelu", {"thres": 0}, dict(continuity="C0")),
    ("trelu", {"thres": -2}, dict(range=(-2, INF), monotonic=False, continuity="discontinuous")),
    ("trelu", {"thres": 5}, dict(continuity="discontinuous")),
    ("trelu", {"thres": 1e-4}, dict(continuity="discontinuous")),
    ("trelu", {"thres": -1e-4}, dict(continuity="discontinuous")),
    ("elu", {"alpha": 1.001}, dict(continuity="C0")),
    ("softplus", {}, dict(range=(0, INF), monotonic=True, continuity="smooth", zero_centred=False,
                          saturating="left", derivative_at_0=0.5)),
    ("bent_identity", {}, dict(range=(-INF, INF), monotonic=True, continuity="smooth",
                               saturating="none")),
    ("gelu", {}, dict(range=(-0.1699712, INF), monotonic=False, continuity="smooth",
                      saturating="left", derivative_at_0=0.5)),
    ("silu", {}, dict(range=(-0.2784645, INF), monotonic=False, continuity="smooth")),
    ("mish", {}, dict(range=(-0.3088434, INF), monotonic=False, continuity="smooth",
                      derivative_at_0=0.6)),
    ("selu", {}, dict(range=(-_LAMBDA * _ALPHA, INF), monotonic=True, continuity="C0")),
    ("hardswish", {}, dict(range=(-0.375, INF), monotonic=False, continuity="C0",
                           derivative_at_0=0.5)),
]


@pytest.mark.parametrize("name, params, expected", KNOWN)
def test_properties_known_values(name, params, expected):
    props = properties(name, params)
    for key, value in expected.items():
        if key == "range":
            assert props["range"] == pytest.approx(value, abs=1e-6), key
        elif key == "derivative_at_0":
            assert props[key] == pytest.approx(value, abs=1e-12), key
        else:
            assert props[key] == value, key


@settings(max_examples=20, deadline=None)
@given(thres=st.floats(-5, 5).filter(lambda t: abs(t) > 1e-5),
       alpha=st.floats(0, 2).filter(lambda a: abs(a - 1) > 1e-5))
def test_continuity_follows_parameters(thres, alpha):
    assert properties("trelu", {"thres": thres})["continuity"] == "discontinuous"
    assert properties("elu", {"alpha": alpha})["continuity"] == "C0"


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_properties_shape(name):
    props = properties(name)
    low, high = props["range"]
    assert isinstance(low, float) and isinstance(high, float) and low <= high
    assert props["continuity"] in {"discontinuous", "C0", "C1", "C2", "smooth"}
    assert props["saturating"] in {"both", "left", "right", "none"}
    assert isinstance(props["monotonic"], bool) and isinstance(props["zero_centred"], bool)
    assert math.isfinite(props["derivative_at_0"])


# --- resolve: the parser of untrusted input -------------------------------------------------------

def test_resolve_defaults():
    r = resolve("elu", {})
    assert (r.name, r.params, r.xmin, r.xmax, r.errors) == ("elu", {"alpha": 0.9}, -10, 10, [])
    r = resolve(None, {})
    assert (r.name, r.params, r.errors) == ("identity", {}, [])


def test_resolve_accepts_numbers_as_strings_and_ints():
    r = resolve("linear", {"slope": "0.5", "intercept": -3, "xmin": " -5 ", "xmax": "5e0"})
    assert r.params == {"slope": 0.5, "intercept": -3.0}
    assert (r.xmin, r.xmax, r.errors) == (-5.0, 5.0, [])


def test_resolve_ignores_keys_of_other_functions():
    r = resolve("relu", {"alpha": "junk", "thres": None})
    assert (r.name, r.params, r.errors) == ("relu", {}, [])


@pytest.mark.parametrize("fn_name", ["softmax", "", "ELU", 3, ["elu"], {"elu": 1}, True])
def test_resolve_unknown_function(fn_name):
    r = resolve(fn_name, {"alpha": 0.5})
    assert r.name == "identity" and r.params == {}
    assert len(r.errors) == 1 and "identity" in r.errors[0]


@pytest.mark.parametrize(
    "bad", [5, -0.01, 2.0001, "abc", "", "nan", "inf", "-Infinity", "1e999", math.nan, math.inf,
            10**400, pytest.param(10**5000, id="int-of-5001-digits"), True, False, None, [0.5],
            {"v": 0.5}, [[{"a": []}]]],
)
def test_resolve_bad_param_falls_back_with_message(bad):
    r = resolve("elu", {"alpha": bad})
    assert r.params == {"alpha": 0.9}
    assert len(r.errors) == 1
    assert "alpha" in r.errors[0] and "0 to 2" in r.errors[0]


@pytest.mark.parametrize(
    "raw",
    [{"xmin": 5, "xmax": 5}, {"xmin": 5, "xmax": -5}, {"xmin": 50}, {"xmax": -20},
     {"xmin": 1, "xmax": 1.05}],
)
def test_resolve_empty_x_range_falls_back_to_default(raw):
    r = resolve("tanh", raw)
    assert (r.xmin, r.xmax) == (-10, 10)
    assert len(r.errors) == 1 and "xmin" in r.errors[0] and "xmax" in r.errors[0]


@pytest.mark.parametrize("raw", [{"xmin": -1001}, {"xmin": "1e999"}, {"xmin": "nan"},
                                 {"xmin": True}, {"xmin": [1]}])
def test_resolve_bad_xmin(raw):
    r = resolve("tanh", {**raw, "xmax": 3})
    assert (r.xmin, r.xmax) == (-10, 3)
    assert len(r.errors) == 1 and "xmin" in r.errors[0] and "-1,000 to 1,000" in r.errors[0]


def test_resolve_accepts_the_extremes():
    r = resolve("trelu", {"thres": "-5", "xmin": -X_LIMIT, "xmax": str(X_LIMIT)})
    assert (r.params, r.xmin, r.xmax, r.errors) == ({"thres": -5.0}, -1000, 1000, [])


@pytest.mark.parametrize("raw", [None, [], [1, 2], "alpha=0.5", 7])
def test_resolve_settings_not_a_mapping(raw):
    r = resolve("elu", raw)
    assert (r.name, r.params, r.xmin, r.xmax) == ("elu", {"alpha": 0.9}, -10, 10)
    assert len(r.errors) == (0 if raw is None else 1)


def test_resolve_survives_deep_nesting():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    r = resolve("elu", {"alpha": deep})
    assert r.params == {"alpha": 0.9} and len(r.errors) == 1


_KEYS = sorted({p.name for a in ACTIVATIONS.values() for p in a.params} | {"xmin", "xmax", "fn"})
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.floats().map(repr) | st.integers(-2000, 2000).map(str)
    | st.sampled_from(["nan", "inf", "-inf", "1e999", "0.5", " 2 ", "-5", "5", "1e-300"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(
    fn_name=st.sampled_from(list(ACTIVATIONS)) | _json,
    raw=st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), _json, max_size=8) | _json,
)
def test_resolve_never_raises_and_returns_valid_settings(fn_name, raw):
    r = resolve(fn_name, raw)
    act = ACTIVATIONS[r.name]
    assert set(r.params) == {p.name for p in act.params}
    for p in act.params:
        value = r.params[p.name]
        assert isinstance(value, float) and math.isfinite(value) and p.min <= value <= p.max
    assert isinstance(r.xmin, float) and isinstance(r.xmax, float)
    assert -X_LIMIT <= r.xmin < r.xmax <= X_LIMIT
    assert all(isinstance(e, str) for e in r.errors)
    grid = make_grid(r.xmin, r.xmax)
    assert 10 <= len(grid) <= MAX_POINTS and np.isfinite(grid).all()


# --- grid ----------------------------------------------------------------------------------------

def test_default_grid_is_the_seeds():
    assert np.array_equal(make_grid(A.DEFAULT_XMIN, A.DEFAULT_XMAX), np.arange(-10, 10, 0.01))
    r = resolve("elu", {})
    assert np.array_equal(make_grid(r.xmin, r.xmax), np.arange(-10, 10, 0.01))


def test_small_ranges_keep_the_seeds_step():
    assert np.array_equal(make_grid(-5, 5), np.arange(-5, 5, 0.01))


@pytest.mark.parametrize("xmin, xmax", [(-1000, 1000), (-10, 10.02), (0, 100)])
def test_large_ranges_are_capped(xmin, xmax):
    grid = make_grid(xmin, xmax)
    assert len(grid) == MAX_POINTS and grid[0] == xmin and grid[-1] == xmax
