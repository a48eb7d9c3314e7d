"""The activation-function registry: the single source of truth for the gallery page.

Each function is defined once, as a float64 torch function (`Activation.fn`). The plotted curve,
its derivative (torch.autograd), the properties panel, the URL/JSON parser and the tests all read
`ACTIVATIONS`. The first fourteen entries are the seed tutorial's functions with its defaults and
`plt.ylim`; the rest are modern activations. Pure logic: torch, numpy and the standard library.

Every function is elementwise, so the derivative at each point is the gradient of `y.sum()`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.i18n import N_, _
from core.numbers import NumberField, shown


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

    @property
    def field(self) -> NumberField:
        """How a value of this parameter from a client is checked."""
        return NumberField(self.name, self.name, self.default, self.min, self.max)


@dataclass(frozen=True)
class Activation:
    name: str
    display_name: str
    group: str  # "seed" (the tutorial's functions) or "modern"
    formula_latex: str  # without $$ delimiters
    ylim: tuple[float, float]  # the tutorial's plt.ylim (a sensible one for the modern functions)
    fn: Callable[..., torch.Tensor]  # fn(x, **params), x a float64 tensor
    params: tuple[Param, ...] = ()
    torch_nn: str | None = None  # the torch.nn equivalent as shown on the page
    torch_nn_factory: Callable[..., nn.Module] | None = None  # factory(**params) -> that module


# --- the functions -------------------------------------------------------------------------------
# Branches of torch.where are both evaluated and both receive gradient (zero for the unused one),
# and 0 * inf = nan; so a branch that could overflow is clamped to where it is actually used.


def _identity(x):
    return x


def _linear(x, slope, intercept):
    return slope * x + intercept


def _binary_step(x):
    # Built from a comparison, so it has no autograd graph: its derivative is 0 (see derivatives).
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


_ALPHA_LEAKY = Param("alpha", N_("alpha α"), 0.1, 0.0, 1.0, 0.01, affine=True)
_ALPHA_ELU = Param("alpha", N_("alpha α"), 0.9, 0.0, 2.0, 0.01, affine=True)
_CASES = r"\begin{cases} %s \end{cases}"

_REGISTRY = (
    Activation(
        name="identity",
        display_name=N_("Identity"),
        group="seed",
        formula_latex=r"f(x) = x",
        ylim=(-10, 10),
        fn=_identity,
        torch_nn="torch.nn.Identity()",
        torch_nn_factory=lambda: nn.Identity(),
    ),
    Activation(
        name="linear",
        display_name=N_("Linear"),
        group="seed",
        formula_latex=r"f(x) = w\,x + b",
        params=(Param("slope", N_("slope w"), 2.0, -5.0, 5.0, 0.1, affine=True),
                Param("intercept", N_("intercept b"), 1.0, -5.0, 5.0, 0.1, affine=True)),
        ylim=(-10, 10),
        fn=_linear,
    ),
    Activation(
        name="binary_step",
        display_name=N_("Binary step"),
        group="seed",
        formula_latex=r"f(x) = " + _CASES % r"1 & x \ge 0 \\ 0 & x < 0",
        ylim=(-5, 5),
        fn=_binary_step,
    ),
    Activation(
        name="sigmoid",
        display_name=N_("Sigmoid (logistic, soft step)"),
        group="seed",
        formula_latex=r"f(x) = \frac{1}{1 + e^{-x}}",
        ylim=(0, 1),
        fn=torch.sigmoid,
        torch_nn="torch.nn.Sigmoid()",
        torch_nn_factory=lambda: nn.Sigmoid(),
    ),
    Activation(
        name="tanh",
        display_name=N_("TanH"),
        group="seed",
        formula_latex=r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        ylim=(-1, 1),
        fn=torch.tanh,
        torch_nn="torch.nn.Tanh()",
        torch_nn_factory=lambda: nn.Tanh(),
    ),
    Activation(
        name="arctan",
        display_name=N_("ArcTan"),
        group="seed",
        formula_latex=r"f(x) = \tan^{-1} x",
        ylim=(-1.5, 1.5),
        fn=torch.atan,
    ),
    Activation(
        name="softsign",
        display_name=N_("Softsign"),
        group="seed",
        formula_latex=r"f(x) = \frac{x}{1 + |x|}",
        ylim=(-1, 1),
        fn=_softsign,
        torch_nn="torch.nn.Softsign()",
        torch_nn_factory=lambda: nn.Softsign(),
    ),
    Activation(
        name="relu",
        display_name=N_("ReLU"),
        group="seed",
        formula_latex=r"f(x) = \max(0, x)",
        ylim=(-1, 11),
        fn=torch.relu,
        torch_nn="torch.nn.ReLU()",
        torch_nn_factory=lambda: nn.ReLU(),
    ),
    Activation(
        name="leaky_relu",
        display_name=N_("Leaky ReLU"),
        group="seed",
        formula_latex=r"f(x) = " + _CASES % r"x & x \ge 0 \\ \alpha x & x < 0",
        params=(_ALPHA_LEAKY,),
        ylim=(-2, 11),
        fn=_leaky_relu,
        torch_nn="torch.nn.LeakyReLU(negative_slope=α)",
        torch_nn_factory=lambda alpha: nn.LeakyReLU(negative_slope=alpha),
    ),
    Activation(
        name="elu",
        display_name=N_("ELU"),
        group="seed",
        formula_latex=r"f(x) = " + _CASES % r"x & x \ge 0 \\ \alpha (e^{x} - 1) & x < 0",
        params=(_ALPHA_ELU,),
        ylim=(-2, 11),
        fn=_elu,
        torch_nn="torch.nn.ELU(alpha=α)",
        torch_nn_factory=lambda alpha: nn.ELU(alpha=alpha),
    ),
    Activation(
        name="trelu",
        display_name=N_("TReLU (thresholded ReLU)"),
        group="seed",
        formula_latex=r"f(x) = " + _CASES % r"x & x > \theta \\ 0 & x \le \theta",
        params=(Param("thres", N_("threshold θ"), 2.0, -5.0, 5.0, 0.1),),
        ylim=(-2, 11),
        fn=_trelu,
        torch_nn="torch.nn.Threshold(threshold=θ, value=0)",
        torch_nn_factory=lambda thres: nn.Threshold(thres, 0.0),
    ),
    Activation(
        name="softplus",
        display_name=N_("SoftPlus"),
        group="seed",
        formula_latex=r"f(x) = \ln(1 + e^{x})",
        ylim=(-1, 11),
        fn=_softplus,
        torch_nn="torch.nn.Softplus()",
        torch_nn_factory=lambda: nn.Softplus(),
    ),
    Activation(
        name="bent_identity",
        display_name=N_("Bent identity"),
        group="seed",
        formula_latex=r"f(x) = \frac{\sqrt{x^2 + 1} - 1}{2} + x",
        ylim=(-6, 11),
        fn=_bent_identity,
    ),
    Activation(
        name="gaussian",
        display_name=N_("Gaussian"),
        group="seed",
        formula_latex=r"f(x) = e^{-x^2}",
        ylim=(-0.5, 1.5),
        fn=_gaussian,
    ),
    Activation(
        name="gelu",
        display_name=N_("GELU"),
        group="modern",
        formula_latex=r"f(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt{2}}\right)",
        ylim=(-1, 11),
        fn=F.gelu,
        torch_nn="torch.nn.GELU()",
        torch_nn_factory=lambda: nn.GELU(),
    ),
    Activation(
        name="silu",
        display_name=N_("SiLU (Swish)"),
        group="modern",
        formula_latex=r"f(x) = x\,\sigma(x) = \frac{x}{1 + e^{-x}}",
        ylim=(-1, 11),
        fn=F.silu,
        torch_nn="torch.nn.SiLU()",
        torch_nn_factory=lambda: nn.SiLU(),
    ),
    Activation(
        name="mish",
        display_name=N_("Mish"),
        group="modern",
        formula_latex=r"f(x) = x \tanh\left(\ln(1 + e^{x})\right)",
        ylim=(-1, 11),
        fn=F.mish,
        torch_nn="torch.nn.Mish()",
        torch_nn_factory=lambda: nn.Mish(),
    ),
    Activation(
        name="selu",
        display_name=N_("SELU"),
        group="modern",
        formula_latex=r"f(x) = \lambda " + _CASES % r"x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0"
        + r",\quad \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        ylim=(-2, 11),
        fn=F.selu,
        torch_nn="torch.nn.SELU()",
        torch_nn_factory=lambda: nn.SELU(),
    ),
    Activation(
        name="hardswish",
        display_name=N_("Hardswish"),
        group="modern",
        formula_latex=r"f(x) = x\,\frac{\min(\max(0, x + 3), 6)}{6}",
        ylim=(-1, 11),
        fn=F.hardswish,
        torch_nn="torch.nn.Hardswish()",
        torch_nn_factory=lambda: nn.Hardswish(),
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


def with_defaults(act: Activation, params: Mapping[str, float] | None) -> dict[str, float]:
    return {**{p.name: p.default for p in act.params}, **(params or {})}


def derivatives(act: Activation, x: np.ndarray, params: dict, order: int) -> list[np.ndarray]:
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
    y, dy = derivatives(act, np.asarray(x, dtype=np.float64), with_defaults(act, params), 1)
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
    base = with_defaults(act, params)
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


X_FIELDS = {name: NumberField(name, name, default, -X_LIMIT, X_LIMIT)
            for name, default in (("xmin", DEFAULT_XMIN), ("xmax", DEFAULT_XMAX))}


def _bounded(raw: Mapping, field: NumberField, errors: list[str]) -> float:
    """`raw[field.name]` when acceptable; else, with a message in `errors`, the default."""
    if field.name not in raw:
        return float(field.default)
    value, message = field.parse(raw[field.name])
    if message is not None:
        errors.append(_("{message}; using the default {default}.").format(message=message.rstrip("."),
                                                                           default=f"{field.default:g}"))
        return float(field.default)
    return value


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
        errors.append(_("Unknown function {name}; showing {shown}. Choose one of: {choices}.").format(
            name=shown(fn_name, 40), shown=name, choices=", ".join(ACTIVATIONS)))
    if not isinstance(raw, Mapping):
        if raw is not None:
            errors.append(_("Settings must be a mapping of names to values; got {value}.").format(value=shown(raw, 40)))
        raw = {}
    params = {p.name: _bounded(raw, p.field, errors) for p in ACTIVATIONS[name].params}
    xmin = _bounded(raw, X_FIELDS["xmin"], errors)
    xmax = _bounded(raw, X_FIELDS["xmax"], errors)
    if xmax - xmin < MIN_SPAN - 1e-9:  # 0.6 - 0.5 is 0.0999...98 in binary
        errors.append(_("xmax must exceed xmin by at least {span}; got xmin {xmin}, xmax {xmax}, so using the "
                        "default range {low} to {high}.").format(span=f"{MIN_SPAN:g}", xmin=f"{xmin:g}",
                                                                 xmax=f"{xmax:g}", low=DEFAULT_XMIN, high=DEFAULT_XMAX))
        xmin, xmax = float(DEFAULT_XMIN), float(DEFAULT_XMAX)
    return Resolved(name, params, xmin, xmax, errors)
