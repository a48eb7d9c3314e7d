"""The gallery's Properties panel against a reference worked out by hand from the mathematics,
and the exact properties (core/exact_properties.py) against the functions themselves.

REFERENCE is written from the formulas, not from the code: for every registered function and
its parameter cases (each parameter's limits and default, and the values where the function
changes kind), the rows the panel must show, word for word. The cross-checks then hold the
exact properties against the registry's own functions, so that a wrong formula is caught either
way: against the numeric probe (core/activation_properties.py), and on a fine grid (step 0.001
over [-10, 10], out to ±10⁸ for limits and bounds) where every value must lie in the stated
range, every stated bound and value is reached, each stated piece rises, falls or stays as
stated, f and its derivatives jump exactly where stated (and nowhere else), and autograd, through
torch.nn's module and through the registry's formula, returns what the panel says.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from components.properties_panel import rows
from core.activation_properties import properties
from core.activations import ACTIVATIONS, derivatives
from core.exact_properties import ExactProperties, Interval, exact_properties


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Small tensors: one thread is fastest and immune to contention for cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- the reference ------------------------------------------------------------------------------

HEADERS = ("Range", "Limits", "Monotonic", "Continuity", "Zero-centred (f(0) = 0)", "Saturating", "f′(0)")

INCREASING = "yes, strictly increasing"
SMOOTH = "C^∞ (smooth)"
REALS = "(−∞, ∞)"
UNBOUNDED = "−∞ as x → −∞, ∞ as x → +∞"
FROM_ZERO = "0 as x → −∞, ∞ as x → +∞"
LEFT = "yes, for x → −∞"
BOTH = "yes, on both sides"
RELU_SHAPE = "yes, non-decreasing: constant on (−∞, 0], increasing on [0, ∞)"
TUTORIAL = "through the tutorial's formula as plotted here"


def kink(left: str, right: str, autograd: str) -> str:
    return f"not differentiable: the slope is {left} from the left, {right} from the right; {autograd}"


def leaky(alpha: str) -> tuple:
    """Leaky ReLU for 0 < α < 1."""
    return (REALS, UNBOUNDED, INCREASING, f"C⁰: f′ jumps from α = {alpha} to 1 at x = 0", "yes", "no",
            kink(f"α = {alpha}", "1", f"autograd gives α = {alpha} through torch.nn.LeakyReLU, and 1 {TUTORIAL}"))


def elu(alpha: str) -> tuple:
    """ELU for α > 0, α ≠ 1."""
    return (f"(−α, ∞) = (−{alpha}, ∞)", f"−α = −{alpha} as x → −∞, ∞ as x → +∞", INCREASING,
            f"C⁰: f′ jumps from α = {alpha} to 1 at x = 0", "yes", LEFT,
            kink(f"α = {alpha}", "1", f"autograd gives α = {alpha} through torch.nn.ELU, and 1 {TUTORIAL}"))


def trelu(theta: str) -> tuple:
    """TReLU for θ ≠ 0: 0 up to θ, then a jump to x. Below θ < 0 the value 0 lies in (θ, ∞),
    and the jump goes down."""
    below = theta.startswith("−")
    jump = f"f jumps from 0 to θ = {theta} at x = θ = {theta}"
    return ((f"(θ, ∞) = ({theta}, ∞)" if below else f"{{0}} ∪ (θ, ∞) = {{0}} ∪ ({theta}, ∞)"), FROM_ZERO,
            (f"{'no' if below else 'yes, non-decreasing'}: constant on (−∞, θ] = (−∞, {theta}], {jump}, "
             f"increasing on (θ, ∞) = ({theta}, ∞)"),
            f"discontinuous: {jump}", "yes", LEFT, "1" if below else "0",
            (f"f′(θ), θ = {theta}", (f"not differentiable, f jumps from 0 to θ = {theta}: the slope is 0 from the "
                                     "left, 1 from the right; autograd gives 0 (torch.nn.Threshold)")))


def linear(w: str, b: str, rising: bool) -> tuple:
    zero = "yes" if b == "0" else f"no, f(0) = b = {b}"
    limits = UNBOUNDED if rising else "∞ as x → −∞, −∞ as x → +∞"
    return (REALS, limits, INCREASING if rising else "yes, strictly decreasing", SMOOTH, zero, "no", f"w = {w}")


def constant(b: str) -> tuple:
    zero = "yes" if b == "0" else f"no, f(0) = b = {b}"
    return (f"{{b}} = {{{b}}}", f"b = {b} as x → −∞, b = {b} as x → +∞", "yes, constant", SMOOTH, zero, BOTH,
            "w = 0")


def dipping(low: str, at: str, slope: str) -> tuple:
    """Down from 0 at −∞ to a single minimum f(x₀) at x₀ < 0, then up without bound."""
    return (f"[f(x₀), ∞) ≈ [{low}, ∞)", FROM_ZERO,
            f"no: decreasing on (−∞, x₀] ≈ (−∞, {at}], increasing on [x₀, ∞) ≈ [{at}, ∞)", SMOOTH, "yes", LEFT,
            slope)


RELU_KINK = kink("0", "1", "autograd gives 0 (torch.nn.ReLU)")

REFERENCE = {  # (name, params): the seven rows of HEADERS, then any further (header, value) rows
    ("identity", ()): (REALS, UNBOUNDED, INCREASING, SMOOTH, "yes", "no", "1"),
    ("linear", (("slope", 2), ("intercept", 1))): linear("2", "1", True),
    ("linear", (("slope", -5), ("intercept", -5))): linear("−5", "−5", False),
    ("linear", (("slope", 5), ("intercept", 5))): linear("5", "5", True),
    ("linear", (("slope", -0.5), ("intercept", 0))): linear("−0.5", "0", False),
    ("linear", (("slope", 0), ("intercept", -2.5))): constant("−2.5"),
    ("linear", (("slope", 0), ("intercept", 0))): constant("0"),
    ("binary_step", ()): (
        "{0, 1}", "0 as x → −∞, 1 as x → +∞",
        "yes, non-decreasing: constant on (−∞, 0), f jumps from 0 to 1 at x = 0, constant on [0, ∞)",
        "discontinuous: f jumps from 0 to 1 at x = 0", "no, f(0) = 1", BOTH,
        ("not differentiable, f jumps from 0 to 1: the slope is 0 from the left, 0 from the right; "
         "autograd gives 0 (on the formula; torch.nn has no module for it)")),
    ("sigmoid", ()): ("(0, 1)", "0 as x → −∞, 1 as x → +∞", INCREASING, SMOOTH, "no, f(0) = 0.5", BOTH, "0.25"),
    ("tanh", ()): ("(−1, 1)", "−1 as x → −∞, 1 as x → +∞", INCREASING, SMOOTH, "yes", BOTH, "1"),
    ("arctan", ()): ("(−π/2, π/2) ≈ (−1.571, 1.571)", "−π/2 ≈ −1.571 as x → −∞, π/2 ≈ 1.571 as x → +∞",
                     INCREASING, SMOOTH, "yes", BOTH, "1"),
    # x / (1 + |x|): f″ = −2 sign(x) / (1 + |x|)³
    ("softsign", ()): ("(−1, 1)", "−1 as x → −∞, 1 as x → +∞", INCREASING, "C¹: f″ jumps from 2 to −2 at x = 0",
                       "yes", BOTH, "1"),
    ("relu", ()): ("[0, ∞)", FROM_ZERO, RELU_SHAPE, "C⁰: f′ jumps from 0 to 1 at x = 0", "yes", LEFT, RELU_KINK),
    ("leaky_relu", (("alpha", 0),)): (
        "[0, ∞)", FROM_ZERO, RELU_SHAPE, "C⁰: f′ jumps from α = 0 to 1 at x = 0", "yes", LEFT,
        kink("α = 0", "1", f"autograd gives α = 0 through torch.nn.LeakyReLU, and 1 {TUTORIAL}")),
    ("leaky_relu", (("alpha", 0.1),)): leaky("0.1"),
    ("leaky_relu", (("alpha", 0.37),)): leaky("0.37"),
    ("leaky_relu", (("alpha", 1),)): (REALS, UNBOUNDED, INCREASING, SMOOTH, "yes", "no", "1"),
    ("elu", (("alpha", 0),)): (
        "[0, ∞)", FROM_ZERO, RELU_SHAPE, "C⁰: f′ jumps from α = 0 to 1 at x = 0", "yes", LEFT,
        kink("α = 0", "1", f"autograd gives α = 0 through torch.nn.ELU, and 1 {TUTORIAL}")),
    ("elu", (("alpha", 0.5),)): elu("0.5"),
    ("elu", (("alpha", 0.9),)): elu("0.9"),
    # f′ = αeˣ meets 1 at 0; f″ = αeˣ does not meet 0
    ("elu", (("alpha", 1),)): ("(−α, ∞) = (−1, ∞)", "−α = −1 as x → −∞, ∞ as x → +∞", INCREASING,
                               "C¹: f″ jumps from α = 1 to 0 at x = 0", "yes", LEFT, "1"),
    ("elu", (("alpha", 1.5),)): elu("1.5"),
    ("elu", (("alpha", 2),)): elu("2"),
    ("trelu", (("thres", -5),)): trelu("−5"),
    ("trelu", (("thres", -1.5),)): trelu("−1.5"),
    ("trelu", (("thres", 0),)): (
        "[0, ∞)", FROM_ZERO, "yes, non-decreasing: constant on (−∞, θ] = (−∞, 0], increasing on [θ, ∞) = [0, ∞)",
        "C⁰: f′ jumps from 0 to 1 at x = θ = 0", "yes", LEFT,
        kink("0", "1", "autograd gives 0 (torch.nn.Threshold)")),
    ("trelu", (("thres", 0.5),)): trelu("0.5"),
    ("trelu", (("thres", 2),)): trelu("2"),
    ("trelu", (("thres", 5),)): trelu("5"),
    ("softplus", ()): ("(0, ∞)", FROM_ZERO, INCREASING, SMOOTH, "no, f(0) = ln 2 ≈ 0.6931", LEFT, "0.5"),
    # f′ = 1 + x / (2√(x² + 1)) lies in (1/2, 3/2)
    ("bent_identity", ()): (REALS, UNBOUNDED, INCREASING, SMOOTH, "yes", "no", "1"),
    ("gaussian", ()): ("(0, 1]", "0 as x → −∞, 0 as x → +∞", "no: increasing on (−∞, 0], decreasing on [0, ∞)",
                       SMOOTH, "no, f(0) = 1", BOTH, "0"),
    # x₀ solves f′ = 0: Φ(x) + xφ(x) = 0; σ(x)(1 + x(1 − σ(x))) = 0, where f(x₀) = x₀ + 1; for Mish
    # tanh(s) + x sech²(s) σ(x) = 0 with s = ln(1 + eˣ), whose f′(0) = tanh(ln 2) = 3/5
    ("gelu", ()): dipping("−0.1700", "−0.7518", "0.5"),
    ("silu", ()): dipping("−0.2785", "−1.278", "0.5"),
    ("mish", ()): dipping("−0.3088", "−1.192", "0.6"),
    # λ = 1.0507…, α = 1.6733…; f′ is λαeˣ below 0 and λ above
    ("selu", ()): ("(−λα, ∞) ≈ (−1.758, ∞)", "−λα ≈ −1.758 as x → −∞, ∞ as x → +∞", INCREASING,
                   "C⁰: f′ jumps from λα ≈ 1.758 to λ ≈ 1.051 at x = 0", "yes", LEFT,
                   kink("λα ≈ 1.758", "λ ≈ 1.051", "autograd gives λα ≈ 1.758 (torch.nn.SELU)")),
    # x(x + 3)/6 on [−3, 3], lowest at −3/2; f′ = (2x + 3)/6 there, 0 below and 1 above
    ("hardswish", ()): (
        "[−3/8, ∞) = [−0.375, ∞)", FROM_ZERO,
        "no: constant on (−∞, −3], decreasing on [−3, −1.5], increasing on [−1.5, ∞)",
        "C⁰: f′ jumps from 0 to −0.5 at x = −3; f′ jumps from 1.5 to 1 at x = 3", "yes", LEFT, "0.5",
        ("f′(−3)", kink("0", "−0.5", "autograd gives 0 (torch.nn.Hardswish)")),
        ("f′(3)", kink("1.5", "1", "autograd gives 1 (torch.nn.Hardswish)"))),
}

CASES = [(name, dict(params)) for name, params in REFERENCE]
CASE_IDS = [f"{name}-{'-'.join(f'{k}={v:g}' for k, v in params)}" if params else name for name, params in REFERENCE]


def test_the_reference_covers_every_function_and_each_parameters_limits_and_default():
    assert {name for name, _ in REFERENCE} == set(ACTIVATIONS)
    for name, act in ACTIVATIONS.items():
        cases = [params for n, params in CASES if n == name]
        for p in act.params:
            assert {p.min, p.default, p.max} <= {params[p.name] for params in cases}, (name, p.name)


@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_the_panel_shows_the_reference(name, params):
    expected = REFERENCE[(name, tuple(params.items()))]
    assert rows(name, params) == list(zip(HEADERS, expected[:7])) + list(expected[7:])


# --- the exact properties against the functions --------------------------------------------------

FINE = np.arange(-10_000, 10_001) / 1000  # step 0.001, exact at every multiple of it
TAILS = np.logspace(1, 8, 71)[1:]
FAR = 1e8  # "at infinity": every finite limit is reached within 1e-6 there
STRICT_WITHIN = 5  # where float64 resolves each strict trend (GELU's formula flattens below −8)


def _random_cases():
    """Parameters anywhere on their sliders' grid (min + k·step)."""
    def params(name):
        return st.fixed_dictionaries({p.name: st.integers(0, round((p.max - p.min) / p.step)).map(
            lambda k, p=p: round(p.min + k * p.step, 10)) for p in ACTIVATIONS[name].params})
    return st.sampled_from([n for n, a in ACTIVATIONS.items() if a.params]).flatmap(
        lambda name: st.tuples(st.just(name), params(name)))


