"""What a training run is asked to do, and the one parser that turns untrusted input into it.

Everything a client sends (a form, a URL query, any JSON posted to the callback endpoint) passes
through `parse_training_config`, so the limits below are the server's, not the browser's.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Mapping

APPROACHES = {
    "manual": "Autograd, update by hand",
    "module": "nn.Linear + optim.SGD + nn.MSELoss",
}

TRUE_WEIGHTS = (1.0, 5.0, 7.0)  # y = 1 + 5a + 7b, the seed's weight_true

# An epoch costs 50-200 µs at 100 samples on one core and grows with the sample count; capping
# their product bounds a run to a few minutes at most (1,000,000 epochs of 100 samples).
WORK_BUDGET = 100_000_000
MAX_SEED = 2**32 - 1  # small enough that every seed survives a round trip through a float


@dataclass(frozen=True)
class NumberField:
    name: str
    label: str
    default: float | int | None
    minimum: float
    maximum: float
    whole: bool = False
    minimum_exclusive: bool = False
    optional: bool = False

    def describe(self) -> str:
        low = "above" if self.minimum_exclusive else "from"
        kind = "a whole number" if self.whole else "a number"
        return f"{kind} {low} {_fmt(self.minimum)} to {_fmt(self.maximum)}"


FIELDS = {
    f.name: f
    for f in (
        NumberField("lr", "Learning rate", 0.01, 0.0, 10.0, minimum_exclusive=True),
        NumberField("epochs", "Epochs", 1000, 1, 1_000_000, whole=True),
        NumberField("samples", "Samples", 100, 2, 1_000_000, whole=True),
        NumberField("noise", "Noise standard deviation", 1.0, 0.0, 1000.0),
        NumberField("seed", "Random seed", None, 0, MAX_SEED, whole=True, optional=True),
    )
}


@dataclass(frozen=True)
class TrainingConfig:
    approach: str = "manual"
    lr: float = 0.01
    epochs: int = 1000
    samples: int = 100
    noise: float = 1.0
    seed: int = 0
    true_weights: tuple[float, float, float] = TRUE_WEIGHTS

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["true_weights"] = list(self.true_weights)
        return data


@dataclass(frozen=True)
class ParsedConfig:
    config: TrainingConfig | None  # None when any field is invalid
    errors: dict[str, str]  # field name -> message for the control
    values: dict[str, Any]  # the best value per field, for refilling controls


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _to_number(raw: Any) -> float | None:
    """A finite float from a number or numeric string; None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = float(raw) if not isinstance(raw, int) or abs(raw) < 2**1023 else math.inf
    elif isinstance(raw, str) and len(raw) <= 64:
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def parse_number(field: NumberField, raw: Any) -> tuple[float | int | None, str | None]:
    """(value, None) when `raw` is acceptable for `field`, else (None, message)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if field.optional:
            return None, None
        return None, f"{field.label}: enter {field.describe()}."
    value = _to_number(raw)
    if value is None:
        return None, f"{field.label}: “{str(raw)[:20]}” is not a number; enter {field.describe()}."
    too_low = value <= field.minimum if field.minimum_exclusive else value < field.minimum
    if too_low or value > field.maximum:
        return None, f"{field.label} must be {field.describe()}."
    if field.whole:
        if not value.is_integer():
            return None, f"{field.label} must be a whole number."
        return int(value), None
    return value, None


def parse_training_config(raw: Mapping[str, Any] | Any, *, pick_seed: bool = True) -> ParsedConfig:
    """Validate everything a client sent; never raises.

    `raw` holds `approach`, the FIELDS by name and optionally `true_weights` (three numbers).
    With `pick_seed`, an empty seed becomes a fresh random one, so the run can be repeated.
    """
    if not isinstance(raw, Mapping):
        raw = {}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}

    approach = raw.get("approach", "manual")
    if not isinstance(approach, str) or approach not in APPROACHES:
        errors["approach"] = f"Approach must be one of: {', '.join(APPROACHES)}."
        approach = "manual"
    values["approach"] = approach

    for name, field in FIELDS.items():
        value, message = parse_number(field, raw.get(name, field.default))
        if message:
            errors[name] = message
        values[name] = value if message is None else field.default

    true_weights = raw.get("true_weights", TRUE_WEIGHTS)
    parsed_weights = (
        [_to_number(w) for w in true_weights] if isinstance(true_weights, (list, tuple)) else []
    )
    if len(parsed_weights) != 3 or any(w is None or abs(w) > 1000 for w in parsed_weights):
        errors["true_weights"] = "True weights must be three numbers from -1,000 to 1,000."
        parsed_weights = list(TRUE_WEIGHTS)
    values["true_weights"] = tuple(parsed_weights)

    if not errors and values["epochs"] * values["samples"] > WORK_BUDGET:
        errors["epochs"] = (
            f"Epochs × samples must be at most {WORK_BUDGET:,} "
            f"(here {values['epochs'] * values['samples']:,}); lower one of them."
        )
        errors["samples"] = errors["epochs"]

    if errors:
        return ParsedConfig(None, errors, values)
    seed = values["seed"]
    if seed is None and pick_seed:
        seed = secrets.randbelow(2**31)
    config = TrainingConfig(
        approach=approach,
        lr=values["lr"],
        epochs=values["epochs"],
        samples=values["samples"],
        noise=values["noise"],
        seed=seed if seed is not None else 0,
        true_weights=values["true_weights"],
    )
    return ParsedConfig(config, {}, values)
