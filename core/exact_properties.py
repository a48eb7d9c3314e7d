"""The exact properties of every registered activation function, worked out from its mathematics.

What the gallery's Properties panel shows: the range as a union of intervals and single values,
where f rises and falls, where f or a derivative jumps, the limits at ±∞, f(0) and f′(0), and at
each point where f is not differentiable the slopes on either side and what PyTorch's autograd
returns there. `core.activation_properties` measures the same things from samples; the tests hold
the two against each other. Pure logic: written by hand, it reads from `core.activations` only
the parameters' defaults and the name of each torch.nn module.

A value that depends on a parameter or is a named constant keeps its symbol (−α, π/2, λα) beside
its number, so the panel can write the range as a mathematician does: (−α, ∞) = (−0.9, ∞).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from core.activations import ACTIVATIONS, with_defaults


@dataclass(frozen=True)
class Number:
    value: float  # ±math.inf for ∞
    symbol: str | None = None  # how it is written when not as a plain number: "−α", "π/2"
    exact: bool = True  # False: `value` is only a rounding of `symbol` (π/2, λα)


@dataclass(frozen=True)
class Interval:
    low: Number
    high: Number
    closed: tuple[bool, bool] = (False, False)  # whether each end belongs (never at ±∞)


@dataclass(frozen=True)
class Range:
    """f's set of values: single values (written as a set) and intervals, in increasing order."""

    points: tuple[Number, ...] = ()
    intervals: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Trend:
    on: Interval  # of x
    direction: str  # "increasing" or "decreasing" (strictly), or "constant"


@dataclass(frozen=True)
class Break:
    """A point x = `at` where f (order 0), f′ (order 1) or f″ (order 2) jumps from `left` to
    `right` (its limits from either side); only the lowest order that jumps there is listed.

    Where f is not differentiable (order 0 or 1) it also says what autograd returns at `at`:
    `autograd` through torch.nn's module (the registry's formula where torch has none), and
    `plotted` through the registry's formula, the tutorial's, which the page's f′ curve shows.
    """

    at: Number
    order: int
    left: Number
    right: Number
    autograd: Number | None = None
    plotted: Number | None = None
    slopes: tuple[Number, Number] | None = None  # f′ on either side where f itself jumps

    @property
    def differentiable(self) -> bool:
        return self.order >= 2

    @property
    def side_slopes(self) -> tuple[Number, Number]:
        """The limits of f′ from the left and from the right."""
        return self.slopes if self.order == 0 else (self.left, self.right)


@dataclass(frozen=True)
class ExactProperties:
    range: Range
    limits: tuple[Number, Number]  # as x → −∞ and as x → +∞
    trends: tuple[Trend, ...]  # left to right, covering the real line
    breaks: tuple[Break, ...]  # none: f is infinitely differentiable (C^∞)
    at_zero: Number  # f(0)
    slope_at_zero: Number | None  # f′(0); None where f is not differentiable at 0 (see breaks)
    module: str | None = None  # the torch.nn class whose autograd `Break.autograd` reports

    @property
    def monotonic(self) -> str | None:
        """"strictly increasing", "non-decreasing", "constant", … or None when f is not."""
        directions = {t.direction for t in self.trends}
        jumps = [b.right.value - b.left.value for b in self.breaks if b.order == 0]
        if directions == {"constant"} and not jumps:
            return "constant"
        for rising, word in (("increasing", "non-decreasing"), ("decreasing", "non-increasing")):
            sign = 1 if rising == "increasing" else -1
            if directions <= {rising, "constant"} and all(sign * j > 0 for j in jumps):
                return f"strictly {rising}" if directions == {rising} else word
        return None

    @property
    def smoothness(self) -> int | None:
        """k where f is C^k and no better: -1 discontinuous, 0, 1; None for C^∞."""
        return min(b.order for b in self.breaks) - 1 if self.breaks else None

    @property
    def bounded_sides(self) -> tuple[bool, bool]:
        """Whether f saturates (has a finite limit) as x → −∞ and as x → +∞."""
        return math.isfinite(self.limits[0].value), math.isfinite(self.limits[1].value)

    @property
    def break_at_zero(self) -> Break | None:
        """The break at 0 where f is not differentiable there, if any."""
        return next((b for b in self.breaks if b.at.value == 0 and not b.differentiable), None)


def exact_properties(name: str, params: Mapping[str, float] | None = None) -> ExactProperties:
    """The exact properties of activation `name` at `params` (missing ones take defaults)."""
    act = ACTIVATIONS[name]
    module = act.torch_nn.split("(")[0] if act.torch_nn else None
    return replace(_WORKED_OUT[name](**with_defaults(act, params)), module=module)


# --- building blocks -----------------------------------------------------------------------------

