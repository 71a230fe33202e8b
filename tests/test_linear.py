"""mdlfast.kernels.linear (GEMM with fused bias and activation) against the float64 reference,
on every ISA path: x of ndim 1, 2 and 3, with and without bias, every activation, strided
inputs, empty dimensions, and NaN-poisoned output buffers through mdlfast._cpu.linear.
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import kernels, reference
from _checks import assert_close, poisoned_linear, randn, rng_for

ACTIVATIONS = [None, "relu", "sigmoid", "tanh", "gelu"]

# (leading shape of x, in_features, out_features)
CASES = [
    ((), 1, 1),
    ((), 13, 37),
    ((1,), 1, 1),
    ((1,), 97, 1),
    ((5,), 3, 7),
    ((13,), 37, 97),
    ((15,), 17, 33),  # straddles the AVX-512 tile
    ((7,), 390, 16),  # K past one packed block
    ((337,), 11, 6),  # M past one row block
    ((2, 7), 13, 31),
    ((3, 1), 5, 14),
    ((1, 1), 1, 1),
]


def reference64(x, w, b=None, activation=None):
    return reference.linear(x.astype(np.float64), w.astype(np.float64),
                            None if b is None else b.astype(np.float64), activation,
                            return_preactivation=True)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("with_bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("lead,fan_in,fan_out", CASES)
def test_linear(isa, lead, fan_in, fan_out, with_bias, activation):
    rng = rng_for("linear", isa, lead, fan_in, fan_out, with_bias, activation)
    x = randn(rng, lead + (fan_in,))
    w = randn(rng, (fan_out, fan_in)) / np.float32(np.sqrt(fan_in))
    b = randn(rng, (fan_out,)) if with_bias else None
    y_ref, z_ref = reference64(x, w, b, activation)

    y = kernels.linear(x, w, b, activation)
    assert y.shape == lead + (fan_out,)
    assert_close(y, y_ref, fan_in, name="y")
    assert np.isfinite(y).all()

    y2, z = kernels.linear(x, w, b, activation, return_preactivation=True)
    assert_close(y2, y_ref, fan_in, name="y")
    assert_close(z, z_ref, fan_in, name="z")

    y_p, z_p = poisoned_linear(x.reshape(-1, fan_in), w, b, activation)
    assert_close(y_p, y_ref.reshape(-1, fan_out), fan_in, name="poisoned y")
    assert_close(z_p, z_ref.reshape(-1, fan_out), fan_in, name="poisoned z")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_linear_threads(isa, threads, activation):
    rng = rng_for("linear_threads", isa, threads, activation)
    x = randn(rng, (131, 97))
    w = randn(rng, (173, 97)) / np.float32(10)
    b = randn(rng, (173,))
    y_ref, z_ref = reference64(x, w, b, activation)
    y, z = kernels.linear(x, w, b, activation, return_preactivation=True)
    assert_close(y, y_ref, 97, name="y")
    assert_close(z, z_ref, 97, name="z")
    y_p, z_p = poisoned_linear(x, w, b, activation)
    assert_close(y_p, y_ref, 97, name="poisoned y")
    assert_close(z_p, z_ref, 97, name="poisoned z")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_linear_strided_inputs(isa, activation):
    rng = rng_for("linear_strided", isa, activation)
    fan_in, fan_out = 19, 35
    xs = [
        np.asfortranarray(randn(rng, (23, fan_in))),
        randn(rng, (47, 3 * fan_in))[::-2, 1::3],
        randn(rng, (fan_in, 23)).T,
        randn(rng, (5, 4, 2 * fan_in))[:, ::-1, ::2],  # 3-D, negative stride
        np.broadcast_to(randn(rng, (1, fan_in)), (9, fan_in)),
    ]
    ws = [
        randn(rng, (fan_in, fan_out)).T,  # w given as the transpose of a [in, out] array
        randn(rng, (2 * fan_out, fan_in))[::-2],
        np.asfortranarray(randn(rng, (fan_out, fan_in))),
    ]
    b = randn(rng, (2 * fan_out,))[::2]
    for i, x in enumerate(xs):
        w = ws[i % len(ws)]
        y_ref, _ = reference64(x, w, b, activation)
        assert_close(kernels.linear(x, w, b, activation), y_ref, fan_in)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_linear_saturating_inputs(isa, activation):
    """Pre-activations far in the tails: no overflow to NaN, values still match the reference."""
    rng = rng_for("linear_saturating", isa, activation)
    x = randn(rng, (9, 5))
    w = np.eye(5, dtype=np.float32) * np.float32(40.0)
    z_values = x @ w.T
    assert np.abs(z_values).max() > 50
    y_ref, _ = reference64(x, w, None, activation)
    y = kernels.linear(x, w, None, activation)
    assert np.isfinite(y).all()
    assert_close(y, y_ref, 5)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_linear_nan_propagates(isa, activation):
    """NaN in x gives NaN in that row's outputs for every activation (relu too, as PyTorch)."""
    rng = rng_for("linear_nan", isa, activation)
    x = randn(rng, (4, 6))
    x[2, 3] = np.nan
    w = randn(rng, (5, 6))
    y_ref, _ = reference64(x, w, None, activation)
    y = kernels.linear(x, w, None, activation)
    assert np.isnan(y[2]).all()
    assert np.isfinite(np.delete(y, 2, axis=0)).all()
    assert_close(y, y_ref, 6)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_linear_empty(isa, activation):
    """No rows, no outputs, or no inputs (y = activation(b))."""
    rng = rng_for("linear_empty", isa, activation)
    x0 = randn(rng, (0, 5))
    w = randn(rng, (3, 5))
    assert kernels.linear(x0, w, None, activation).shape == (0, 3)
    assert kernels.linear(randn(rng, (2, 0, 5)), w, None, activation).shape == (2, 0, 3)
    assert kernels.linear(randn(rng, (4, 5)), randn(rng, (0, 5)), None, activation).shape == (4, 0)


def test_linear_no_input_features(isa):
    """in_features = 0: the product is empty, so y = activation(b) on every row (as PyTorch)."""
    for activation in ACTIVATIONS:
        rng = rng_for("linear_in0", isa, activation)
        x = randn(rng, (4, 0))
        w = randn(rng, (3, 0))
        b = randn(rng, (3,))
        y = kernels.linear(x, w, b, activation)
        expected = reference64(b[None], np.eye(3, dtype=np.float32), None, activation)[0]
        assert_close(y, np.broadcast_to(expected, (4, 3)), 1)
