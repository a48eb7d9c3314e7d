"""What a training run is asked to do, and the one parser that turns untrusted input into it.

Everything a client sends (the page's controls, a URL query, any JSON posted to the callback
endpoint) passes through `parse_training_config`, so the limits below are the server's, not the
browser's. The controls travel as one mapping keyed by `CONTROL_NAMES`; a new number setting
is one `NumberField` in `FIELDS` (the page draws its control, the URL carries it, the parser
checks it; `TrainingConfig` gets it by itself). The module approach's optimizer and its settings
come from `core.optimizers`: only the settings the chosen optimizer uses are checked, and the
others (and, for the manual approach, the optimizer itself) are ignored and kept at their
defaults, so two runs that differ only in what was ignored have the same config.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, make_dataclass
from typing import Any, Mapping

from core.approaches import APPROACHES, DEFAULT_APPROACH
from core.i18n import N_, _
from core.numbers import NumberField, finite_float, parse_fields
from core.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS, SETTINGS

TRUE_WEIGHTS = (1.0, 5.0, 7.0)  # y = 1 + 5a + 7b, the tutorial's weight_true
TRUE_WEIGHT_LIMIT = 1000.0

# An epoch costs 50-200 µs at 100 samples on one core and grows with the sample count; capping
# their product bounds a run to a few minutes at most (1,000,000 epochs of 100 samples).
WORK_BUDGET = 100_000_000
MAX_SEED = 2**32 - 1  # small enough that every seed survives a round trip through a float

FIELDS: dict[str, NumberField] = {
    f.name: f
    for f in (
        NumberField("lr", N_("Learning rate"), 0.01, 0.0, 10.0, minimum_exclusive=True),
        NumberField("epochs", N_("Epochs"), 1000, 1, 1_000_000, whole=True),
        NumberField("samples", N_("Samples"), 100, 2, 1_000_000, whole=True),
        NumberField("noise", N_("Noise standard deviation"), 1.0, 0.0, 1000.0),
        NumberField("seed", N_("Random seed"), None, 0, MAX_SEED, whole=True, optional=True),
    )
}
# Every control of the training page, as the mapping the page sends: the approach, each FIELD,
# the optimizer and its SETTINGS, and the three true weights as one list.
CONTROL_NAMES = ("approach", *FIELDS, "optimizer", *SETTINGS, "true_weights")
OPTIMIZED_APPROACH = "module"  # the approach whose optimizer is chosen (manual writes its update)


def _config_to_dict(config) -> dict[str, Any]:
    data = asdict(config)
    data["true_weights"] = list(config.true_weights)
    return data


# A run's settings: `approach`, one attribute per FIELD (so a new field needs no edit here), and
# `true_weights`; frozen, so a config can be shared between the page and its job.
TrainingConfig = make_dataclass(
    "TrainingConfig",
    [
        ("approach", str, DEFAULT_APPROACH),
        *((name, type(field.default or 0), field.default or 0) for name, field in FIELDS.items()),
        ("optimizer", str, DEFAULT_OPTIMIZER),
        *((name, float, field.default) for name, field in SETTINGS.items()),
        ("true_weights", tuple, TRUE_WEIGHTS),
    ],
    frozen=True,
    namespace={"to_dict": _config_to_dict, "__module__": __name__},
)


@dataclass(frozen=True)
class ParsedConfig:
    config: TrainingConfig | None  # None when any field is invalid
    errors: dict[str, str]  # control name -> message for that control
    values: dict[str, Any]  # the best value per control, for refilling controls and links


def default_values() -> dict[str, Any]:
    """The tutorial's settings, as the controls hold them (the seed empty: picked at Train)."""
    return {"approach": DEFAULT_APPROACH, **{n: f.default for n, f in FIELDS.items()},
            "optimizer": DEFAULT_OPTIMIZER, **{n: f.default for n, f in SETTINGS.items()},
            "true_weights": TRUE_WEIGHTS}


def settings_in_use(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The optimizer settings these controls' run reads (none for the manual approach)."""
    if values.get("approach") != OPTIMIZED_APPROACH or values.get("optimizer") not in OPTIMIZERS:
        return ()
    return OPTIMIZERS[values["optimizer"]].uses


def parse_training_config(raw: Mapping[str, Any] | Any, *, pick_seed: bool = True) -> ParsedConfig:
    """Validate everything a client sent; never raises.

    `raw` maps CONTROL_NAMES to values (missing ones take the tutorial's defaults). With
    `pick_seed`, an empty seed becomes a fresh random one, so the run can be repeated.
    """
    if not isinstance(raw, Mapping):
        raw = {}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    approach = raw.get("approach", DEFAULT_APPROACH)
    if not isinstance(approach, str) or approach not in APPROACHES:
        errors["approach"] = _("Approach must be one of: {choices}.").format(choices=", ".join(APPROACHES))
        approach = DEFAULT_APPROACH
    values["approach"] = approach

    parse_fields(FIELDS, raw, errors, values)

    optimizer = raw.get("optimizer", DEFAULT_OPTIMIZER)
    if not isinstance(optimizer, str) or optimizer not in OPTIMIZERS:
        if approach == OPTIMIZED_APPROACH:
            errors["optimizer"] = _("Optimizer must be one of: {choices}.").format(choices=", ".join(OPTIMIZERS))
        optimizer = DEFAULT_OPTIMIZER
    values["optimizer"] = optimizer
    used = settings_in_use(values)
    for name, field in SETTINGS.items():
        value, message = field.parse(raw.get(name, field.default))
        if message and name in used:
            errors[name] = message
        values[name] = value if message is None else field.default

    true_weights = raw.get("true_weights", TRUE_WEIGHTS)
    parsed_weights = (
        [finite_float(w) for w in true_weights] if isinstance(true_weights, (list, tuple)) else []
    )
    if len(parsed_weights) != 3 or any(w is None or abs(w) > TRUE_WEIGHT_LIMIT for w in parsed_weights):
        errors["true_weights"] = _("True weights must be three numbers from -1,000 to 1,000.")
        parsed_weights = list(TRUE_WEIGHTS)
    values["true_weights"] = tuple(parsed_weights)

    if not errors and values["epochs"] * values["samples"] > WORK_BUDGET:
        errors["epochs"] = _("Epochs × samples must be at most {budget} (here {work}); lower one of them.").format(
            budget=f"{WORK_BUDGET:,}", work=f"{values['epochs'] * values['samples']:,}")
        errors["samples"] = errors["epochs"]

    if errors:
        return ParsedConfig(None, errors, values)
    seed = values["seed"]
    if seed is None and pick_seed:
        seed = secrets.randbelow(2**31)
    ignored = {name: field.default for name, field in SETTINGS.items() if name not in used}
    if approach != OPTIMIZED_APPROACH:
        ignored["optimizer"] = DEFAULT_OPTIMIZER
    config = TrainingConfig(**{**values, **ignored, "seed": seed if seed is not None else 0})
    return ParsedConfig(config, {}, values)
