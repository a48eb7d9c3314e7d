"""The activation-function registry: the single source of truth for the gallery page.

Each function is defined once, as a float64 torch function (`Activation.fn`). The plotted curve,
its derivative (torch.autograd), the properties panel, the URL/JSON parser and the tests all read
`ACTIVATIONS`. The first fourteen entries are the seed tutorial's functions with its defaults and
`plt.ylim`; the rest are modern activations. Pure logic: torch, numpy and the standard library.

Every function is elementwise, so the derivative at each point is the gradient of `y.sum()`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Param:
    name: str  # keyword of `Activation.fn` and the URL query key
    label: str
    default: float
    min: float
    max: float
    step: float
    # f and f′ are affine in this parameter (the others held): a change of it shifts every
    # point by a fixed slope (`parameter_slopes`), so the page can follow a drag by itself.
    affine: bool = False


@dataclass(frozen=True)
class Activation:
    name: str
    display_name: str
    group: str  # "seed" (the tutorial's functions) or "modern"
    formula_latex: str  # without $$ delimiters
    params: tuple[Param, ...]
    ylim: tuple[float, float]
    fn: Callable[..., torch.Tensor]  # fn(x, **params), x a float64 tensor
    torch_nn: str | None  # the torch.nn equivalent as shown on the page
    torch_nn_factory: Callable[..., nn.Module] | None  # factory(**params) -> that module


# --- the functions -------------------------------------------------------------------------------
# Branches of torch.where are both evaluated and both receive gradient (zero for the unused one),
# and 0 * inf = nan; so a branch that could overflow is clamped to where it is actually used.


def _identity(x):
    return x


def _linear(x, slope, intercept):
    return slope * x + intercept


def _binary_step(x):
    # Built from a comparison, so it has no autograd graph: its derivative is 0 (see _derivatives).
    return (x >= 0).to(x.dtype)


def _softsign(x):
    # |x| as x * sign(x): the same values and derivatives, but autograd's second derivative
    # through torch.abs imports torch._dynamo, about 2 s on first use.
    return x / (1 + x * torch.sign(x))


def _leaky_relu(x, alpha):
    return torch.where(x >= 0, x, alpha * x)


def _elu(x, alpha):
    return torch.where(x >= 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))


def _trelu(x, thres):
    return torch.where(x > thres, x, torch.zeros_like(x))


def _softplus(x):
    # log(e^x + e^0) without overflow; exact for all x (nn.Softplus switches to x above 20).
    return torch.logaddexp(x, torch.zeros_like(x))


def _bent_identity(x):
    return (torch.sqrt(x * x + 1) - 1) / 2 + x


def _gaussian(x):
    return torch.exp(-x * x)


_ALPHA_LEAKY = Param("alpha", "alpha α", 0.1, 0.0, 1.0, 0.01, affine=True)
_ALPHA_ELU = Param("alpha", "alpha α", 0.9, 0.0, 2.0, 0.01, affine=True)
_CASES = r"\begin{cases} %s \end{cases}"

_REGISTRY = (
    Activation(
        "identity", "Identity", "seed", r"f(x) = x", (), (-10, 10),
        _identity, "torch.nn.Identity()", lambda: nn.Identity(),
    ),
    Activation(
        "linear", "Linear", "seed", r"f(x) = w\,x + b",
        (Param("slope", "slope w", 2.0, -5.0, 5.0, 0.1, affine=True),
         Param("intercept", "intercept b", 1.0, -5.0, 5.0, 0.1, affine=True)),
        (-10, 10), _linear, None, None,
    ),
    Activation(
        "binary_step", "Binary step", "seed",
        r"f(x) = " + _CASES % r"1 & x \ge 0 \\ 0 & x < 0", (), (-5, 5),
        _binary_step, None, None,
    ),
    Activation(
        "sigmoid", "Sigmoid (logistic, soft step)", "seed", r"f(x) = \frac{1}{1 + e^{-x}}",
        (), (0, 1), torch.sigmoid, "torch.nn.Sigmoid()", lambda: nn.Sigmoid(),
    ),
    Activation(
        "tanh", "TanH", "seed", r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        (), (-1, 1), torch.tanh, "torch.nn.Tanh()", lambda: nn.Tanh(),
    ),
    Activation(
        "arctan", "ArcTan", "seed", r"f(x) = \tan^{-1} x", (), (-1.5, 1.5),
        torch.atan, None, None,
    ),
    Activation(
        "softsign", "Softsign", "seed", r"f(x) = \frac{x}{1 + |x|}", (), (-1, 1),
        _softsign, "torch.nn.Softsign()", lambda: nn.Softsign(),
    ),
    Activation(
        "relu", "ReLU", "seed", r"f(x) = \max(0, x)", (), (-1, 11),
        torch.relu, "torch.nn.ReLU()", lambda: nn.ReLU(),
    ),
    Activation(
        "leaky_relu", "Leaky ReLU", "seed",
        r"f(x) = " + _CASES % r"x & x \ge 0 \\ \alpha x & x < 0", (_ALPHA_LEAKY,), (-2, 11),
        _leaky_relu, "torch.nn.LeakyReLU(negative_slope=α)",
        lambda alpha: nn.LeakyReLU(negative_slope=alpha),
    ),
    Activation(
        "elu", "ELU", "seed",
        r"f(x) = " + _CASES % r"x & x \ge 0 \\ \alpha (e^{x} - 1) & x < 0", (_ALPHA_ELU,),
        (-2, 11), _elu, "torch.nn.ELU(alpha=α)", lambda alpha: nn.ELU(alpha=alpha),
    ),
    Activation(
        "trelu", "TReLU (thresholded ReLU)", "seed",
        r"f(x) = " + _CASES % r"x & x > \theta \\ 0 & x \le \theta",
        (Param("thres", "threshold θ", 2.0, -5.0, 5.0, 0.1),), (-2, 11),
        _trelu, "torch.nn.Threshold(threshold=θ, value=0)",
        lambda thres: nn.Threshold(thres, 0.0),
    ),
    Activation(
        "softplus", "SoftPlus", "seed", r"f(x) = \ln(1 + e^{x})", (), (-1, 11),
        _softplus, "torch.nn.Softplus()", lambda: nn.Softplus(),
    ),
    Activation(
        "bent_identity", "Bent identity", "seed", r"f(x) = \frac{\sqrt{x^2 + 1} - 1}{2} + x",
        (), (-6, 11), _bent_identity, None, None,
    ),
    Activation(
        "gaussian", "Gaussian", "seed", r"f(x) = e^{-x^2}", (), (-0.5, 1.5),
        _gaussian, None, None,
    ),
    Activation(
        "gelu", "GELU", "modern",
        r"f(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt{2}}\right)",
        (), (-1, 11), F.gelu, "torch.nn.GELU()", lambda: nn.GELU(),
    ),
    Activation(
        "silu", "SiLU (Swish)", "modern", r"f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
        (), (-1, 11), F.silu, "torch.nn.SiLU()", lambda: nn.SiLU(),
    ),
    Activation(
        "mish", "Mish", "modern", r"f(x) = x \tanh\left(\ln(1 + e^{x})\right)",
        (), (-1, 11), F.mish, "torch.nn.Mish()", lambda: nn.Mish(),
    ),
    Activation(
        "selu", "SELU", "modern",
        r"f(x) = \lambda " + _CASES % r"x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0"
        + r",\quad \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        (), (-2, 11), F.selu, "torch.nn.SELU()", lambda: nn.SELU(),
    ),
    Activation(
        "hardswish", "Hardswish", "modern", r"f(x) = x\,\frac{\min(\max(0, x + 3), 6)}{6}",
        (), (-1, 11), F.hardswish, "torch.nn.Hardswish()", lambda: nn.Hardswish(),
    ),
)

ACTIVATIONS: dict[str, Activation] = {a.name: a for a in _REGISTRY}
DEFAULT_ACTIVATION = "identity"

# --- grid and evaluation -------------------------------------------------------------------------

DEFAULT_XMIN, DEFAULT_XMAX, DEFAULT_STEP = -10, 10, 0.01
X_LIMIT = 1000  # allowed |x|; every function and derivative is finite there at any allowed params
MAX_POINTS = 2001
MIN_SPAN = 0.1  # smallest xmax - xmin accepted, so a plot has at least ten points


def make_grid(xmin: float, xmax: float) -> np.ndarray:
    """The seed's 0.01-step grid when it fits in MAX_POINTS points, else MAX_POINTS even points."""
    if math.ceil((xmax - xmin) / DEFAULT_STEP) <= MAX_POINTS:
        return np.arange(xmin, xmax, DEFAULT_STEP)
    return np.linspace(xmin, xmax, MAX_POINTS)


