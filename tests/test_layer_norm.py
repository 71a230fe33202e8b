"""layer_norm and layer_norm_backward: the C++ kernels against the float64 reference on every ISA
path (and through mdlfast._cpu with NaN-poisoned outputs), the reference backward against central
finite differences, and dgamma/dbeta bit-for-bit the same on 1 and 2 threads.
"""
from __future__ import annotations

import numpy as np
import pytest

import mdlfast
from mdlfast import kernels, reference
from _checks import (
    assert_close,
    assert_within,
    central_difference,
    gemm_tol,
    layer_norm_term_scales,
    poisoned_layer_norm,
    poisoned_layer_norm_backward,
    randn,
    rng_for,
)

DIMS = [1, 7, 64, 1000]
ROWS = [1, 3, 257]


def f64(*arrays):
    return [None if a is None else a.astype(np.float64) for a in arrays]


def affine_params(rng, d, affine):
    if not affine:
        return None, None
    return randn(rng, d), randn(rng, d)


def check_layer_norm(x, gamma, beta, dy):
    """Kernel (public and poisoned direct call) against the float64 reference, forward and backward."""
    d = x.shape[-1]
    rows = x.size // d
    tol = {"y": gemm_tol(d), "mean": gemm_tol(d), "rstd": gemm_tol(d), "dx": gemm_tol(d),
           "dgamma": gemm_tol(rows), "dbeta": gemm_tol(rows)}
    y_ref, mean_ref, rstd_ref = reference.layer_norm(*f64(x, gamma, beta))
    y, mean, rstd = kernels.layer_norm(x, gamma, beta)
    dx_ref, dgamma_ref, dbeta_ref = reference.layer_norm_backward(*f64(dy, x, gamma, mean, rstd))
    dx, dgamma, dbeta = kernels.layer_norm_backward(dy, x, gamma, mean, rstd)
    scales = layer_norm_term_scales(x, gamma, beta, dy, mean_ref, rstd_ref)
    flat = {"y": y_ref.reshape(-1, d), "mean": mean_ref.reshape(-1), "rstd": rstd_ref.reshape(-1),
            "dx": dx_ref.reshape(-1, d), "dgamma": dgamma_ref, "dbeta": dbeta_ref}

    def check(out, name, how):
        if flat[name] is None:
            assert out is None, f"{name} must be None without gamma"
        else:
            assert_within(out.reshape(flat[name].shape), flat[name], scales[name], tol[name],
                          name=f"{how} {name}")

    for out, name in ((y, "y"), (mean, "mean"), (rstd, "rstd"), (dx, "dx"), (dgamma, "dgamma"),
                      (dbeta, "dbeta")):
        check(out, name, "kernels")
    assert y.shape == x.shape and mean.shape == x.shape[:-1] and rstd.shape == x.shape[:-1]
    assert dx.shape == x.shape

    x2, dy2 = x.reshape(-1, d), dy.reshape(-1, d)
    for out, name in zip(poisoned_layer_norm(x2, gamma, beta), ("y", "mean", "rstd")):
        check(out, name, "poisoned")
    grads = poisoned_layer_norm_backward(dy2, x2, gamma, mean.reshape(-1), rstd.reshape(-1))
    for out, name in zip(grads, ("dx", "dgamma", "dbeta")):
        check(out, name, "poisoned")


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("d", DIMS)
def test_layer_norm_matches_reference(isa, d, rows, affine):
    rng = rng_for("layer_norm", isa, d, rows, affine)
    x = randn(rng, (rows, d))
    gamma, beta = affine_params(rng, d, affine)
    check_layer_norm(x, gamma, beta, randn(rng, (rows, d)))


@pytest.mark.parametrize("shape", [(7,), (2, 3, 65), (2, 1, 3, 17)], ids=str)
def test_layer_norm_any_leading_shape(isa, shape):
    rng = rng_for("layer_norm_nd", isa, shape)
    x = randn(rng, shape)
    gamma, beta = affine_params(rng, shape[-1], True)
    check_layer_norm(x, gamma, beta, randn(rng, shape))


