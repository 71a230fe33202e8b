"""Every pooling and batch-norm reference backward against central finite differences in float64.
Max pooling uses distinct, well-separated values so that no perturbation changes a window's
maximum (the gradient is undefined at ties).
"""
from __future__ import annotations

import numpy as np
import pytest

from mdlfast import reference
from _checks import central_difference, rng_for

H = 1e-6
TOL = dict(rtol=1e-6, atol=1e-8)


def separated(rng, shape):
    """Distinct values 0.1 apart, shuffled: no tie within 2·H of another."""
    return rng.permutation(np.arange(np.prod(shape), dtype=np.float64) * 0.1).reshape(shape)


@pytest.mark.parametrize("case", [((2, 2, 5, 6), 2, None, 0), ((1, 2, 7, 5), 3, 2, 1),
                                  ((1, 1, 6, 6), (2, 3), 1, (1, 1))], ids=str)
def test_max_pool2d_backward(case):
    shape, k, s, p = case
    rng = rng_for("max_pool_fd", case)
    x = separated(rng, shape)
    y, indices = reference.max_pool2d(x, k, stride=s, padding=p)
    dy = rng.standard_normal(y.shape)

    def loss():
        return float(np.sum(dy * reference.max_pool2d(x, k, stride=s, padding=p)[0]))

    dx = reference.max_pool2d_backward(dy, indices, x.shape)
    np.testing.assert_allclose(dx, central_difference(loss, x, H), **TOL)


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", [((2, 2, 5, 6), 2, None, 0), ((1, 2, 7, 5), 3, 2, 1),
                                  ((1, 1, 6, 6), (2, 3), 1, (1, 1))], ids=str)
def test_avg_pool2d_backward(case, count_include_pad):
    shape, k, s, p = case
    rng = rng_for("avg_pool_fd", case, count_include_pad)
    x = rng.standard_normal(shape)
    kw = dict(stride=s, padding=p, count_include_pad=count_include_pad)
    dy = rng.standard_normal(reference.avg_pool2d(x, k, **kw).shape)

    def loss():
        return float(np.sum(dy * reference.avg_pool2d(x, k, **kw)))

    dx = reference.avg_pool2d_backward(dy, x.shape, k, **kw)
    np.testing.assert_allclose(dx, central_difference(loss, x, H), **TOL)


def test_pool1d_backward():
    rng = rng_for("pool1d_fd")
    x = separated(rng, (2, 3, 9))
    y, indices = reference.max_pool1d(x, 3, stride=2, padding=1)
    a = reference.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)
    dy, da = rng.standard_normal(y.shape), rng.standard_normal(a.shape)

    def loss():
        return float(np.sum(dy * reference.max_pool1d(x, 3, stride=2, padding=1)[0])
                     + np.sum(da * reference.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False)))

    dx = reference.max_pool1d_backward(dy, indices, x.shape) + \
        reference.avg_pool1d_backward(da, x.shape, 3, stride=2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(dx, central_difference(loss, x, H), **TOL)


@pytest.mark.parametrize("size", [(3, 4), 1, (5, 2)], ids=str)
def test_adaptive_and_global_avg_pool2d_backward(size):
    rng = rng_for("adaptive_fd", size)
    x = rng.standard_normal((2, 2, 7, 5))
    dy = rng.standard_normal(reference.adaptive_avg_pool2d(x, size).shape)

    def loss():
        return float(np.sum(dy * reference.adaptive_avg_pool2d(x, size)))

    dx = reference.adaptive_avg_pool2d_backward(dy, x.shape)
    np.testing.assert_allclose(dx, central_difference(loss, x, H), **TOL)
    if size == 1:
        np.testing.assert_allclose(reference.global_avg_pool2d_backward(dy, x.shape), dx, rtol=1e-14)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4), (2, 2, 3, 2)], ids=str)
def test_batch_norm_backward(shape, affine, training):
    rng = rng_for("batch_norm_fd", shape, affine, training)
    c = shape[1]
    x = rng.standard_normal(shape)
    gamma = rng.standard_normal(c) if affine else None
    beta = rng.standard_normal(c) if affine else None
    running_mean, running_var = rng.standard_normal(c), rng.uniform(0.5, 2.0, c)
    dy = rng.standard_normal(shape)

    def forward():
        # Copies: training updates the running statistics in place.
        return reference.batch_norm(x, gamma, beta, running_mean.copy(), running_var.copy(),
                                    training=training)

    def loss():
        return float(np.sum(dy * forward()[0]))

    _, save_mean, save_invstd = forward()
    dx, dgamma, dbeta = reference.batch_norm_backward(dy, x, gamma, save_mean, save_invstd,
                                                      training=training)
    np.testing.assert_allclose(dx, central_difference(loss, x, H), **TOL)
    if affine:
        np.testing.assert_allclose(dgamma, central_difference(loss, gamma, H), **TOL)
        np.testing.assert_allclose(dbeta, central_difference(loss, beta, H), **TOL)
    else:
        assert dgamma is None and dbeta is None