def _with_defaults(act: Activation, params: Mapping[str, float] | None) -> dict[str, float]:
    return {**{p.name: p.default for p in act.params}, **(params or {})}


def _derivatives(act: Activation, x: np.ndarray, params: dict, order: int) -> list[np.ndarray]:
    """[f(x), f'(x), ..., f^(order)(x)], every derivative by autograd from `act.fn`."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = [act.fn(xt, **params)]
    for k in range(order):
        g = out[-1]
        if g.requires_grad:
            (g,) = torch.autograd.grad(
                g.sum(), xt, create_graph=k < order - 1, allow_unused=True, materialize_grads=True
            )
        else:  # no graph back to x: the previous one is piecewise constant, so this is 0
            g = torch.zeros_like(xt)
        out.append(g)
    return [t.detach().numpy() for t in out]


def evaluate(
    name: str, x: np.ndarray, params: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Values and autograd derivative of activation `name` at `x`; missing params take defaults."""
    act = ACTIVATIONS[name]
    y, dy = _derivatives(act, np.asarray(x, dtype=np.float64), _with_defaults(act, params), 1)
    return y, dy


def parameter_slopes(
    name: str, x: np.ndarray, params: Mapping[str, float] | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """∂f/∂p and ∂f′/∂p at `x` for each affine parameter p of `name`, the others held.

    f is affine in p, so one unit step of p gives the slope exactly (up to rounding); then
    f at p + Δ is f + Δ·∂f/∂p, from the same implementation as every other value.
    """
    act = ACTIVATIONS[name]
    if not any(param.affine for param in act.params):
        return {}  # most functions: nothing to evaluate
    base = _with_defaults(act, params)
    y, dy = evaluate(name, x, base)
    slopes = {}
    for param in act.params:
        if param.affine:
            y1, dy1 = evaluate(name, x, {**base, param.name: base[param.name] + 1})
            slopes[param.name] = (y1 - y, dy1 - dy)
    return slopes


# --- parsing untrusted input ---------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    name: str
    params: dict[str, float]
    xmin: float
    xmax: float
    errors: list[str]


def _number(value: object) -> float | None:
    """A finite float from a number or numeric string, else None (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # "abc", or an int too large for a float
        return None
    return number if math.isfinite(number) else None


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits, or very deep nesting
        text = f"a value of type {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _bounded(raw: Mapping, key: str, low: float, high: float, default: float, errors: list[str]):
    if key not in raw:
        return float(default)
    number = _number(raw[key])
    if number is None or not low <= number <= high:
        errors.append(
            f"{key} must be a number from {low:g} to {high:g}; got {_shown(raw[key])}, "
            f"so using the default {default:g}."
        )
        return float(default)
    return number


def resolve(fn_name: object, raw: object) -> Resolved:
    """Parse untrusted input (URL query values, JSON from any client) into valid settings.

    Never raises. `raw` maps parameter names, "xmin" and "xmax" to numbers or numeric strings;
    keys that mean nothing for the chosen function are ignored. A missing value silently takes its
    default; an unusable one takes its default and adds a message to `errors`.
    """
    errors: list[str] = []
    if fn_name is None:
        name = DEFAULT_ACTIVATION
    elif isinstance(fn_name, str) and fn_name in ACTIVATIONS:
        name = fn_name
    else:
        name = DEFAULT_ACTIVATION
        errors.append(
            f"Unknown function {_shown(fn_name)}; showing {name}. "
            f"Choose one of: {', '.join(ACTIVATIONS)}."
        )
    if not isinstance(raw, Mapping):
        if raw is not None:
            errors.append(f"Settings must be a mapping of names to values; got {_shown(raw)}.")
        raw = {}
    params = {
        p.name: _bounded(raw, p.name, p.min, p.max, p.default, errors)
        for p in ACTIVATIONS[name].params
    }
    xmin = _bounded(raw, "xmin", -X_LIMIT, X_LIMIT, DEFAULT_XMIN, errors)
    xmax = _bounded(raw, "xmax", -X_LIMIT, X_LIMIT, DEFAULT_XMAX, errors)
    if xmax - xmin < MIN_SPAN - 1e-9:  # 0.6 - 0.5 is 0.0999...98 in binary
        errors.append(
            f"xmax must exceed xmin by at least {MIN_SPAN:g}; got xmin {xmin:g}, xmax {xmax:g}, "
            f"so using the default range {DEFAULT_XMIN} to {DEFAULT_XMAX}."
        )
        xmin, xmax = float(DEFAULT_XMIN), float(DEFAULT_XMAX)
    return Resolved(name, params, xmin, xmax, errors)


# --- properties, measured numerically ------------------------------------------------------------

_DENSE = np.arange(-1000, 1001) / 100  # step 0.01 over [-10, 10], exact 0; holds every kink
_TAIL = 1e8  # "at infinity": far enough that bounded functions are within 1e-8 of their limits
_FAR = np.logspace(1, math.log10(_TAIL), 71)[1:]
_WIDE = np.concatenate([-_FAR[::-1], _DENSE, _FAR])
_ZERO = len(_FAR) + 1000  # index of x = 0 in _WIDE
_MAX_ORDER = 3  # jumps are looked for in f, f', f'' and f'''
_CONTINUITY = ("discontinuous", "C0", "C1", "C2")  # by the order of the first jump
_CANDIDATES = 4  # places per derivative order suspected of a jump
_SUBDIV, _LEVELS = 101, 4  # each level narrows a suspect interval 100x: 0.01 -> 1e-10
_JUMP_TOL = 1e-6  # a residual this large across an interval of width 1e-10 is a jump
_GROWTH = 0.05  # tail test, see _unbounded


def _unbounded(x: float, fx: float, dfx: float, f0: float) -> bool:
    """Whether f grows without bound beyond x (x far out, f0 = f(0)).

    Approaching a limit c, f(x) ~ c - a / x^p gives x f'(x) -> 0 while f(x) - f(0) stays finite;
    growth like x^p or log x keeps x f'(x) comparable to f(x) - f(0).
    """
    return abs(x * dfx) > _GROWTH * abs(fx - f0)


def _residual(g: np.ndarray, dg: np.ndarray, x: np.ndarray) -> np.ndarray:
    """|change of g over each interval - the trapezoid integral of its derivative dg there|.

    Tiny (width^3) where g is smooth, about |dg's jump| * width / 2 across a kink, and the jump
    itself across a jump, whatever the slope around it.
    """
    return np.abs(np.diff(g, axis=-1) - (dg[..., 1:] + dg[..., :-1]) / 2 * np.diff(x, axis=-1))


def _first_jump_order(act: Activation, params: dict, dense: list[np.ndarray]) -> int | None:
    """The lowest derivative order (0 = f itself) with a jump in [-10, 10], or None.

    Suspects are the grid intervals of largest _residual for each order. Each is narrowed by
    repeatedly keeping its sub-interval of largest residual: across a jump the residual stays the
    jump's size, while at a kink or where smooth it shrinks with the width.
    """
    suspects = [
        (k, i) for k in range(_MAX_ORDER + 1)
        for i in np.argsort(_residual(dense[k], dense[k + 1], _DENSE))[-_CANDIDATES:]
    ]
    orders = np.array([k for k, _ in suspects])
    a = np.array([_DENSE[i] for _, i in suspects])
    b = np.array([_DENSE[i + 1] for _, i in suspects])
    rows = np.arange(len(suspects))
    for _ in range(_LEVELS):
        sub = np.linspace(a, b, _SUBDIV, axis=1)
        values = np.stack(_derivatives(act, sub.ravel(), params, _MAX_ORDER + 1))
        values = values.reshape(_MAX_ORDER + 2, len(suspects), _SUBDIV)
        residual = _residual(values[orders, rows], values[orders + 1, rows], sub)
        j = np.argmax(residual, axis=1)
        a, b, jump = sub[rows, j], sub[rows, j + 1], residual[rows, j]
    jumped = orders[jump > _JUMP_TOL]
    return int(jumped.min()) if jumped.size else None


def _extreme(act: Activation, params: dict, f: np.ndarray, sign: int) -> float:
    """f's largest (sign 1) or smallest (sign -1) value on _WIDE, refined near where it occurs."""
    g = sign * f
    i = int(np.argmax(g))
    best = g[i]
    if 0 < i < len(_WIDE) - 1:
        a, b = _WIDE[i - 1], _WIDE[i + 1]
        for _ in range(4):  # each pass narrows [a, b] 50x
            fine = np.linspace(a, b, 101)
            h = sign * _derivatives(act, fine, params, 0)[0]
            j = int(np.argmax(h))
            best = max(best, h[j])
            a, b = fine[max(j - 1, 0)], fine[min(j + 1, 100)]
    return float(sign * best) + 0.0  # + 0.0 turns -0.0 into 0.0


def properties(name: str, params: Mapping[str, float] | None = None) -> dict:
    """Properties of activation `name`, measured from its `fn` and autograd, not hard-coded.

    - range: (low, high) over the real line; -inf / inf where f grows without bound. Bounds that
      are only approached (sigmoid's 0 and 1) are given as the limit, to within 1e-8.
    - monotonic: non-decreasing or non-increasing everywhere.
    - continuity: "discontinuous", "C0" (f continuous, f' jumps), "C1", "C2", or "smooth" (no
      jump in f, f', f'' or f''').
    - zero_centred: f(0) = 0, i.e. the curve passes through the origin.
    - saturating: the sides on which f stays bounded: "both", "left", "right" or "none".
    - derivative_at_0: autograd's f'(0); at a kink that is torch's one-sided convention.

    Jumps are looked for in [-10, 10], which holds every kink of every registered function at
    every allowed parameter value; a jump must exceed 1e-6 to be seen.
    """
    act = ACTIVATIONS[name]
    return dict(_measured_properties(name, tuple(sorted(_with_defaults(act, params).items()))))


@functools.lru_cache(maxsize=256)  # ~6 ms each; the gallery asks again at every redraw
def _measured_properties(name: str, param_items: tuple[tuple[str, float], ...]) -> dict:
    act = ACTIVATIONS[name]
    params = dict(param_items)
    wide = _derivatives(act, _WIDE, params, _MAX_ORDER + 1)
    f, df = wide[0], wide[1]
    dense = [d[len(_FAR) : len(_FAR) + len(_DENSE)] for d in wide]

    left = _unbounded(-_TAIL, f[0], df[0], f[_ZERO])
    right = _unbounded(_TAIL, f[-1], df[-1], f[_ZERO])
    low, high = _extreme(act, params, f, -1), _extreme(act, params, f, 1)
    for unbounded, outward_slope in ((left, -df[0]), (right, df[-1])):
        if unbounded and outward_slope > 0:
            high = math.inf
        elif unbounded:
            low = -math.inf

    step = np.diff(f)
    tol = 1e-12 * (1 + np.abs(f[1:]))
    order = _first_jump_order(act, params, dense)
    return {
        "range": (low, high),
        "monotonic": bool(np.all(step >= -tol) or np.all(step <= tol)),
        "continuity": "smooth" if order is None else _CONTINUITY[order],
        "zero_centred": bool(abs(f[_ZERO]) <= 1e-12),
        "saturating": {(False, False): "both", (False, True): "left", (True, False): "right"}.get(
            (left, right), "none"
        ),
        "derivative_at_0": float(df[_ZERO]) + 0.0,
    }
