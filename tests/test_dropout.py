"""dropout and dropout_backward kernels: the mask bit-for-bit equal to the reference's on every
ISA and thread count, its statistics, PyTorch's p = 0 / p = 1 edge cases and the error cases. The
reference's Philox-4x32-10 is checked against the published known answers in
test_dropout_reference.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels, reference
from mdlfast import _cpu
from mdlfast._validate.dropout import dropout_scale, keep_threshold
from _checks import randn, rng_for

SIZES = [1, 3, 4, 5, 63, 64, 65, 1000, 100_003]  # 100003: several tasks, a partial Philox block
SEEDS = [0, 12345, (1 << 64) - 1]
OFFSETS = [0, 7, (1 << 64) - 3]  # the last wraps the block counter mod 2**64


@pytest.mark.parametrize("n", SIZES)
def test_dropout_mask_equals_reference(isa, threads, n):
    for seed, offset, p in zip(SEEDS, OFFSETS, (0.5, 0.1, 0.93)):
        rng = rng_for("dropout", isa, threads, n, seed)
        x = randn(rng, n)
        y, mask = kernels.dropout(x, p, seed=seed, offset=offset)
        y_ref, mask_ref = reference.dropout(x, p, seed=seed, offset=offset)
        assert mask.dtype == np.bool_
        np.testing.assert_array_equal(mask, mask_ref)
        np.testing.assert_array_equal(y, y_ref)  # the same float32 products
        dy = randn(rng, n)
        np.testing.assert_array_equal(kernels.dropout_backward(dy, mask, p), reference.dropout_backward(dy, mask, p))

        # Poisoned direct calls: every element of y, mask and dx is written.
        y_p = np.full(n, np.nan, np.float32)
        mask_p = np.frombuffer(np.full(n, 7, np.uint8).tobytes(), dtype=np.bool_).copy()
        scale = float(dropout_scale(p, np.dtype(np.float32)))
        _cpu.dropout(y_p, mask_p, x, seed, offset, keep_threshold(p), scale)
        np.testing.assert_array_equal(y_p, y_ref)
        np.testing.assert_array_equal(mask_p.view(np.uint8), mask_ref.view(np.uint8))
        dx_p = np.full(n, np.nan, np.float32)
        _cpu.dropout_backward(dx_p, dy, mask, scale)
        np.testing.assert_array_equal(dx_p, reference.dropout_backward(dy, mask, p))


def test_kernel_philox_known_answer(isa):
    """The C++ Philox on counter 0 under key 0 (seed 0, offset 0) gives Random123's known answer:
    each element is kept iff (word >> 8) >= threshold, so a binary search over the threshold
    recovers the top 24 bits of the four words."""
    expected = (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    x = np.ones(4, np.float32)
    low, high = np.zeros(4, np.int64), np.full(4, 1 << 24, np.int64)  # word >> 8 in [low, high)
    while np.any(high - low > 1):
        mid = (low + high) // 2
        for i in range(4):
            y, mask = np.empty(4, np.float32), np.empty(4, np.bool_)
            _cpu.dropout(y, mask, x, 0, 0, int(mid[i]), 1.0)
            low[i], high[i] = (mid[i], high[i]) if mask[i] else (low[i], mid[i])
    assert [int(v) for v in low] == [w >> 8 for w in expected]


def test_dropout_shapes_and_strides():
    rng = rng_for("dropout strided")
    x = randn(rng, (7, 9, 11))[:, ::2, 3:]
    y, mask = kernels.dropout(x, 0.4, seed=99, offset=5)
    y_ref, mask_ref = reference.dropout(x, 0.4, seed=99, offset=5)
    assert y.shape == mask.shape == x.shape
    np.testing.assert_array_equal(mask, mask_ref)
    np.testing.assert_array_equal(y, y_ref)
    dy = randn(rng, (11, 9, 7)).transpose(2, 1, 0)[:, ::2, 3:]
    np.testing.assert_array_equal(kernels.dropout_backward(dy, mask, 0.4), reference.dropout_backward(dy, mask, 0.4))
    y, mask = kernels.dropout(np.ones((0, 4), np.float32), 0.5, seed=1)
    assert y.shape == mask.shape == (0, 4)

@pytest.mark.parametrize("api", [kernels, reference], ids=["kernels", "reference"])
def test_dropout_edge_probabilities(api):
    x = np.array([1.0, -2.0, np.inf, np.nan, 0.5], dtype=np.float32)
    y, mask = api.dropout(x, 0.0, seed=1)
    assert mask.all()
    np.testing.assert_array_equal(y, x)
    y, mask = api.dropout(x, 1.0, seed=1)
    assert not mask.any()
    with np.errstate(invalid="ignore"):
        dropped = x * np.float32(0)  # as PyTorch: x·0, so inf and NaN give NaN
    np.testing.assert_array_equal(y, dropped)
    np.testing.assert_array_equal(api.dropout_backward(x, mask, 1.0), dropped)


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