def _at(name: str, x, params: dict, order: int = 2) -> list[np.ndarray]:
    return derivatives(ACTIVATIONS[name], np.asarray(x, dtype=float), params, order)


def _inside(y: np.ndarray, interval: Interval) -> np.ndarray:
    (low_closed, high_closed), low, high = interval.closed, interval.low.value, interval.high.value
    above = y >= low if low_closed else y > low
    below = y <= high if high_closed else y < high
    return above & below


def _assert_range(name: str, params: dict, props: ExactProperties) -> None:
    """Every value on [−10, 10] lies in the range; every single value and closed end is taken
    (on [−5, 5] or at a break or turning point, within 1e-12), and every open end approached
    within 1e-6 out to ±10⁸."""
    breaks = np.array([b.at.value for b in props.breaks])
    near_breaks = (breaks[:, None] + np.array([-1e-9, 0, 1e-9])).ravel()
    turns = np.array([t.on.low.value for t in props.trends[1:]])
    wide = np.sort(np.concatenate([-TAILS, FINE, TAILS, near_breaks, turns]))
    y = _at(name, wide, params, 0)[0]
    taken = y[(np.abs(wide) <= STRICT_WITHIN) | np.isin(wide, np.concatenate([near_breaks, turns]))]
    fine = np.abs(wide) <= 10
    members = np.zeros(len(y), dtype=bool)
    for point in props.range.points:
        members |= y == point.value
        assert np.any(y == point.value), f"{point} is never f's value"
    for interval in props.range.intervals:
        members |= _inside(y, interval)
        inside = y[_inside(y, interval)]
        for end, nearest in ((interval.low.value, inside.min(initial=math.inf)),
                             (interval.high.value, inside.max(initial=-math.inf))):
            if math.isinf(end):
                assert abs(nearest) >= 1e6 and np.sign(nearest) == np.sign(end), (interval, nearest)
            else:
                assert nearest == pytest.approx(end, abs=1e-6), (interval, nearest)
        for end, closed in zip((interval.low.value, interval.high.value), interval.closed):
            assert not closed or np.min(np.abs(taken - end)) <= 1e-12, f"{end} is never f's value"
    outside = wide[fine & ~members]
    assert outside.size == 0, f"f({outside[:3]}) = {y[fine & ~members][:3]} lies outside the range"
    for limit, x in zip(props.limits, (-FAR, FAR)):
        value = _at(name, [x], params, 0)[0][0]
        if math.isinf(limit.value):
            assert abs(value) >= 1e6 and np.sign(value) == np.sign(limit.value), (x, value)
        else:
            assert value == pytest.approx(limit.value, abs=1e-6), (x, value)