def test_layer_norm_gamma_or_beta_alone(isa):
    rng = rng_for("layer_norm_half_affine", isa)
    x, dy, p = randn(rng, (5, 33)), randn(rng, (5, 33)), randn(rng, 33)
    check_layer_norm(x, p, None, dy)
    check_layer_norm(x, None, p, dy)


def test_layer_norm_large_offset(isa):
    """Rows whose mean dwarfs their spread: a one-pass Σx² − (Σx)²/d variance would cancel."""
    rng = rng_for("layer_norm_offset", isa)
    x = (1000.0 + 0.01 * rng.standard_normal((9, 300))).astype(np.float32)
    gamma, beta = affine_params(rng, 300, True)
    check_layer_norm(x, gamma, beta, randn(rng, (9, 300)))


def test_layer_norm_empty_rows(isa):
    x = np.zeros((0, 5), dtype=np.float32)
    gamma = np.ones(5, dtype=np.float32)
    y, mean, rstd = kernels.layer_norm(x, gamma, gamma)
    assert y.shape == (0, 5) and mean.shape == (0,) and rstd.shape == (0,)
    dx, dgamma, dbeta = kernels.layer_norm_backward(x, x, gamma, mean, rstd)
    assert dx.shape == (0, 5)
    assert np.array_equal(dgamma, np.zeros(5)) and np.array_equal(dbeta, np.zeros(5))


def test_layer_norm_eps(isa):
    rng = rng_for("layer_norm_eps", isa)
    x = randn(rng, (4, 8))
    y, _, rstd = kernels.layer_norm(x, None, None, eps=0.5)
    y_ref, _, rstd_ref = reference.layer_norm(x.astype(np.float64), None, None, eps=0.5)
    assert_close(y, y_ref, 8)
    assert_close(rstd, rstd_ref, 8)


@pytest.mark.parametrize("rows,d", [(257, 64), (1031, 1000)])
def test_layer_norm_same_on_any_thread_count(isa, rows, d):
    rng = rng_for("layer_norm_threads", isa, rows, d)
    x, dy = randn(rng, (rows, d)), randn(rng, (rows, d))
    gamma, beta = affine_params(rng, d, True)
    previous = mdlfast.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            mdlfast.set_num_threads(n)
            y, mean, rstd = kernels.layer_norm(x, gamma, beta)
            results.append((y, mean, rstd) + kernels.layer_norm_backward(dy, x, gamma, mean, rstd))
    finally:
        mdlfast.set_num_threads(previous)
    for one, two, name in zip(*results, ("y", "mean", "rstd", "dx", "dgamma", "dbeta")):
        assert np.array_equal(one, two), f"{name} differs between 1 and 2 threads"


# ---------------------------------------------------------------- reference vs finite differences


@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", [(1,), (5,), (3, 4), (2, 2, 3)], ids=str)
def test_reference_backward_matches_finite_differences(shape, affine):
    rng = rng_for("layer_norm_fd", shape, affine)
    x = rng.standard_normal(shape)
    gamma = rng.standard_normal(shape[-1]) if affine else None
    beta = rng.standard_normal(shape[-1]) if affine else None
    dy = rng.standard_normal(shape)

    def loss():
        return float(np.sum(dy * reference.layer_norm(x, gamma, beta)[0]))

    _, mean, rstd = reference.layer_norm(x, gamma, beta)
    dx, dgamma, dbeta = reference.layer_norm_backward(dy, x, gamma, mean, rstd)
    np.testing.assert_allclose(dx, central_difference(loss, x, 1e-6), rtol=1e-6, atol=1e-8)
    if affine:
        np.testing.assert_allclose(dgamma, central_difference(loss, gamma, 1e-6), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(dbeta, central_difference(loss, beta, 1e-6), rtol=1e-6, atol=1e-8)
    else:
        assert dgamma is None and dbeta is None
