"""The gallery's Properties panel: `core.exact_properties` as a table, one row per property with
its name in the row's <th>.

Every word the panel shows is in WORDS, once per fact, for the translator; the notation
(intervals, sets, ∞, ′, Cᵏ, x → ±∞) is the same in every language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from dash import html

from core.exact_properties import Break, ExactProperties, Interval, Number, Range, exact_properties
from core.i18n import N_, _
from core.numbers import exact_text

WORDS = {
    "range": N_("Range"),
    "limits": N_("Limits"),
    "monotonic": N_("Monotonic"),
    "continuity": N_("Continuity"),
    "zero_centred": N_("Zero-centred (f(0) = 0)"),
    "saturating": N_("Saturating"),
    "limits_value": N_("{left} as x → −∞, {right} as x → +∞"),
    "yes": N_("yes"),
    "no": N_("no"),
    "not_zero": N_("no, f(0) = {value}"),
    "strictly increasing": N_("yes, strictly increasing"),
    "strictly decreasing": N_("yes, strictly decreasing"),
    "non-decreasing": N_("yes, non-decreasing"),
    "non-increasing": N_("yes, non-increasing"),
    "constant": N_("yes, constant"),
    "increasing_on": N_("increasing on {interval}"),
    "decreasing_on": N_("decreasing on {interval}"),
    "constant_on": N_("constant on {interval}"),
    "jumps": N_("{what} jumps from {left} to {right} at x = {at}"),
    "smooth": N_("smooth"),
    "discontinuous": N_("discontinuous"),
    "saturating_both": N_("yes, on both sides"),
    "saturating_left": N_("yes, for x → −∞"),
    "saturating_right": N_("yes, for x → +∞"),
    "kink": N_("not differentiable: the slope is {left} from the left, {right} from the right"),
    "jump": N_("not differentiable, f jumps from {low} to {high}: the slope is {left} from the left, "
               "{right} from the right"),
    "autograd": N_("autograd gives {value} ({source})"),
    "autograd_differs": N_("autograd gives {value} through {module}, and {plotted} through the tutorial's "
                           "formula as plotted here"),
    "no_module": N_("on the formula; torch.nn has no module for it"),
}

_CLASSES = {0: "C⁰", 1: "C¹"}


def word(key: str) -> str:
    """WORDS[key] in the page's language."""
    return _(WORDS[key])
_DERIVATIVES = ("f", "f′", "f″")


def properties_table(name: str, params: Mapping[str, float]) -> html.Table:
    return html.Table(html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in rows(name, params)]),
                      className="props-table")


def rows(name: str, params: Mapping[str, float] | None = None) -> list[tuple[str, str]]:
    """(row header, value) for each property of activation `name` at `params`."""
    props = exact_properties(name, params)
    left, right = props.limits
    at_zero = props.at_zero
    sides = {(True, True): "both", (True, False): "left", (False, True): "right"}.get(props.bounded_sides)
    table = [
        (word("range"), range_text(props.range)),
        (word("limits"), word("limits_value").format(left=number(left), right=number(right))),
        (word("monotonic"), monotonic_text(props)),
        (word("continuity"), continuity_text(props)),
        (word("zero_centred"),
         word("yes") if at_zero.value == 0 else word("not_zero").format(value=number(at_zero))),
        (word("saturating"), word(f"saturating_{sides}") if sides else word("no")),
        ("f′(0)", number(props.slope_at_zero) if props.slope_at_zero is not None
         else kink_text(props.break_at_zero, props.module)),
    ]
    for point in props.breaks:
        if not point.differentiable and point.at.value != 0:
            header = f"f′({_written(point.at)})" + (f", {number(point.at)}" if point.at.symbol else "")
            table.append((header, kink_text(point, props.module)))
    return table


# --- numbers, intervals and sets -----------------------------------------------------------------


def _plain(n: Number) -> str:
    if math.isinf(n.value):
        return "∞" if n.value > 0 else "−∞"
    text = exact_text(n.value + 0.0) if n.exact else f"{n.value:#.4g}"  # + 0.0: no "−0"
    return text.replace("-", "−")


