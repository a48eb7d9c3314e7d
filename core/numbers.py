"""Numbers in and out: the one parser of untrusted numbers, and exact short text for links.

Every number a client sends (a form control, a URL query, any JSON posted to the callback
endpoint) is read by `finite_float` and checked against a `NumberField`, so the training
settings, the gallery's parameters and its x range follow the same rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from core.i18n import _

MAX_TEXT = 64  # characters of a numeric string; anything longer is not a number here


def finite_float(raw: Any) -> float | None:
    """A finite float from a JSON number or a numeric string; None for anything else.

    Booleans are not numbers here, nor NaN, ±Infinity, integers too large for a float, or
    strings longer than MAX_TEXT characters.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:  # an int of hundreds of digits
            return None
    elif isinstance(raw, str) and len(raw) <= MAX_TEXT:
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def is_finite_number(value: Any) -> bool:
    """A JSON number (not a string, not a bool) that is finite: what records the server wrote
    hold, checked when they come back from the browser."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def readable(value: float) -> str:
    """A limit as people read it: 1,000,000 or 0.01."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def shown(value: Any, limit: int = 20) -> str:
    """A client's value quoted in a message, cut to `limit` characters."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except (ValueError, RecursionError):  # an int of over 4300 digits, or very deep nesting
        text = _("a value of type {type}").format(type=type(value).__name__)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class NumberField:
    """One number a client may set: its limits, and the message when a value breaks them."""

    name: str  # the key in configs, URL queries and posts
    label: str  # what the page calls it
    default: float | int | None
    minimum: float
    maximum: float
    whole: bool = False
    minimum_exclusive: bool = False
    maximum_exclusive: bool = False
    optional: bool = False  # empty is allowed (and means "none")

    def describe(self) -> str:
        low, high = readable(self.minimum), readable(self.maximum)
        if self.whole:
            return _("a whole number from {low} to {high}").format(low=low, high=high)
        if self.minimum_exclusive and self.maximum_exclusive:
            return _("a number above {low} and below {high}").format(low=low, high=high)
        if self.minimum_exclusive:
            return _("a number above {low} up to {high}").format(low=low, high=high)
        if self.maximum_exclusive:
            return _("a number from {low} up to, but not including, {high}").format(low=low, high=high)
        return _("a number from {low} to {high}").format(low=low, high=high)

    def parse(self, raw: Any) -> tuple[float | int | None, str | None]:
        """(value, None) when `raw` is acceptable, else (None, a message for the control)."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.optional:
                return None, None
            return None, _("{label}: enter {allowed}.").format(label=_(self.label), allowed=self.describe())
        value = finite_float(raw)
        if value is None:
            return None, _("{label}: “{value}” is not a number; enter {allowed}.").format(
                label=_(self.label), value=shown(raw), allowed=self.describe())
        too_low = value <= self.minimum if self.minimum_exclusive else value < self.minimum
        too_high = value >= self.maximum if self.maximum_exclusive else value > self.maximum
        if too_low or too_high:
            return None, _("{label} must be {allowed}.").format(label=_(self.label), allowed=self.describe())
        if self.whole:
            if not value.is_integer():
                return None, _("{label} must be a whole number.").format(label=_(self.label))
            return int(value), None
        return value, None


def parse_fields(fields: Mapping[str, NumberField], raw: Mapping[str, Any], errors: dict[str, str],
                 values: dict[str, Any]) -> None:
    """Each field's value in `raw` (its default when missing) into `values`; a bad one's message
    into `errors`, and its default into `values` (to refill the control)."""
    for name, field in fields.items():
        value, message = field.parse(raw.get(name, field.default))
        if message:
            errors[name] = message
        values[name] = value if message is None else field.default


def exact_text(value: float) -> str:
    """The shortest text that reads back as exactly `value`: 0.01 not 0.01000, 1 not 1.0."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def decimal_text(value: float, decimals: int = 4) -> str:
    """A number as the page writes weights and rates in every language: ASCII minus, a `.`, no
    grouping, at least `decimals` decimals and at least four significant digits (0.0001234)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.{decimals}f}"
    significant = 3 - math.floor(math.log10(abs(value)))
    return f"{value:.{max(decimals, significant)}f}"


def vector_text(values) -> str:
    """Weights, a gradient, a buffer as the page writes them: `(0.6151, -7.8094, 1.0940)`."""
    return "(" + ", ".join(decimal_text(float(v)) for v in values) + ")"
