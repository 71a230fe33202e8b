"""batch_norm and batch_norm_backward: the C++ kernels against the float64 reference on every ISA
path and on 1 and 2 threads (training with and without running statistics, eval), direct
mdlfast._cpu calls with poisoned outputs, non-contiguous inputs, channels whose mean dwarfs their
spread, and results that are the same on any thread count.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import _cpu, kernels, reference
from _checks import assert_close, assert_within, randn, rng_for

# [N, C, *]: planes shorter than the per-plane SIMD threshold (the column form, over several row
# blocks for 3000 rows) and longer ones, ragged against the vector widths, N=1.
SHAPES = [(7, 5), (64, 33), (3000, 3), (3, 4, 5), (2, 3, 31), (2, 3, 8, 9), (1, 4, 7, 7), (5, 2, 1, 17),
          (3, 2, 4, 4, 3)]


def f64(*arrays):
    return [None if a is None else a.astype(np.float64) for a in arrays]


def make(rng, shape, affine, offset=0.0, scale=1.0):
    c = shape[1]
    x = (randn(rng, shape) * scale + offset).astype(np.float32)
    gamma = randn(rng, c) if affine else None
    beta = randn(rng, c) if affine else None
    return x, gamma, beta, randn(rng, shape)


def check_against_reference(x, gamma, beta, dy, running, training):
    """Forward (with the running statistics' update) and backward, kernels and poisoned direct
    calls, against the float64 reference."""
    c = x.shape[1]
    count = x.size // c
    rm, rv = running if running is not None else (None, None)
    rm_k, rv_k = (None, None) if rm is None else (rm.copy(), rv.copy())
    rm_r, rv_r = (None, None) if rm is None else (rm.astype(np.float64), rv.astype(np.float64))
    y, save_mean, save_invstd = kernels.batch_norm(x, gamma, beta, rm_k, rv_k, training=training,
                                                   momentum=0.2)
    y_ref, mean_ref, invstd_ref = reference.batch_norm(*f64(x, gamma, beta), rm_r, rv_r,
                                                       training=training, momentum=0.2)
    assert y.shape == x.shape and save_mean.shape == (c,) and save_invstd.shape == (c,)
    assert_close(y, y_ref, count, name="y")
    assert_close(save_mean, mean_ref, count, name="save_mean")
    assert_close(save_invstd, invstd_ref, count, name="save_invstd")
    if rm is not None:
        assert_close(rm_k, rm_r, count, name="running_mean")
        assert_close(rv_k, rv_r, count, name="running_var")

    batch_stats = training or rm is None
    # The direct calls take C-contiguous [n, c, s] arrays (mdlfast.kernels makes them so).
    x3, dy3 = (np.ascontiguousarray(a.reshape(x.shape[0], c, -1)) for a in (x, dy))
    gamma, beta = (None if a is None else np.ascontiguousarray(a) for a in (gamma, beta))
    outs = [np.full(x3.shape, np.nan, np.float32), np.full(c, np.nan, np.float32),
            np.full(c, np.nan, np.float32)]
    direct_rm = None if rm is None else rm.copy()
    direct_rv = None if rv is None else rv.copy()
    _cpu.batch_norm(*outs, x3, gamma, beta, direct_rm, direct_rv, training, 0.2, 1e-5)
    for out, ref, name in zip(outs, (y_ref.reshape(x3.shape), mean_ref, invstd_ref),
                              ("y", "save_mean", "save_invstd")):
        assert_close(out, ref, count, name=f"poisoned {name}")

    grads = kernels.batch_norm_backward(dy, x, gamma, save_mean, save_invstd, training=batch_stats)
    grads_ref = reference.batch_norm_backward(*f64(dy, x, gamma, save_mean, save_invstd),
                                              training=batch_stats)
    direct = [np.full(x3.shape, np.nan, np.float32)] + [
        None if gamma is None else np.full(c, np.nan, np.float32) for _ in range(2)]
    _cpu.batch_norm_backward(*direct, dy3, x3, gamma, save_mean, save_invstd, batch_stats)
    for out, out_direct, ref, name in zip(grads, direct, grads_ref, ("dx", "dgamma", "dbeta")):
        if ref is None:
            assert out is None and out_direct is None, f"{name} must be None without gamma"
            continue
        assert_close(out, ref, count, name=name)
        assert_close(out_direct.reshape(ref.shape), ref, count, name=f"poisoned {name}")


@pytest.mark.parametrize("mode", ["train", "train_untracked", "eval", "eval_untracked"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batch_norm_matches_reference(isa, threads, shape, affine, mode):
    rng = rng_for("batch_norm", isa, threads, shape, affine, mode)
    x, gamma, beta, dy = make(rng, shape, affine, offset=0.5, scale=2.0)
    c = shape[1]
    running = None if mode.endswith("untracked") else (randn(rng, c), rng.uniform(0.5, 2.0, c).astype(np.float32))
    check_against_reference(x, gamma, beta, dy, running, training=mode.startswith("train"))


def test_batch_norm_large_offset(isa):
    """Channels whose mean dwarfs their spread: a one-pass Σx² − (Σx)²/n variance would cancel."""
    rng = rng_for("batch_norm_offset", isa)
    for shape in ((300, 4), (4, 3, 9, 9)):
        x, gamma, beta, dy = make(rng, shape, True, offset=1000.0, scale=0.01)
        y, mean, invstd = kernels.batch_norm(x, gamma, beta, None, None, training=True)
        y_ref, mean_ref, invstd_ref = reference.batch_norm(*f64(x, gamma, beta), None, None, training=True)
        # x − mean is rounded at the scale of |x| in float32: the error bound of y is |x|·invstd·|gamma|.
        c = shape[1]
        bshape = (1, c) + (1,) * (len(shape) - 2)
        magnitude = np.abs(x.astype(np.float64)) * invstd_ref.reshape(bshape) * np.abs(gamma).reshape(bshape)
        assert_within(y, y_ref, magnitude, 1e-6, name="y")
        assert_close(invstd, invstd_ref, x.size // c, name="invstd")
        dx, _, _ = kernels.batch_norm_backward(dy, x, gamma, mean, invstd)
        dx_ref, _, _ = reference.batch_norm_backward(*f64(dy, x, gamma, mean, invstd))
        assert_within(dx, dx_ref, np.abs(dy) * invstd_ref.reshape(bshape) * np.abs(gamma).reshape(bshape)
                      * magnitude, 1e-5, name="dx")


def test_batch_norm_non_contiguous(isa):
    rng = rng_for("batch_norm_strided", isa)
    x = randn(rng, (6, 8, 10, 12))[::2, ::2, :, ::-1]
    dy = randn(rng, (3, 4, 10, 24))[..., ::2]
    gamma, beta = randn(rng, 8)[::2], randn(rng, 4)
    check_against_reference(x, gamma, beta, dy, (randn(rng, 4), np.ones(4, np.float32)), True)


@pytest.mark.parametrize("shape", [(256, 64), (8, 16, 12, 12)], ids=str)
def test_batch_norm_same_on_any_thread_count(isa, shape):
    rng = rng_for("batch_norm_threads", isa, shape)
    x, gamma, beta, dy = make(rng, shape, True)
    previous = mdlfast.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            mdlfast.set_num_threads(n)
            rm, rv = np.zeros(shape[1], np.float32), np.ones(shape[1], np.float32)
            y, mean, invstd = kernels.batch_norm(x, gamma, beta, rm, rv, training=True)
            results.append((y, mean, invstd, rm, rv) + kernels.batch_norm_backward(dy, x, gamma, mean, invstd))
    finally:
        mdlfast.set_num_threads(previous)
    for one, two, name in zip(*results, ("y", "mean", "invstd", "rm", "rv", "dx", "dgamma", "dbeta")):
        assert np.array_equal(one, two), f"{name} differs between 1 and 2 threads"


def test_batch_norm_eval_leaves_running_statistics_alone():
    rng = rng_for("batch_norm_eval")
    x, gamma, beta, _ = make(rng, (4, 3, 5, 5), True)
    rm, rv = randn(rng, 3), np.full(3, 2.0, np.float32)
    rm.flags.writeable = False  # read-only running statistics are fine in eval
    before = rm.copy(), rv.copy()
    _, mean, invstd = kernels.batch_norm(x, gamma, beta, rm, rv, training=False)
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])
    np.testing.assert_array_equal(mean, rm)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(rv + 1e-5), rtol=1e-6)


def test_batch_norm_empty_batch_in_eval():
    x = np.zeros((0, 3, 4, 4), np.float32)
    y, mean, invstd = kernels.batch_norm(x, None, None, np.zeros(3, np.float32), np.ones(3, np.float32),
                                         training=False)
    assert y.shape == x.shape and mean.shape == (3,)
    dx, _, _ = kernels.batch_norm_backward(x, x, None, mean, invstd, training=False)
    assert dx.shape == x.shape
