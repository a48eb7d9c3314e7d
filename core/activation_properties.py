"""Properties of an activation function (range, monotonicity, continuity, …), measured
numerically from its registry entry and autograd, not written by hand.

The cross-check of `core.exact_properties`, which the gallery's Properties panel shows: the tests
hold each against the other, so a wrong formula in either is caught.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from core.activations import ACTIVATIONS, Activation, derivatives, with_defaults

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
        values = np.stack(derivatives(act, sub.ravel(), params, _MAX_ORDER + 1))
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
            h = sign * derivatives(act, fine, params, 0)[0]
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
    params = with_defaults(act, params)
    wide = derivatives(act, _WIDE, params, _MAX_ORDER + 1)
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
