"""The optimizer registry: the `torch.optim` classes the module approach can fit with, each once.

An optimizer is a `torch.optim` class, the settings it takes from the config (`uses`, each a
`SETTINGS` field) and any fixed arguments. `arguments` turns a config into the class's keyword
arguments once, and both the trainer (`build`) and the code view (`code`) read it, so the line a
learner copies is the line that ran. The page's selector, the parser, the URL and the tests read
`OPTIMIZERS` and `SETTINGS`; tests/test_optimizers.py checks every entry against a plain script
with only the tutorial's `optim.SGD` line changed.

To add an optimizer: one `Optimizer(...)` below (and a `NumberField` in SETTINGS for a new setting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch
from torch import optim

from core.i18n import N_
from core.numbers import NumberField, exact_text, vector_text

# Each setting's limits are what the torch class accepts and what makes sense to try here.
SETTINGS: dict[str, NumberField] = {
    f.name: f
    for f in (
        NumberField("momentum", N_("Momentum"), 0.9, 0.0, 1.0, minimum_exclusive=True, maximum_exclusive=True),
        NumberField("beta1", N_("β1 (first moment decay)"), 0.9, 0.0, 1.0, maximum_exclusive=True),
        NumberField("beta2", N_("β2 (second moment decay)"), 0.999, 0.0, 1.0, maximum_exclusive=True),
        NumberField("weight_decay", N_("Weight decay"), 0.01, 0.0, 100.0),
    )
}


@dataclass(frozen=True)
class Optimizer:
    name: str  # the config value and URL parameter
    label: str  # what the page's selector says (translated where shown)
    torch_class: type[optim.Optimizer]
    uses: tuple[str, ...] = ()  # SETTINGS this optimizer reads; the others are ignored for it
    fixed: dict[str, Any] = field(default_factory=dict)  # arguments that make it this variant
    # (λmax of the loss's Hessian, config) -> the largest learning rate at which this update
    # still converges on a quadratic; None: no such simple bound (adaptive step sizes)
    stability_bound: Callable[[float, Any], float] | None = None
    # (one step's numbers, config) -> how that step updated the weights, written out
    update_lines: Callable[["StepNumbers", Any], list["UpdateLine"]] = field(kw_only=True)

    def stable_lr(self, lambda_max: float, config: Any) -> float | None:
        return None if self.stability_bound is None else self.stability_bound(lambda_max, config)

    def arguments(self, config: Any) -> dict[str, Any]:
        """The class's keyword arguments for this config (torch's defaults for the rest)."""
        kwargs: dict[str, Any] = {"lr": config.lr}
        if "momentum" in self.uses:
            kwargs["momentum"] = config.momentum
        if "beta1" in self.uses:
            kwargs["betas"] = (config.beta1, config.beta2)
        if "weight_decay" in self.uses:
            kwargs["weight_decay"] = config.weight_decay
        return {**kwargs, **self.fixed}

    def build(self, parameters: Iterable[torch.nn.Parameter], config: Any) -> optim.Optimizer:
        return self.torch_class(parameters, **self.arguments(config))

    def code(self, config: Any) -> str:
        """The constructor as the script writes it: `optim.Adam(net.parameters(), lr=0.01, …)`."""
        args = ", ".join(f"{name}={_literal(value)}" for name, value in self.arguments(config).items())
        return f"optim.{self.torch_class.__name__}(net.parameters(), {args})"


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    if isinstance(value, bool):
        return repr(value)
    return exact_text(value)


@dataclass(frozen=True)
class StepNumbers:
    """One epoch's numbers an update is written out with: the gradient, the weights before and
    after, and the optimizer's state after the step (its buffers, as `ModuleFit.state` gives)."""

    gradient: np.ndarray
    before: np.ndarray
    after: np.ndarray
    state: dict[str, Any]

    def buffer(self, key: str) -> np.ndarray:
        return np.asarray(self.state[key], dtype=np.float64)


@dataclass(frozen=True)
class UpdateLine:
    """One line of an update written out: what it is, how it is computed (this run's settings
    written in) and its three numbers after the step."""

    label: str  # translated where shown
    formula: str
    values: tuple[float, ...]


def _numbers(values) -> tuple[float, ...]:
    return tuple(float(v) for v in np.ravel(values))


def _weights_line(formula: str, numbers: StepNumbers) -> UpdateLine:
    return UpdateLine(N_("Weights after the update"), formula, _numbers(numbers.after))


# Each `update_lines` follows its torch class's `step` with torch's defaults (tests/test_stepping.py
# recomputes every line from the previous step's state and checks it against torch's numbers).
def _plain_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    lr = exact_text(config.lr)
    written_out = f"{vector_text(numbers.before)} − {lr} × {vector_text(numbers.gradient)}"
    return [_weights_line(f"w ← w − {lr} × ∂L/∂w = {written_out}", numbers)]


def _momentum_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    m, lr = exact_text(config.momentum), exact_text(config.lr)
    return [UpdateLine(N_("Momentum buffer"), f"b ← {m}·b + ∂L/∂w", _numbers(numbers.buffer("momentum_buffer"))),
            _weights_line(f"w ← w − {lr}·b", numbers)]


