"""Thinning long training curves for display without losing their peaks and troughs."""

from __future__ import annotations

import math

import numpy as np

DISPLAY_POINTS = 2000  # the most points one curve sends to the browser


def thin_indices(values: np.ndarray, max_points: int = DISPLAY_POINTS) -> np.ndarray:
    """Indices of at most `max_points` samples of `values` that keep its shape.

    Every index when there are few enough; otherwise the first, the last, and the minimum and
    maximum of each of equal-width buckets, so spikes survive (a plain stride would drop them).
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    buckets = (max_points - 2) // 2
    width = math.ceil(n / buckets)
    padded = np.full(buckets * width, np.nan)
    padded[:n] = values
    rows = padded.reshape(buckets, width)
    valid = ~np.isnan(rows).all(axis=1)  # the last rows can be all padding
    offsets = np.arange(buckets)[valid] * width
    lows = np.nanargmin(rows[valid], axis=1) + offsets
    highs = np.nanargmax(rows[valid], axis=1) + offsets
    return np.unique(np.concatenate(([0, n - 1], lows, highs)))


def float32_list(values: np.ndarray) -> list:
    """JSON-ready floats at float32 precision (what torch computed), None for non-finite.

    Shortest float32 repr keeps every bit torch produced while sending about half the digits
    of a float64 repr, and None keeps NaN and Infinity out of strict JSON.
    """
    texts = np.asarray(values, dtype=np.float32).astype(str)  # vectorised shortest repr
    return [float(t) if t not in _NON_FINITE else None for t in texts.tolist()]


_NON_FINITE = {"nan", "inf", "-inf"}