def _assert_trends(name: str, params: dict, props: ExactProperties) -> None:
    ons = [t.on for t in props.trends]
    assert ons[0].low.value == -math.inf and ons[-1].high.value == math.inf
    for before, after in itertools.pairwise(ons):  # end to end, each point in one piece or both ends
        assert before.high.value == after.low.value and (before.closed[1] or after.closed[0])
    x = FINE[np.abs(FINE) <= STRICT_WITHIN]
    y = _at(name, x, params, 0)[0]
    for trend in props.trends:
        inside = _inside(x, trend.on)
        steps = np.diff(y[inside])
        if trend.direction == "constant":
            assert np.all(steps == 0), trend
        else:
            assert np.all(steps > 0 if trend.direction == "increasing" else steps < 0), trend


def _assert_breaks(name: str, params: dict, props: ExactProperties) -> None:
    """Each stated jump, with the values either side, and autograd's value there."""
    act = ACTIVATIONS[name]
    for point in props.breaks:
        x0, h = point.at.value, 1e-7
        left, right = _at(name, [x0 - h, x0 + h], params, point.order + 1)[point.order]  # f^(order) either side
        assert (left, right) == pytest.approx((point.left.value, point.right.value), abs=1e-5), point
        sides = _at(name, [x0 - h, x0 + h], params, max(point.order, 1))
        for lower in range(point.order):  # the lower derivatives meet there
            assert sides[lower][0] == pytest.approx(sides[lower][1], abs=1e-5), (point, lower)
        if point.differentiable:
            assert point.autograd is None and point.plotted is None
            continue
        slopes = [s.value for s in point.side_slopes]
        assert list(sides[1]) == pytest.approx(slopes, abs=1e-5), point
        plotted = _at(name, [x0], params, 1)[1][0]
        assert plotted == point.plotted.value, point
        if act.torch_nn_factory is None:
            assert point.autograd.value == plotted, point
        else:
            xt = torch.tensor([x0], dtype=torch.float64, requires_grad=True)
            act.torch_nn_factory(**params)(xt).sum().backward()
            assert xt.grad.item() == point.autograd.value, point