INF, NEG_INF = Number(math.inf), Number(-math.inf)
ZERO, ONE, HALF = Number(0.0), Number(1.0), Number(0.5)
REALS = Interval(NEG_INF, INF)


def _negated(n: Number) -> Number:
    return Number(-n.value, "−" + n.symbol if n.symbol else None, n.exact)


def _whole(trend: str, limits=(NEG_INF, INF), at_zero=ZERO, slope=ONE, values=None):
    """One strict trend over the real line, smooth everywhere: most of the registry."""
    return ExactProperties(values or Range(intervals=(REALS,)), limits, (Trend(REALS, trend),), (),
                           at_zero, slope)


def _between(low: Number, high: Number) -> Range:
    return Range(intervals=(Interval(low, high),))


def _kinked_at_zero(left_slope: Number, lowest: Number, autograd: Number, plotted: Number,
                    right_slope: Number = ONE) -> ExactProperties:
    """A line of slope `right_slope` for x > 0 and below 0 a smooth increasing branch with slope
    `left_slope` at 0 that tends to `lowest` (ReLU, leaky ReLU, ELU, SELU): a corner at 0.

    A flat branch (slope 0) makes f constant on (−∞, 0] and its lowest value 0 attained.
    """
    flat = left_slope.value == 0
    values = Interval(ZERO if flat else lowest, INF, (flat, False))
    trends = ((Trend(Interval(NEG_INF, ZERO, (False, True)), "constant"),
               Trend(Interval(ZERO, INF, (True, False)), "increasing")) if flat
              else (Trend(REALS, "increasing"),))
    limits = (ZERO if flat else lowest, INF)
    kink = Break(ZERO, 1, left_slope, right_slope, autograd, plotted)
    return ExactProperties(Range(intervals=(values,)), limits, trends, (kink,), ZERO, None)


# --- the functions, one by one -------------------------------------------------------------------


def _linear(slope: float, intercept: float) -> ExactProperties:
    w, b = Number(slope, "w"), Number(intercept, "b")
    if slope == 0:  # the constant b
        return ExactProperties(Range(points=(b,)), (b, b), (Trend(REALS, "constant"),), (), b, w)
    limits = (NEG_INF, INF) if slope > 0 else (INF, NEG_INF)
    return _whole("increasing" if slope > 0 else "decreasing", limits, b, w)


def _binary_step() -> ExactProperties:
    # Built from a comparison, the formula has no gradient at all: autograd's 0 everywhere.
    jump = Break(ZERO, 0, ZERO, ONE, ZERO, ZERO, slopes=(ZERO, ZERO))
    trends = (Trend(Interval(NEG_INF, ZERO), "constant"), Trend(Interval(ZERO, INF, (True, False)), "constant"))
    return ExactProperties(Range(points=(ZERO, ONE)), (ZERO, ONE), trends, (jump,), ONE, None)


def _leaky_relu(alpha: float) -> ExactProperties:
    a = Number(alpha, "α")
    if alpha == 1:  # the identity
        return _whole("increasing")
    # torch.nn.LeakyReLU's gradient at 0 is the negative slope; the tutorial's x ≥ 0 branch gives 1
    return _kinked_at_zero(a, NEG_INF, a, ONE)


def _elu(alpha: float) -> ExactProperties:
    a = Number(alpha, "α")
    # torch.nn.ELU's gradient at 0 is α, from its x ≤ 0 branch; the tutorial's x ≥ 0 branch gives 1
    props = _kinked_at_zero(a, _negated(a), a, ONE)
    if alpha == 1:  # f′ meets at 1, but f″ jumps from αe⁰ = 1 to 0
        return replace(props, breaks=(Break(ZERO, 2, a, ZERO),), slope_at_zero=ONE)
    return props


def _trelu(thres: float) -> ExactProperties:
    # x above θ, else 0: torch.nn.Threshold, whose gradient at θ itself is 0, as the formula's
    t = Number(thres, "θ")
    trends = (Trend(Interval(NEG_INF, t, (False, True)), "constant"),
              Trend(Interval(t, INF, (thres == 0, False)), "increasing"))
    if thres == 0:  # ReLU
        kink = Break(t, 1, ZERO, ONE, ZERO, ZERO)
        return ExactProperties(Range(intervals=(Interval(ZERO, INF, (True, False)),)), (ZERO, INF), trends,
                               (kink,), ZERO, None)
    jump = Break(t, 0, ZERO, t, ZERO, ZERO, slopes=(ZERO, ONE))
    above = Interval(t, INF)  # θ itself is f's value nowhere: f(θ) = 0
    # below θ < 0 the value 0 lies inside (θ, ∞); above θ > 0 it is a value apart
    values = Range(intervals=(above,)) if thres < 0 else Range(points=(ZERO,), intervals=(above,))
    return ExactProperties(values, (ZERO, INF), trends, (jump,), ZERO, ONE if thres < 0 else ZERO)