def _written(n: Number) -> str:
    return n.symbol or _plain(n)


def number(n: Number) -> str:
    """As written, then its value: 0.25, α = 0.9, λα ≈ 1.758."""
    if n.symbol is None:
        return _plain(n)
    return f"{n.symbol} {'=' if n.exact else '≈'} {_plain(n)}"


def _as_written_and_as_numbers(write: Callable[[Callable[[Number], str]], str], numbers: list[Number]) -> str:
    """`write(form)` with the symbols, then `=` (or `≈`) and with the numbers, when they differ."""
    symbolic, plain = write(_written), write(_plain)
    if symbolic == plain:
        return plain
    return f"{symbolic} {'=' if all(n.exact for n in numbers) else '≈'} {plain}"


def _interval(interval: Interval, form: Callable[[Number], str]) -> str:
    (low_closed, high_closed), low, high = interval.closed, interval.low, interval.high
    return f"{'[' if low_closed else '('}{form(low)}, {form(high)}{']' if high_closed else ')'}"


def interval_text(interval: Interval) -> str:
    return _as_written_and_as_numbers(lambda form: _interval(interval, form), [interval.low, interval.high])


def range_text(values: Range) -> str:
    """{0, 1}, (0, 1], {0} ∪ (θ, ∞) = {0} ∪ (2, ∞), (−λα, ∞) ≈ (−1.758, ∞)."""
    def write(form):
        parts = ["{" + ", ".join(form(p) for p in values.points) + "}"] if values.points else []
        return " ∪ ".join(parts + [_interval(i, form) for i in values.intervals])
    numbers = [*values.points, *(n for i in values.intervals for n in (i.low, i.high))]
    return _as_written_and_as_numbers(write, numbers)


# --- the rows ------------------------------------------------------------------------------------


def _jump_text(point: Break) -> str:
    return word("jumps").format(what=_DERIVATIVES[point.order], left=number(point.left),
                                 right=number(point.right), at=number(point.at))


def monotonic_text(props: ExactProperties) -> str:
    """The verdict; where f is not strictly monotonic, also its pieces and its jumps, left to right."""
    verdict = props.monotonic
    if verdict in ("strictly increasing", "strictly decreasing", "constant"):
        return word(verdict)
    # (where it starts, jumps before the piece that starts there, text)
    pieces = [(t.on.low.value, 1, word(f"{t.direction}_on").format(interval=interval_text(t.on)))
              for t in props.trends]
    pieces += [(b.at.value, 0, _jump_text(b)) for b in props.breaks if b.order == 0]
    listed = ", ".join(text for *_order, text in sorted(pieces))
    return f"{word(verdict) if verdict else word('no')}: {listed}"


def continuity_text(props: ExactProperties) -> str:
    """C⁰, C¹, … and where the next derivative jumps; C^∞ where nothing does."""
    if props.smoothness == -1:
        named = word("discontinuous")
    elif props.smoothness is None:
        named = f"C^∞ ({word('smooth')})"
    else:
        named = _CLASSES[props.smoothness]
    return f"{named}: {'; '.join(_jump_text(b) for b in props.breaks)}" if props.breaks else named


def kink_text(point: Break, module: str | None) -> str:
    """Not differentiable at `point`: the slopes on either side and autograd's value there."""
    left, right = (number(s) for s in point.side_slopes)
    text = (word("kink") if point.order == 1 else word("jump")).format(
        left=left, right=right, low=number(point.left), high=number(point.right))
    if module is None:
        grad = word("autograd").format(value=number(point.autograd), source=word("no_module"))
    elif point.autograd.value == point.plotted.value:
        grad = word("autograd").format(value=number(point.autograd), source=module)
    else:
        grad = word("autograd_differs").format(value=number(point.autograd), module=module,
                                                plotted=number(point.plotted))
    return f"{text}; {grad}"