def _residual(g: np.ndarray, dg: np.ndarray, x: np.ndarray) -> np.ndarray:
    """|Δg − ∫dg| over each interval by the trapezoid rule: about h³ where g is smooth, and the
    jump itself across a jump."""
    return np.abs(np.diff(g) - (dg[1:] + dg[:-1]) / 2 * np.diff(x))


def _assert_smooth_elsewhere(name: str, params: dict, props: ExactProperties) -> None:
    """f, f′, f″ and f‴ jump nowhere on [−10, 10] but at the stated breaks. Next to a jump of
    f⁽ᵏ⁾ the residual of f⁽ᵏ⁻¹⁾ is large too (a corner), so from order k − 1 on those intervals
    are left out; `_assert_breaks` checks there that the lower derivatives meet."""
    derivs = _at(name, FINE, params, 4)
    for point in props.breaks:
        assert props.breaks.count(point) == 1 and 0 <= point.order <= 2
    for order in range(4):
        away = np.ones(len(FINE) - 1, dtype=bool)
        for point in props.breaks:
            if point.order <= order + 1:
                away &= np.minimum(np.abs(FINE[:-1] - point.at.value), np.abs(FINE[1:] - point.at.value)) > 2e-3
        residual = _residual(derivs[order], derivs[order + 1], FINE)[away]
        assert residual.max(initial=0) < 1e-6, (order, FINE[:-1][away][np.argmax(residual)])


