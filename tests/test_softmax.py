"""softmax, log_softmax and their backwards: the kernels against the float64 reference along every
axis, on every ISA path and thread count (also through mdlfast._cpu with NaN-poisoned outputs), on
huge and infinite logits, non-contiguous inputs, and the error cases. The reference is checked
against finite differences and PyTorch in test_pointwise_reference.py."""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import _cpu, kernels, reference
from _checks import rng_for

# (shape, axis): rows on the last axis, strided axes, size-1 axes, and enough work for 2 threads.
CASES = [((1,), 0), ((1, 1), 0), ((3, 1000), -1), ((5, 17, 3), 0), ((5, 17, 3), 1), ((5, 17, 3), 2),
         ((300, 257), 1), ((7, 300, 33), 1), ((4, 5, 130), 2), ((2, 3, 130), 0)]
RTOL = 1e-5  # exp's error grows with |x - max|·2⁻²⁴ (x - max is rounded): |x - max| <= ~40 here
ATOL = 1e-6


def assert_matches(out, ref, scale, *, name):
    out = np.asarray(out)
    assert out.dtype == np.float32 and out.shape == ref.shape, f"{name}: {out.dtype} {out.shape}"
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref), err_msg=f"{name}: NaNs differ")
    ok = ~np.isnan(ref)
    np.testing.assert_array_equal(np.isinf(out[ok]), np.isinf(ref[ok]), err_msg=f"{name}: infinities differ")
    finite = np.isfinite(ref)
    err = np.abs(out[finite].astype(np.float64) - ref[finite])
    bound = RTOL * np.abs(ref[finite]) + ATOL * scale[finite] + 1e-38
    assert np.all(err <= bound), f"{name}: worst error {np.max(err - bound):.3g} over its bound"


def slab(x, axis):
    axis = axis % x.ndim
    return np.ascontiguousarray(x).reshape(int(np.prod(x.shape[:axis])), x.shape[axis], -1)


def poisoned(kernel, *arrays, axis, log):
    out = np.full(slab(arrays[-1], axis).shape, np.nan, dtype=np.float32)
    kernel(out, *(slab(a, axis) for a in arrays), log)
    return out.reshape(arrays[-1].shape)


def check(x, dy, axis, log):
    name = "log_softmax" if log else "softmax"
    forward, backward = getattr(kernels, name), getattr(kernels, name + "_backward")
    x64 = x.astype(np.float64)
    y_ref = getattr(reference, name)(x64, axis)
    with np.errstate(invalid="ignore"):
        row_max = np.abs(np.nan_to_num(x64.max(axis=axis, keepdims=True), posinf=0, neginf=0))
    scale = (np.abs(np.nan_to_num(x64, posinf=0, neginf=0)) + row_max + 1) if log else np.zeros_like(x64)
    y = forward(x, axis)
    assert_matches(y, y_ref, scale, name=name)
    assert_matches(poisoned(_cpu.softmax, x, axis=axis, log=log), y_ref, scale, name="poisoned " + name)

    y64, dy64 = y.astype(np.float64), dy.astype(np.float64)
    dx_ref = getattr(reference, name + "_backward")(dy64, y64, axis)
    weight = np.exp(y64) if log else y64
    summed = np.abs(dy64 if log else dy64 * y64).sum(axis=axis, keepdims=True)
    scale = np.abs(dy64) * (1 if log else np.abs(y64)) + np.abs(weight) * summed
    assert_matches(backward(dy, y, axis), dx_ref, scale, name=name + "_backward")
    assert_matches(poisoned(_cpu.softmax_backward, dy, y, axis=axis, log=log), dx_ref, scale,
                   name=f"poisoned {name}_backward")


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,axis", CASES, ids=[f"{s}-axis{a}" for s, a in CASES])
def test_softmax_matches_reference(isa, threads, shape, axis, log):
    rng = rng_for("softmax", isa, threads, shape, axis, log)
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    check(x, rng.standard_normal(shape).astype(np.float32), axis, log)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1])
def test_softmax_huge_and_infinite_logits(isa, log, axis):
    """±1e30 and -inf entries are handled exactly; a slice of only -inf, or one holding +inf or
    NaN, is NaN throughout (as PyTorch)."""
    rng = rng_for("softmax special", isa, log, axis)
    x = (rng.standard_normal((8, 21)) * 3).astype(np.float32)
    x[0, 3], x[0, 7] = 1e30, -1e30
    x[1, :5] = -np.inf
    x[2, :] = -np.inf
    x[3, 2] = np.inf
    x[4, 9] = np.nan
    x[5, :] = 1e30
    x[6, 4] = -3e38
    x = x if axis == 1 else np.ascontiguousarray(x.T)
    check(x, rng.standard_normal(x.shape).astype(np.float32), axis, log)


def test_softmax_non_contiguous_and_empty():
    rng = rng_for("softmax strided")
    x = (rng.standard_normal((9, 40)) * 4).astype(np.float32)[::2, 3::3]
    for axis in (0, 1):
        y = kernels.softmax(x, axis)
        assert_matches(y, reference.softmax(x.astype(np.float64), axis), np.zeros(x.shape), name="strided")
        dy = rng.standard_normal((40, 9)).astype(np.float32).T[::2, 3::3]
        dx = kernels.log_softmax_backward(dy, kernels.log_softmax(x, axis), axis)
        ref = reference.log_softmax_backward(dy.astype(np.float64),
                                             kernels.log_softmax(x, axis).astype(np.float64), axis)
        np.testing.assert_allclose(dx, ref, rtol=1e-5, atol=1e-6)
    assert kernels.softmax(np.ones((0, 5), np.float32)).shape == (0, 5)
    assert kernels.log_softmax(np.ones((3, 0), np.float32), 0).shape == (3, 0)


@pytest.mark.parametrize("call,error", [
    (lambda api, x: api.softmax(x, 2), ValueError),
    (lambda api, x: api.log_softmax(x, -3), ValueError),
    (lambda api, x: api.softmax(x, 1.0), TypeError),
    (lambda api, x: api.softmax(x, True), TypeError),
    (lambda api, x: api.softmax(np.ones((), np.float32), 0), ValueError),
    (lambda api, x: api.softmax(x.astype(np.int64)), TypeError),
    (lambda api, x: api.softmax_backward(x[:, :2], x), ValueError),
    (lambda api, x: api.log_softmax_backward(x.astype(np.float16), x), TypeError),
    (lambda api, x: api.softmax_backward(x, x, 5), ValueError),
], ids=["axis-too-big", "axis-too-small", "axis-float", "axis-bool", "0-d", "int-x", "dy-shape",
        "dy-dtype", "backward-axis"])
def test_softmax_errors(api, call, error):
    with pytest.raises(error):
        call(api, np.ones((3, 4), np.float32))


def test_direct_call_checks_arrays():
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError):
        _cpu.softmax(np.empty((2, 3, 5), np.float32), x, False)
    with pytest.raises(ValueError):
        _cpu.softmax(np.empty((2, 0, 4), np.float32), np.ones((2, 0, 4), np.float32), False)
    with pytest.raises(ValueError):
        _cpu.softmax_backward(np.empty((2, 3, 4), np.float32), x[:, :, ::2], x, True)
