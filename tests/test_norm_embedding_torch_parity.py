"""Semantics against PyTorch: layer_norm (with and without gamma and beta) and its autograd, and
embedding with padding_idx and its gradient. PyTorch runs in float64 on the very float32 values
the kernels get; the float64 reference must agree with it to rounding. Skips without PyTorch.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from mdlfast import kernels, reference  # noqa: E402
from _checks import (  # noqa: E402
    assert_close,
    assert_within,
    gemm_tol,
    layer_norm_term_scales,
    randn,
    rng_for,
)


def t64(x, requires_grad=False):
    return None if x is None else torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def torch_layer_norm(x, gamma, beta, dy, eps):
    """PyTorch's (y, dx, dgamma, dbeta) in float64; dgamma/dbeta None where the parameter is."""
    xt, gt, bt = t64(x, True), t64(gamma, True), t64(beta, True)
    y = F.layer_norm(xt, (x.shape[-1],), gt, bt, eps)
    y.backward(t64(dy))
    grad = [None if t is None else t.grad.numpy() for t in (gt, bt)]
    return y.detach().numpy(), xt.grad.numpy(), grad[0], grad[1]


@pytest.mark.parametrize("eps", [1e-5, 0.1])
@pytest.mark.parametrize("affine", ["both", "gamma", "beta", "none"])
@pytest.mark.parametrize("shape", [(1,), (3, 7), (257, 64), (2, 5, 1000)], ids=str)
def test_layer_norm_matches_torch(shape, affine, eps):
    rng = rng_for("layer_norm_torch", shape, affine, eps)
    d = shape[-1]
    x, dy = randn(rng, shape), randn(rng, shape)
    gamma = randn(rng, d) if affine in ("both", "gamma") else None
    beta = randn(rng, d) if affine in ("both", "beta") else None
    y_t, dx_t, dgamma_t, dbeta_t = torch_layer_norm(x, gamma, beta, dy, eps)

    y_r, mean_r, rstd_r = reference.layer_norm(*(None if a is None else a.astype(np.float64)
                                                 for a in (x, gamma, beta)), eps=eps)
    dx_r, dgamma_r, dbeta_r = reference.layer_norm_backward(
        dy.astype(np.float64), x.astype(np.float64),
        None if gamma is None else gamma.astype(np.float64), mean_r, rstd_r)
    np.testing.assert_allclose(y_r, y_t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx_r, dx_t, rtol=1e-8, atol=1e-8)
    # The API's backward gives dgamma and dbeta together, with gamma (so a beta without gamma gets
    # no gradient from it, and one is given for an absent beta); PyTorch's dbeta is Σ dy either way.
    if gamma is not None:
        np.testing.assert_allclose(dgamma_r, dgamma_t, rtol=1e-8, atol=1e-8)
    if gamma is not None and beta is not None:
        np.testing.assert_allclose(dbeta_r, dbeta_t, rtol=1e-10, atol=1e-10)

    y, mean, rstd = kernels.layer_norm(x, gamma, beta, eps=eps)
    dx, dgamma, dbeta = kernels.layer_norm_backward(dy, x, gamma, mean, rstd)
    scales = layer_norm_term_scales(x, gamma, beta, dy, mean_r, rstd_r)
    rows = x.size // d
    assert_within(y.reshape(-1, d), y_t.reshape(-1, d), scales["y"], gemm_tol(d), name="y")
    assert_within(dx.reshape(-1, d), dx_t.reshape(-1, d), scales["dx"], gemm_tol(d), name="dx")
    if gamma is None:
        assert dgamma is None and dbeta is None
    else:
        assert_within(dgamma, dgamma_t, scales["dgamma"], gemm_tol(rows), name="dgamma")
    if gamma is not None and beta is not None:
        assert_within(dbeta, dbeta_t, scales["dbeta"], gemm_tol(rows), name="dbeta")


@pytest.mark.parametrize("index_dtype", [np.int64, np.int32], ids=["int64", "int32"])
@pytest.mark.parametrize("padding_idx", [None, 0, 7, -3], ids=lambda p: f"pad{p}")
@pytest.mark.parametrize("shape", [(9,), (32, 12)], ids=str)
def test_embedding_matches_torch(shape, padding_idx, index_dtype):
    rng = rng_for("embedding_torch", shape, padding_idx, index_dtype)
    num_embeddings, dim = 13, 17
    indices = rng.integers(0, 5, size=shape).astype(index_dtype)  # few rows: many repeats
    if padding_idx is not None:
        indices.flat[0] = padding_idx % num_embeddings
    weight, dy = randn(rng, (num_embeddings, dim)), randn(rng, shape + (dim,))

    wt = t64(weight, True)
    y_t = F.embedding(torch.from_numpy(indices), wt, padding_idx=padding_idx)
    y_t.backward(t64(dy))
    dweight_t = wt.grad.numpy()

    for api in (kernels, reference):
        y = api.embedding(indices, weight, padding_idx=padding_idx)
        np.testing.assert_array_equal(y, y_t.detach().numpy())
    np.testing.assert_allclose(
        reference.embedding_backward(dy.astype(np.float64), indices, num_embeddings, padding_idx=padding_idx),
        dweight_t, rtol=1e-12, atol=1e-12)
    dweight = kernels.embedding_backward(dy, indices, num_embeddings, padding_idx=padding_idx)
    assert_close(dweight, dweight_t, indices.size, name="dweight")
