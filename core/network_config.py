"""What a network run is asked to do, and the one parser that turns untrusted input into it.

A small network `Linear(1, H) → activation → Linear(H, 1)` fits noisy samples of a target curve.
The activation is any of the gallery's registry (`core.activations`) with its parameters, checked
against the same limits as the gallery's; every other setting is a `NumberField`. The work budget
bounds epochs × samples × hidden units, so no run can hold a core for long.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch

from core.activations import ACTIVATIONS
from core.i18n import N_, _
from core.numbers import NumberField, parse_fields, shown

X_RANGE = (-3.0, 3.0)  # where the samples are drawn and the curves are drawn


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    code: str  # the curve as the script writes it, of a tensor `x`
    fn: Callable[[torch.Tensor], torch.Tensor]


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("sin", N_("sin x"), "torch.sin(x)", torch.sin),
    Target("abs", N_("|x|"), "torch.abs(x)", torch.abs),
    Target("square", N_("x²"), "x ** 2", lambda x: x ** 2),
    Target("step", N_("step (0 for x < 0, 1 from 0)"), "(x >= 0).to(x.dtype)", lambda x: (x >= 0).to(x.dtype)),
)}
DEFAULT_TARGET = "sin"
DEFAULT_ACTIVATION = "relu"

# An epoch costs about 3 ns per sample × hidden unit on one core here (forward, backward, Adam),
# plus about 0.3 ms; the budget keeps a large run to seconds, and no run past a minute.
WORK_BUDGET = 2_000_000_000
MAX_SEED = 2**32 - 1

FIELDS: dict[str, NumberField] = {f.name: f for f in (
    NumberField("hidden", N_("Hidden units"), 16, 1, 256, whole=True),
    NumberField("epochs", N_("Epochs"), 1000, 1, 100_000, whole=True),
    NumberField("lr", N_("Learning rate"), 0.01, 0.0, 10.0, minimum_exclusive=True),
    NumberField("noise", N_("Noise standard deviation"), 0.1, 0.0, 100.0),
    NumberField("samples", N_("Samples"), 100, 2, 10_000, whole=True),
    NumberField("seed", N_("Random seed"), 1, 0, MAX_SEED, whole=True, optional=True),
)}


@dataclass(frozen=True)
class NetworkConfig:
    activation: str
    params: tuple[tuple[str, float], ...]  # the activation's parameters, in the registry's order
    target: str
    hidden: int
    epochs: int
    lr: float
    noise: float
    samples: int
    seed: int

    @property
    def param_values(self) -> dict[str, float]:
        return dict(self.params)

    @property
    def data_key(self) -> tuple:
        """What decides the samples: runs with the same key fit the same data."""
        return (self.target, self.noise, self.samples, self.seed)

    def to_dict(self) -> dict[str, Any]:
        return {"activation": self.activation, "params": self.param_values, "target": self.target,
                **{name: getattr(self, name) for name in FIELDS}}


@dataclass(frozen=True)
class ParsedNetwork:
    config: NetworkConfig | None  # None when any value is invalid
    errors: dict[str, str]  # control name ("activation", "params", "target", a field) -> message
    values: dict[str, Any]  # the best value per control, for refilling controls and links


def default_values() -> dict[str, Any]:
    return {"activation": DEFAULT_ACTIVATION, "params": {}, "target": DEFAULT_TARGET,
            **{name: field.default for name, field in FIELDS.items()}}


def _choice(raw: Mapping[str, Any], key: str, choices: Mapping[str, Any], default: str, errors: dict[str, str],
            message: str) -> str:
    """`raw[key]` when it names one of `choices` (the default when missing); else the default,
    and `message` in `errors`."""
    value = raw.get(key, default)
    if isinstance(value, str) and value in choices:
        return value
    errors[key] = _(message).format(name=shown(value), choices=", ".join(choices))
    return default


def parse_network_config(raw: Mapping[str, Any] | Any, *, pick_seed: bool = True) -> ParsedNetwork:
    """Validate everything a client sent; never raises.

    `raw` maps "activation", "params" (the activation's parameters by name), "target" and each
    FIELD to values; missing ones take their defaults. With `pick_seed`, an empty seed becomes a
    fresh random one, so the run can be repeated.
    """
    raw = raw if isinstance(raw, Mapping) else {}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    name = values["activation"] = _choice(raw, "activation", ACTIVATIONS, DEFAULT_ACTIVATION, errors,
                                          N_("Activation “{name}” is unknown; choose one of: {choices}."))

    given = raw.get("params") if raw.get("params") is not None else {}
    if not isinstance(given, Mapping):
        errors["params"] = _("The activation's parameters must be a mapping of names to numbers.")
        given = {}
    params = {}
    for param in ACTIVATIONS[name].params:
        value, message = param.field.parse(given.get(param.name, param.default))
        if message is not None:
            errors.setdefault("params", message)
            value = param.default
        params[param.name] = value
    values["params"] = params

    target = values["target"] = _choice(raw, "target", TARGETS, DEFAULT_TARGET, errors,
                                        N_("Target “{name}” is unknown; choose one of: {choices}."))
    parse_fields(FIELDS, raw, errors, values)

    work = values["epochs"] * values["samples"] * values["hidden"]
    if not errors and work > WORK_BUDGET:
        errors["epochs"] = _("Epochs × samples × hidden units must be at most {budget} (here {work}); "
                             "lower one of them.").format(budget=f"{WORK_BUDGET:,}", work=f"{work:,}")

    if errors:
        return ParsedNetwork(None, errors, values)
    seed = values["seed"]
    if seed is None:
        seed = secrets.randbelow(2**31) if pick_seed else 0
    config = NetworkConfig(activation=name, params=tuple(params.items()), target=target,
                           **{**{n: values[n] for n in FIELDS}, "seed": seed})
    return ParsedNetwork(config, {}, values)


# Where an activation cannot learn, why (shown when it is chosen and with its result)
CANNOT_LEARN = {
    "binary_step": N_("The binary step's derivative is 0 everywhere (and undefined at 0), so no gradient "
                      "reaches the first layer: its weights never move, and only the output layer learns. "
                      "The network stays a sum of fixed steps."),
    "identity": N_("The identity makes the whole network linear: whatever it learns is a straight line, "
                   "never better than the least-squares line."),
    "linear": N_("A linear activation makes the whole network linear: whatever it learns is a straight line, "
                 "never better than the least-squares line."),
}


def cannot_learn_note(activation: str) -> str | None:
    """Why this activation cannot fit a curve, in the page's language; None when it can."""
    note = CANNOT_LEARN.get(activation)
    return _(note) if note else None