def _gaussian() -> ExactProperties:
    trends = (Trend(Interval(NEG_INF, ZERO, (False, True)), "increasing"),
              Trend(Interval(ZERO, INF, (True, False)), "decreasing"))
    return ExactProperties(Range(intervals=(Interval(ZERO, ONE, (False, True)),)), (ZERO, ZERO), trends,
                           (), ONE, ZERO)


def _dipping(minimum_at: float, minimum: float, slope: Number) -> ExactProperties:
    """Falling to a single minimum f(x₀) at x₀ < 0 from a limit of 0 at −∞, then rising without
    bound: GELU, SiLU and Mish. x₀ has no closed form: it is the root of f′, to 16 digits."""
    x0 = Number(minimum_at, "x₀", exact=False)
    trends = (Trend(Interval(NEG_INF, x0, (False, True)), "decreasing"),
              Trend(Interval(x0, INF, (True, False)), "increasing"))
    values = Range(intervals=(Interval(Number(minimum, "f(x₀)", exact=False), INF, (True, False)),))
    return ExactProperties(values, (ZERO, INF), trends, (), ZERO, slope)


# SELU's constants, as torch.nn.SELU has them
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717


def _selu() -> ExactProperties:
    lam = Number(_SELU_SCALE, "λ", exact=False)
    lam_alpha = Number(_SELU_SCALE * _SELU_ALPHA, "λα", exact=False)
    # autograd at 0 takes the x ≤ 0 branch's slope, in torch.nn.SELU as in the formula
    return _kinked_at_zero(lam_alpha, _negated(lam_alpha), lam_alpha, lam_alpha, right_slope=lam)


def _hardswish() -> ExactProperties:
    # x (x + 3) / 6 on [−3, 3], 0 below, x above: f′ = (2x + 3) / 6 between, lowest at −3/2
    three, low_at = Number(3.0), Number(-1.5)
    trends = (Trend(Interval(NEG_INF, _negated(three), (False, True)), "constant"),
              Trend(Interval(_negated(three), low_at, (True, True)), "decreasing"),
              Trend(Interval(low_at, INF, (True, False)), "increasing"))
    # torch.nn.Hardswish's gradient is 0 below −3 and x/3 + 1/2 up to 3 exclusive, 1 from 3 on
    breaks = (Break(_negated(three), 1, ZERO, Number(-0.5), ZERO, ZERO),
              Break(three, 1, Number(1.5), ONE, ONE, ONE))
    values = Range(intervals=(Interval(Number(-0.375, "−3/8"), INF, (True, False)),))
    return ExactProperties(values, (ZERO, INF), trends, breaks, ZERO, HALF)


_HALF_PI = Number(math.pi / 2, "π/2", exact=False)

_WORKED_OUT: dict[str, Callable[..., ExactProperties]] = {
    "identity": lambda: _whole("increasing"),
    "linear": _linear,
    "binary_step": _binary_step,
    "sigmoid": lambda: _whole("increasing", (ZERO, ONE), HALF, Number(0.25), _between(ZERO, ONE)),
    "tanh": lambda: _whole("increasing", (Number(-1.0), ONE), values=_between(Number(-1.0), ONE)),
    "arctan": lambda: _whole("increasing", (_negated(_HALF_PI), _HALF_PI),
                             values=_between(_negated(_HALF_PI), _HALF_PI)),
    # x / (1 + |x|): f″ = −2 sign(x) / (1 + |x|)³ jumps at 0 from 2 to −2
    "softsign": lambda: replace(_whole("increasing", (Number(-1.0), ONE), values=_between(Number(-1.0), ONE)),
                                breaks=(Break(ZERO, 2, Number(2.0), Number(-2.0)),)),
    # torch.nn.ReLU's gradient at 0 is 0, as the tutorial's (x > 0) * x
    "relu": lambda: _kinked_at_zero(ZERO, ZERO, ZERO, ZERO),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "trelu": _trelu,
    "softplus": lambda: _whole("increasing", (ZERO, INF), Number(math.log(2), "ln 2", exact=False), HALF,
                               _between(ZERO, INF)),
    # f′ = 1 + x / (2√(x² + 1)) lies in (1/2, 3/2)
    "bent_identity": lambda: _whole("increasing"),
    "gaussian": _gaussian,
    "gelu": lambda: _dipping(-0.7517915246935645, -0.16997120747990366, HALF),
    # SiLU's minimum is x₀ + 1: f′(x₀) = 0 means σ(x₀) = 1 + 1/x₀
    "silu": lambda: _dipping(-1.2784645427610738, -0.2784645427610738, HALF),
    # Mish's f′(0) = tanh(ln 2) = 3/5
    "mish": lambda: _dipping(-1.1924312145154952, -0.30884341301725041, Number(0.6)),
    "selu": _selu,
    "hardswish": _hardswish,
}
