import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.curves import float32_list, thin_indices


def test_short_curves_keep_every_point():
    assert thin_indices(np.arange(2000.0)).tolist() == list(range(2000))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2001, 200_000), max_points=st.integers(10, 3000), seed=st.integers(0, 1000))
def test_thinning_is_bounded_and_keeps_extremes(n, max_points, seed):
    values = np.random.default_rng(seed).standard_normal(n).cumsum()
    idx = thin_indices(values, max_points)
    assert len(idx) <= max_points
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)
    assert values.argmax() in idx and values.argmin() in idx


def test_a_spike_survives_thinning():
    values = np.ones(1_000_000)
    values[123_457] = 50.0
    assert 123_457 in thin_indices(values, 1000)


def test_float32_values_are_exact_and_strict_json():
    values = np.array([0.1, 1 / 3, np.nan, np.inf, -np.inf, 1e30], dtype=np.float32)
    out = float32_list(values)
    assert out[2:5] == [None, None, None]
    assert np.float32(out[0]) == np.float32(0.1) and np.float32(out[1]) == np.float32(1 / 3)
    json.dumps(out, allow_nan=False)