def _assert_at_zero(name: str, params: dict, props: ExactProperties) -> None:
    f0, df0 = (d[0] for d in _at(name, [0.0], params, 1))
    assert f0 == pytest.approx(props.at_zero.value, abs=1e-12)
    if props.slope_at_zero is None:
        assert props.break_at_zero is not None
    else:
        assert props.break_at_zero is None and df0 == pytest.approx(props.slope_at_zero.value, abs=1e-12)


def _assert_probe_agrees(name: str, params: dict, props: ExactProperties) -> None:
    """The numeric probe measures, on its own grid, what the exact properties state."""
    probe = properties(name, params)
    parts = [(p.value, p.value) for p in props.range.points]
    parts += [(i.low.value, i.high.value) for i in props.range.intervals]
    assert probe["range"] == pytest.approx((min(p[0] for p in parts), max(p[1] for p in parts)), abs=1e-6)
    assert probe["monotonic"] == (props.monotonic is not None)
    assert probe["continuity"] == {None: "smooth", -1: "discontinuous", 0: "C0", 1: "C1"}[props.smoothness]
    assert probe["zero_centred"] == (props.at_zero.value == 0)
    sides = {(True, True): "both", (True, False): "left", (False, True): "right", (False, False): "none"}
    assert probe["saturating"] == sides[props.bounded_sides]
    slope = props.slope_at_zero or props.break_at_zero.plotted  # the probe reads the formula's autograd
    assert probe["derivative_at_0"] == pytest.approx(slope.value, abs=1e-12)


CHECKS = (_assert_range, _assert_trends, _assert_breaks, _assert_smooth_elsewhere, _assert_at_zero,
          _assert_probe_agrees)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("_assert_"))
@pytest.mark.parametrize("name, params", CASES, ids=CASE_IDS)
def test_the_exact_properties_hold_for_the_function(name, params, check):
    check(name, params, exact_properties(name, params))


@settings(max_examples=40, deadline=None)
@given(case=_random_cases())
def test_the_exact_properties_hold_anywhere_on_the_sliders(case):
    name, params = case
    props = exact_properties(name, params)
    for check in CHECKS:
        check(name, params, props)