def _nesterov_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    m, lr = exact_text(config.momentum), exact_text(config.lr)
    return [UpdateLine(N_("Momentum buffer"), f"b ← {m}·b + ∂L/∂w", _numbers(numbers.buffer("momentum_buffer"))),
            _weights_line(f"w ← w − {lr}·(∂L/∂w + {m}·b)", numbers)]


def _adagrad_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    return [UpdateLine(N_("Sum of squared gradients"), "s ← s + (∂L/∂w)²", _numbers(numbers.buffer("sum"))),
            _weights_line(f"w ← w − {exact_text(config.lr)}·(∂L/∂w) / (√s + 1e-10)", numbers)]


def _rmsprop_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    return [UpdateLine(N_("Running mean of squared gradients"), "v ← 0.99·v + 0.01·(∂L/∂w)²",
                       _numbers(numbers.buffer("square_avg"))),
            _weights_line(f"w ← w − {exact_text(config.lr)}·(∂L/∂w) / (√v + 1e-08)", numbers)]


def _adam_update(numbers: StepNumbers, config: Any) -> list[UpdateLine]:
    b1, b2, lr = config.beta1, config.beta2, exact_text(config.lr)
    one_minus_b1, one_minus_b2 = exact_text(round(1 - b1, 12)), exact_text(round(1 - b2, 12))  # 0.1, not 0.09999…
    t = int(numbers.state["step"])
    m, v = numbers.buffer("exp_avg"), numbers.buffer("exp_avg_sq")
    lines = []
    if "weight_decay" in OPTIMIZERS[config.optimizer].uses:  # AdamW: decay the weights first
        lines.append(UpdateLine(N_("Weights after the decay"),
                                f"w ← w·(1 − {lr}·{exact_text(config.weight_decay)})",
                                _numbers(numbers.before * (1 - config.lr * config.weight_decay))))
    return lines + [
        UpdateLine(N_("First moment (mean of gradients)"), f"m ← {exact_text(b1)}·m + {one_minus_b1}·∂L/∂w",
                   _numbers(m)),
        UpdateLine(N_("Second moment (mean of squared gradients)"),
                   f"v ← {exact_text(b2)}·v + {one_minus_b2}·(∂L/∂w)²", _numbers(v)),
        UpdateLine(N_("Bias-corrected first moment"), f"m̂ = m / (1 − {exact_text(b1)}^{t})",
                   _numbers(m / (1 - b1 ** t))),
        UpdateLine(N_("Bias-corrected second moment"), f"v̂ = v / (1 − {exact_text(b2)}^{t})",
                   _numbers(v / (1 - b2 ** t))),
        _weights_line(f"w ← w − {lr}·m̂ / (√v̂ + 1e-08)", numbers),
    ]


# On a quadratic each eigen-direction of the Hessian (eigenvalue λ, step h) is its own linear
# recurrence, stable while its roots lie inside the unit circle. Plain descent: |1 − hλ| < 1,
# h < 2/λ. Heavy ball (torch's v ← m·v + g, w ← w − h·v): z² − (1 + m − hλ)z + m, stable for
# h < 2(1 + m)/λ. Nesterov (torch's w ← w − h(g + m·v)): z² − (1 + m)(1 − hλ)z + m(1 − hλ),
# stable for h < 2(1 + m)/((1 + 2m)λ). The largest λ is the first to break.
def _plain_bound(lambda_max: float, config: Any) -> float:
    return 2.0 / lambda_max


def _momentum_bound(lambda_max: float, config: Any) -> float:
    return 2.0 * (1 + config.momentum) / lambda_max


def _nesterov_bound(lambda_max: float, config: Any) -> float:
    return 2.0 * (1 + config.momentum) / ((1 + 2 * config.momentum) * lambda_max)


_REGISTRY = (
    Optimizer("sgd", N_("SGD (the tutorial's)"), optim.SGD, stability_bound=_plain_bound,
              update_lines=_plain_update),
    Optimizer("momentum", N_("SGD with momentum"), optim.SGD, uses=("momentum",), stability_bound=_momentum_bound,
              update_lines=_momentum_update),
    Optimizer("nesterov", N_("SGD with Nesterov momentum"), optim.SGD, uses=("momentum",),
              fixed={"nesterov": True}, stability_bound=_nesterov_bound, update_lines=_nesterov_update),
    Optimizer("adagrad", "Adagrad", optim.Adagrad, update_lines=_adagrad_update),
    Optimizer("rmsprop", "RMSprop", optim.RMSprop, update_lines=_rmsprop_update),
    Optimizer("adam", "Adam", optim.Adam, uses=("beta1", "beta2"), update_lines=_adam_update),
    Optimizer("adamw", "AdamW", optim.AdamW, uses=("beta1", "beta2", "weight_decay"), update_lines=_adam_update),
)

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in _REGISTRY}
DEFAULT_OPTIMIZER = "sgd"
