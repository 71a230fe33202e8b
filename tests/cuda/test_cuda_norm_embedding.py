"""The CUDA layer_norm and embedding kernels against the NumPy reference (float64) and the CPU
kernels: odd widths (below, at and above a block of 256 threads), one row, large offsets from zero,
affine and not; embedding with repeated indices, int32 indices, the padding row and a gradient that
must equal the CPU kernel's bit for bit (both sum each row in increasing position order). Outputs of
the dispatch are poisoned with NaN first. Runs only where CuPy and a GPU are present."""
from __future__ import annotations

import numpy as np
import pytest

from _gpu import cp, poisoned, to_cpu, to_gpu  # skips this module without a GPU
from _checks import randn, rel_err, rng_for
from mdlfast import _cuda_dispatch, kernels, reference

pytestmark = pytest.mark.cuda

F64 = np.float64
WIDTHS = (1, 3, 31, 256, 257, 1000, 4099)


def f64(x):
    return None if x is None else np.asarray(x, dtype=F64)


def assert_rel(out, ref, tol, name):
    out = to_cpu(out)
    assert np.isfinite(out).all(), f"{name}: NaN or inf (an unwritten element?)"
    assert rel_err(out, ref) <= tol, f"{name}: relative error {rel_err(out, ref):.3g}"


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("d", WIDTHS)
@pytest.mark.parametrize("rows", [1, 5, 300])
def test_layer_norm_forward_and_backward(rows, d, affine):
    rng = rng_for("cuda layer_norm", rows, d, affine)
    x = randn(rng, (rows, d)) * np.float32(3.0) + np.float32(100.0)  # |mean| >> std
    gamma = randn(rng, d) if affine else None
    beta = randn(rng, d) if affine else None
    dy = randn(rng, (rows, d))
    y_ref, mean_ref, rstd_ref = reference.layer_norm(f64(x), f64(gamma), f64(beta))
    y, mean, rstd = poisoned((rows, d)), poisoned((rows,)), poisoned((rows,))
    _cuda_dispatch.layer_norm(y, mean, rstd, to_gpu(x), to_gpu(gamma), to_gpu(beta), 1e-5)
    tol = 1e-5 * np.sqrt(d)
    assert_rel(y, y_ref, tol, "y")
    assert_rel(mean, mean_ref, 1e-6, "mean")
    assert_rel(rstd, rstd_ref, tol, "rstd")
    y_cpu, _, _ = kernels.layer_norm(x, gamma, beta)
    assert_rel(y, f64(y_cpu), tol, "y vs CPU kernel")

    dx_ref, dgamma_ref, dbeta_ref = reference.layer_norm_backward(f64(dy), f64(x), f64(gamma), mean_ref, rstd_ref)
    dx = poisoned((rows, d))
    dgamma, dbeta = (poisoned((d,)), poisoned((d,))) if affine else (None, None)
    _cuda_dispatch.layer_norm_backward(dx, dgamma, dbeta, to_gpu(dy), to_gpu(x), to_gpu(gamma), mean, rstd)
    assert_rel(dx, dx_ref, tol, "dx")
    if affine:
        assert_rel(dgamma, dgamma_ref, 1e-5 * np.sqrt(rows), "dgamma")
        assert_rel(dbeta, dbeta_ref, 1e-5 * np.sqrt(rows), "dbeta")


def test_layer_norm_public_api_on_cupy_arrays_and_views():
    rng = rng_for("cuda layer_norm views")
    base = randn(rng, (4, 6, 40))
    x = to_gpu(base)[:, ::2, :]  # not contiguous: the dispatch copies it
    y, mean, rstd = kernels.layer_norm(x, None, None)
    y_ref, mean_ref, _ = reference.layer_norm(f64(base[:, ::2, :]), None, None)
    assert isinstance(y, cp.ndarray) and y.shape == (4, 3, 40) and mean.shape == (4, 3)
    assert_rel(y, y_ref, 1e-5 * np.sqrt(40), "y")
    dx, dgamma, dbeta = kernels.layer_norm_backward(cp.ones_like(y), x, None, mean, rstd)
    assert dgamma is None and dbeta is None and dx.shape == y.shape


def test_layer_norm_gradients_are_the_same_on_every_run():
    rng = rng_for("cuda layer_norm determinism")
    x, dy, gamma = (to_gpu(randn(rng, s)) for s in ((3000, 70), (3000, 70), 70))
    _, mean, rstd = kernels.layer_norm(x, gamma, None)
    first = kernels.layer_norm_backward(dy, x, gamma, mean, rstd)
    second = kernels.layer_norm_backward(dy, x, gamma, mean, rstd)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(to_cpu(a), to_cpu(b))


@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
@pytest.mark.parametrize("n,num_embeddings,dim", [(1, 1, 1), (7, 3, 5), (1000, 37, 33), (5000, 900, 130)])
def test_embedding_forward_and_backward(n, num_embeddings, dim, index_dtype):
    rng = rng_for("cuda embedding", n, num_embeddings, dim)
    weight = randn(rng, (num_embeddings, dim))
    indices = rng.integers(0, num_embeddings, size=n).astype(index_dtype)
    dy = randn(rng, (n, dim))
    y = kernels.embedding(to_gpu(indices), to_gpu(weight))
    np.testing.assert_array_equal(to_cpu(y), reference.embedding(indices, weight))
    for padding_idx in (None, num_embeddings - 1):
        dweight = kernels.embedding_backward(to_gpu(dy), to_gpu(indices), num_embeddings, padding_idx=padding_idx)
        expected = reference.embedding_backward(f64(dy), indices, num_embeddings, padding_idx=padding_idx)
        assert_rel(dweight, expected, 1e-6 * np.sqrt(n), "dweight")
        cpu = kernels.embedding_backward(dy, indices, num_embeddings, padding_idx=padding_idx)
        np.testing.assert_array_equal(to_cpu(dweight), cpu)  # the same sums in the same order


def test_embedding_dispatch_writes_every_element():
    rng = rng_for("cuda embedding poisoned")
    weight, indices = randn(rng, (11, 9)), rng.integers(0, 11, size=(4, 6))
    y = poisoned((24, 9))
    _cuda_dispatch.embedding(y, to_gpu(indices.reshape(-1)), to_gpu(weight))
    np.testing.assert_array_equal(to_cpu(y), weight[indices.reshape(-1)])
    dweight = poisoned((11, 9))
    _cuda_dispatch.embedding_backward(dweight, to_gpu(randn(rng, (24, 9))), to_gpu(indices.reshape(-1)), -1)
    assert np.isfinite(to_cpu(dweight)).all()


def test_embedding_index_out_of_range_raises_before_any_kernel():
    with pytest.raises(ValueError, match="indices must lie in"):
        kernels.embedding(cp.asarray([0, 5], dtype=cp.int64), cp.zeros((5, 2), cp.float32))
